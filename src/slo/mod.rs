//! Service-level gates: the pass/fail verdict CI jobs turn into an exit code.
//!
//! A merge gate must be unambiguous, so this module is pure: [`parse`] turns the `--slo` spec
//! into typed [`Gate`]s (or one error naming the bad token), and [`evaluate`] checks them
//! against numbers the report already computed. Neither does I/O, reads a clock or knows
//! about rendering; the report shows the [`SloOutcome`] and `app` maps it to exit code 1.
//!
//! Invariants: a gate that cannot be measured (a latency gate when no response arrived, an
//! error-rate gate when no request was sent) fails, because nothing measured proves nothing.
//! Latency comparisons are made on whole nanoseconds and limits are parsed from their decimal
//! text, so a value exactly at the limit always passes.

mod measure;
mod named;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::ws::stats::WsStats;

pub use named::{distribution_names, unknown_names, NamedGate};
pub use parse::{parse, SloError};

/// A percentile rank, kept in hundredths of a percent so `p99.9` and `p99.90` are the same
/// gate and every allowed rank (p1 to p99.99) is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank(u16);

impl Rank {
    /// Lowest accepted rank, p1.
    pub const MIN: Rank = Rank(100);
    /// Highest accepted rank, p99.99 (the finest the latency histogram resolves).
    pub const MAX: Rank = Rank(9999);

    /// The rank of `hundredths` hundredths of a percent (9990 is p99.9), if within
    /// [`Rank::MIN`]..=[`Rank::MAX`].
    pub fn from_hundredths(hundredths: u16) -> Option<Rank> {
        (Rank::MIN.0..=Rank::MAX.0)
            .contains(&hundredths)
            .then_some(Rank(hundredths))
    }

    /// The rank as a quantile in 0..1, as `Histogram::value_at_quantile` wants it.
    pub fn quantile(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }
}

/// Prints the normalised gate name: `p50`, `p99.9`, `p99.99`.
impl fmt::Display for Rank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, hundredths) = (self.0 / 100, self.0 % 100);
        match (hundredths, hundredths % 10) {
            (0, _) => write!(f, "p{whole}"),
            (h, 0) => write!(f, "p{whole}.{}", h / 10),
            (h, _) => write!(f, "p{whole}.{h:02}"),
        }
    }
}

/// An upper bound on one latency percentile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyGate {
    /// Which percentile is bounded.
    pub rank: Rank,
    /// The largest acceptable latency at that percentile (inclusive).
    pub limit: Duration,
}

/// A streamed-response metric a gate can bound (see the `stream` module's definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamMetric {
    /// Time to first token.
    Ttft,
    /// Time per output token.
    Tpot,
    /// Inter-token latency (every gap, pooled).
    Itl,
    /// End to end, per streamed response.
    E2e,
}

impl StreamMetric {
    /// Every metric, in the order reports list them.
    pub const ALL: [StreamMetric; 4] = [
        StreamMetric::Ttft,
        StreamMetric::Tpot,
        StreamMetric::Itl,
        StreamMetric::E2e,
    ];

    /// The metric's name in a gate (`ttft_p99`) and in reports.
    pub fn name(self) -> &'static str {
        match self {
            StreamMetric::Ttft => "ttft",
            StreamMetric::Tpot => "tpot",
            StreamMetric::Itl => "itl",
            StreamMetric::E2e => "e2e",
        }
    }
}

/// An upper bound on one percentile of a stream metric (`ttft_p99=500ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamGate {
    /// Which metric is bounded.
    pub metric: StreamMetric,
    /// Which percentile of it.
    pub rank: Rank,
    /// The largest acceptable value at that percentile (inclusive).
    pub limit: Duration,
}

/// One condition a run must meet. `Clone`, not `Copy`: a named gate owns its name.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    /// `pN=DURATION`: the Nth percentile latency is at most the limit.
    Latency(LatencyGate),
    /// `errors=RATE`: failed requests / attempted requests is at most `max` (a fraction).
    ErrorRate {
        /// Largest acceptable failure fraction, 0..=1.
        max: f64,
    },
    /// `rps>=N`: responses per second (any status, as in the summary) is at least `min`.
    MinRps {
        /// Smallest acceptable throughput, in responses per second.
        min: f64,
    },
    /// `ttft_p99=DURATION` (and `tpot_`, `itl_`, `e2e_`): a stream metric's percentile is
    /// at most the limit. Needs `--stream-metrics`.
    Stream(StreamGate),
    /// `tokens_per_s>=N`: output tokens per second of elapsed time is at least `min`.
    MinTokensPerSec {
        /// Smallest acceptable token throughput.
        min: f64,
    },
    /// `goodput>=N`: streamed responses per second that met every per-request latency
    /// limit (see `stream::Limits`) is at least `min`.
    MinGoodput {
        /// Smallest acceptable goodput, in requests per second.
        min: f64,
    },
    /// `NAME_pN=DURATION`: a percentile of the distribution a WebSocket run names `NAME`
    /// (an `--ack-field`, or `upgrade`) is at most the limit (see [`NamedGate`]).
    Named(NamedGate),
}

