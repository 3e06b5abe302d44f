//! Incremental decoder for the chunked transfer coding (RFC 9112 §7.1).
//!
//! The decoder only *frames* a chunked body: it reports how many input bytes belong to the
//! body and how many of them are payload, and never copies or stores payload. That is all a
//! load generator needs, and it keeps a 10 GB streamed body at zero memory.
//!
//! Invariants:
//! - The decoder owns no buffer and keeps no reference to input: every field (size digits,
//!   extension, CR, LF, data, trailers) may be split at any byte across `feed` calls, and
//!   the result does not depend on where the splits fall.
//! - Memory and work per byte are bounded for any input: at most 16 size digits (so the
//!   size can never overflow), 4 KiB of extension per size line, 64 KiB of trailer section.
//! - Line endings are strict CRLF. A bare LF, or chunk data not followed by exactly CRLF, is
//!   an error: tolerating them is how a keep-alive connection silently loses sync.
//! - Errors are values, never panics. After an error the decoder keeps returning it until
//!   [`ChunkedDecoder::reset`].

/// Most hex digits accepted in a chunk size: 16 digits fill a `u64`, so the size cannot
/// overflow, and longer sizes (even with leading zeros) only serve to confuse parsers.
pub const MAX_SIZE_DIGITS: u8 = 16;

/// Longest chunk extension accepted on one size line. Extensions are skipped, never stored;
/// the bound stops a peer from making us scan an endless "size line".
pub const MAX_EXTENSION_LEN: usize = 4 * 1024;

/// Largest trailer section accepted (field lines plus their CRLFs plus the final CRLF).
pub const MAX_TRAILER_LEN: usize = 64 * 1024;

/// Why a chunked body is malformed. Each one means the connection is out of sync and must be
/// closed, so the variants only need to be precise enough to explain the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChunkedError {
    /// A chunk size line does not start with a hex digit, or has junk after the digits.
    #[error("invalid chunk size")]
    InvalidSize,
    /// A chunk size has more than [`MAX_SIZE_DIGITS`] hex digits.
    #[error("chunk size has more than 16 hex digits")]
    SizeTooLong,
    /// A chunk extension contains a control character.
    #[error("invalid byte in chunk extension")]
    InvalidExtension,
    /// A chunk extension is longer than [`MAX_EXTENSION_LEN`].
    #[error("chunk extension longer than 4 KiB")]
    ExtensionTooLong,
    /// A chunk size line does not end with CRLF (e.g. a bare LF, or CR then something else).
    #[error("chunk size line not terminated by CRLF")]
    SizeLineEnd,
    /// Chunk data is not followed by exactly CRLF (the size and the data disagree).
    #[error("chunk data not followed by CRLF")]
    DataEnd,
    /// A trailer field line contains a control character.
    #[error("invalid byte in trailer field")]
    InvalidTrailer,
    /// A trailer line, or the final empty line, does not end with CRLF.
    #[error("trailer line not terminated by CRLF")]
    TrailerLineEnd,
    /// The trailer section is larger than [`MAX_TRAILER_LEN`].
    #[error("trailer section larger than 64 KiB")]
    TrailersTooLarge,
}

/// What one [`ChunkedDecoder::feed`] call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkedProgress {
    /// Input bytes that belong to the chunked body. Equals the input length unless `done`.
    pub consumed: usize,
    /// Payload bytes among `consumed` (chunk framing, extensions and trailers excluded).
    pub payload: u64,
    /// The body ended (final CRLF after the last chunk and trailers); bytes after
    /// `consumed` belong to whatever follows the body.
    pub done: bool,
}

/// Where the decoder is in the chunked grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hex digits of a chunk size.
    Size { digits: u8, value: u64 },
    /// Whitespace after the size digits; only `;` or CR may follow. `len` bytes so far.
    SizeWs { len: usize, value: u64 },
    /// Skipping a chunk extension up to the CR; `len` bytes (from the size's end) so far.
    Extension { len: usize, value: u64 },
    /// Saw the CR ending a size line; an LF must follow.
    SizeLf { value: u64 },
    /// Inside chunk data.
    Data { remaining: u64 },
    /// Chunk data ended; a CR must follow.
    DataCr,
    /// Saw the CR after chunk data; an LF must follow.
    DataLf,
    /// At the start of a trailer field line or of the final empty line.
    TrailerStart,
    /// Inside a trailer field line.
    TrailerField,
    /// Saw the CR ending a trailer field line; an LF must follow.
    TrailerLf,
    /// Saw the CR of the final empty line; an LF must follow.
    EndLf,
    /// The body is complete.
    Done,
    /// The body was malformed; sticky until `reset`.
    Failed(ChunkedError),
}

