//! What stream metrics measured over a run, as plain mergeable data.
//!
//! One `StreamStats` per worker is updated by that worker's stream observers, merged into
//! the run's result at the end, and merged again across processes (`vastar merge`): every
//! field is a histogram with the latency histogram's bounds or a counter, so merging is
//! exact.

use hdrhistogram::Histogram;

use crate::engine::result::{new_latency_histogram, record_latency};

/// Stream-specific failures, each counted once per response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamErrors {
    /// An OpenAI-shaped `text/event-stream` response that ended without `data: [DONE]`.
    pub missing_done: u64,
    /// A response with an `error` event (`event: error`, or data with a top-level
    /// `"error"`).
    pub error_event: u64,
    /// A response that was neither `text/event-stream` nor NDJSON: a plain answer to a
    /// streaming request (an error page, or `stream` ignored by the server).
    pub not_streaming: u64,
}

impl StreamErrors {
    /// All stream errors.
    pub fn total(&self) -> u64 {
        self.missing_done + self.error_event + self.not_streaming
    }
}

/// Stream metrics of a run (see the `stream` module for the definitions).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStats {
    /// Time to first content event, per streamed response with content, in nanoseconds.
    pub ttft_ns: Histogram<u64>,
    /// Time to first body byte (from the request's write to the read that brought the
    /// first payload byte), per streamed response with a body: separates the server's
    /// accept-and-queue time from the model's prefill.
    pub ttfb_ns: Histogram<u64>,
    /// Each streamed response's output tokens over its E2E, in milli-tokens per second
    /// (integers, so the latency histogram's 3 significant digits and exact merging apply;
    /// 1 token/s records as 1000), per response with at least one token.
    pub request_mtps: Histogram<u64>,
    /// Time to first event of any kind (a role-only chat chunk counts, a comment does not),
    /// per streamed response with an event: when the server started answering, as opposed
    /// to when it produced content (TTFT).
    pub ttfe_ns: Histogram<u64>,
    /// Every gap between consecutive content events, pooled over responses.
    pub itl_ns: Histogram<u64>,
    /// (E2E - TTFT) / (output tokens - 1), per response with more than one token.
    pub tpot_ns: Histogram<u64>,
    /// From the request's write to the response's last byte, per streamed response.
    pub e2e_ns: Histogram<u64>,
    /// Complete responses framed as a stream (SSE or NDJSON).
    pub responses: u64,
    /// Events in those responses.
    pub events: u64,
    /// Content events among them.
    pub content_events: u64,
    /// Output tokens, summed over responses, each from its source.
    pub output_tokens: u64,
    /// Responses whose tokens came from the server's `usage.completion_tokens`.
    pub tokens_from_usage: u64,
    /// Responses whose tokens are their count of content events (no usage sent).
    pub tokens_from_events: u64,
    /// Stream-specific failures.
    pub errors: StreamErrors,
    /// Streamed 2xx responses without a stream error that met every per-request latency
    /// limit (see [`super::Limits`]): the numerator of goodput.
    pub good: u64,
}

impl Default for StreamStats {
    fn default() -> Self {
        StreamStats {
            ttft_ns: new_latency_histogram(),
            ttfb_ns: new_latency_histogram(),
            ttfe_ns: new_latency_histogram(),
            request_mtps: new_latency_histogram(),
            itl_ns: new_latency_histogram(),
            tpot_ns: new_latency_histogram(),
            e2e_ns: new_latency_histogram(),
            responses: 0,
            events: 0,
            content_events: 0,
            output_tokens: 0,
            tokens_from_usage: 0,
            tokens_from_events: 0,
            errors: StreamErrors::default(),
            good: 0,
        }
    }
}

