//! Per-worker measurements.
//!
//! Each worker thread owns one `Recorder` and updates it without synchronisation; the engine
//! merges them once at the end. Nothing here allocates per request (with `--interval`, once
//! per interval).

use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

use super::intervals::IntervalRecorder;
use super::pacing::{Due, Pacing};
use super::result::{
    new_latency_histogram, record_latency, ConnStats, ErrorKind, Phases, RedirectStats, RunResult,
    LATENCY_MAX_NS,
};
use crate::transport::Exchange;

/// Status codes are three digits (httparse rejects anything else), so a flat array indexed by
/// code is both the fastest counter and bounded.
const STATUS_SLOTS: usize = 1000;

/// One worker's running totals.
pub struct Recorder {
    latency_ns: Histogram<u64>,
    service_ns: Option<Histogram<u64>>,
    /// Expected interval between requests of one connection, for `--latency-correction`.
    correction_interval_ns: Option<u64>,
    late_sends: u64,
    /// Open loop only: how late each send left after its scheduled instant.
    send_lateness_ns: Option<Histogram<u64>>,
    phases: Phases,
    status: Box<[u64; STATUS_SLOTS]>,
    errors: [u64; ErrorKind::ALL.len()],
    body_bytes: u64,
    cut_off: u64,
    pub(crate) connections: ConnStats,
    pub(crate) redirects: RedirectStats,
    /// `--interval`: the worker's time series, started with the measured phase.
    intervals: Option<IntervalRecorder>,
    /// The worker's stream metrics, handed over by its connector at the end of the run.
    pub(crate) stream: Option<crate::stream::StreamStats>,
    /// The worker's WebSocket session stats (`vastar ws`), handed over likewise.
    pub(crate) ws: Option<crate::ws::stats::WsStats>,
}

impl Recorder {
    /// A recorder for one worker of a run with this pacing.
    pub fn new(pacing: Pacing, latency_correction: bool) -> Self {
        let correction_interval_ns = match pacing {
            Pacing::PerConnection { interval } if latency_correction => {
                Some(u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX))
            }
            _ => None,
        };
        let scheduled = pacing.scheduled();
        let separate_service = correction_interval_ns.is_some() || scheduled;
        Recorder {
            latency_ns: new_latency_histogram(),
            service_ns: separate_service.then(new_latency_histogram),
            correction_interval_ns,
            late_sends: 0,
            send_lateness_ns: scheduled.then(new_latency_histogram),
            phases: Phases::default(),
            status: Box::new([0; STATUS_SLOTS]),
            errors: [0; ErrorKind::ALL.len()],
            body_bytes: 0,
            cut_off: 0,
            connections: ConnStats::default(),
            redirects: RedirectStats::default(),
            intervals: None,
            stream: None,
            ws: None,
        }
    }

    /// Starts slicing what follows into intervals (`--interval`): called once the run's
    /// start is known, before the first request.
    pub fn track_intervals(&mut self, intervals: IntervalRecorder) {
        self.intervals = Some(intervals);
    }

    /// Records a complete response. `response_time` runs from the intended send time to the
    /// last byte, `service_time` from the actual send (including any connect it needed).
    #[inline]
    pub fn response(
        &mut self,
        exchange: &Exchange,
        response_time: Duration,
        service_time: Duration,
    ) {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
        match self.correction_interval_ns {
            Some(interval) => {
                // Bounds are shared and values saturate, so recording cannot fail.
                let _ = self
                    .latency_ns
                    .record_correct(ns(response_time).min(LATENCY_MAX_NS), interval);
            }
            None => record_latency(&mut self.latency_ns, ns(response_time)),
        }
        if let Some(intervals) = &mut self.intervals {
            let correction = self.correction_interval_ns;
            intervals.response(exchange.finished, ns(response_time), correction);
        }
        if let Some(service) = &mut self.service_ns {
            record_latency(service, ns(service_time));
        }
        self.phases.write.record(exchange.write);
        self.phases.wait.record(exchange.wait);
        self.phases.read.record(exchange.read);
        if let Some(slot) = self.status.get_mut(usize::from(exchange.status)) {
            *slot += 1;
        }
        self.body_bytes += exchange.body_bytes;
    }

    /// Records a scheduled send (`--rate`, `--every`): how late it left, and whether it was
    /// due while its connection (or, open loop, every connection) was busy.
    #[inline]
    pub fn scheduled_send(&mut self, due: &Due) {
        self.late_sends += u64::from(due.late);
        if let Some(lateness) = &mut self.send_lateness_ns {
            let ns = (due.released - due.intended).as_nanos();
            record_latency(lateness, u64::try_from(ns).unwrap_or(u64::MAX).max(1));
        }
    }

    /// Records a request that produced no response.
    #[inline]
    pub fn error(&mut self, kind: ErrorKind) {
        self.errors[kind as usize] += 1;
        if let Some(intervals) = &mut self.intervals {
            intervals.error(Instant::now());
        }
    }

    /// Records requests abandoned in flight because the run was interrupted.
    pub fn cut_off(&mut self, requests: u64) {
        self.cut_off += requests;
        if let Some(intervals) = &mut self.intervals {
            intervals.cut_off(Instant::now(), requests);
        }
    }

    /// Records a connection opened, with how long it took, of which `handshake` was TLS.
    pub fn connected(&mut self, took: Duration, handshake: Option<Duration>) {
        self.connections.opened += 1;
        match handshake {
            Some(tls) => {
                self.phases.connect.record(took.saturating_sub(tls));
                self.phases.tls.record(tls);
            }
            None => self.phases.connect.record(took),
        }
    }

    /// Folds this worker's totals into a run result.
    pub fn merge_into(self, result: &mut RunResult) {
        // All histograms share bounds, so adding cannot fail.
        let _ = result.latency_ns.add(&self.latency_ns);
        if let Some(service) = &self.service_ns {
            let merged = result.service_ns.get_or_insert_with(new_latency_histogram);
            let _ = merged.add(service);
        }
        if let Some(lateness) = &self.send_lateness_ns {
            let merged = result
                .send_lateness_ns
                .get_or_insert_with(new_latency_histogram);
            let _ = merged.add(lateness);
        }
        result.late_sends += self.late_sends;
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
        result.cut_off += self.cut_off;
        result.connections.merge(&self.connections);
        result.redirects.merge(&self.redirects);
        if let Some(intervals) = self.intervals {
            let mine = intervals.finish();
            match &mut result.intervals {
                // Every worker slices the same run alike, so lengths always match.
                Some(merged) => {
                    let _ = merged.absorb(mine);
                }
                None => result.intervals = Some(mine),
            }
        }
        if let Some(stream) = &self.stream {
            result
                .stream
                .get_or_insert_with(Default::default)
                .merge(stream);
        }
        if let Some(ws) = self.ws {
            match &mut result.ws {
                Some(merged) => merged.merge(&ws),
                None => result.ws = Some(ws),
            }
        }
    }
}