impl Gate {
    /// The normalised left side of the spec token: `p99`, `p99.9`, `errors` or `rps`.
    pub fn name(&self) -> String {
        match self {
            Gate::Latency(g) => g.rank.to_string(),
            Gate::ErrorRate { .. } => "errors".to_string(),
            Gate::MinRps { .. } => "rps".to_string(),
            Gate::Stream(g) => format!("{}_{}", g.metric.name(), g.rank),
            Gate::MinTokensPerSec { .. } => "tokens_per_s".to_string(),
            Gate::MinGoodput { .. } => "goodput".to_string(),
            Gate::Named(g) => format!("{}_{}", g.name, g.rank),
        }
    }

    /// The limit in the gate's natural unit: milliseconds for a percentile, a fraction for
    /// errors, responses per second for rps (the units of the JSON report).
    pub fn limit(&self) -> f64 {
        match self {
            Gate::Latency(LatencyGate { limit, .. })
            | Gate::Stream(StreamGate { limit, .. })
            | Gate::Named(NamedGate { limit, .. }) => limit.as_nanos() as f64 / 1e6,
            Gate::ErrorRate { max } => *max,
            Gate::MinRps { min } | Gate::MinTokensPerSec { min } | Gate::MinGoodput { min } => *min,
        }
    }
}

/// The gates as one `--slo` spec that [`parse`] reads back to the same gates
/// (`p99=250ms,errors=0.001,rps>=5000`): how a saved result keeps the gates it was judged by.
pub fn spec(gates: &[Gate]) -> String {
    let token = |gate: &Gate| match gate {
        Gate::Latency(LatencyGate { limit, .. })
        | Gate::Stream(StreamGate { limit, .. })
        | Gate::Named(NamedGate { limit, .. }) => {
            let ns = limit.as_nanos();
            let name = gate.name();
            match (ns % 1_000_000, ns % 1_000) {
                (0, _) => format!("{name}={}ms", ns / 1_000_000),
                (_, 0) => format!("{name}={}us", ns / 1_000),
                _ => format!("{name}={ns}ns"),
            }
        }
        // `{}` prints the shortest decimal that parses back to the same f64.
        Gate::ErrorRate { max } => format!("errors={max}"),
        Gate::MinRps { min } => format!("rps>={min}"),
        Gate::MinTokensPerSec { min } => format!("tokens_per_s>={min}"),
        Gate::MinGoodput { min } => format!("goodput>={min}"),
    };
    gates.iter().map(token).collect::<Vec<_>>().join(",")
}

/// Prints the gate as a condition, the way the text report shows it: `p99 <= 250 ms`,
/// `errors <= 0.1%`, `rps >= 5000`.
impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gate::Latency(g) => write!(f, "{} <= {} ms", g.rank, decimal(self.limit(), 6)),
            Gate::ErrorRate { max } => write!(f, "errors <= {}%", decimal(max * 100.0, 6)),
            Gate::MinRps { min } => write!(f, "rps >= {}", decimal(*min, 3)),
            Gate::Stream(g) => write!(
                f,
                "{} {} <= {} ms",
                g.metric.name(),
                g.rank,
                decimal(self.limit(), 6)
            ),
            Gate::MinTokensPerSec { min } => write!(f, "tokens/s >= {}", decimal(*min, 3)),
            Gate::MinGoodput { min } => write!(f, "goodput >= {} req/s", decimal(*min, 3)),
            Gate::Named(g) => write!(
                f,
                "{} {} <= {} ms",
                g.name,
                g.rank,
                decimal(self.limit(), 6)
            ),
        }
    }
}

/// `value` with at most `max_decimals` decimals and no trailing zeros (`0.1`, `250`), so
/// limits read as the user wrote them despite binary floating point.
fn decimal(value: f64, max_decimals: usize) -> String {
    let s = format!("{value:.max_decimals$}");
    match s.contains('.') {
        true => s.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => s,
    }
}

/// What the gates are checked against: a borrowed view of one run, with the counts and rate
/// exactly as the report's summary computed them, so the verdict and the report agree.
/// [`Measurements::of`] builds it from a result, for HTTP and WebSocket runs alike.
#[derive(Debug, Clone, Copy)]
pub struct Measurements<'a> {
    /// Latency of every response, in nanoseconds; a WebSocket run's echo round trip.
    pub latency_ns: &'a Histogram<u64>,
    /// Requests attempted (responses plus failures); a WebSocket run's messages attempted.
    pub requests: u64,
    /// Requests that produced no response; for a WebSocket run every error, failed sends
    /// and the failures sessions met between sends alike.
    pub failed: u64,
    /// Responses per second of elapsed time.
    pub rps: f64,
    /// Stream metrics; `None` when they were off (every stream gate then fails).
    pub stream: Option<StreamMeasurements<'a>>,
    /// A WebSocket run's stats, whose distributions [`Gate::Named`] gates look up by name;
    /// `None` for HTTP runs (every named gate then fails).
    pub ws: Option<&'a WsStats>,
}

