//! Request-head parsing: turns the bytes at the front of a connection's read buffer into the
//! few facts the server acts on, or a reason to reject the request.
//!
//! Pure (no I/O) so every framing rule can be unit-tested. The server never looks at the target
//! or at headers other than the ones below, so nothing else is extracted or allocated.

/// Largest request head (request line plus headers) the server accepts; larger gets 431.
pub(super) const MAX_HEAD: usize = 64 * 1024;

/// Header slots offered to `httparse`; more headers than this also gets 431.
const MAX_HEADERS: usize = 128;

/// What the server needs to know about one parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RequestHead {
    /// Bytes the head occupies at the front of the buffer (the body starts right after).
    pub head_len: usize,
    /// `HEAD` requests get the response headers without the body.
    pub is_head: bool,
    /// `true` for HTTP/1.1, `false` for HTTP/1.0.
    pub http11: bool,
    /// Request body length to read and discard (0 when no `Content-Length`).
    pub content_length: u64,
    /// `Connection: close` was sent.
    pub close: bool,
    /// `Connection: keep-alive` was sent (only meaningful for HTTP/1.0).
    pub keep_alive: bool,
    /// `Expect: 100-continue` was sent: the client may wait for an interim response.
    pub expect_continue: bool,
}

impl RequestHead {
    /// Whether the connection stays open after this request's response.
    pub fn wants_keep_alive(&self) -> bool {
        !self.close && (self.http11 || self.keep_alive)
    }
}

/// Why a request is refused; every rejection also closes the connection, because after it
/// the server can no longer tell where the next request would start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rejection {
    /// Unparseable head or invalid `Content-Length` (400).
    BadRequest,
    /// Head longer than [`MAX_HEAD`] or with too many headers (431).
    HeadTooLarge,
    /// A `Transfer-Encoding` request body, which this server does not decode (501).
    BodyEncoding,
}

/// The outcome of looking at the front of the read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Parsed {
    /// The head is not complete yet: read more.
    Partial,
    /// A complete, acceptable head.
    Complete(RequestHead),
    /// A head the server refuses.
    Reject(Rejection),
}

/// Parses the request head at the front of `buf`.
pub(super) fn parse(buf: &[u8]) -> Parsed {
    // The common case between keep-alive requests; skips preparing the header slots.
    if buf.is_empty() {
        return Parsed::Partial;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            Parsed::Reject(Rejection::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => Parsed::Partial,
        Ok(httparse::Status::Complete(n)) if n > MAX_HEAD => {
            Parsed::Reject(Rejection::HeadTooLarge)
        }
        Ok(httparse::Status::Complete(n)) => match interpret(&req, n) {
            Ok(head) => Parsed::Complete(head),
            Err(rejection) => Parsed::Reject(rejection),
        },
        Err(httparse::Error::TooManyHeaders) => Parsed::Reject(Rejection::HeadTooLarge),
        Err(_) => Parsed::Reject(Rejection::BadRequest),
    }
}

/// Extracts the facts the server uses from a complete head.
fn interpret(req: &httparse::Request<'_, '_>, head_len: usize) -> Result<RequestHead, Rejection> {
    let mut head = RequestHead {
        head_len,
        is_head: req.method == Some("HEAD"),
        http11: req.version == Some(1),
        content_length: 0,
        close: false,
        keep_alive: false,
        expect_continue: false,
    };
    let mut content_length: Option<u64> = None;
    for h in req.headers.iter() {
        let value = h.value.trim_ascii();
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = parse_content_length(value).ok_or(Rejection::BadRequest)?;
            // Repeated identical values are tolerated; conflicting ones are a smuggling risk.
            if content_length.is_some_and(|prev| prev != n) {
                return Err(Rejection::BadRequest);
            }
            content_length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Rejection::BodyEncoding);
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                head.close |= token.eq_ignore_ascii_case(b"close");
                head.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if h.name.eq_ignore_ascii_case("expect") {
            head.expect_continue = value.eq_ignore_ascii_case(b"100-continue");
        }
    }
    head.content_length = content_length.unwrap_or(0);
    Ok(head)
}

/// A `Content-Length` value: ASCII digits only (no sign, no list), fitting in a `u64`.
fn parse_content_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    value.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(raw: &str) -> RequestHead {
        match parse(raw.as_bytes()) {
            Parsed::Complete(head) => head,
            other => panic!("expected a complete head for {raw:?}, got {other:?}"),
        }
    }

    #[test]
    fn simple_get_keeps_alive() {
        let raw = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next";
        let head = complete(raw);
        assert_eq!(head.head_len, raw.find("GET /next").unwrap());
        assert!(head.http11 && !head.is_head && head.wants_keep_alive());
        assert_eq!(head.content_length, 0);
    }

    #[test]
    fn blank_lines_before_a_request_are_skipped() {
        let raw = "\r\nGET / HTTP/1.1\r\n\r\n";
        assert_eq!(complete(raw).head_len, raw.len());
    }

    #[test]
    fn connection_tokens_are_case_insensitive_lists() {
        assert!(
            !complete("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n").wants_keep_alive()
        );
        assert!(!complete("GET / HTTP/1.0\r\n\r\n").wants_keep_alive());
        assert!(complete("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").wants_keep_alive());
    }

    #[test]
    fn head_method_and_expect_are_recognised() {
        let head = complete("HEAD / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
        assert!(head.is_head && head.expect_continue);
    }

    #[test]
    fn content_length_is_validated() {
        let ok = "POST / HTTP/1.1\r\nContent-Length: 42\r\ncontent-length: 42\r\n\r\n";
        assert_eq!(complete(ok).content_length, 42);
        for bad in [
            "+5",
            "-1",
            "",
            "4 2",
            "1,1",
            "99999999999999999999999",
            "0x10",
        ] {
            let raw = format!("POST / HTTP/1.1\r\nContent-Length: {bad}\r\n\r\n");
            assert_eq!(
                parse(raw.as_bytes()),
                Parsed::Reject(Rejection::BadRequest),
                "{bad:?}"
            );
        }
        let conflict = "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
        assert_eq!(
            parse(conflict.as_bytes()),
            Parsed::Reject(Rejection::BadRequest)
        );
    }

    #[test]
    fn transfer_encoding_is_not_implemented() {
        let raw = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(
            parse(raw.as_bytes()),
            Parsed::Reject(Rejection::BodyEncoding)
        );
    }

    #[test]
    fn partial_malformed_and_oversized_heads() {
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost:"), Parsed::Partial);
        assert_eq!(parse(b""), Parsed::Partial);
        let bad = parse(b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n");
        assert_eq!(bad, Parsed::Reject(Rejection::BadRequest));
        assert_eq!(
            parse(b"\x00\x01\x02 garbage\r\n\r\n"),
            Parsed::Reject(Rejection::BadRequest)
        );
        let mut long = b"GET / HTTP/1.1\r\nX: ".to_vec();
        long.resize(MAX_HEAD, b'a');
        assert_eq!(parse(&long), Parsed::Reject(Rejection::HeadTooLarge));
        let many: String = (0..MAX_HEADERS + 1)
            .map(|i| format!("H{i}: v\r\n"))
            .collect();
        let raw = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(
            parse(raw.as_bytes()),
            Parsed::Reject(Rejection::HeadTooLarge)
        );
    }
}
