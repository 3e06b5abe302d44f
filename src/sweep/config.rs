//! The validated description of a sweep: what `src/cli/build.rs` makes of the flags.
//!
//! Plain data, no clap and no I/O: the sweep engine, the pickers and the renderers read it,
//! and tests build it directly. Every value here is already checked.

use std::path::PathBuf;
use std::time::Duration;

use super::plan::Plan;
use super::point::Measurement;
use crate::config::RunConfig;
use crate::slo::Gate;

/// One sweep, fully described.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// The run every level starts from; each level only changes its concurrency (or rate).
    pub base: RunConfig,
    /// The `--conc` text as given, echoed in the report.
    pub conc_spec: String,
    /// Which concurrency levels the coarse sweep visits.
    pub plan: Plan,
    /// Runs per level; the level's numbers are the median of each metric.
    pub repeats: usize,
    /// Whether to bracket the coarse winner with more points.
    pub refine: bool,
    /// Concurrency of the calibration run that defines this endpoint's healthy tail.
    pub baseline_c: usize,
    /// How the sweet spot is chosen.
    pub pick: PickMode,
    /// Knee mode: the share of peak throughput the sweet spot must reach.
    pub knee_ratio: f64,
    /// When a level is disqualified.
    pub gates: DqGates,
    /// Pause between levels, so the target (and the kernel's socket tables) settle.
    pub cooldown: Duration,
    /// Paired (platform-overhead) mode; `None` for a single-endpoint sweep.
    pub paired: Option<PairedConfig>,
    /// Capacity search instead of a sweet-spot sweep; `None` for a sweep.
    pub find_max: Option<FindMaxConfig>,
    /// Where the results go.
    pub output: OutputConfig,
}

/// How the sweet spot is picked among qualified levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickMode {
    /// Smallest level reaching `knee_ratio` of peak throughput within the tail gate.
    Knee,
    /// Highest `rps / (p99/p50)^2`: throughput weighted by consistency squared.
    Score,
}

impl PickMode {
    /// The name used in JSON and text (`knee`, `score`).
    pub fn name(self) -> &'static str {
        match self {
            PickMode::Knee => "knee",
            PickMode::Score => "score",
        }
    }
}

/// Disqualification gates: a level failing one is never the sweet spot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DqGates {
    /// Largest acceptable `p99 / p50`.
    pub max_spread: f64,
    /// Largest acceptable `p99.9 / p50`.
    pub max_p999_ratio: f64,
    /// Largest acceptable failed share of requests (a fraction).
    pub max_errors: f64,
    /// Largest acceptable `p99 / baseline p99`.
    pub max_tail_mult: f64,
}

impl Default for DqGates {
    /// The seed's defaults: 4.0, 8.0, 0.01 and 3.0.
    fn default() -> Self {
        DqGates {
            max_spread: 4.0,
            max_p999_ratio: 8.0,
            max_errors: 0.01,
            max_tail_mult: 3.0,
        }
    }
}

/// Paired mode: the same levels against a reference (the upstream) and the target.
#[derive(Debug, Clone)]
pub struct PairedConfig {
    /// Where the reference numbers come from.
    pub reference: Reference,
    /// Disqualify when the target's p99 exceeds the reference's by more than this percent.
    pub max_overhead_pct: f64,
    /// Disqualify when the target's rps falls short of the reference's by more than this.
    pub max_rps_deficit_pct: f64,
}

/// The reference of a paired sweep.
#[derive(Debug, Clone)]
pub enum Reference {
    /// Measured live, before the target at each level: the base run pointed at `--vs`.
    Live(Box<RunConfig>),
    /// Loaded from an earlier `vastar sweep -o json` result (`--ref-from-json`).
    Cached(CachedCurve),
}

/// A reference curve read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedCurve {
    /// The file it came from, echoed in the report.
    pub path: String,
    /// The URL that file measured.
    pub url: String,
    /// Its method.
    pub method: String,
    /// The concurrency of its calibration run.
    pub baseline_c: usize,
    /// Its calibration run.
    pub baseline: Measurement,
    /// Its measured levels, by concurrency (ascending).
    pub points: Vec<(usize, Measurement)>,
}

impl CachedCurve {
    /// The cached numbers at exactly concurrency `c`.
    pub fn at(&self, c: usize) -> Option<Measurement> {
        self.points.iter().find(|(pc, _)| *pc == c).map(|(_, m)| *m)
    }
}

/// The capacity search (`--find-max`).
#[derive(Debug, Clone)]
pub struct FindMaxConfig {
    /// What is searched: connections or an open-loop arrival rate.
    pub by: SearchBy,
    /// First level probed.
    pub start: f64,
    /// Largest level probed; passing there ends the search with no failing level.
    pub ceiling: f64,
    /// Bisection stops when the bracket is narrower than this share of its lower end.
    pub resolution: f64,
    /// The SLO a level must pass.
    pub slo: Vec<Gate>,
}

/// The load dimension of a capacity search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchBy {
    /// Closed loop: the number of connections.
    Concurrency,
    /// Open loop: requests per second on a schedule, over the base run's connections.
    Rate,
}

impl SearchBy {
    /// The name used in JSON and text (`c`, `rate`).
    pub fn name(self) -> &'static str {
        match self {
            SearchBy::Concurrency => "c",
            SearchBy::Rate => "rate",
        }
    }
}

/// Where results are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputConfig {
    /// Print the JSON document on stdout instead of the text report.
    pub json_stdout: bool,
    /// Also write the JSON document to this file.
    pub json_path: Option<PathBuf>,
}
