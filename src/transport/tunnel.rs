//! HTTP CONNECT tunnels through a `-x` proxy: the [`Dial`] that `https://` and HTTP/2 run over
//! when a proxy stands between vastar and the target.
//!
//! A tunnel is a TCP connection to the proxy that, once the proxy answers `CONNECT host:port`
//! with a 2xx, carries bytes to and from the target untouched; TLS (named and verified
//! against the target, not the proxy) and h2c then run over it as over a direct connection,
//! so no protocol knows about proxies. Every connection opens its own tunnel (a reconnect, or
//! each request under `--disable-keepalive`).
//!
//! The CONNECT exchange belongs to the connect phase: until the proxy says the tunnel is up
//! there is no byte pipe to the target, which is what a connect measures; a phase of its own
//! would make proxied and direct runs' phases add up differently. It is bounded by the
//! connect timeout, like the TCP connect before it. The proxy's answer is read without
//! consuming a byte past its head (peeked, then read exactly), so whatever the target sends
//! first stays in the socket for the protocol; a head that is garbage, over
//! [`MAX_HEAD_BYTES`], or cut short by a close is a failed connect, never a panic or a hang.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::tcp::TcpDial;
use super::{Dial, Dialed};

/// Largest proxy response head read: CONNECT answers are a status line and a few headers;
/// more is a proxy (or something else on its port) that is not answering the CONNECT.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Most headers a CONNECT answer may carry (they are not looked at, only skipped).
const MAX_HEADERS: usize = 64;

/// Opens connections to a target through an HTTP proxy's CONNECT tunnels. Clones (one per
/// worker) share the request, written once per run.
#[derive(Clone)]
pub struct TunnelDial {
    /// Connects to the proxy.
    tcp: TcpDial,
    /// The whole CONNECT request head, as sent.
    request: Arc<[u8]>,
    /// The proxy (password hidden) and the target's `host:port`, for error messages.
    proxy: Arc<str>,
    target: Arc<str>,
}

impl TunnelDial {
    /// Tunnels through the proxy `tcp` connects to (shown as `proxy` in errors) to
    /// `host:port`, sending `authorization` as `Proxy-Authorization` when given.
    pub fn new(
        tcp: TcpDial,
        proxy: &str,
        host: &str,
        port: u16,
        authorization: Option<&str>,
    ) -> Self {
        let target = authority(host, port);
        let mut request = format!(
            "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: vastar/{}\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(value) = authorization {
            request.push_str(&format!("Proxy-Authorization: {value}\r\n"));
        }
        request.push_str("\r\n");
        TunnelDial {
            tcp,
            request: request.into_bytes().into(),
            proxy: proxy.into(),
            target: target.into(),
        }
    }

    /// Asks the proxy for the tunnel on `stream` and reads its answer.
    async fn open(&self, stream: &mut TcpStream) -> Result<(), Fault> {
        stream.write_all(&self.request).await.map_err(Fault::Io)?;
        let head = read_head(stream).await?;
        match status(&head)? {
            (code, _) if (200..300).contains(&code) => Ok(()),
            (code, reason) => Err(Fault::Refused(code, reason)),
        }
    }

    /// `fault` as one line naming the proxy, the target and what happened; its kind is what
    /// the run counts it as (a failed connect).
    fn error(&self, fault: Fault) -> io::Error {
        let (kind, what) = match fault {
            Fault::Refused(code, reason) => (
                io::ErrorKind::ConnectionRefused,
                format!("refused: {code} {reason}").trim_end().to_string(),
            ),
            Fault::Garbage => (io::ErrorKind::InvalidData, "the answer is not HTTP".into()),
            Fault::Oversized => (
                io::ErrorKind::InvalidData,
                format!("the answer's head is over {MAX_HEAD_BYTES} bytes"),
            ),
            Fault::Closed => (
                io::ErrorKind::UnexpectedEof,
                "the proxy closed the connection before answering".into(),
            ),
            Fault::Io(e) => (e.kind(), e.to_string()),
        };
        let message = format!("proxy {}: CONNECT {}: {what}", self.proxy, self.target);
        io::Error::new(kind, message)
    }
}

/// Why a tunnel did not open, once the proxy's port accepted.
#[derive(Debug)]
enum Fault {
    /// The proxy answered with this status (not 2xx) and reason phrase.
    Refused(u16, String),
    /// The answer is not an HTTP/1.x response head.
    Garbage,
    /// The head went on past [`MAX_HEAD_BYTES`].
    Oversized,
    /// The proxy closed the connection before its head was complete.
    Closed,
    /// Writing the request or reading the answer failed.
    Io(io::Error),
}

impl Dial for TunnelDial {
    type Stream = TcpStream;

    async fn dial(&self) -> io::Result<Dialed<TcpStream>> {
        let mut stream = self.tcp.connect().await?;
        match tokio::time::timeout(self.tcp.timeout(), self.open(&mut stream)).await {
            Ok(Ok(())) => Ok(Dialed {
                stream,
                handshake: None,
            }),
            Ok(Err(fault)) => Err(self.error(fault)),
            Err(_) => {
                let message = format!(
                    "proxy {}: CONNECT {}: no answer within the connect timeout",
                    self.proxy, self.target
                );
                Err(io::Error::new(io::ErrorKind::TimedOut, message))
            }
        }
    }
}

/// `host:port` as CONNECT names it: always with the port, IPv6 in brackets.
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Reads the proxy's response head and nothing after it: each round peeks at what arrived,
/// then consumes only the bytes that belong to the head.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, Fault> {
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 2048];
    loop {
        let n = stream.peek(&mut buf).await.map_err(Fault::Io)?;
        if n == 0 {
            return Err(Fault::Closed);
        }
        let seen = head.len();
        head.extend_from_slice(&buf[..n]);
        let end = head_end(&head, seen);
        let take = end.map_or(n, |end| end - seen);
        head.truncate(seen + take);
        stream
            .read_exact(&mut buf[..take])
            .await
            .map_err(Fault::Io)?;
        if end.is_some() {
            return Ok(head);
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err(Fault::Oversized);
        }
    }
}

/// Where the head in `bytes` ends (just past its empty line, CRLF or bare LF), looking only
/// at terminators that end at or after `from` (earlier bytes were searched already).
fn head_end(bytes: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    (start..bytes.len()).find_map(|i| {
        let rest = &bytes[i..];
        if rest.starts_with(b"\n\r\n") {
            Some(i + 3)
        } else if rest.starts_with(b"\n\n") {
            Some(i + 2)
        } else {
            None
        }
    })
}

/// The status code and reason phrase (printable ASCII, at most 80 characters) of a complete
/// response head.
fn status(head: &[u8]) -> Result<(u16, String), Fault> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Fault::Garbage),
    }
    let code = response.code.ok_or(Fault::Garbage)?;
    let reason = response
        .reason
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(80)
        .collect::<String>();
    Ok((code, reason.trim().to_string()))
}

#[cfg(test)]
#[path = "tunnel_tests.rs"]
mod tests;
