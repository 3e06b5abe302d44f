//! The report's `ws` object and `params.ws` (added in 1.7): what the WebSocket sessions of
//! a `vastar ws` run did and measured, in milliseconds and counts. Both are null for HTTP
//! runs. Definitions: see `crate::ws` (and `vastar ws --help`).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::{latency, JsonLatency};
use crate::config::WsCadence;
use crate::engine::result::RunResult;
use crate::report::model::{self, LevelScale};
use crate::results::params::WsParams;
use crate::ws::stats::{Latencies, WsStats};

/// WebSocket sessions of a `vastar ws` run; null for HTTP runs (added in 1.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonWs {
    /// How sessions fared.
    pub sessions: JsonWsSessions,
    /// Messages that crossed the sessions.
    pub messages: JsonWsMessages,
    /// `--echo`: from a message's send to its reply, for messages sent after each
    /// session's warm-up; null when the run was not `--echo`.
    pub latency_ms: Option<JsonLatency>,
    /// `--ack-field`: for each field name, from the send of the frame an ack's field names
    /// to the ack's arrival; `{}` without `--ack-field`.
    pub acks: BTreeMap<String, JsonLatency>,
    /// From the upgrade request's first byte to the 101 response, per opened session.
    pub upgrade_ms: JsonLatency,
    /// `--every`: how late messages left after their due time (actual minus due send);
    /// null when the run was not `--every`.
    pub send_lateness_ms: Option<JsonLatency>,
    /// Sessions the server closed, by close code (`"1011"`; 1005 for a close frame without
    /// a code).
    pub close_codes: BTreeMap<u16, u64>,
    /// Refused upgrades, by the status they got (`"503"`).
    pub upgrade_statuses: BTreeMap<u16, u64>,
    /// The latencies of messages sent during each session's `--warmup`, kept out of the
    /// figures above; null without `--warmup`.
    pub warmup: Option<JsonWsWarmup>,
    /// Every failure by cause (the top-level `errors` keys): failed sends (the run's
    /// `errors`) plus failures met between sends (closes, protocol errors, unexpected
    /// messages, unknown or overdue acks).
    pub errors: BTreeMap<String, u64>,
    /// The sum of `errors` over the messages attempted (`summary.requests`): what the
    /// `errors=` gate judges; null when no message was attempted.
    pub error_rate: Option<f64>,
}

/// How sessions fared; a session is one upgraded connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonWsSessions {
    /// Upgrades that succeeded (101 with a valid `Sec-WebSocket-Accept`).
    pub opened: u64,
    /// Connects or upgrades that failed, retries included.
    pub failed: u64,
    /// Sessions the server ended with a close frame (any code).
    pub closed_by_server: u64,
}

/// Messages that crossed the sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonWsMessages {
    /// Data messages written, warm-up included.
    pub sent: u64,
    /// Data messages received, whatever they said.
    pub received: u64,
    /// Pings the server sent, each answered with a pong.
    pub pings: u64,
    /// Of `sent`, the messages sent during each session's `--warmup`.
    pub warmup_sent: u64,
}

/// The warm-up's latencies, as the measured ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonWsWarmup {
    /// `--echo` round trips of warm-up messages; null when the run was not `--echo`.
    pub latency_ms: Option<JsonLatency>,
    /// Ack latencies of warm-up frames, by field name.
    pub acks: BTreeMap<String, JsonLatency>,
}

/// What a `vastar ws` run was asked to do; `params.ws` is null for HTTP runs (added in 1.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonWsParams {
    /// `"echo"` (the next message after each reply) or `"every"` (one every `every_ms`).
    pub mode: String,
    /// `--every` in milliseconds; null for `"echo"`.
    pub every_ms: Option<f64>,
    /// `--ack-field` names, in the order given.
    pub ack_fields: Vec<String>,
    /// `--warmup` in seconds; 0 without it.
    pub warmup_s: f64,
    /// `--ramp` in seconds; 0 when sessions start together.
    pub ramp_s: f64,
    /// How many messages a session sends in turn, cycling (`--frame-size` slices, or 1).
    pub frames: u64,
    /// `--binary`: binary frames instead of text.
    pub binary: bool,
}

