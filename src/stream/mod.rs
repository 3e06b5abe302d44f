//! Measuring a streamed response: Server-Sent Events and newline-delimited JSON framing,
//! and the per-request stream metrics (TTFT, ITL, TPOT, output tokens) built on it.
//!
//! The HTTP/1.1 parser hands body payload to a [`PayloadSink`] as it frames it, and an
//! HTTP/2 stream each DATA frame as it arrives, so the stream is measured from the very
//! reads that carry it, never from a second pass. With stream
//! metrics off no sink exists and the parsers run exactly as before.
//!
//! Definitions (the same words in `--help`, the text report and the JSON):
//! - TTFT: from the request's write to the first *content* event. An OpenAI chunk is
//!   content when its `choices[0].delta.content` (chat) or `choices[0].text` (completions)
//!   is a non-empty string, so role-only and usage-only chunks do not count; for any other
//!   stream, every non-empty data event except `[DONE]` is content.
//! - ITL: every gap between consecutive content events of one response, pooled over all
//!   responses (vLLM's definition).
//! - TPOT: (E2E - TTFT) / (output tokens - 1), per response with more than one token
//!   (GenAI-Perf's definition).
//! - E2E: from the request's write to the last byte of the response.
//! - Output tokens: the server's `usage.completion_tokens` when it sends one, else the
//!   count of content events.

mod content;
pub mod limits;
mod lines;
pub mod ndjson;
pub mod observer;
pub mod sse;
pub mod stats;

pub use limits::Limits;
pub use observer::StreamObserver;
pub use stats::{StreamErrors, StreamStats};

/// How a response body is framed into events, as its `Content-Type` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `text/event-stream`: Server-Sent Events.
    Sse,
    /// `application/x-ndjson` (or `application/ndjson`, `application/jsonl`): one JSON
    /// value per line.
    Ndjson,
    /// Anything else: not a stream, so a streaming request got a plain answer.
    Other,
}

impl Framing {
    /// The framing a `Content-Type` value names; parameters (`; charset=utf-8`) and case
    /// are ignored.
    pub fn of_content_type(value: &[u8]) -> Framing {
        let media = value.split(|&b| b == b';').next().unwrap_or_default();
        let media = media.trim_ascii();
        let is = |name: &[u8]| media.eq_ignore_ascii_case(name);
        if is(b"text/event-stream") {
            Framing::Sse
        } else if is(b"application/x-ndjson")
            || is(b"application/ndjson")
            || is(b"application/jsonl")
            || is(b"application/x-jsonlines")
        {
            Framing::Ndjson
        } else {
            Framing::Other
        }
    }
}

/// Where an HTTP parser hands what it frames of one response when stream metrics are on.
/// Implemented by [`StreamObserver`]; the parsers' plain entry points use a sink that does
/// nothing and compiles away.
pub trait PayloadSink {
    /// Whether the sink wants anything at all; `false` lets the parser skip the calls.
    const ACTIVE: bool = true;
    /// The final head arrived: its status and how its body is framed.
    fn head(&mut self, status: u16, framing: Framing);
    /// The next bytes of body payload (transfer framing removed), in order.
    fn payload(&mut self, bytes: &[u8]);
}

/// The sink of a parser that measures no stream: every call is a no-op.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSink;

impl PayloadSink for NoSink {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn head(&mut self, _: u16, _: Framing) {}
    #[inline(always)]
    fn payload(&mut self, _: &[u8]) {}
}

#[cfg(test)]
mod tests {
    use super::Framing;

    #[test]
    fn content_types_name_their_framing() {
        assert_eq!(
            Framing::of_content_type(b"text/event-stream; charset=utf-8"),
            Framing::Sse
        );
        assert_eq!(
            Framing::of_content_type(b" Text/Event-Stream"),
            Framing::Sse
        );
        assert_eq!(
            Framing::of_content_type(b"application/x-ndjson"),
            Framing::Ndjson
        );
        assert_eq!(
            Framing::of_content_type(b"application/json"),
            Framing::Other
        );
        assert_eq!(Framing::of_content_type(b""), Framing::Other);
    }
}
