//! The report's `stream` object (added in 1.6): stream metrics as the text report shows
//! them, in milliseconds and rates. Definitions: see `crate::stream` (and `--help`).

use serde::{Deserialize, Serialize};

use super::{latency, JsonLatency};
use crate::report::stream::StreamView;

/// Stream metrics of a run (`--stream-metrics`); the report's `stream` is null without
/// them (added in 1.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonStream {
    /// Time to first token: from the request's write to the first content event (an
    /// OpenAI chunk with non-empty `choices[0].delta.content` or `.text`; for other streams
    /// any non-empty data event but `[DONE]`). Null fields when no content arrived.
    pub ttft_ms: JsonLatency,
    /// Time to first body byte: from the request's write to the read that brought the
    /// response's first payload byte, per streamed response (added in 1.6).
    pub ttfb_ms: JsonLatency,
    /// Time to first event of any kind (a role-only chat chunk counts, an SSE comment does
    /// not), per streamed response with an event (added in 1.6).
    pub ttfe_ms: JsonLatency,
    /// Time per output token: (E2E - TTFT) / (output tokens - 1), per response with more
    /// than one token (GenAI-Perf's definition).
    pub tpot_ms: JsonLatency,
    /// Inter-token latency: every gap between consecutive content events, pooled over
    /// responses (vLLM's definition).
    pub itl_ms: JsonLatency,
    /// End to end: from the request's write to the last byte, per streamed response.
    pub e2e_ms: JsonLatency,
    /// Each streamed response's output tokens over its E2E, in tokens per second, with
    /// the latency percentile keys (p99 is among the fastest responses); null fields
    /// without a response with tokens (added in 1.6).
    pub tokens_per_s_per_request: JsonLatency,
    /// Output tokens and where their counts came from.
    pub output_tokens: JsonOutputTokens,
    /// Output tokens per second of the run's elapsed time.
    pub tokens_per_s: f64,
    /// Streamed 2xx responses per second without a stream error that met every
    /// per-request latency limit of `--slo` (its pN, ttft_, tpot_, itl_, e2e_ gates); with
    /// no such gate, successful streams per second.
    pub goodput_rps: f64,
    /// Stream-specific failures, each counted once per response.
    pub errors: JsonStreamErrors,
    /// Events (SSE events with data, NDJSON lines) in all streamed responses.
    pub events: u64,
    /// Content events among them.
    pub content_events: u64,
    /// Complete responses framed as a stream (text/event-stream or NDJSON).
    pub responses: u64,
    /// Median TTFT over median E2E; null when either is missing.
    pub ttft_share: Option<f64>,
}

/// Output tokens in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonOutputTokens {
    /// Sum over streamed responses.
    pub total: u64,
    /// Mean per streamed response; 0 without one.
    pub per_request_avg: f64,
    /// `"usage"` (every response's `usage.completion_tokens`), `"events"` (content events
    /// counted, no usage sent), `"mixed"`; null without a streamed response.
    pub source: Option<String>,
}

/// Stream-specific failures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonStreamErrors {
    /// OpenAI-shaped text/event-stream responses that ended without `data: [DONE]`.
    pub missing_done: u64,
    /// Responses with an error event (`event: error`, or data with a top-level `"error"`).
    pub error_event: u64,
    /// Responses that were neither text/event-stream nor NDJSON.
    pub not_streaming: u64,
}

/// The wire form of the report's stream view.
pub(super) fn stream(v: &StreamView) -> JsonStream {
    JsonStream {
        ttft_ms: latency(v.ttft.as_ref()),
        ttfb_ms: latency(v.ttfb.as_ref()),
        ttfe_ms: latency(v.ttfe.as_ref()),
        tpot_ms: latency(v.tpot.as_ref()),
        itl_ms: latency(v.itl.as_ref()),
        e2e_ms: latency(v.e2e.as_ref()),
        tokens_per_s_per_request: rates(v.tokens_per_s_per_request.as_ref()),
        output_tokens: JsonOutputTokens {
            total: v.output_tokens,
            per_request_avg: v.tokens_per_response,
            source: v.token_source.map(str::to_string),
        },
        tokens_per_s: v.tokens_per_s,
        goodput_rps: v.goodput_rps,
        errors: JsonStreamErrors {
            missing_done: v.errors.missing_done,
            error_event: v.errors.error_event,
            not_streaming: v.errors.not_streaming,
        },
        events: v.events,
        content_events: v.content_events,
        responses: v.responses,
        ttft_share: v.ttft_share,
    }
}

/// Rates at the latency percentile keys (see [`StreamView::tokens_per_s_per_request`]).
fn rates(r: Option<&[f64; 9]>) -> JsonLatency {
    JsonLatency::at_quantiles(|q| r.map(|r| r[q as usize]))
}