/// Incremental chunked-body decoder. Used by the response parser and reusable by a server
/// reading chunked requests; one per connection, reset per message, never allocates.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// Trailer bytes seen so far (bounded by [`MAX_TRAILER_LEN`]).
    trailer_len: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder positioned at the start of a chunked body.
    pub fn new() -> Self {
        ChunkedDecoder {
            state: State::Size {
                digits: 0,
                value: 0,
            },
            trailer_len: 0,
        }
    }

    /// Prepares for the next chunked body (also clears a previous error), so one decoder
    /// can serve every message on a connection.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Has the final CRLF of the body been seen? Lets a caller that ignores `done` check later.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Feeds the next bytes of the body. Consumes all of `input` unless the body ends inside
    /// it (`done`), in which case `consumed` stops right after the final CRLF. Feeding a
    /// finished decoder consumes nothing and reports `done` again.
    pub fn feed(&mut self, input: &[u8]) -> Result<ChunkedProgress, ChunkedError> {
        self.feed_with(input, &mut |_| {})
    }

    /// [`ChunkedDecoder::feed`] that also hands every run of payload bytes, in order, to
    /// `on_payload` (stream metrics); with a no-op closure it compiles to `feed`.
    #[inline]
    pub fn feed_with(
        &mut self,
        input: &[u8],
        on_payload: &mut impl FnMut(&[u8]),
    ) -> Result<ChunkedProgress, ChunkedError> {
        let mut consumed = 0;
        let mut payload = 0;
        loop {
            if let State::Failed(e) = self.state {
                return Err(e);
            }
            let rest = match input.get(consumed..) {
                Some(rest) if !rest.is_empty() && self.state != State::Done => rest,
                _ => break,
            };
            let data = matches!(self.state, State::Data { .. });
            match self.step(rest, &mut payload) {
                Ok(n) => {
                    if data {
                        on_payload(rest.get(..n).unwrap_or_default());
                    }
                    consumed += n;
                }
                Err(e) => self.state = State::Failed(e),
            }
        }
        Ok(ChunkedProgress {
            consumed,
            payload,
            done: self.state == State::Done,
        })
    }

    /// Advances through one state on non-empty `input`; returns the bytes consumed. May
    /// consume nothing only when it changes state, so `feed` always makes progress.
    fn step(&mut self, input: &[u8], payload: &mut u64) -> Result<usize, ChunkedError> {
        let in_trailer = matches!(
            self.state,
            State::TrailerStart | State::TrailerField | State::TrailerLf | State::EndLf
        );
        let n = match self.state {
            State::Data { remaining } => self.skip_data(remaining, input, payload),
            State::Extension { len, value } => self.skip_extension(len, value, input)?,
            State::TrailerField => self.skip_trailer_field(input)?,
            State::TrailerStart if input.first() != Some(&b'\r') => {
                // A field line begins; its first byte is checked like the rest of it.
                self.state = State::TrailerField;
                0
            }
            _ => match input.first() {
                Some(&b) => {
                    self.state = self.next_for_byte(b)?;
                    1
                }
                None => 0,
            },
        };
        if in_trailer {
            self.trailer_len += n;
            if self.trailer_len > MAX_TRAILER_LEN {
                return Err(ChunkedError::TrailersTooLarge);
            }
        }
        Ok(n)
    }

    /// The state after one byte in the byte-at-a-time states (size line and CRLFs).
    fn next_for_byte(&self, b: u8) -> Result<State, ChunkedError> {
        match self.state {
            State::Size { digits, value } => size_byte(digits, value, b),
            State::SizeWs { len, value } => size_ws_byte(len, value, b),
            State::SizeLf { value } => match (b, value) {
                (b'\n', 0) => Ok(State::TrailerStart),
                (b'\n', remaining) => Ok(State::Data { remaining }),
                _ => Err(ChunkedError::SizeLineEnd),
            },
            State::DataCr if b == b'\r' => Ok(State::DataLf),
            State::DataLf if b == b'\n' => Ok(State::Size {
                digits: 0,
                value: 0,
            }),
            State::DataCr | State::DataLf => Err(ChunkedError::DataEnd),
            State::TrailerStart => Ok(State::EndLf), // `step` only sends the CR here
            State::TrailerLf if b == b'\n' => Ok(State::TrailerStart),
            State::EndLf if b == b'\n' => Ok(State::Done),
            State::TrailerLf | State::EndLf => Err(ChunkedError::TrailerLineEnd),
            // Bulk states are handled in `step`; these arms only keep the match total.
            State::Data { .. } | State::Extension { .. } | State::TrailerField => Ok(self.state),
            State::Done | State::Failed(_) => Ok(self.state),
        }
    }

    /// Skips up to `remaining` bytes of chunk data in one go.
    fn skip_data(&mut self, remaining: u64, input: &[u8], payload: &mut u64) -> usize {
        let n = remaining.min(input.len() as u64);
        let left = remaining - n;
        self.state = if left == 0 {
            State::DataCr
        } else {
            State::Data { remaining: left }
        };
        *payload += n;
        n as usize // n <= input.len()
    }

    /// Skips extension bytes up to the CR that ends the size line.
    fn skip_extension(
        &mut self,
        len: usize,
        value: u64,
        input: &[u8],
    ) -> Result<usize, ChunkedError> {
        // Look at most one byte past the limit: enough to tell "too long" from "ended".
        let room = MAX_EXTENSION_LEN.saturating_sub(len);
        let window = input.get(..room + 1).unwrap_or(input);
        match window.iter().position(|&b| is_ctl(b)) {
            Some(i) if len + i > MAX_EXTENSION_LEN => Err(ChunkedError::ExtensionTooLong),
            Some(i) => {
                self.state = match window.get(i) {
                    Some(b'\r') => State::SizeLf { value },
                    Some(b'\n') => return Err(ChunkedError::SizeLineEnd),
                    _ => return Err(ChunkedError::InvalidExtension),
                };
                Ok(i + 1)
            }
            None if len + window.len() > MAX_EXTENSION_LEN => Err(ChunkedError::ExtensionTooLong),
            None => {
                self.state = State::Extension {
                    len: len + window.len(),
                    value,
                };
                Ok(window.len())
            }
        }
    }

    /// Skips trailer field bytes up to the CR that ends the line.
    fn skip_trailer_field(&mut self, input: &[u8]) -> Result<usize, ChunkedError> {
        // Never scan past the trailer limit; `step` reports the overflow.
        let room = MAX_TRAILER_LEN.saturating_sub(self.trailer_len);
        let window = input.get(..room + 1).unwrap_or(input);
        match window.iter().position(|&b| is_ctl(b)) {
            None => Ok(window.len()),
            Some(i) => match window.get(i) {
                Some(b'\r') => {
                    self.state = State::TrailerLf;
                    Ok(i + 1)
                }
                Some(b'\n') => Err(ChunkedError::TrailerLineEnd),
                _ => Err(ChunkedError::InvalidTrailer),
            },
        }
    }
}

