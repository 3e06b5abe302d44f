//! The report model: every number a renderer needs, computed once from a run.
//!
//! Renderers only format; they never compute a percentile or divide by the elapsed time, so the
//! text and JSON reports cannot disagree. Times are kept as `Duration` here; each renderer
//! picks its unit.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::bins::bins;
pub use super::bins::{Bin, HistScale, LevelScale, LEVEL_QUANTILES};
use super::insight::Insight;
use super::intervals::IntervalsView;
use super::schedule::{send_lateness, service_time, Schedule};
use crate::engine::result::{ConnStats, ErrorKind, PhaseStats, RedirectStats, RunResult};
pub use crate::results::params::Params;
use crate::slo::{self, LatencyGate, Measurements, SloOutcome};
pub use ws::WsView;

pub mod ws;

/// The darkest color level; levels run `0..=MAX_LEVEL`, one per step of the gradient.
pub const MAX_LEVEL: u8 = 10;

/// Knobs of the report that are not part of the run itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// Number of histogram bars; 11 like the original tool (hey uses 10 + 1 marks).
    pub hist_bins: usize,
    /// How the bars' edges are spaced; log by default (see [`HistScale::Log`]).
    pub hist_scale: HistScale,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            hist_bins: 11,
            hist_scale: HistScale::Log,
        }
    }
}

/// The percentiles every report shows, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantile {
    P10,
    P25,
    P50,
    P75,
    P90,
    P95,
    P99,
    P99_9,
    P99_99,
}

impl Quantile {
    /// Every reported quantile, in display order (the index is the discriminant).
    pub const ALL: [Quantile; 9] = [
        Quantile::P10,
        Quantile::P25,
        Quantile::P50,
        Quantile::P75,
        Quantile::P90,
        Quantile::P95,
        Quantile::P99,
        Quantile::P99_9,
        Quantile::P99_99,
    ];

    /// The quantile as a fraction, as `value_at_quantile` wants it.
    pub fn fraction(self) -> f64 {
        match self {
            Quantile::P10 => 0.10,
            Quantile::P25 => 0.25,
            Quantile::P50 => 0.50,
            Quantile::P75 => 0.75,
            Quantile::P90 => 0.90,
            Quantile::P95 => 0.95,
            Quantile::P99 => 0.99,
            Quantile::P99_9 => 0.999,
            Quantile::P99_99 => 0.9999,
        }
    }

    /// Whether the text report highlights this one: the four people quote in SLOs.
    pub fn highlighted(self) -> bool {
        matches!(
            self,
            Quantile::P50 | Quantile::P95 | Quantile::P99 | Quantile::P99_9
        )
    }
}

/// One row of the response time distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentile {
    pub quantile: Quantile,
    pub value: Duration,
    /// Color level of `value` on the run's [`LevelScale`].
    pub level: u8,
}

/// Latency statistics; only exists when at least one response arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latency {
    pub fastest: Duration,
    pub slowest: Duration,
    pub mean: Duration,
    /// One entry per [`Quantile::ALL`], in that order.
    pub percentiles: [Percentile; 9],
}

impl Latency {
    /// The value at one of the reported quantiles.
    pub fn at(&self, quantile: Quantile) -> Duration {
        self.percentiles[quantile as usize].value
    }
}

/// Headline counts and rates.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The HTTP version spoken, in ALPN's spelling (`http/1.1`).
    pub protocol: &'static str,
    /// The TLS version spoken (`TLSv1.3`); `None` over plain TCP.
    pub tls: Option<&'static str>,
    /// Wall time of the measured phase: start to the last response or failure, drain
    /// included, so every counted response lies inside it.
    pub elapsed: Duration,
    /// Start to the last request sent; `elapsed` minus this is the drain of requests in
    /// flight when sending stopped.
    pub sending: Duration,
    /// Requests attempted: responses, failures and requests cut off by an interruption.
    pub requests: u64,
    /// Responses of any status (a 500 is a successful measurement of a failing server).
    pub successful: u64,
    /// Requests that produced no response.
    pub failed: u64,
    /// Requests in flight when the run was interrupted: not the server's failures.
    pub cut_off: u64,
    /// The run was stopped early (Ctrl-C, SIGTERM): the numbers cover what was measured.
    pub interrupted: bool,
    /// Responses per second of `elapsed` (the same window that holds them); 0 when no time
    /// elapsed.
    pub rps: f64,
    /// Response body bytes received.
    pub bytes_total: u64,
    /// `bytes_total / successful`, 0 when there was no response.
    pub size_per_request: u64,
}

