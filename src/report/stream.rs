//! The report's view of stream metrics (`--stream-metrics`): percentiles of TTFT, TPOT,
//! ITL and E2E, token counts and rates, computed once for every renderer.

use super::model::{latency, Latency, LevelScale, Quantile};
use crate::engine::result::RunResult;
use crate::stream::StreamErrors;

/// Everything the renderers show about a run's streams.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamView {
    /// Time to first token; `None` when no content event arrived.
    pub ttft: Option<Latency>,
    /// Time per output token; `None` without a response of two or more tokens.
    pub tpot: Option<Latency>,
    /// Inter-token latency, every gap pooled; `None` without a gap.
    pub itl: Option<Latency>,
    /// End to end per streamed response; `None` without one.
    pub e2e: Option<Latency>,
    /// Complete responses framed as a stream.
    pub responses: u64,
    /// Events in them.
    pub events: u64,
    /// Content events among them.
    pub content_events: u64,
    /// Output tokens in all.
    pub output_tokens: u64,
    /// Output tokens per streamed response; 0 without one.
    pub tokens_per_response: f64,
    /// `usage`, `events` or `mixed`; `None` without a streamed response.
    pub token_source: Option<&'static str>,
    /// Output tokens per second of elapsed time.
    pub tokens_per_s: f64,
    /// Good streamed responses per second of elapsed time.
    pub goodput_rps: f64,
    /// Stream-specific failures.
    pub errors: StreamErrors,
    /// Median TTFT over median E2E: how much of a response's time is the wait for its
    /// first token. `None` when either is missing.
    pub ttft_share: Option<f64>,
}

impl StreamView {
    /// The view of a run's stream metrics; `None` when they were off.
    pub fn of(result: &RunResult) -> Option<StreamView> {
        let s = result.stream.as_ref()?;
        let m = s.measurements(result.elapsed);
        let pct = |h| latency(h, &LevelScale::relative(h));
        let (ttft, e2e) = (pct(&s.ttft_ns), pct(&s.e2e_ns));
        let ttft_share = match (&ttft, &e2e) {
            (Some(t), Some(e)) if !e.at(Quantile::P50).is_zero() => {
                Some(t.at(Quantile::P50).as_secs_f64() / e.at(Quantile::P50).as_secs_f64())
            }
            _ => None,
        };
        Some(StreamView {
            tpot: pct(&s.tpot_ns),
            itl: pct(&s.itl_ns),
            ttft,
            e2e,
            responses: s.responses,
            events: s.events,
            content_events: s.content_events,
            output_tokens: s.output_tokens,
            tokens_per_response: match s.responses {
                0 => 0.0,
                n => s.output_tokens as f64 / n as f64,
            },
            token_source: s.token_source(),
            tokens_per_s: m.tokens_per_s,
            goodput_rps: m.goodput_rps,
            errors: s.errors,
            ttft_share,
        })
    }
}
