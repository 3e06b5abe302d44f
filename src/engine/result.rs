//! What one run measured, as plain data.
//!
//! `RunResult` is the only thing the engine hands to the outside world: reports render it,
//! `sweep` compares many of them, and a future merge step adds several together. Keeping it
//! plain data (no handles, no clocks) is what makes those pure functions possible.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use super::intervals::Intervals;

pub use crate::results::params::Params;
pub use crate::transport::ErrorKind;

/// [`RunResult::protocol`] for HTTP/1.1, in ALPN's spelling.
pub const HTTP1: &str = "http/1.1";

/// [`RunResult::protocol`] for HTTP/2 (h2 over TLS, h2c over TCP), in ALPN's spelling.
pub const HTTP2: &str = "h2";

/// [`RunResult::protocol`] for WebSocket sessions (`vastar ws`), upgraded from HTTP/1.1.
pub const WEBSOCKET: &str = "websocket";

/// Sum, count and extremes of one request phase. Cheap enough to update on every request,
/// and mergeable, unlike a mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseStats {
    pub count: u64,
    pub total_ns: u64,
    pub min_ns: u64,
    pub max_ns: u64,
}

impl Default for PhaseStats {
    fn default() -> Self {
        PhaseStats {
            count: 0,
            total_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
        }
    }
}

impl PhaseStats {
    /// Adds one observation.
    #[inline]
    pub fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.count += 1;
        self.total_ns = self.total_ns.saturating_add(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Folds another worker's stats into these.
    pub fn merge(&mut self, other: &PhaseStats) {
        self.count += other.count;
        self.total_ns = self.total_ns.saturating_add(other.total_ns);
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// Mean, or `None` when nothing was observed.
    pub fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_nanos(self.total_ns / self.count))
    }

    /// Fastest observation, or `None` when nothing was observed.
    pub fn min(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_nanos(self.min_ns))
    }

    /// Slowest observation, or `None` when nothing was observed.
    pub fn max(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_nanos(self.max_ns))
    }
}

/// Time spent in each phase of a request, like hey's "Details".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phases {
    /// TCP connect (only requests that had to open a connection).
    pub connect: PhaseStats,
    /// TLS handshake after the TCP connect (only connections over TLS).
    pub tls: PhaseStats,
    /// Writing the request bytes.
    pub write: PhaseStats,
    /// From the end of the write to the first response byte.
    pub wait: PhaseStats,
    /// From the first response byte to the end of the response.
    pub read: PhaseStats,
}

impl Phases {
    /// Folds another worker's phases into these.
    pub fn merge(&mut self, other: &Phases) {
        self.connect.merge(&other.connect);
        self.tls.merge(&other.tls);
        self.write.merge(&other.write);
        self.wait.merge(&other.wait);
        self.read.merge(&other.read);
    }
}

/// How connections fared, so that reconnect storms are visible instead of hidden in latency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnStats {
    /// Connections successfully opened, including the pre-connected ones.
    pub opened: u64,
    /// Connections reopened during the run because the server closed or broke the previous one.
    pub reconnects: u64,
    /// Failed connect attempts during the pre-connect phase that were retried.
    pub preconnect_retries: u64,
    /// HTTP/2 connections the server closed with a `GOAWAY` that the run saw (one per
    /// connection, however many streams it carried); each also costs one reconnect when the
    /// run goes on. Always 0 over HTTP/1.1.
    pub goaways: u64,
}

impl ConnStats {
    /// Folds another worker's or process's counts into these.
    pub fn merge(&mut self, other: &ConnStats) {
        self.opened += other.opened;
        self.reconnects += other.reconnects;
        self.preconnect_retries += other.preconnect_retries;
        self.goaways += other.goaways;
    }
}

/// Error counts under their JSON keys (`timeout`, `reset_stream`), as the report and the
/// exact result both write them.
pub fn error_keys(errors: &BTreeMap<ErrorKind, u64>) -> BTreeMap<String, u64> {
    errors
        .iter()
        .map(|(k, n)| (k.key().to_string(), *n))
        .collect()
}

