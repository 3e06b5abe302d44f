//! The response policy: what the server answers to each request, built once per server.
//!
//! Every response is encoded at startup into `Bytes`, so answering a request is a table lookup
//! and (for bodies up to [`INLINE_MAX`]) a single contiguous write. [`Responder::reply`] is the
//! one place that decides how a request is answered; fault modes belong there.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};

use super::request::{Rejection, RequestHead};
use super::{ServeConfig, Stall};

/// Responses up to this size are stored as one contiguous buffer; larger ones keep the body
/// separate so it is stored once and shared by every variant.
const INLINE_MAX: usize = 16 * 1024;

/// Largest chunk in `--chunked` mode.
const MAX_CHUNK: usize = 8 * 1024;

/// Filler the body is made of (repeated and truncated), so the default size reads naturally.
const FILLER: &[u8] = b"Hello, World!";

/// Interim response sent to clients that asked for `Expect: 100-continue`.
pub(super) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The answer to a rejected request; each one closes the connection.
pub(super) fn rejection(rejection: Rejection) -> &'static [u8] {
    match rejection {
        Rejection::BadRequest => {
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\
              Connection: close\r\n\r\nbad request\n"
        }
        Rejection::HeadTooLarge => {
            b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n\
              Content-Length: 15\r\nConnection: close\r\n\r\nhead too large\n"
        }
        Rejection::BodyEncoding => {
            b"HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain\r\nContent-Length: 32\r\n\
              Connection: close\r\n\r\ntransfer-encoding not supported\n"
        }
    }
}

/// One prebuilt response: `head` first, then `body` (empty when inlined into `head`).
#[derive(Debug, Clone, Default)]
pub(super) struct Encoded {
    pub head: Bytes,
    pub body: Bytes,
}

/// How a request is to be answered.
#[derive(Debug)]
pub(super) struct Reply<'a> {
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// The bytes to send.
    pub response: &'a Encoded,
    /// Close the connection once the response is written.
    pub close: bool,
}

/// The `Connection` header a response carries; indexes the prebuilt tables.
#[derive(Debug, Clone, Copy)]
enum ConnHeader {
    /// HTTP/1.1 default keep-alive: no header.
    Omitted = 0,
    Close = 1,
    /// HTTP/1.0 client that asked to keep the connection open.
    KeepAlive = 2,
}

/// The six variants of one body framing: `[GET-like, HEAD]` by [`ConnHeader`].
#[derive(Debug)]
struct Table([[Encoded; 3]; 2]);

/// Decides and holds every response of one server.
#[derive(Debug)]
pub(super) struct Responder {
    delay: Option<Duration>,
    stall: Option<Stall>,
    /// Requests answered so far, to know when the next stall is due.
    answered: AtomicU64,
    /// End of the current stall, in nanoseconds since `epoch` (0: none yet).
    frozen_until_ns: AtomicU64,
    epoch: Instant,
    /// `Content-Length` framing: for HTTP/1.0 clients always, for everyone without `--chunked`.
    length: Table,
    /// `Transfer-Encoding: chunked` framing for HTTP/1.1 clients in `--chunked` mode.
    chunked: Option<Table>,
}

impl Responder {
    /// Encodes every response the configuration can produce.
    pub fn new(config: &ServeConfig) -> Self {
        let raw = body(config.body_size);
        let length_header = format!("Content-Length: {}\r\n", raw.len());
        let length = Table::build(&length_header, &raw);
        let chunked = config
            .chunked
            .then(|| Table::build("Transfer-Encoding: chunked\r\n", &chunk(&raw)));
        Responder {
            delay: config.delay,
            stall: config.stall,
            answered: AtomicU64::new(0),
            frozen_until_ns: AtomicU64::new(0),
            epoch: Instant::now(),
            length,
            chunked,
        }
    }

    /// The policy: how `req` is answered.
    pub fn reply(&self, req: &RequestHead) -> Reply<'_> {
        let keep_alive = req.wants_keep_alive();
        let conn = match (keep_alive, req.http11) {
            (false, _) => ConnHeader::Close,
            (true, true) => ConnHeader::Omitted,
            (true, false) => ConnHeader::KeepAlive,
        };
        // Chunked framing is HTTP/1.1 only; HTTP/1.0 clients get Content-Length.
        let table = match &self.chunked {
            Some(chunked) if req.http11 => chunked,
            _ => &self.length,
        };
        Reply {
            delay: self.delay.max(self.stall_wait()),
            response: &table.0[usize::from(req.is_head)][conn as usize],
            close: !keep_alive,
        }
    }
}

impl Responder {
    /// How long this request must wait because the server is frozen (starting a freeze
    /// when this is the `every`-th request).
    fn stall_wait(&self) -> Option<Duration> {
        let stall = self.stall?;
        let n = self.answered.fetch_add(1, Relaxed) + 1;
        let now_ns = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if n % stall.every.max(1) == 0 {
            let end =
                now_ns.saturating_add(u64::try_from(stall.duration.as_nanos()).unwrap_or(u64::MAX));
            self.frozen_until_ns.fetch_max(end, Relaxed);
        }
        let until = self.frozen_until_ns.load(Relaxed);
        (until > now_ns).then(|| Duration::from_nanos(until - now_ns))
    }
}

impl Table {
    /// Builds all variants for one framing; `framing` is the header line describing `body`.
    fn build(framing: &str, body: &Bytes) -> Self {
        let variant = |conn: ConnHeader, with_body: bool| {
            let connection = match conn {
                ConnHeader::Omitted => "",
                ConnHeader::Close => "Connection: close\r\n",
                ConnHeader::KeepAlive => "Connection: keep-alive\r\n",
            };
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{framing}{connection}\r\n");
            encode(
                head.as_bytes(),
                &if with_body {
                    body.clone()
                } else {
                    Bytes::new()
                },
            )
        };
        let conns = [
            ConnHeader::Omitted,
            ConnHeader::Close,
            ConnHeader::KeepAlive,
        ];
        Table([
            conns.map(|c| variant(c, true)),
            conns.map(|c| variant(c, false)),
        ])
    }
}

