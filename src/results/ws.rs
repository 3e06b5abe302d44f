//! The `result.ws` object: a run's [`WsStats`] as exact data (added in 1.7), so
//! `vastar merge` adds the WebSocket sessions of several processes without loss.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::hdr;
use super::wire::{errors, WireError};
use crate::engine::result::error_keys;
use crate::ws::stats::{Latencies, MessageCounts, SessionCounts, WsStats};

/// WebSocket session metrics, exactly: counters, maps and histograms in nanoseconds
/// (added in 1.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawWs {
    /// The `--ack-field` names, in the order given: the keys of `histograms.*.acks`.
    pub ack_fields: Vec<String>,
    /// Sessions opened, failed, and closed by the server.
    pub sessions: JsonRawWsSessions,
    /// Data messages sent and received, pings answered.
    pub messages: JsonRawWsMessages,
    /// Messages sent during each session's `--warmup`.
    pub warmup_sent: u64,
    /// Sessions the server closed, by close code.
    pub close_codes: BTreeMap<u16, u64>,
    /// Refused upgrades, by status.
    pub upgrade_statuses: BTreeMap<u16, u64>,
    /// Failures met between sends, by the report's `errors` keys.
    pub errors: BTreeMap<String, u64>,
    /// Base64 V2 + DEFLATE HdrHistograms, values in nanoseconds.
    pub histograms: JsonRawWsHistograms,
}

/// How sessions fared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawWsSessions {
    pub opened: u64,
    pub failed: u64,
    pub closed_by_server: u64,
}

/// Messages that crossed the sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawWsMessages {
    pub sent: u64,
    pub received: u64,
    pub pings: u64,
}

/// The WebSocket distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawWsHistograms {
    /// Upgrade request to 101 response, per opened session.
    pub upgrade: String,
    /// Messages sent after each session's warm-up.
    pub measured: JsonRawWsLatencies,
    /// Messages sent during each session's warm-up.
    pub warmup: JsonRawWsLatencies,
}

/// The latencies of one part of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawWsLatencies {
    /// `--echo`: send to reply.
    pub echo: String,
    /// `--ack-field`: one histogram per field name, from the send of the frame an ack
    /// names to the ack's arrival.
    pub acks: BTreeMap<String, String>,
}

impl From<&WsStats> for JsonRawWs {
    fn from(s: &WsStats) -> JsonRawWs {
        JsonRawWs {
            ack_fields: s.ack_fields.clone(),
            sessions: JsonRawWsSessions {
                opened: s.sessions.opened,
                failed: s.sessions.failed,
                closed_by_server: s.sessions.closed_by_server,
            },
            messages: JsonRawWsMessages {
                sent: s.messages.sent,
                received: s.messages.received,
                pings: s.messages.pings,
            },
            warmup_sent: s.warmup_sent,
            close_codes: s.close_codes.clone(),
            upgrade_statuses: s.upgrade_statuses.clone(),
            errors: error_keys(&s.errors),
            histograms: JsonRawWsHistograms {
                upgrade: hdr::encode(&s.upgrade_ns),
                measured: latencies(&s.ack_fields, &s.measured),
                warmup: latencies(&s.ack_fields, &s.warmup),
            },
        }
    }
}

fn latencies(fields: &[String], l: &Latencies) -> JsonRawWsLatencies {
    JsonRawWsLatencies {
        echo: hdr::encode(&l.echo_ns),
        acks: fields
            .iter()
            .zip(&l.acks_ns)
            .map(|(name, h)| (name.clone(), hdr::encode(h)))
            .collect(),
    }
}

impl JsonRawWs {
    /// Rebuilds the session metrics; every ack field needs its histograms.
    pub fn into_stats(self) -> Result<WsStats, WireError> {
        let h = &self.histograms;
        let measured = h.measured.decode(&self.ack_fields, "ws ack")?;
        let warmup = h.warmup.decode(&self.ack_fields, "ws warm-up ack")?;
        let upgrade_ns = histogram("ws upgrade", &h.upgrade)?;
        let mut stats = WsStats::new(self.ack_fields);
        stats.sessions = SessionCounts {
            opened: self.sessions.opened,
            failed: self.sessions.failed,
            closed_by_server: self.sessions.closed_by_server,
        };
        stats.messages = MessageCounts {
            sent: self.messages.sent,
            received: self.messages.received,
            pings: self.messages.pings,
        };
        stats.warmup_sent = self.warmup_sent;
        stats.close_codes = self.close_codes;
        stats.upgrade_statuses = self.upgrade_statuses;
        stats.errors = errors(self.errors)?;
        stats.upgrade_ns = upgrade_ns;
        stats.measured = measured;
        stats.warmup = warmup;
        Ok(stats)
    }
}

impl JsonRawWsLatencies {
    /// The histograms of `fields`, in their order; a field without one is an error, so a
    /// hand-edited file cannot lose a distribution silently.
    fn decode(&self, fields: &[String], acks: &'static str) -> Result<Latencies, WireError> {
        let acks_ns = fields
            .iter()
            .map(|name| match self.acks.get(name) {
                Some(text) => histogram(acks, text),
                None => Err(WireError::AckField(name.clone())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(stray) = self.acks.keys().find(|k| !fields.contains(k)) {
            return Err(WireError::AckField(stray.clone()));
        }
        Ok(Latencies {
            echo_ns: histogram("ws echo", &self.echo)?,
            acks_ns,
        })
    }
}

fn histogram(name: &'static str, text: &str) -> Result<Histogram<u64>, WireError> {
    hdr::decode(text).map_err(|source| WireError::Histogram { name, source })
}