/// Average, fastest and slowest of one request phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseSummary {
    pub average: Duration,
    pub fastest: Duration,
    pub slowest: Duration,
}

impl PhaseSummary {
    /// `None` when the phase was never observed, so nobody reports a fake 0 ms.
    fn of(stats: &PhaseStats) -> Option<PhaseSummary> {
        Some(PhaseSummary {
            average: stats.mean()?,
            fastest: stats.min()?,
            slowest: stats.max()?,
        })
    }
}

/// Per-phase timing, like hey's "Details".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Details {
    pub connect: Option<PhaseSummary>,
    /// The TLS handshake, over `https://` only.
    pub tls: Option<PhaseSummary>,
    pub write: Option<PhaseSummary>,
    pub wait: Option<PhaseSummary>,
    pub read: Option<PhaseSummary>,
}

/// Everything the renderers show about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub params: Params,
    pub summary: Summary,
    /// `None` when no response arrived.
    pub latency: Option<Latency>,
    /// `None` when no response arrived.
    pub insight: Option<Insight>,
    /// Bins from fastest to slowest, spaced by `histogram_scale`; empty when no response
    /// arrived.
    pub histogram: Vec<Bin>,
    /// How the histogram's bin edges are spaced.
    pub histogram_scale: HistScale,
    /// Responses by status code, in code order.
    pub status_codes: BTreeMap<u16, u64>,
    /// Non-zero error counts, in [`ErrorKind::ALL`] order.
    pub errors: Vec<(ErrorKind, u64)>,
    pub details: Details,
    pub connections: ConnStats,
    /// Redirects followed, stopped at the limit, or pointing to another host.
    pub redirects: RedirectStats,
    /// The verdict on the run's `--slo` gates; `None` when no gate was given.
    pub slo: Option<SloOutcome>,
    /// The latency gate whose limit sets the color levels (histogram and percentiles);
    /// `None` when levels are relative to the run's own percentiles.
    pub colors_from: Option<LatencyGate>,
    /// How sending was paced; decides whether `latency` is response or service time.
    pub schedule: Schedule,
    /// Service time (from the actual send), when it differs from `latency` by construction.
    pub service: Option<Latency>,
    /// Open loop: how late sends left after their scheduled time; `None` otherwise or when
    /// nothing was sent.
    pub send_lateness: Option<Latency>,
    /// The `--interval` time series; `None` without `--interval`.
    pub intervals: Option<IntervalsView>,
    /// Stream metrics (`--stream-metrics`); `None` when they were off.
    pub stream: Option<super::stream::StreamView>,
    /// A WebSocket run's sessions, messages and distributions (`vastar ws`); `None` for an
    /// HTTP run. When present, the text report shows it instead of the HTTP layout.
    pub ws: Option<WsView>,
    /// The result everything above was computed from, kept whole: the JSON carries it
    /// exactly, so readers and `vastar merge` can recompute any of it.
    pub result: RunResult,
}

impl Report {
    /// Computes the report of one run from its result alone (the result carries its
    /// parameters and gates). Pure: the same inputs always give the same report.
    pub fn new(result: &RunResult, options: &ReportOptions) -> Report {
        Report::of(result.clone(), options)
    }

