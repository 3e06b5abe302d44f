//! What a scripted server received: one parsed HTTP/1.1 request, kept byte for byte.
//!
//! Heads are parsed with `httparse` (a plain dependency of the crate, so tests share the
//! parser the built-in server relies on); header values stay raw bytes so a test can see
//! exactly what went over the wire, including repeated or oddly cased headers.

use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Index of the accepted connection it arrived on (0 for the first connection).
    pub conn: u64,
    /// Method token, as sent.
    pub method: String,
    /// Request target (path and query), as sent.
    pub target: String,
    /// Minor HTTP version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub version: u8,
    /// Every header line in order, names as sent (case kept), values raw.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, framed by `Content-Length` (empty without it).
    pub body: Vec<u8>,
}

/// Why a head could not be turned into a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHead(pub String);

/// Headers a test request may carry; far more than vastar ever sends.
const MAX_HEADERS: usize = 64;

impl Request {
    /// Parses a complete head (request line and headers, ending with the blank line). The
    /// body is filled in later by the reader that knows where it ends.
    pub fn parse_head(head: &[u8], conn: u64) -> Result<Request, BadHead> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut slots);
        match parsed.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => return Err(BadHead("incomplete head".into())),
            Err(e) => return Err(BadHead(format!("{e}: {:?}", String::from_utf8_lossy(head)))),
        }
        let missing =
            |what: &str| BadHead(format!("no {what} in {:?}", String::from_utf8_lossy(head)));
        Ok(Request {
            conn,
            method: parsed.method.ok_or_else(|| missing("method"))?.to_string(),
            target: parsed.path.ok_or_else(|| missing("target"))?.to_string(),
            version: parsed.version.ok_or_else(|| missing("version"))?,
            headers: parsed
                .headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec()))
                .collect(),
            body: Vec::new(),
        })
    }

    /// Every value of header `name` (case-insensitive), in order, as text.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    /// The value of a header that must appear exactly once; panics with the whole head
    /// otherwise, which is the message a failing test wants.
    pub fn only_header(&self, name: &str) -> String {
        match self.header_values(name).as_slice() {
            [one] => one.clone(),
            other => panic!("expected exactly one {name} header, got {other:?} in {self:#?}"),
        }
    }

    /// The declared body length; 0 when absent or unparsable (a test then sees the mismatch).
    pub fn content_length(&self) -> usize {
        self.header_values("content-length")
            .first()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Whether the client asked to close the connection after this request.
    pub fn wants_close(&self) -> bool {
        self.header_values("connection")
            .iter()
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
    }
}

/// Reads the next request (head and `Content-Length` body) of connection `conn` from
/// `stream`, keeping bytes of later requests in `buf`. `None` when the client closed, on an
/// I/O error or a malformed head, or once `stop` is set. `stream` must block with a read
/// timeout, so that `stop` is noticed.
pub fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    conn: u64,
    stop: &AtomicBool,
) -> Option<Request> {
    let head_len = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        fill(stream, buf, stop)?;
    };
    let mut request = Request::parse_head(&buf[..head_len], conn).ok()?;
    let total = head_len + request.content_length();
    while buf.len() < total {
        fill(stream, buf, stop)?;
    }
    request.body = buf[head_len..total].to_vec();
    buf.drain(..total);
    Some(request)
}

/// Appends the next bytes `stream` delivers to `buf`; `None` on end of stream, an error, or
/// once `stop` is set.
fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, stop: &AtomicBool) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    while !stop.load(SeqCst) {
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Some(());
            }
            Err(e) if is_transient(&e) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Read errors that only mean "nothing yet".
pub fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_head_and_keeps_repeated_headers() {
        let head =
            b"POST /a?b=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 3\r\n\r\n";
        let r = Request::parse_head(head, 4).unwrap();
        assert_eq!(
            (r.method.as_str(), r.target.as_str(), r.version, r.conn),
            ("POST", "/a?b=1", 1, 4)
        );
        assert_eq!(r.header_values("X-A"), ["1", "2"]);
        assert_eq!(r.content_length(), 3);
        assert!(!r.wants_close());
    }

    #[test]
    fn a_garbage_head_is_rejected() {
        assert!(Request::parse_head(b"\x00\x01 nonsense\r\n\r\n", 0).is_err());
    }
}