/// How redirects fared. hey and oha follow them, so vastar does too, on the same origin;
/// these counts keep a redirecting target from passing for a plain one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedirectStats {
    /// Redirects followed, summed over all requests (a chain of three hops counts three).
    pub followed: u64,
    /// Requests still redirected when `--redirect` hops were used up (a loop, or a longer
    /// chain): the last redirect response is what was recorded.
    pub limit_reached: u64,
    /// Redirects to another scheme, host or port, not followed: the redirect response is
    /// what was recorded.
    pub cross_host: u64,
}

impl RedirectStats {
    /// Folds another request's or worker's counts into these.
    pub fn merge(&mut self, other: &RedirectStats) {
        self.followed += other.followed;
        self.limit_reached += other.limit_reached;
        self.cross_host += other.cross_host;
    }

    /// Whether any redirect was seen at all.
    pub fn any(&self) -> bool {
        *self != RedirectStats::default()
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// What the run was asked to do, so a saved result renders and merges on its own.
    pub params: Params,
    /// Wall-clock instant the measured window began: what lines up the windows (and
    /// intervals) of processes on different machines when their results are merged.
    pub started_at: SystemTime,
    /// The HTTP version spoken (`http/1.1`), as the connector that was picked says; the
    /// engine itself speaks no protocol.
    pub protocol: &'static str,
    /// The TLS version agreed on (`TLSv1.3`); `None` over plain TCP.
    pub tls: Option<&'static str>,
    /// Wall time of the measured phase: from the start to the last response or failure, so
    /// requests drained after a `-z` deadline are inside it (pre-connect excluded; for `-z`
    /// at least the duration unless interrupted, at most the duration plus the drain cap).
    /// Every rate of the run is counted over this window.
    pub elapsed: Duration,
    /// From the start to the last request sent (sending stopped; the rest of `elapsed` was
    /// spent draining the requests in flight). At most `elapsed`.
    pub sending: Duration,
    /// Latency of every completed response, in nanoseconds. For open-loop runs it is
    /// measured from the scheduled send time (response time, queueing included); with
    /// `--latency-correction` it includes HdrHistogram's synthetic samples for the requests
    /// a stalled connection did not send.
    pub latency_ns: Histogram<u64>,
    /// Service time (from the actual send to the last byte), kept separately only when it
    /// differs from `latency_ns` by construction (open loop, or corrected runs).
    pub service_ns: Option<Histogram<u64>>,
    /// Open-loop requests that were due while every connection was busy: the connection
    /// that sent one became free only after its scheduled time, so `-c` could not keep up.
    pub late_sends: u64,
    /// Scheduled sends only (`--rate`, `vastar ws --every`): how late each request left after
    /// its scheduled time, in nanoseconds
    /// (the pacer's own precision, plus the wait of late sends for a free connection).
    pub send_lateness_ns: Option<Histogram<u64>>,
    /// Per-phase timing of completed responses.
    pub phases: Phases,
    /// Completed responses by status code.
    pub status_codes: BTreeMap<u16, u64>,
    /// Requests that produced no response, by cause.
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Response body bytes received (wire bytes: chunk framing excluded, compression kept).
    pub body_bytes: u64,
    /// Connection bookkeeping.
    pub connections: ConnStats,
    /// The run was stopped early by a cancel (Ctrl-C, SIGTERM), not by its own budget.
    pub interrupted: bool,
    /// Requests in flight when the run was interrupted: neither answered nor failed by the
    /// server, so they are counted apart from `errors`.
    pub cut_off: u64,
    /// Redirects followed and not followed.
    pub redirects: RedirectStats,
    /// The run as a time series, with `--interval`; `None` without it. Its requests,
    /// responses and errors add up to this result's.
    pub intervals: Option<Intervals>,
    /// With `--start-at`: how far from the asked instant the measured run started (late
    /// when pre-connecting took longer, or the process started after the instant).
    pub start_skew: Option<SignedDuration>,
    /// Stream metrics (`--stream-metrics`); `None` when they were off.
    pub stream: Option<crate::stream::StreamStats>,
    /// WebSocket session metrics (`vastar ws`); `None` for HTTP runs.
    pub ws: Option<crate::ws::stats::WsStats>,
}

/// A duration before or after a reference instant, in nanoseconds: positive is after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct SignedDuration {
    pub nanos: i64,
}

