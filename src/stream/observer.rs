//! The per-connection stream observer: the [`PayloadSink`] that turns one response's
//! payload, as the HTTP parser frames it, into stream metrics.
//!
//! The connection tells it when the request was written ([`StreamObserver::begin`]) and
//! when each read arrived ([`StreamObserver::read_at`]); every event found in a read is
//! stamped with that read's instant, so the timings come from the same reads that carry
//! the bytes. Inter-token gaps are recorded as they happen; the rest when the response is
//! complete ([`StreamObserver::finish`]). A response that fails mid-way records only the
//! gaps it had (it is counted as an error by the engine).
//!
//! Allocation: the SSE/NDJSON parsers' small buffers, reused across responses; recording
//! goes to the worker's shared [`StreamStats`], which one thread owns.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::Instant;

use super::content::classify;
use super::ndjson::NdjsonParser;
use super::sse::{Event, SseParser};
use super::stats::{record, StreamStats};
use super::{Framing, Limits, PayloadSink};

/// What one response has shown so far.
#[derive(Debug, Clone, Copy)]
struct Response {
    start: Instant,
    status: u16,
    framing: Option<Framing>,
    first_content: Option<Instant>,
    last_content: Option<Instant>,
    max_itl: Duration,
    events: u64,
    content: u64,
    usage_tokens: Option<u64>,
    openai: bool,
    done: bool,
    error: bool,
}

impl Response {
    fn new(start: Instant) -> Response {
        Response {
            start,
            status: 0,
            framing: None,
            first_content: None,
            last_content: None,
            max_itl: Duration::ZERO,
            events: 0,
            content: 0,
            usage_tokens: None,
            openai: false,
            done: false,
            error: false,
        }
    }
}

/// Measures the streamed responses of one connection.
#[derive(Debug)]
pub struct StreamObserver {
    stats: Rc<RefCell<StreamStats>>,
    limits: Limits,
    sse: SseParser,
    ndjson: NdjsonParser,
    /// When the bytes being fed were read.
    now: Instant,
    response: Response,
}

impl StreamObserver {
    /// An observer recording into its worker's `stats`, judging goodput by `limits`.
    pub fn new(stats: Rc<RefCell<StreamStats>>, limits: Limits) -> StreamObserver {
        let now = Instant::now();
        StreamObserver {
            stats,
            limits,
            sse: SseParser::new(),
            ndjson: NdjsonParser::new(),
            now,
            response: Response::new(now),
        }
    }

    /// A new request was written at `start`; what follows is its response.
    pub fn begin(&mut self, start: Instant) {
        self.response = Response::new(start);
        self.now = start;
    }

    /// The bytes fed next were read at `now`.
    #[inline]
    pub fn read_at(&mut self, now: Instant) {
        self.now = now;
    }

    /// The response ended successfully at `done`: records its metrics.
    pub fn finish(&mut self, done: Instant) {
        let r = self.response;
        let mut stats = self.stats.borrow_mut();
        match r.framing {
            None => return,
            Some(Framing::Other) => {
                stats.errors.not_streaming += 1;
                return;
            }
            Some(Framing::Sse | Framing::Ndjson) => {}
        }
        let e2e = done.saturating_duration_since(r.start);
        let ttft = r
            .first_content
            .map(|t| t.saturating_duration_since(r.start));
        let tokens = r.usage_tokens.unwrap_or(r.content);
        let tpot = match (ttft, tokens) {
            (Some(ttft), 2..) => Some(e2e.saturating_sub(ttft) / saturating_u32(tokens - 1)),
            _ => None,
        };
        stats.responses += 1;
        stats.events += r.events;
        stats.content_events += r.content;
        stats.output_tokens += tokens;
        match r.usage_tokens {
            Some(_) => stats.tokens_from_usage += 1,
            None => stats.tokens_from_events += 1,
        }
        let missing_done = r.framing == Some(Framing::Sse) && r.openai && !r.done;
        stats.errors.missing_done += u64::from(missing_done);
        stats.errors.error_event += u64::from(r.error);
        record(&mut stats.e2e_ns, e2e);
        if let Some(ttft) = ttft {
            record(&mut stats.ttft_ns, ttft);
        }
        if let Some(tpot) = tpot {
            record(&mut stats.tpot_ns, tpot);
        }
        let ok = (200..300).contains(&r.status) && !missing_done && !r.error;
        stats.good += u64::from(ok && self.limits.met(ttft, tpot, r.max_itl, e2e));
    }

    /// Applies one event of the current response.
    fn event(
        response: &mut Response,
        stats: &RefCell<StreamStats>,
        now: Instant,
        event: Event<'_>,
    ) {
        response.events += 1;
        let class = classify(event.data);
        response.openai |= class.openai;
        response.done |= class.done;
        response.error |= class.error || event.error;
        if class.usage_tokens.is_some() {
            response.usage_tokens = class.usage_tokens;
        }
        if !class.content || event.error {
            return;
        }
        response.content += 1;
        if let Some(last) = response.last_content {
            let gap = now.saturating_duration_since(last);
            response.max_itl = response.max_itl.max(gap);
            record(&mut stats.borrow_mut().itl_ns, gap);
        }
        response.first_content.get_or_insert(now);
        response.last_content = Some(now);
    }
}

impl PayloadSink for StreamObserver {
    fn head(&mut self, status: u16, framing: Framing) {
        self.response.status = status;
        self.response.framing = Some(framing);
        match framing {
            Framing::Sse => self.sse.reset(),
            Framing::Ndjson => self.ndjson.reset(),
            Framing::Other => {}
        }
    }

    fn payload(&mut self, bytes: &[u8]) {
        let StreamObserver {
            stats,
            sse,
            ndjson,
            now,
            response,
            ..
        } = self;
        let now = *now;
        let framing = response.framing;
        let on_event = &mut |e: Event<'_>| Self::event(response, stats, now, e);
        match framing {
            Some(Framing::Sse) => sse.feed(bytes, on_event),
            Some(Framing::Ndjson) => ndjson.feed(bytes, on_event),
            Some(Framing::Other) | None => {}
        }
    }
}

/// `n` as a divisor for a `Duration`, saturating (no response has 4 billion tokens).
fn saturating_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
