//! Incremental HTTP/1.1 response parser (RFC 9112), built for a load generator's hot path.
//!
//! The engine reads into a scratch buffer shared by many connections and hands each read to
//! the connection's parser, so the parser frames responses without owning their bytes:
//! `httparse` runs directly on the caller's slice and bodies are counted, never stored.
//!
//! Invariants:
//! - No reference to input outlives a `feed` call. The only owned buffer is `head_buf`, and
//!   it holds bytes only while one response head is split across reads; its contents never
//!   exceed [`MAX_HEAD`] bytes and its allocation is reused across responses. The one
//!   exception is the `Location` of a redirect response (301, 302, 303, 307, 308), copied
//!   out for the redirect that follows; other responses never look for it.
//! - `Partial` means every input byte was consumed; `Complete { consumed }` means exactly
//!   the first `consumed` bytes belonged to this response. The parse result never depends
//!   on how the bytes were split across `feed` calls.
//! - A buffered head is re-parsed only when new bytes end a line that is empty, so a head
//!   trickled in one byte at a time costs linear, not quadratic, work.
//! - Errors are values, never panics, and are sticky until [`ResponseParser::start`].

mod head;

use crate::http1::chunked::{ChunkedDecoder, ChunkedError};
use crate::stream::{Framing, NoSink, PayloadSink};
use head::{parse_head, Body, Head};

/// Largest response head accepted: status line, header fields and any blank lines before
/// the status line (each 1xx head counts on its own). Bounds what a peer can make us hold.
pub const MAX_HEAD: usize = 64 * 1024;

/// Buffered heads up to this size are re-validated on every read (see `feed_head_buffered`).
const RECHECK_EVERY_READ_UP_TO: usize = 4 * 1024;

/// Most header fields in one head; more is treated as an attack or a bug, not a response.
pub const MAX_HEADERS: usize = 100;

/// Head buffer capacity kept across responses; a rare huge head does not pin 64 KiB per
/// connection forever.
const HEAD_BUF_KEEP: usize = 16 * 1024;

/// Why a response could not be parsed. Every variant means the connection can no longer
/// be trusted to be in sync, so the engine counts a malformed response and closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The head did not end within [`MAX_HEAD`] bytes.
    #[error("response head larger than 64 KiB")]
    HeadTooLarge,
    /// The status line or a header field is malformed.
    #[error("invalid response head: {0}")]
    InvalidHead(httparse::Error),
    /// The head has more than [`MAX_HEADERS`] header fields.
    #[error("more than 100 header fields")]
    TooManyHeaders,
    /// A Content-Length value is not a plain decimal number that fits in a `u64`.
    #[error("invalid Content-Length")]
    InvalidContentLength,
    /// Several Content-Length values disagree, so the body length is ambiguous.
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
    /// The chunked body is malformed.
    #[error("invalid chunked body: {0}")]
    Chunked(#[from] ChunkedError),
    /// The connection closed before the response was complete.
    #[error("connection closed before the response was complete")]
    Incomplete,
}

/// Result of feeding bytes to a [`ResponseParser`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The response is not complete yet; all input was consumed.
    Partial,
    /// The response ended after `consumed` bytes of this input; the rest is not part of it.
    Complete {
        /// Bytes of this input that belonged to the response.
        consumed: usize,
    },
}

/// Where the parser is in the current response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a head (interim 1xx heads included).
    Head,
    /// Counting a Content-Length body; `remaining > 0`.
    Length { remaining: u64 },
    /// Feeding a chunked body to the decoder.
    Chunked,
    /// Counting a body that ends when the connection closes.
    UntilClose,
    /// The response is complete.
    Done,
    /// The response was malformed; sticky until `start`.
    Failed(ParseError),
}

/// Incremental parser for the responses on one HTTP/1.1 connection. Reused for every
/// response (see [`ResponseParser::start`]) so steady state allocates nothing.
#[derive(Debug, Clone)]
pub struct ResponseParser {
    state: State,
    head_request: bool,
    /// Bytes of a head split across feeds; empty otherwise.
    head_buf: Vec<u8>,
    /// Bytes of the current head consumed so far, including blank lines dropped from
    /// `head_buf`; bounded by [`MAX_HEAD`].
    head_len: usize,
    chunked: ChunkedDecoder,
    status: Option<u16>,
    version: Option<u8>,
    keep_alive: bool,
    body_bytes: u64,
    received_any: bool,
    /// `Location` of a redirect response (301, 302, 303, 307, 308); `None` otherwise.
    location: Option<Box<[u8]>>,
    /// Read `Content-Type` for stream metrics (set once per connection).
    want_framing: bool,
    /// The final head's stream framing, when `want_framing`.
    framing: Option<Framing>,
}

impl Default for ResponseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseParser {
    /// A parser ready for the first response of a connection, as after `start(false)`.
    pub fn new() -> Self {
        ResponseParser {
            state: State::Head,
            head_request: false,
            head_buf: Vec::new(),
            head_len: 0,
            chunked: ChunkedDecoder::new(),
            status: None,
            version: None,
            keep_alive: false,
            body_bytes: 0,
            received_any: false,
            location: None,
            want_framing: false,
            framing: None,
        }
    }

