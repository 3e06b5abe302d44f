//! The `result` object of the JSON report: a [`RunResult`] as exact data.
//!
//! The rest of the report is a rendering (rounded milliseconds, chosen percentiles); this
//! object is what the rendering was computed from, so a reader can recompute any statistic
//! and `vastar merge` can add results together without loss. Field names are forever, like
//! the report's.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::hdr::{self, HdrError};
use super::intervals::JsonRawIntervals;
use crate::engine::result::{
    error_keys, ConnStats, ErrorKind, PhaseStats, Phases, RedirectStats, RunResult, SignedDuration,
    HTTP1, HTTP2, WEBSOCKET,
};

/// A result object that does not describe a run vastar can rebuild.
#[derive(Debug, Error)]
pub enum WireError {
    /// One of the histograms does not decode.
    #[error("{name} histogram: {source}")]
    Histogram {
        name: &'static str,
        source: HdrError,
    },
    /// An error key this version does not know.
    #[error("unknown error kind {0:?}")]
    ErrorKind(String),
    /// A protocol or TLS version this version does not know.
    #[error("unknown {what} {value:?}")]
    Name { what: &'static str, value: String },
    /// A WebSocket ack field without its histograms, or histograms of no ack field.
    #[error("ws ack field {0:?} does not match the histograms (result.ws.ack_fields)")]
    AckField(String),
}

/// Everything a run measured, exactly (added in 1.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonResult {
    /// Wall-clock start of the measured window, microseconds since the Unix epoch: what
    /// lines up the results of several machines.
    pub start_unix_us: u64,
    /// Wall-clock end of the measured window (start plus `elapsed_ns`), microseconds since
    /// the Unix epoch.
    pub end_unix_us: u64,
    /// Length of the measured window in nanoseconds (`summary.total_secs`, exactly).
    pub elapsed_ns: u64,
    /// From the start to the last request sent, in nanoseconds (`summary.send_secs`).
    pub sending_ns: u64,
    /// The recorded distributions, in nanoseconds.
    pub histograms: JsonHistograms,
    /// Sum, count and extremes of each request phase, in nanoseconds.
    pub phases_ns: JsonRawPhases,
    /// Responses by status code.
    pub status_codes: BTreeMap<u16, u64>,
    /// Requests without a response, by cause (the report's `errors` keys).
    pub errors: BTreeMap<String, u64>,
    /// Response body bytes received.
    pub body_bytes: u64,
    /// Open-loop requests due while every connection was busy.
    pub late_sends: u64,
    /// Requests in flight when the run was interrupted.
    pub cut_off: u64,
    /// Connection bookkeeping.
    pub connections: JsonRawConnections,
    /// Redirects followed and not followed.
    pub redirects: JsonRawRedirects,
    /// With `--start-at`: the actual start minus the asked one, in nanoseconds (`null`
    /// without it).
    pub start_skew_ns: Option<i64>,
    /// With `--interval`: the time series, each interval with its histogram; null without
    /// it (added in 1.5).
    #[serde(default)]
    pub intervals: Option<JsonRawIntervals>,
    /// With `--stream-metrics`: the stream metrics, exactly; null without them (added in
    /// 1.6).
    #[serde(default)]
    pub stream: Option<super::stream::JsonRawStream>,
    /// `vastar ws`: the WebSocket session metrics, exactly; null for HTTP runs (added in
    /// 1.7).
    #[serde(default)]
    pub ws: Option<super::ws::JsonRawWs>,
}

/// Each distribution as base64 of HdrHistogram's V2 + DEFLATE encoding (what HdrHistogram's
/// `decodeFromCompressedByteBuffer` reads), values in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonHistograms {
    /// Latency of every response (`latency_ms`).
    pub latency: String,
    /// Service time (`service_time_ms`); null when the run has no second view.
    pub service_time: Option<String>,
    /// Open-loop send lateness (`rate.send_lateness_ms`); null for closed-loop runs.
    pub send_lateness: Option<String>,
}

/// Raw phase statistics: the mean is `total_ns / count`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawPhases {
    pub connect: JsonRawPhase,
    pub tls: JsonRawPhase,
    pub write: JsonRawPhase,
    pub wait: JsonRawPhase,
    pub read: JsonRawPhase,
}

/// One phase: observations, their sum and extremes (0 when `count` is 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawPhase {
    pub count: u64,
    pub total_ns: u64,
    pub min_ns: u64,
    pub max_ns: u64,
}

/// Connections opened, reopened, pre-connect retries and GOAWAYs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawConnections {
    pub opened: u64,
    pub reconnects: u64,
    pub preconnect_retries: u64,
    /// HTTP/2 connections closed by a GOAWAY (added in 1.7; absent from older results: 0).
    #[serde(default)]
    pub goaways: u64,
}

/// Redirects followed, stopped at the limit, and pointing to another host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawRedirects {
    pub followed: u64,
    pub limit_reached: u64,
    pub cross_host: u64,
}

