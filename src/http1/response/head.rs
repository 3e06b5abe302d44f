//! What a response head says: RFC 9112 §6.3 (how long the body is) and §9.3 (whether the
//! connection persists), decided from one `httparse` pass over the head.
//!
//! Invariants:
//! - Pure functions of the head bytes and the request method: no state, no allocation (the
//!   header slots live on the stack, uninitialized until `httparse` fills them).
//! - Every framing header field is scanned once, with cheap length-first, case-insensitive
//!   name comparisons; a Content-Length problem is reported only when Content-Length is
//!   what frames the body (RFC 9112 §6.3 lets Transfer-Encoding, HEAD, 1xx, 204 and 304
//!   override it).

use std::mem::MaybeUninit;

use super::{ParseError, MAX_HEADERS};
use crate::redirect::is_redirect;
use crate::stream::Framing;

/// How the body of a final response is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Body {
    /// Nothing follows the head (HEAD request, 1xx, 204, 304).
    None,
    /// Exactly this many bytes (Content-Length).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// What a parsed final head says about the rest of the response.
#[derive(Debug, Clone, Copy)]
pub(super) struct Head {
    /// Status code (100..=999).
    pub status: u16,
    /// HTTP minor version: 0 or 1.
    pub version: u8,
    /// How the body is delimited.
    pub body: Body,
    /// May the connection carry another request after this response?
    pub keep_alive: bool,
    /// Where the `Location` value lies in the parsed bytes (start, end), for a redirect
    /// status only: other responses never pay for looking.
    pub location: Option<(usize, usize)>,
    /// How the body is framed as a stream, by its `Content-Type`; looked for only when
    /// stream metrics are on (`None` otherwise).
    pub framing: Option<Framing>,
}

/// Parses a head from the start of `buf`: `None` if incomplete, else its length and, for a
/// final response, what it says (`None` for an interim 1xx response, which is skipped).
/// With `want_framing`, also reads the `Content-Type` for stream metrics.
pub(super) fn parse_head(
    buf: &[u8],
    head_request: bool,
    want_framing: bool,
) -> Result<Option<(usize, Option<Head>)>, ParseError> {
    // Uninitialized header slots: parsing a small head does not pay to zero 100 entries.
    let mut slots = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut resp, buf, &mut slots);
    match parsed {
        Ok(httparse::Status::Complete(n)) => {
            let head = classify(&resp, head_request)?.map(|mut head| {
                if is_redirect(head.status) {
                    head.location = location(resp.headers, buf);
                }
                if want_framing {
                    head.framing = Some(framing(resp.headers));
                }
                head
            });
            Ok(Some((n, head)))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(ParseError::TooManyHeaders),
        Err(e) => Err(ParseError::InvalidHead(e)),
    }
}

/// Applies RFC 9112 §6.3 (message body length) and §9.3 (persistence) to a complete head.
fn classify(
    resp: &httparse::Response<'_, '_>,
    head_request: bool,
) -> Result<Option<Head>, ParseError> {
    // httparse sets both on `Complete`; the fallbacks only keep this panic-free.
    let status = resp.code.unwrap_or(0);
    let version = resp.version.unwrap_or(0);
    if status < 100 {
        return Err(ParseError::InvalidHead(httparse::Error::Status));
    }
    if (100..200).contains(&status) && status != 101 {
        return Ok(None);
    }
    let fields = Fields::scan(resp.headers);
    let body = if head_request || status == 101 || status == 204 || status == 304 {
        Body::None
    } else if let Some(chunked) = fields.te_chunked {
        if chunked {
            Body::Chunked
        } else {
            Body::UntilClose
        }
    } else {
        match fields.content_length? {
            Some(n) => Body::Length(n),
            None => Body::UntilClose,
        }
    };
    let persistent = if fields.close {
        false
    } else {
        version >= 1 || fields.keep_alive
    };
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing; the
    // message is still read, but the connection must not be reused.
    let te_in_1_0 = version == 0 && fields.te_chunked.is_some();
    let keep_alive = persistent && !te_in_1_0 && status != 101 && body != Body::UntilClose;
    Ok(Some(Head {
        status,
        version,
        body,
        keep_alive,
        location: None,
        framing: None,
    }))
}

