//! The `result.stream` object: a run's [`StreamStats`] as exact data (added in 1.6), so
//! `vastar merge` adds the stream metrics of several processes without loss.

use serde::{Deserialize, Serialize};

use super::hdr;
use super::wire::WireError;
use crate::stream::{StreamErrors, StreamStats};

/// Stream metrics, exactly: histograms in nanoseconds and counters (added in 1.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawStream {
    /// Base64 V2 + DEFLATE HdrHistograms, values in nanoseconds: `ttft`, `itl`, `tpot`,
    /// `e2e` (the report's `stream.*_ms`).
    pub histograms: JsonStreamHistograms,
    /// Complete responses framed as a stream.
    pub responses: u64,
    /// Events in them.
    pub events: u64,
    /// Content events among them.
    pub content_events: u64,
    /// Output tokens in all.
    pub output_tokens: u64,
    /// Responses whose tokens came from the server's usage.
    pub tokens_from_usage: u64,
    /// Responses whose tokens are their content events.
    pub tokens_from_events: u64,
    /// Stream errors by kind.
    pub errors: JsonRawStreamErrors,
    /// Good streamed responses (the numerator of goodput).
    pub good: u64,
}

/// The four stream distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonStreamHistograms {
    pub ttft: String,
    pub itl: String,
    pub tpot: String,
    pub e2e: String,
}

/// Stream errors by kind (see the report's `stream.errors`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawStreamErrors {
    pub missing_done: u64,
    pub error_event: u64,
    pub not_streaming: u64,
}

impl From<&StreamStats> for JsonRawStream {
    fn from(s: &StreamStats) -> JsonRawStream {
        JsonRawStream {
            histograms: JsonStreamHistograms {
                ttft: hdr::encode(&s.ttft_ns),
                itl: hdr::encode(&s.itl_ns),
                tpot: hdr::encode(&s.tpot_ns),
                e2e: hdr::encode(&s.e2e_ns),
            },
            responses: s.responses,
            events: s.events,
            content_events: s.content_events,
            output_tokens: s.output_tokens,
            tokens_from_usage: s.tokens_from_usage,
            tokens_from_events: s.tokens_from_events,
            errors: JsonRawStreamErrors {
                missing_done: s.errors.missing_done,
                error_event: s.errors.error_event,
                not_streaming: s.errors.not_streaming,
            },
            good: s.good,
        }
    }
}

impl JsonRawStream {
    /// Rebuilds the stream metrics.
    pub fn into_stats(self) -> Result<StreamStats, WireError> {
        let histogram = |name: &'static str, text: &str| {
            hdr::decode(text).map_err(|source| WireError::Histogram { name, source })
        };
        let h = &self.histograms;
        Ok(StreamStats {
            ttft_ns: histogram("ttft", &h.ttft)?,
            itl_ns: histogram("itl", &h.itl)?,
            tpot_ns: histogram("tpot", &h.tpot)?,
            e2e_ns: histogram("e2e", &h.e2e)?,
            responses: self.responses,
            events: self.events,
            content_events: self.content_events,
            output_tokens: self.output_tokens,
            tokens_from_usage: self.tokens_from_usage,
            tokens_from_events: self.tokens_from_events,
            errors: StreamErrors {
                missing_done: self.errors.missing_done,
                error_event: self.errors.error_event,
                not_streaming: self.errors.not_streaming,
            },
            good: self.good,
        })
    }
}