/// The report's `ws` object of a run; `None` for HTTP runs.
pub(super) fn ws(result: &RunResult, params: Option<&WsParams>) -> Option<JsonWs> {
    let s = result.ws.as_ref()?;
    let echo = params.map_or(!s.measured.echo_ns.is_empty(), |p| {
        p.cadence == WsCadence::Echo
    });
    let warmup = params.map_or(s.warmup_sent > 0, |p| !p.warmup.is_zero());
    let errors = errors(result, s);
    let total: u64 = errors.values().sum();
    let requests = result.requests();
    Some(JsonWs {
        sessions: JsonWsSessions {
            opened: s.sessions.opened,
            failed: s.sessions.failed,
            closed_by_server: s.sessions.closed_by_server,
        },
        messages: JsonWsMessages {
            sent: s.messages.sent,
            received: s.messages.received,
            pings: s.messages.pings,
            warmup_sent: s.warmup_sent,
        },
        latency_ms: echo.then(|| percentiles(&s.measured.echo_ns)),
        acks: acks(s, &s.measured),
        upgrade_ms: percentiles(&s.upgrade_ns),
        send_lateness_ms: result.send_lateness_ns.as_ref().map(percentiles),
        close_codes: s.close_codes.clone(),
        upgrade_statuses: s.upgrade_statuses.clone(),
        warmup: warmup.then(|| JsonWsWarmup {
            latency_ms: echo.then(|| percentiles(&s.warmup.echo_ns)),
            acks: acks(s, &s.warmup),
        }),
        errors,
        error_rate: (requests > 0).then(|| total as f64 / requests as f64),
    })
}

/// The run's failed sends and the sessions' other failures, by JSON key.
fn errors(result: &RunResult, s: &WsStats) -> BTreeMap<String, u64> {
    let mut by_key = BTreeMap::new();
    for (kind, n) in result.errors.iter().chain(&s.errors) {
        *by_key.entry(kind.key().to_string()).or_insert(0) += n;
    }
    by_key.retain(|_, n| *n > 0);
    by_key
}

fn acks(s: &WsStats, part: &Latencies) -> BTreeMap<String, JsonLatency> {
    s.ack_fields
        .iter()
        .zip(&part.acks_ns)
        .map(|(name, hist)| (name.clone(), percentiles(hist)))
        .collect()
}

/// The percentile keys of `hist`, all null when it is empty.
fn percentiles(hist: &Histogram<u64>) -> JsonLatency {
    latency(model::latency(hist, &LevelScale::relative(hist)).as_ref())
}

impl From<&WsParams> for JsonWsParams {
    fn from(p: &WsParams) -> JsonWsParams {
        let (mode, every_ms) = match p.cadence {
            WsCadence::Echo => ("echo", None),
            WsCadence::Every(d) => ("every", Some(d.as_nanos() as f64 / 1e6)),
        };
        JsonWsParams {
            mode: mode.to_string(),
            every_ms,
            ack_fields: p.ack_fields.clone(),
            warmup_s: p.warmup.as_secs_f64(),
            ramp_s: p.ramp.as_secs_f64(),
            frames: p.frames as u64,
            binary: p.binary,
        }
    }
}

impl JsonWsParams {
    /// The parameters back, as the run had them (to the nanosecond): `None` for a mode
    /// this version does not know.
    pub fn into_params(self) -> Option<WsParams> {
        let cadence = match (self.mode.as_str(), self.every_ms) {
            ("echo", _) => WsCadence::Echo,
            ("every", Some(ms)) => WsCadence::Every(nanos(ms * 1e6)?),
            _ => return None,
        };
        Some(WsParams {
            cadence,
            ack_fields: self.ack_fields,
            warmup: nanos(self.warmup_s * 1e9)?,
            ramp: nanos(self.ramp_s * 1e9)?,
            frames: usize::try_from(self.frames).ok()?,
            binary: self.binary,
        })
    }
}

/// A count of nanoseconds written as a float, rounded back to the integer it was.
fn nanos(n: f64) -> Option<Duration> {
    (n.is_finite() && n >= 0.0 && n < u64::MAX as f64)
        .then(|| Duration::from_nanos(n.round() as u64))
}

#[cfg(test)]
mod tests;