/// The span of the first `Location` value within `buf`, which the headers were parsed from.
fn location(headers: &[httparse::Header<'_>], buf: &[u8]) -> Option<(usize, usize)> {
    let h = headers
        .iter()
        .find(|h| h.name.len() == 8 && h.name.eq_ignore_ascii_case("location"))?;
    // httparse hands out sub-slices of `buf`, so the offset is the distance between them.
    let start = (h.value.as_ptr() as usize).checked_sub(buf.as_ptr() as usize)?;
    let end = start.checked_add(h.value.len())?;
    (end <= buf.len()).then_some((start, end))
}

/// The stream framing the first `Content-Type` names (none: [`Framing::Other`]).
fn framing(headers: &[httparse::Header<'_>]) -> Framing {
    headers
        .iter()
        .find(|h| h.name.len() == 12 && h.name.eq_ignore_ascii_case("content-type"))
        .map_or(Framing::Other, |h| Framing::of_content_type(h.value))
}

/// The framing and persistence header fields of one head, scanned in a single pass.
struct Fields {
    /// `Some(last coding is chunked)` when Transfer-Encoding is present.
    te_chunked: Option<bool>,
    /// The agreed Content-Length, or the first problem with it (reported only if used).
    content_length: Result<Option<u64>, ParseError>,
    /// `Connection: close` seen.
    close: bool,
    /// `Connection: keep-alive` seen.
    keep_alive: bool,
}

impl Fields {
    /// Collects the framing and persistence fields of a head in one pass over its headers.
    fn scan(headers: &[httparse::Header<'_>]) -> Fields {
        let mut f = Fields {
            te_chunked: None,
            content_length: Ok(None),
            close: false,
            keep_alive: false,
        };
        for h in headers {
            // Compare lengths first: most headers are rejected without a byte compare.
            let name = h.name.as_bytes();
            if name.len() == 17 && name.eq_ignore_ascii_case(b"transfer-encoding") {
                let last = h
                    .value
                    .rsplit(|&b| b == b',')
                    .map(trim_ows)
                    .find(|t| !t.is_empty());
                let chunked = last.map(|t| t.eq_ignore_ascii_case(b"chunked"));
                // A line without codings leaves the last coding of earlier lines in place.
                f.te_chunked = chunked.or(f.te_chunked).or(Some(false));
            } else if name.len() == 14 && name.eq_ignore_ascii_case(b"content-length") {
                f.content_length = merge_content_length(f.content_length, h.value);
            } else if name.len() == 10 && name.eq_ignore_ascii_case(b"connection") {
                for token in h.value.split(|&b| b == b',').map(trim_ows) {
                    f.close |= token.eq_ignore_ascii_case(b"close");
                    f.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            }
        }
        f
    }
}

/// Folds one Content-Length field value (possibly a list like `5, 5`) into the value so far.
fn merge_content_length(
    acc: Result<Option<u64>, ParseError>,
    value: &[u8],
) -> Result<Option<u64>, ParseError> {
    let mut acc = acc?;
    for item in value.split(|&b| b == b',') {
        let n = parse_decimal(trim_ows(item)).ok_or(ParseError::InvalidContentLength)?;
        if acc.is_some_and(|prev| prev != n) {
            return Err(ParseError::ConflictingContentLength);
        }
        acc = Some(n);
    }
    Ok(acc)
}

/// A non-empty run of ASCII digits that fits in a `u64` (no sign, no spaces, no overflow).
fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Strips optional whitespace (SP / HTAB) around a list element.
fn trim_ows(s: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = s.iter().position(|b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_ows(b)).map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}