impl From<&RunResult> for JsonResult {
    fn from(r: &RunResult) -> JsonResult {
        let start_us = unix_us(r.started_at);
        JsonResult {
            start_unix_us: start_us,
            end_unix_us: start_us + micros(r.elapsed),
            elapsed_ns: nanos(r.elapsed),
            sending_ns: nanos(r.sending),
            histograms: JsonHistograms {
                latency: hdr::encode(&r.latency_ns),
                service_time: r.service_ns.as_ref().map(hdr::encode),
                send_lateness: r.send_lateness_ns.as_ref().map(hdr::encode),
            },
            phases_ns: JsonRawPhases {
                connect: phase(&r.phases.connect),
                tls: phase(&r.phases.tls),
                write: phase(&r.phases.write),
                wait: phase(&r.phases.wait),
                read: phase(&r.phases.read),
            },
            status_codes: r.status_codes.clone(),
            errors: error_keys(&r.errors),
            body_bytes: r.body_bytes,
            late_sends: r.late_sends,
            cut_off: r.cut_off,
            connections: JsonRawConnections {
                opened: r.connections.opened,
                reconnects: r.connections.reconnects,
                preconnect_retries: r.connections.preconnect_retries,
                goaways: r.connections.goaways,
            },
            redirects: JsonRawRedirects {
                followed: r.redirects.followed,
                limit_reached: r.redirects.limit_reached,
                cross_host: r.redirects.cross_host,
            },
            start_skew_ns: r.start_skew.map(|s| s.nanos),
            intervals: r.intervals.as_ref().map(JsonRawIntervals::from),
            stream: r.stream.as_ref().map(Into::into),
            ws: r.ws.as_ref().map(Into::into),
        }
    }
}

/// What the report keeps outside the `result` object: the protocol and TLS version spoken
/// and whether the run was interrupted.
#[derive(Debug, Clone, Copy)]
pub struct Spoken<'a> {
    pub protocol: &'a str,
    pub tls: Option<&'a str>,
    pub interrupted: bool,
}

impl JsonResult {
    /// Rebuilds the run's result (its parameters are left default for the caller to set).
    pub fn into_run_result(self, spoken: Spoken<'_>) -> Result<RunResult, WireError> {
        let mut r = RunResult::empty(Duration::from_nanos(self.elapsed_ns));
        r.started_at = UNIX_EPOCH + Duration::from_micros(self.start_unix_us);
        r.sending = Duration::from_nanos(self.sending_ns);
        r.protocol = known("protocol", spoken.protocol, &[HTTP1, HTTP2, WEBSOCKET])?;
        r.tls = match spoken.tls {
            Some(v) => Some(known("TLS version", v, &["TLSv1.3", "TLSv1.2", "TLS"])?),
            None => None,
        };
        r.interrupted = spoken.interrupted;
        let h = self.histograms;
        r.latency_ns = histogram("latency", &h.latency)?;
        r.service_ns = optional_histogram("service time", h.service_time)?;
        r.send_lateness_ns = optional_histogram("send lateness", h.send_lateness)?;
        let p = self.phases_ns;
        r.phases = Phases {
            connect: phase_stats(&p.connect),
            tls: phase_stats(&p.tls),
            write: phase_stats(&p.write),
            wait: phase_stats(&p.wait),
            read: phase_stats(&p.read),
        };
        r.status_codes = self.status_codes;
        r.errors = errors(self.errors)?;
        r.body_bytes = self.body_bytes;
        r.late_sends = self.late_sends;
        r.cut_off = self.cut_off;
        let c = self.connections;
        r.connections = ConnStats {
            opened: c.opened,
            reconnects: c.reconnects,
            preconnect_retries: c.preconnect_retries,
            goaways: c.goaways,
        };
        let d = self.redirects;
        r.redirects = RedirectStats {
            followed: d.followed,
            limit_reached: d.limit_reached,
            cross_host: d.cross_host,
        };
        r.start_skew = self.start_skew_ns.map(|nanos| SignedDuration { nanos });
        r.intervals = self
            .intervals
            .map(JsonRawIntervals::into_intervals)
            .transpose()
            .map_err(|source| WireError::Histogram {
                name: "interval latency",
                source,
            })?;
        r.stream = self.stream.map(|s| s.into_stats()).transpose()?;
        r.ws = self.ws.map(|w| w.into_stats()).transpose()?;
        Ok(r)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Microseconds since the epoch; a clock set before 1970 reads as the epoch.
fn unix_us(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, micros)
}

fn phase(s: &PhaseStats) -> JsonRawPhase {
    JsonRawPhase {
        count: s.count,
        total_ns: s.total_ns,
        min_ns: if s.count == 0 { 0 } else { s.min_ns },
        max_ns: s.max_ns,
    }
}

fn phase_stats(p: &JsonRawPhase) -> PhaseStats {
    match p.count {
        0 => PhaseStats::default(),
        count => PhaseStats {
            count,
            total_ns: p.total_ns,
            min_ns: p.min_ns,
            max_ns: p.max_ns,
        },
    }
}

fn histogram(name: &'static str, text: &str) -> Result<hdrhistogram::Histogram<u64>, WireError> {
    hdr::decode(text).map_err(|source| WireError::Histogram { name, source })
}

fn optional_histogram(
    name: &'static str,
    text: Option<String>,
) -> Result<Option<hdrhistogram::Histogram<u64>>, WireError> {
    text.map(|t| histogram(name, &t)).transpose()
}

/// Error counts by JSON key, back to their kinds.
pub(super) fn errors(keys: BTreeMap<String, u64>) -> Result<BTreeMap<ErrorKind, u64>, WireError> {
    keys.into_iter()
        .map(|(key, n)| {
            let kind = ErrorKind::ALL.into_iter().find(|k| k.key() == key);
            kind.map(|k| (k, n)).ok_or(WireError::ErrorKind(key))
        })
        .collect()
}

/// The `'static` spelling of a name the engine uses, so a rebuilt result compares equal to
/// the original.
fn known(
    what: &'static str,
    value: &str,
    names: &[&'static str],
) -> Result<&'static str, WireError> {
    names
        .iter()
        .find(|&&n| n == value)
        .copied()
        .ok_or_else(|| WireError::Name {
            what,
            value: value.to_string(),
        })
}
