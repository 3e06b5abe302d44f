//! Per-worker measurements.
//!
//! Each worker thread owns one `Recorder` and updates it without synchronisation; the engine
//! merges them once at the end. Nothing here allocates per request.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::result::{new_latency_histogram, ConnStats, ErrorKind, Phases, RunResult};
use super::transport::Exchange;

/// Status codes are three digits (httparse rejects anything else), so a flat array indexed by
/// code is both the fastest counter and bounded.
const STATUS_SLOTS: usize = 1000;

/// One worker's running totals.
pub struct Recorder {
    latency_ns: Histogram<u64>,
    phases: Phases,
    status: Box<[u64; STATUS_SLOTS]>,
    errors: [u64; ErrorKind::ALL.len()],
    body_bytes: u64,
    pub(crate) connections: ConnStats,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            latency_ns: new_latency_histogram(),
            phases: Phases::default(),
            status: Box::new([0; STATUS_SLOTS]),
            errors: [0; ErrorKind::ALL.len()],
            body_bytes: 0,
            connections: ConnStats::default(),
        }
    }
}

impl Recorder {
    /// Records a complete response.
    #[inline]
    /// Records a complete response; `total` runs from the start of the request (including any
    /// connect it needed) to its last byte.
    pub fn response(&mut self, exchange: &Exchange, total: Duration) {
        let ns = u64::try_from(total.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.latency_ns.saturating_record(ns);
        self.phases.write.record(exchange.write);
        self.phases.wait.record(exchange.wait);
        self.phases.read.record(exchange.read);
        if let Some(slot) = self.status.get_mut(usize::from(exchange.status)) {
            *slot += 1;
        }
        self.body_bytes += exchange.body_bytes;
    }

    /// Records a request that produced no response.
    #[inline]
    pub fn error(&mut self, kind: ErrorKind) {
        self.errors[kind as usize] += 1;
    }

    /// Records a connection opened, with how long the connect took.
    pub fn connected(&mut self, took: Duration) {
        self.connections.opened += 1;
        self.phases.connect.record(took);
    }

    /// Folds this worker's totals into a run result.
    pub fn merge_into(self, result: &mut RunResult) {
        // Both histograms share bounds, so adding cannot fail.
        let _ = result.latency_ns.add(&self.latency_ns);
        result.phases.merge(&self.phases);
        for (code, &count) in self.status.iter().enumerate().filter(|(_, &c)| c > 0) {
            // `code` < 1000, so the cast is lossless.
            *result.status_codes.entry(code as u16).or_default() += count;
        }
        for kind in ErrorKind::ALL {
            let count = self.errors[kind as usize];
            if count > 0 {
                *result.errors.entry(kind).or_default() += count;
            }
        }
        result.body_bytes += self.body_bytes;
        result.connections.opened += self.connections.opened;
        result.connections.reconnects += self.connections.reconnects;
        result.connections.preconnect_retries += self.connections.preconnect_retries;
    }
}