/// Joins `head` and `body` into one buffer when small, else keeps the (shared) body separate.
fn encode(head: &[u8], body: &Bytes) -> Encoded {
    if head.len() + body.len() <= INLINE_MAX {
        let mut all = BytesMut::with_capacity(head.len() + body.len());
        all.put_slice(head);
        all.put_slice(body);
        Encoded {
            head: all.freeze(),
            body: Bytes::new(),
        }
    } else {
        Encoded {
            head: Bytes::copy_from_slice(head),
            body: body.clone(),
        }
    }
}

/// The response body: [`FILLER`] repeated and truncated to `size` bytes.
pub(super) fn body(size: usize) -> Bytes {
    FILLER
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect::<Vec<u8>>()
        .into()
}

/// Chunked encoding of `raw`: chunks of at most [`MAX_CHUNK`] bytes and at least two chunks
/// when `raw` has two bytes or more, so clients always cross a chunk boundary.
fn chunk(raw: &[u8]) -> Bytes {
    let size = raw.len().div_ceil(2).clamp(1, MAX_CHUNK);
    let mut out = BytesMut::with_capacity(raw.len() + raw.len() / size * 12 + 16);
    for piece in raw.chunks(size) {
        out.put_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.put_slice(piece);
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"0\r\n\r\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(is_head: bool, http11: bool, close: bool, keep_alive: bool) -> RequestHead {
        RequestHead {
            head_len: 0,
            is_head,
            http11,
            content_length: 0,
            close,
            keep_alive,
            expect_continue: false,
        }
    }

    fn text(e: &Encoded) -> String {
        String::from_utf8([&e.head[..], &e.body[..]].concat()).unwrap()
    }

    #[test]
    fn default_body_is_hello_world() {
        assert_eq!(&body(13)[..], b"Hello, World!");
        assert_eq!(&body(15)[..], b"Hello, World!He");
        assert!(body(0).is_empty());
    }

    #[test]
    fn chunking_splits_into_bounded_chunks() {
        assert_eq!(
            &chunk(b"Hello, World!")[..],
            b"7\r\nHello, \r\n6\r\nWorld!\r\n0\r\n\r\n"
        );
        assert_eq!(&chunk(b"")[..], b"0\r\n\r\n");
        assert_eq!(&chunk(b"x")[..], b"1\r\nx\r\n0\r\n\r\n");
        let big = chunk(&body(20_000));
        assert!(big.starts_with(b"2000\r\n"));
        assert!(big.ends_with(b"\r\n0\r\n\r\n"));
    }

    #[test]
    fn variants_carry_the_right_connection_header() {
        let r = Responder::new(&ServeConfig::default());
        let keep = r.reply(&head(false, true, false, false));
        assert!(!keep.close);
        assert_eq!(
            text(keep.response),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
        );
        let close = r.reply(&head(false, true, true, false));
        assert!(close.close && text(close.response).contains("Connection: close\r\n"));
        let old = r.reply(&head(true, false, false, true));
        assert!(!old.close && text(old.response).ends_with("Connection: keep-alive\r\n\r\n"));
        assert!(r.reply(&head(false, false, false, false)).close);
    }

    #[test]
    fn chunked_mode_uses_length_framing_for_http10() {
        let config = ServeConfig {
            chunked: true,
            ..ServeConfig::default()
        };
        let r = Responder::new(&config);
        assert!(text(r.reply(&head(false, true, false, false)).response).contains("chunked"));
        let old = text(r.reply(&head(false, false, false, false)).response);
        assert!(old.contains("Content-Length: 13\r\n") && !old.contains("chunked"));
    }

    #[test]
    fn every_nth_request_freezes_all_requests_until_the_stall_ends() {
        let stall = Stall {
            every: 3,
            duration: Duration::from_secs(60),
        };
        let r = Responder::new(&ServeConfig {
            stall: Some(stall),
            ..ServeConfig::default()
        });
        let req = head(false, true, false, false);
        assert_eq!(r.reply(&req).delay, None);
        assert_eq!(r.reply(&req).delay, None);
        let third = r
            .reply(&req)
            .delay
            .expect("the third request starts a freeze");
        assert!(third > Duration::from_secs(59));
        let fourth = r
            .reply(&req)
            .delay
            .expect("later requests wait for the same freeze");
        assert!(fourth <= third && fourth > Duration::from_secs(59));
    }

    #[test]
    fn large_bodies_are_shared_not_inlined() {
        let config = ServeConfig {
            body_size: 100_000,
            ..ServeConfig::default()
        };
        let r = Responder::new(&config);
        let get = r.reply(&head(false, true, false, false)).response;
        assert_eq!(get.body.len(), 100_000);
        assert!(r
            .reply(&head(true, true, false, false))
            .response
            .body
            .is_empty());
    }

    #[test]
    fn rejection_lengths_match_bodies() {
        for rej in [
            Rejection::BadRequest,
            Rejection::HeadTooLarge,
            Rejection::BodyEncoding,
        ] {
            let raw = std::str::from_utf8(rejection(rej)).unwrap();
            let (head, body) = raw.split_once("\r\n\r\n").unwrap();
            assert!(
                head.contains(&format!("Content-Length: {}\r\n", body.len())),
                "{raw}"
            );
        }
    }
}