    /// A parser that also reads each final head's `Content-Type`, as stream metrics need
    /// (see [`ResponseParser::feed_with`]).
    pub fn with_framing(mut self) -> Self {
        self.want_framing = true;
        self
    }

    /// Prepares for the next response on this connection. `head_request`: the request was
    /// HEAD, so the response has no body whatever its headers say.
    pub fn start(&mut self, head_request: bool) {
        self.state = State::Head;
        self.head_request = head_request;
        self.head_buf.clear();
        if self.head_buf.capacity() > HEAD_BUF_KEEP {
            self.head_buf.shrink_to(HEAD_BUF_KEEP);
        }
        self.head_len = 0;
        self.status = None;
        self.version = None;
        self.keep_alive = false;
        self.body_bytes = 0;
        self.received_any = false;
        self.location = None;
        self.framing = None;
    }

    /// Feeds the next bytes read from the socket. `Partial`: all of `input` was consumed.
    /// `Complete { consumed }`: the response ended after `consumed` bytes of `input`; the
    /// rest is not part of it. Feeding a complete response returns `Complete { consumed: 0 }`.
    pub fn feed(&mut self, input: &[u8]) -> Result<Progress, ParseError> {
        self.feed_with(input, &mut NoSink)
    }

    /// [`ResponseParser::feed`] that also tells `sink` about the final head and hands it
    /// every run of body payload (chunk framing removed) as it is framed: the hook of
    /// stream metrics. With [`NoSink`] it compiles to `feed`.
    #[inline]
    pub fn feed_with<S: PayloadSink>(
        &mut self,
        input: &[u8],
        sink: &mut S,
    ) -> Result<Progress, ParseError> {
        if !input.is_empty() {
            self.received_any = true;
        }
        let result = self.feed_inner(input, sink);
        if let Err(e) = result {
            self.state = State::Failed(e);
        }
        result
    }

    /// The peer closed the connection (read returned 0). `Ok(())` when that legitimately
    /// ends the response (a body delimited by close, or a response already complete);
    /// otherwise the response was cut short.
    pub fn finish_on_eof(&mut self) -> Result<(), ParseError> {
        match self.state {
            State::UntilClose | State::Done => {
                self.state = State::Done;
                Ok(())
            }
            State::Failed(e) => Err(e),
            // Report a malformed partial head as such, as an unsplit feed would have.
            State::Head => match parse_head(&self.head_buf, self.head_request, false) {
                Err(e) => Err(e),
                Ok(_) => Err(ParseError::Incomplete),
            },
            State::Length { .. } | State::Chunked => Err(ParseError::Incomplete),
        }
    }

    /// Final status code, once the final (non-1xx, or 101) head has been parsed.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// HTTP minor version of the final head (`0` or `1`), once parsed.
    pub fn version(&self) -> Option<u8> {
        self.version
    }

    /// The `Location` of the final head, when its status redirects (301, 302, 303, 307,
    /// 308); other responses never copy it, so plain runs do not allocate for it.
    pub fn location(&self) -> Option<&[u8]> {
        self.location.as_deref()
    }

    /// Body payload bytes seen so far for this response (chunk framing excluded).
    pub fn body_bytes(&self) -> u64 {
        self.body_bytes
    }

    /// After `Complete`: may this connection carry another request? Before that it is the
    /// answer the head gave so far (and `false` before the final head).
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Has any byte of the current response been fed since `start`? Tells a server closing
    /// an idle keep-alive connection apart from an EOF in the middle of a response.
    pub fn received_any(&self) -> bool {
        self.received_any
    }