impl StreamStats {
    /// Folds another worker's (or process's) stream metrics into these.
    pub fn merge(&mut self, other: &StreamStats) {
        // All histograms share bounds, so adding cannot fail.
        let _ = self.ttft_ns.add(&other.ttft_ns);
        let _ = self.ttfb_ns.add(&other.ttfb_ns);
        let _ = self.ttfe_ns.add(&other.ttfe_ns);
        let _ = self.request_mtps.add(&other.request_mtps);
        let _ = self.itl_ns.add(&other.itl_ns);
        let _ = self.tpot_ns.add(&other.tpot_ns);
        let _ = self.e2e_ns.add(&other.e2e_ns);
        self.responses += other.responses;
        self.events += other.events;
        self.content_events += other.content_events;
        self.output_tokens += other.output_tokens;
        self.tokens_from_usage += other.tokens_from_usage;
        self.tokens_from_events += other.tokens_from_events;
        self.errors.missing_done += other.errors.missing_done;
        self.errors.error_event += other.errors.error_event;
        self.errors.not_streaming += other.errors.not_streaming;
        self.good += other.good;
    }

    /// What `--slo` stream gates read, over a run that lasted `elapsed`.
    pub fn measurements(&self, elapsed: std::time::Duration) -> crate::slo::StreamMeasurements<'_> {
        let secs = elapsed.as_secs_f64();
        let per_s = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        crate::slo::StreamMeasurements {
            ttft_ns: &self.ttft_ns,
            tpot_ns: &self.tpot_ns,
            itl_ns: &self.itl_ns,
            e2e_ns: &self.e2e_ns,
            tokens_per_s: per_s(self.output_tokens),
            goodput_rps: per_s(self.good),
        }
    }

    /// Where the output token counts came from: `usage`, `events`, or `mixed`; `None`
    /// before any streamed response.
    pub fn token_source(&self) -> Option<&'static str> {
        match (self.tokens_from_usage, self.tokens_from_events) {
            (0, 0) => None,
            (_, 0) => Some("usage"),
            (0, _) => Some("events"),
            _ => Some("mixed"),
        }
    }
}

/// Records `tokens` over `e2e` as milli-tokens per second (see
/// [`StreamStats::request_mtps`]); nothing without a token or a measurable time.
pub(crate) fn record_rate(histogram: &mut Histogram<u64>, tokens: u64, e2e: std::time::Duration) {
    let ns = e2e.as_nanos();
    if tokens == 0 || ns == 0 {
        return;
    }
    let mtps = u128::from(tokens) * 1_000_000_000_000 / ns;
    record_latency(histogram, u64::try_from(mtps).unwrap_or(u64::MAX).max(1));
}

/// Records a duration in a latency histogram, clamped to its bounds.
pub(crate) fn record(histogram: &mut Histogram<u64>, d: std::time::Duration) {
    let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
    record_latency(histogram, ns);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn merging_adds_everything_and_names_the_token_source() {
        let mut a = StreamStats::default();
        assert_eq!(a.token_source(), None);
        a.tokens_from_usage = 2;
        record(&mut a.ttft_ns, Duration::from_millis(5));
        record(&mut a.ttfb_ns, Duration::from_millis(1));
        record(&mut a.ttfe_ns, Duration::from_millis(3));
        let mut b = a.clone();
        b.tokens_from_usage = 0;
        b.tokens_from_events = 1;
        b.errors.missing_done = 1;
        assert_eq!(a.token_source(), Some("usage"));
        a.merge(&b);
        assert_eq!(a.token_source(), Some("mixed"));
        assert_eq!(a.ttft_ns.len(), 2);
        record_rate(&mut a.request_mtps, 10, Duration::from_millis(500));
        assert_eq!(
            a.request_mtps.max(),
            a.request_mtps.highest_equivalent(20_000)
        );
        record_rate(&mut a.request_mtps, 0, Duration::from_millis(500));
        record_rate(&mut a.request_mtps, 3, Duration::ZERO);
        assert_eq!(a.request_mtps.len(), 1);
        assert_eq!((a.ttfb_ns.len(), a.ttfe_ns.len()), (2, 2));
        assert_eq!(a.errors.total(), 1);
    }
}