    /// [`Report::new`] for a caller that is done with the result: the report keeps it
    /// without a copy. A copy of its full-range latency histogram alone is 264 KiB written
    /// at the end of every run, the largest allocation of a small run's peak memory.
    pub fn of(result: RunResult, options: &ReportOptions) -> Report {
        let r = &result;
        let hist = &r.latency_ns;
        let colors_from = slo::color_anchor(&r.params.slo);
        let scale = colors_from.map_or_else(
            || LevelScale::relative(hist),
            |gate| LevelScale::around_limit(gate.limit),
        );
        let latency = latency(hist, &scale);
        let insight = latency.as_ref().map(|l| {
            Insight::new(
                l.at(Quantile::P50),
                l.at(Quantile::P95),
                l.at(Quantile::P99),
                l.at(Quantile::P99_9),
            )
        });
        let phases = &r.phases;
        let summary = summary(r);
        Report {
            params: r.params.clone(),
            slo: slo_outcome(r),
            colors_from,
            summary,
            latency,
            insight,
            histogram: bins(hist, options.hist_bins, options.hist_scale, &scale),
            histogram_scale: options.hist_scale,
            status_codes: r.status_codes.clone(),
            errors: ErrorKind::ALL
                .iter()
                .filter_map(|&k| Some((k, *r.errors.get(&k)?)).filter(|&(_, n)| n > 0))
                .collect(),
            schedule: Schedule::of(&r.params, r),
            service: service_time(r, &scale),
            send_lateness: send_lateness(r),
            details: Details {
                connect: PhaseSummary::of(&phases.connect),
                tls: PhaseSummary::of(&phases.tls),
                write: PhaseSummary::of(&phases.write),
                wait: PhaseSummary::of(&phases.wait),
                read: PhaseSummary::of(&phases.read),
            },
            connections: r.connections,
            redirects: r.redirects,
            intervals: r
                .intervals
                .as_ref()
                .map(|series| IntervalsView::new(series, r.elapsed)),
            stream: super::stream::StreamView::of(r),
            ws: WsView::of(r, r.params.ws.as_ref().map(|w| w.cadence)),
            result,
        }
    }
}

fn summary(result: &RunResult) -> Summary {
    let successful = result.responses();
    let secs = result.elapsed.as_secs_f64();
    Summary {
        protocol: result.protocol,
        tls: result.tls,
        elapsed: result.elapsed,
        sending: result.sending,
        requests: result.requests(),
        successful,
        failed: result.failures(),
        cut_off: result.cut_off,
        interrupted: result.interrupted,
        rps: if secs > 0.0 {
            successful as f64 / secs
        } else {
            0.0
        },
        bytes_total: result.body_bytes,
        size_per_request: result.body_bytes.checked_div(successful).unwrap_or(0),
    }
}

/// The verdict on the gates, checked against the same counts and rate as the summary's
/// (a WebSocket run's on its own terms: see [`Measurements::of`]).
fn slo_outcome(result: &RunResult) -> Option<SloOutcome> {
    let gates = &result.params.slo;
    (!gates.is_empty()).then(|| slo::evaluate(gates, &Measurements::of(result)))
}

/// Percentiles straight from `value_at_quantile`, which ranks by `ceil(q * n)`: for 100
/// samples, p50 is the 50th and p99 the 99th, with no off-by-one toward the slow side.
pub(crate) fn latency(hist: &Histogram<u64>, scale: &LevelScale) -> Option<Latency> {
    if hist.is_empty() {
        return None;
    }
    let percentiles = Quantile::ALL.map(|quantile| {
        let value = Duration::from_nanos(hist.value_at_quantile(quantile.fraction()));
        Percentile {
            quantile,
            value,
            level: scale.level(value),
        }
    });
    Some(Latency {
        fastest: Duration::from_nanos(hist.min()),
        slowest: Duration::from_nanos(hist.max()),
        mean: Duration::from_nanos(hist.mean().round() as u64),
        percentiles,
    })
}

#[cfg(test)]
mod tests;