    /// Is the current response complete?
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    fn feed_inner<S: PayloadSink>(
        &mut self,
        input: &[u8],
        sink: &mut S,
    ) -> Result<Progress, ParseError> {
        let mut pos = 0;
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            match self.state {
                State::Done => return Ok(Progress::Complete { consumed: pos }),
                State::Failed(e) => return Err(e),
                _ if rest.is_empty() => return Ok(Progress::Partial),
                State::Head => {
                    pos += self.feed_head(rest)?;
                    if S::ACTIVE && self.state != State::Head {
                        if let (Some(status), Some(framing)) = (self.status, self.framing) {
                            sink.head(status, framing);
                        }
                    }
                }
                State::Length { remaining } => {
                    let n = remaining.min(rest.len() as u64);
                    if S::ACTIVE {
                        sink.payload(rest.get(..n as usize).unwrap_or_default());
                    }
                    self.body_bytes += n;
                    pos += n as usize; // n <= rest.len()
                    self.state = match remaining - n {
                        0 => State::Done,
                        remaining => State::Length { remaining },
                    };
                }
                State::Chunked => {
                    let p = match S::ACTIVE {
                        true => self.chunked.feed_with(rest, &mut |b| sink.payload(b))?,
                        false => self.chunked.feed(rest)?,
                    };
                    self.body_bytes += p.payload;
                    pos += p.consumed;
                    if p.done {
                        self.state = State::Done;
                    }
                }
                State::UntilClose => {
                    if S::ACTIVE {
                        sink.payload(rest);
                    }
                    self.body_bytes += rest.len() as u64;
                    return Ok(Progress::Partial);
                }
            }
        }
    }

    /// Consumes head bytes from non-empty `input`; returns how many (always at least one).
    fn feed_head(&mut self, input: &[u8]) -> Result<usize, ParseError> {
        if self.head_buf.is_empty() {
            self.feed_head_direct(input)
        } else {
            self.feed_head_buffered(input)
        }
    }

    /// Fast path: parse the head straight from the input; buffer it only if it is split.
    fn feed_head_direct(&mut self, input: &[u8]) -> Result<usize, ParseError> {
        // Never look past the size limit, exactly as the buffered path cannot.
        let room = MAX_HEAD - self.head_len;
        let window = input.get(..room).unwrap_or(input);
        match parse_head(window, self.head_request, self.want_framing)? {
            Some((n, head)) => {
                self.on_head(head, window);
                Ok(n)
            }
            None if window.len() >= room => Err(ParseError::HeadTooLarge),
            None => {
                self.head_buf.extend_from_slice(window);
                self.head_len += window.len();
                Ok(window.len())
            }
        }
    }

    /// Slow path: the head started in an earlier feed. Appends up to the end of the next
    /// empty line (or all input) and parses the buffer only if such a line arrived.
    fn feed_head_buffered(&mut self, input: &[u8]) -> Result<usize, ParseError> {
        let room = MAX_HEAD - self.head_len;
        let end = find_blank_line_end(&self.head_buf, input);
        let take = end.unwrap_or(input.len()).min(room);
        let old = self.head_buf.len();
        self.head_buf
            .extend_from_slice(input.get(..take).unwrap_or(input));
        self.head_len += take;
        // Re-check the head as bytes arrive, not only when it ends: garbage must fail as
        // soon as it is visible, however the bytes were split. Small heads are re-checked on
        // every read, larger ones when a line completes; that bounds the work of a trickled
        // head (httparse gives up after `MAX_HEADERS` lines; blank lines are dropped below).
        let recheck = self.head_buf.len() <= RECHECK_EVERY_READ_UP_TO
            || input.get(..take).is_some_and(|t| t.contains(&b'\n'));
        let parsed = match end {
            Some(e) if e <= room => {
                parse_head(&self.head_buf, self.head_request, self.want_framing)?
            }
            _ if recheck => parse_head(&self.head_buf, self.head_request, self.want_framing)?,
            _ => None,
        };
        match parsed {
            Some((n, head)) => {
                // `n == old + take`: every earlier empty line was parsed at when it arrived,
                // so the head ends at this one.
                let buffered = std::mem::take(&mut self.head_buf);
                self.on_head(head, &buffered);
                self.head_buf = buffered;
                self.head_buf.clear();
                Ok(n.saturating_sub(old))
            }
            None if self.head_len >= MAX_HEAD => {
                // Prefer reporting garbage as garbage over reporting its size.
                parse_head(&self.head_buf, self.head_request, false)?;
                Err(ParseError::HeadTooLarge)
            }
            None => {
                if end.is_some() && self.head_buf.iter().all(|&b| b == b'\r' || b == b'\n') {
                    // Blank lines before a status line (which httparse skips): drop them so
                    // a stream of them cannot make every feed re-parse a growing buffer.
                    self.head_buf.clear();
                }
                Ok(take)
            }
        }
    }

    /// Applies a complete head parsed from `parsed`: an interim one is dropped, a final one
    /// sets up the body.
    fn on_head(&mut self, head: Option<Head>, parsed: &[u8]) {
        self.head_buf.clear();
        self.head_len = 0;
        let Some(head) = head else { return };
        self.location = head
            .location
            .and_then(|(start, end)| parsed.get(start..end))
            .map(Box::from);
        self.status = Some(head.status);
        self.version = Some(head.version);
        self.framing = head.framing;
        self.keep_alive = head.keep_alive;
        self.state = match head.body {
            Body::None | Body::Length(0) => State::Done,
            Body::Length(remaining) => State::Length { remaining },
            Body::Chunked => {
                self.chunked.reset();
                State::Chunked
            }
            Body::UntilClose => State::UntilClose,
        };
    }
}

/// Index in `input` just past the first line end that closes an empty line (`\n\n` or
/// `\n\r\n`), looking back into `prev` (the bytes buffered before `input`) when needed.
/// A head can only be complete at such a point, so only then is re-parsing worthwhile.
fn find_blank_line_end(prev: &[u8], input: &[u8]) -> Option<usize> {
    let before = |i: usize, back: usize| match i.checked_sub(back) {
        Some(j) => input.get(j).copied(),
        None => prev
            .len()
            .checked_sub(back - i)
            .and_then(|j| prev.get(j).copied()),
    };
    input
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(|(i, _)| i)
        .find(|&i| {
            before(i, 1) == Some(b'\n')
                || (before(i, 1) == Some(b'\r') && before(i, 2) == Some(b'\n'))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod sink_tests;
#[cfg(test)]
mod tests;