/// The state after byte `b` of a size line, `digits` hex digits (worth `value`) in.
fn size_byte(digits: u8, value: u64, b: u8) -> Result<State, ChunkedError> {
    if let Some(d) = hex_value(b) {
        if digits >= MAX_SIZE_DIGITS {
            return Err(ChunkedError::SizeTooLong);
        }
        return Ok(State::Size {
            digits: digits + 1,
            value: (value << 4) | u64::from(d),
        });
    }
    if digits == 0 {
        return Err(ChunkedError::InvalidSize);
    }
    size_ws_byte(0, value, b)
}

/// The state after byte `b` following a size's digits and `len` bytes of whitespace.
fn size_ws_byte(len: usize, value: u64, b: u8) -> Result<State, ChunkedError> {
    let len = len + 1;
    match b {
        b'\r' => Ok(State::SizeLf { value }),
        b'\n' => Err(ChunkedError::SizeLineEnd),
        b' ' | b'\t' | b';' if len > MAX_EXTENSION_LEN => Err(ChunkedError::ExtensionTooLong),
        // RFC 9112 allows whitespace (BWS) before the `;` that starts an extension.
        b' ' | b'\t' => Ok(State::SizeWs { len, value }),
        b';' => Ok(State::Extension { len, value }),
        _ => Err(ChunkedError::InvalidSize),
    }
}

/// The value of an ASCII hex digit of either case.
#[inline]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Control characters other than HTAB: they end (CR, LF) or invalidate a line.
#[inline]
fn is_ctl(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

#[cfg(test)]
mod tests;
