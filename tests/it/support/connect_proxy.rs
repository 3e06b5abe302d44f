//! A small HTTP CONNECT proxy: it reads each `CONNECT` head, records its request line and
//! `Proxy-Authorization`, and either answers 200 and splices bytes both ways to one
//! upstream address (whatever host the CONNECT names, so test URLs may use names that do
//! not resolve) or refuses with a status. It counts the tunnels it opened.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the proxy answers each CONNECT.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// Opens every tunnel asked for.
    Tunnel,
    /// Opens the first `n` tunnels, then refuses with `status` (a status line's rest, such
    /// as `502 Bad Gateway`).
    TunnelThenRefuse(u64, &'static str),
}

/// One CONNECT the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The request line, e.g. `CONNECT target.test:443 HTTP/1.1`.
    pub line: String,
    pub proxy_authorization: Option<String>,
}

/// The proxy on a free port of 127.0.0.1, on its own thread for the test's life.
pub struct ConnectProxy {
    pub addr: SocketAddr,
    tunnels: Arc<AtomicU64>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ConnectProxy {
    /// A proxy whose tunnels all lead to `upstream`, answering as `answer` says.
    pub fn start(upstream: SocketAddr, answer: Answer) -> ConnectProxy {
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let proxy = ConnectProxy {
            addr: std_listener.local_addr().unwrap(),
            tunnels: Arc::default(),
            seen: Arc::default(),
        };
        let (tunnels, seen) = (proxy.tunnels.clone(), proxy.seen.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                let asked = Arc::new(AtomicU64::new(0));
                while let Ok((client, _)) = listener.accept().await {
                    let (tunnels, seen, asked) = (tunnels.clone(), seen.clone(), asked.clone());
                    tokio::spawn(async move {
                        let Some(head) = read_head(client).await else {
                            return;
                        };
                        seen.lock().unwrap().push(head.seen.clone());
                        let n = asked.fetch_add(1, Relaxed);
                        match answer {
                            Answer::TunnelThenRefuse(k, status) if n >= k => {
                                refuse(head.client, status).await
                            }
                            _ => splice(head.client, upstream, &tunnels).await,
                        }
                    });
                }
            });
        });
        proxy
    }

    /// `http://127.0.0.1:PORT`, with `userinfo@` when given.
    pub fn url(&self, userinfo: Option<&str>) -> String {
        match userinfo {
            Some(u) => format!("http://{u}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    /// Tunnels opened (answered 200) so far.
    pub fn tunnels(&self) -> u64 {
        self.tunnels.load(Relaxed)
    }

    /// Every CONNECT received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A CONNECT head read off a client connection.
struct Head {
    client: TcpStream,
    seen: Seen,
}

/// Reads the head byte by byte, so no byte of the tunnel is taken with it.
async fn read_head(mut client: TcpStream) -> Option<Head> {
    let mut bytes = Vec::new();
    while !bytes.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        if client.read(&mut byte).await.ok()? == 0 || bytes.len() > 64 * 1024 {
            return None;
        }
        bytes.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut lines = text.split("\r\n");
    let line = lines.next()?.to_string();
    let proxy_authorization = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_string())
    });
    Some(Head {
        client,
        seen: Seen {
            line,
            proxy_authorization,
        },
    })
}

async fn refuse(mut client: TcpStream, status: &str) {
    let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = client.write_all(answer.as_bytes()).await;
    let _ = client.shutdown().await;
}

async fn splice(mut client: TcpStream, upstream: SocketAddr, tunnels: &AtomicU64) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        refuse(client, "502 Bad Gateway").await;
        return;
    };
    let established = b"HTTP/1.1 200 Connection established\r\n\r\n";
    if client.write_all(established).await.is_err() {
        return;
    }
    tunnels.fetch_add(1, Relaxed);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