/// What stream gates are checked against, as the report computed it.
#[derive(Debug, Clone, Copy)]
pub struct StreamMeasurements<'a> {
    /// Time to first token, in nanoseconds.
    pub ttft_ns: &'a Histogram<u64>,
    /// Time per output token, in nanoseconds.
    pub tpot_ns: &'a Histogram<u64>,
    /// Inter-token latency, in nanoseconds.
    pub itl_ns: &'a Histogram<u64>,
    /// End to end, in nanoseconds.
    pub e2e_ns: &'a Histogram<u64>,
    /// Output tokens per second of elapsed time.
    pub tokens_per_s: f64,
    /// Good streamed responses per second of elapsed time.
    pub goodput_rps: f64,
}

impl<'a> StreamMeasurements<'a> {
    /// The histogram of `metric`.
    pub fn histogram(&self, metric: StreamMetric) -> &'a Histogram<u64> {
        match metric {
            StreamMetric::Ttft => self.ttft_ns,
            StreamMetric::Tpot => self.tpot_ns,
            StreamMetric::Itl => self.itl_ns,
            StreamMetric::E2e => self.e2e_ns,
        }
    }
}

/// The verdict on one gate.
#[derive(Debug, Clone, PartialEq)]
pub struct GateResult {
    /// The gate checked; its [`Gate::name`] and [`Gate::limit`] go into the JSON report.
    pub gate: Gate,
    /// The measured value in the gate's natural unit (see [`Gate::limit`]); `None` when it
    /// could not be measured (no response for a percentile, no request for errors).
    pub measured: Option<f64>,
    /// Whether the run met the gate; always false when nothing was measured.
    pub passed: bool,
}

/// The verdict on every gate of a run, in the order they were given.
#[derive(Debug, Clone, PartialEq)]
pub struct SloOutcome {
    /// True when every gate passed.
    pub passed: bool,
    /// One result per gate.
    pub gates: Vec<GateResult>,
}

/// Checks every gate against a run's measurements. Pure: same inputs, same verdict.
pub fn evaluate(gates: &[Gate], run: &Measurements<'_>) -> SloOutcome {
    let gates: Vec<GateResult> = gates.iter().map(|gate| check(gate, run)).collect();
    SloOutcome {
        passed: gates.iter().all(|g| g.passed),
        gates,
    }
}

fn check(gate: &Gate, run: &Measurements<'_>) -> GateResult {
    let (measured, passed) = match *gate {
        Gate::Latency(_) if run.latency_ns.is_empty() => (None, false),
        Gate::Latency(g) => {
            let ns = run.latency_ns.value_at_quantile(g.rank.quantile());
            (Some(ns as f64 / 1e6), u128::from(ns) <= g.limit.as_nanos())
        }
        Gate::ErrorRate { .. } if run.requests == 0 => (None, false),
        Gate::ErrorRate { max } => {
            let rate = run.failed as f64 / run.requests as f64;
            (Some(rate), rate <= max)
        }
        Gate::MinRps { min } => (Some(run.rps), run.rps >= min),
        Gate::Stream(g) => {
            percentile_within(run.stream.map(|s| s.histogram(g.metric)), g.rank, g.limit)
        }
        Gate::MinTokensPerSec { min } => match run.stream {
            Some(s) => (Some(s.tokens_per_s), s.tokens_per_s >= min),
            None => (None, false),
        },
        Gate::MinGoodput { min } => match run.stream {
            Some(s) => (Some(s.goodput_rps), s.goodput_rps >= min),
            None => (None, false),
        },
        Gate::Named(ref g) => percentile_within(
            run.ws.and_then(|ws| ws.distribution(&g.name)),
            g.rank,
            g.limit,
        ),
    };
    GateResult {
        gate: gate.clone(),
        measured,
        passed,
    }
}

/// Checks one percentile of a histogram (in ns) against a limit; an absent or empty
/// histogram cannot be measured, so it fails.
fn percentile_within(
    hist: Option<&Histogram<u64>>,
    rank: Rank,
    limit: Duration,
) -> (Option<f64>, bool) {
    match hist.filter(|h| !h.is_empty()) {
        None => (None, false),
        Some(h) => {
            let ns = h.value_at_quantile(rank.quantile());
            (Some(ns as f64 / 1e6), u128::from(ns) <= limit.as_nanos())
        }
    }
}

/// The latency gate whose limit anchors the histogram colors: the one on the highest
/// percentile, since the tail is what the colors are there to show. `None` without latency
/// gates, in which case colors stay relative to the run.
pub fn color_anchor(gates: &[Gate]) -> Option<LatencyGate> {
    gates
        .iter()
        .filter_map(|g| match g {
            Gate::Latency(l) => Some(*l),
            _ => None,
        })
        .max_by_key(|l| l.rank)
}