impl SignedDuration {
    /// `d` after the reference.
    pub fn late(d: Duration) -> SignedDuration {
        SignedDuration {
            nanos: i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        }
    }

    /// `d` before the reference.
    pub fn early(d: Duration) -> SignedDuration {
        SignedDuration {
            nanos: -SignedDuration::late(d).nanos,
        }
    }

    /// In milliseconds, as reports show it.
    pub fn ms(self) -> f64 {
        self.nanos as f64 / 1e6
    }
}

impl RunResult {
    /// A result with nothing recorded yet, for workers (and tests) to merge into; sending
    /// spans the whole window until the caller says otherwise.
    pub fn empty(elapsed: Duration) -> RunResult {
        RunResult {
            params: Params::default(),
            started_at: SystemTime::UNIX_EPOCH,
            protocol: HTTP1,
            tls: None,
            elapsed,
            sending: elapsed,
            latency_ns: new_latency_histogram(),
            service_ns: None,
            late_sends: 0,
            send_lateness_ns: None,
            phases: Phases::default(),
            status_codes: BTreeMap::new(),
            errors: BTreeMap::new(),
            body_bytes: 0,
            connections: ConnStats::default(),
            interrupted: false,
            cut_off: 0,
            redirects: RedirectStats::default(),
            intervals: None,
            start_skew: None,
            stream: None,
            ws: None,
        }
    }

    /// Requests that got a complete response, whatever its status.
    pub fn responses(&self) -> u64 {
        self.status_codes.values().sum()
    }

    /// Requests that produced no response.
    pub fn failures(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Every request attempted: each one is a response, exactly one error, or cut off by an
    /// interruption.
    pub fn requests(&self) -> u64 {
        self.responses() + self.failures() + self.cut_off
    }
}

/// Bounds of the latency histogram: 1 ns to one hour, three significant digits.
pub const LATENCY_MAX_NS: u64 = 3_600_000_000_000;

/// A latency histogram with the layout every recorder and merger shares: 1 ns up, three
/// significant digits, values recorded through [`record_latency`] saturating at
/// [`LATENCY_MAX_NS`].
///
/// It starts with the first bucket only (16 KiB, values under 2 µs) and grows a bucket at a
/// time as slower values arrive, so it holds what the run's slowest value needs (about
/// 130 KiB up to 30 ms). Made full-range at once it was 264 KiB, all of it written with
/// zeros on creation, and so resident: per worker, per result and per stream or WebSocket
/// distribution. Growth allocates, but at most once per doubling of the slowest value so
/// far, never per request. Record through [`record_latency`]: hdrhistogram's
/// `saturating_record` would clamp to the top the histogram has reached so far.
pub fn new_latency_histogram() -> Histogram<u64> {
    let mut hist =
        Histogram::new_with_bounds(1, 2, 3).expect("constant histogram bounds are valid");
    hist.auto(true);
    hist
}

/// Records `ns` into a histogram from [`new_latency_histogram`], saturating at
/// [`LATENCY_MAX_NS`] (an hour), so it never grows past the layout of a full-range one.
#[inline]
pub fn record_latency(hist: &mut Histogram<u64>, ns: u64) {
    // A growing histogram fails only when its counts outgrow `usize`, which values up to
    // an hour cannot make it do.
    let _ = hist.record(ns.min(LATENCY_MAX_NS));
}
