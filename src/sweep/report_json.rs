//! The sweep's JSON document: wire types and a pure renderer.
//!
//! The contract is the seed's `schema_version` "1.0" (`params`, `machine`, `baseline`,
//! `sweep_points[]`, `sweet_spot`, `notes`, field names verbatim) plus additions: `tool`,
//! `interrupted`, per-point `phase`, the `paired` block and per-point `reference`,
//! `overhead_pct`, `rps_deficit_pct` (paired mode only, as the seed says), and the
//! `find_max` block (capacity search only). `schema/sweep.schema.json` describes it; these
//! structs also read a saved document back for `--ref-from-json`. Never rename or remove a
//! field: scripts parse this.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::config::{Reference, SearchBy, SweepConfig};
use super::find_max::{Boundary, FindMax, Probe, CLIFF_FACTOR};
use super::model::SweepReport;
use super::point::{Measurement, Phase, Point};
use crate::config::StopAt;

/// The version of this document's schema.
pub const SCHEMA_VERSION: &str = "1.0";

/// The whole document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepJson {
    pub schema_version: String,
    pub tool: ToolJson,
    pub params: ParamsJson,
    pub machine: MachineJson,
    /// The calibration run; null in a capacity search.
    pub baseline: Option<BaselineJson>,
    pub sweep_points: Vec<PointJson>,
    /// Null when every level was disqualified (exit 1) or in a capacity search.
    pub sweet_spot: Option<SweetSpotJson>,
    pub notes: Vec<String>,
    /// True when Ctrl-C cut the sweep short (exit 130).
    pub interrupted: bool,
    /// Paired mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<PairedJson>,
    /// Capacity search only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub find_max: Option<FindMaxJson>,
}

/// Which program wrote the document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ToolJson {
    pub name: String,
    pub version: String,
}

/// What the sweep was asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsJson {
    /// Target URL, any password hidden.
    pub url: String,
    pub method: String,
    pub baseline_c: usize,
    /// `knee` or `score`.
    pub pick: String,
    pub knee_ratio: f64,
    /// The `--conc` spec as given.
    pub conc: String,
    pub repeats: usize,
    pub refine: bool,
    pub max_spread: f64,
    pub max_p999_ratio: f64,
    pub max_errors: f64,
    pub max_tail_mult: f64,
    /// `-n` per level, null for duration levels.
    pub requests: Option<u64>,
    /// `-z` per level in seconds, null for request-count levels.
    pub duration_s: Option<f64>,
    /// Per-request timeout, null for none.
    pub timeout_s: Option<f64>,
    pub keepalive: bool,
    pub cooldown_s: f64,
}

/// Cores and memory; null when unknown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MachineJson {
    pub cpu_cores_physical: Option<u32>,
    pub cpu_cores_logical: Option<u32>,
    pub ram_mb: Option<u64>,
}

/// A level's numbers (the median over its repeats).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct MeasurementJson {
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub error_rate: f64,
}

/// The calibration run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineJson {
    pub concurrency: usize,
    #[serde(flatten)]
    pub measured: MeasurementJson,
}

/// One level. Numbers are null when no response arrived.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointJson {
    pub concurrency: usize,
    pub repeats: usize,
    /// `coarse` or `refine`.
    pub phase: String,
    pub rps: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    pub error_rate: Option<f64>,
    /// Why the level was disqualified (`spread=5.2`), null when it qualifies.
    pub disqualified: Option<String>,
    /// `rps / (p99/p50)^2`; null when disqualified.
    pub score: Option<f64>,
    /// Paired mode: the reference at this level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<MeasurementJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps_deficit_pct: Option<f64>,
}

/// The chosen level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweetSpotJson {
    pub concurrency: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// `knee` or `score`.
    pub method: String,
    pub reasoning: String,
    pub peak_rps: f64,
    pub peak_concurrency: usize,
}

/// Paired mode: the reference and the gates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairedJson {
    pub reference: ReferenceJson,
    /// The reference's calibration run.
    pub baseline: Option<BaselineJson>,
    pub max_overhead_pct: f64,
    pub max_rps_deficit_pct: f64,
}

/// Where the reference numbers came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceJson {
    pub url: String,
    pub method: String,
    /// `live` (measured before the target at each level) or `file` (`--ref-from-json`).
    pub source: String,
    /// The file, for `source: file`.
    pub file: Option<String>,
}

/// The capacity search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindMaxJson {
    /// `c` (closed loop, connections) or `rate` (open loop, requests per second).
    pub by: String,
    /// By rate: the connections that carry the schedule (`-c`); null by c.
    pub concurrency: Option<usize>,
    pub start: f64,
    pub ceiling: f64,
    pub resolution: f64,
    /// Highest level that passed; null when even the first probe failed.
    pub max_passing: Option<u64>,
    /// Lowest level that failed; null when even the largest probe passed.
    pub first_failing: Option<u64>,
    /// The gate furthest past its limit at `first_failing`.
    pub binding_gate: Option<String>,
    /// `smooth` or `cliff`; null without a bracket.
    pub boundary: Option<String>,
    /// p99 or error rate growing by more than this across the bracket makes a cliff.
    pub cliff_factor: f64,
    /// Every probe, in the order run.
    pub probes: Vec<ProbeJson>,
}

/// One probe of the capacity search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeJson {
    pub level: u64,
    pub passed: bool,
    pub runs: usize,
    pub passes: usize,
    /// True when the repeats did not all agree.
    pub disagreed: bool,
    pub rps: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub error_rate: Option<f64>,
    /// By rate: sends the `-c` cap held back (0 by c).
    pub late_sends: u64,
    pub gates: Vec<GateJson>,
}

/// One SLO gate at one probe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateJson {
    /// `p99`, `errors`, `rps`...
    pub gate: String,
    /// In the gate's unit: ms, a fraction, or responses per second.
    pub limit: f64,
    /// Median over the probe's runs; null when unmeasurable.
    pub measured: Option<f64>,
    pub passed: bool,
}

/// Writes the document, pretty-printed, with a trailing newline.
pub fn render(config: &SweepConfig, report: &SweepReport, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &wire(config, report))?;
    writeln!(out)
}

/// The wire form of a report.
pub fn wire(config: &SweepConfig, report: &SweepReport) -> SweepJson {
    SweepJson {
        schema_version: SCHEMA_VERSION.into(),
        tool: ToolJson {
            name: "vastar".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        params: params(config),
        machine: MachineJson {
            cpu_cores_physical: report.machine.cpu_cores_physical,
            cpu_cores_logical: report.machine.cpu_cores_logical,
            ram_mb: report.machine.ram_mb,
        },
        baseline: report.baseline.map(|m| baseline(config.baseline_c, m)),
        sweep_points: report.points.iter().map(point).collect(),
        sweet_spot: report.sweet_spot.as_ref().map(|s| SweetSpotJson {
            concurrency: s.concurrency,
            rps: s.measured.rps,
            p50_ms: s.measured.p50_ms,
            p99_ms: s.measured.p99_ms,
            method: s.method.name().into(),
            reasoning: s.reasoning.clone(),
            peak_rps: s.peak_rps,
            peak_concurrency: s.peak_concurrency,
        }),
        notes: report.notes.clone(),
        interrupted: report.interrupted.is_some(),
        paired: paired(config, report),
        find_max: report.find_max.as_ref().map(|f| find_max(config, f)),
    }
}

fn params(config: &SweepConfig) -> ParamsJson {
    let base = &config.base;
    let (requests, duration_s) = match base.stop {
        StopAt::Requests(n) => (Some(n), None),
        StopAt::Duration(d) => (None, Some(d.as_secs_f64())),
    };
    ParamsJson {
        url: base.target.display.clone(),
        method: base.request.method.clone(),
        baseline_c: config.baseline_c,
        pick: config.pick.name().into(),
        knee_ratio: config.knee_ratio,
        conc: config.conc_spec.clone(),
        repeats: config.repeats,
        refine: config.refine,
        max_spread: config.gates.max_spread,
        max_p999_ratio: config.gates.max_p999_ratio,
        max_errors: config.gates.max_errors,
        max_tail_mult: config.gates.max_tail_mult,
        requests,
        duration_s,
        timeout_s: base.timeout.map(|t| t.as_secs_f64()),
        keepalive: base.keepalive,
        cooldown_s: config.cooldown.as_secs_f64(),
    }
}

/// Wire form of a measurement.
pub fn measurement(m: Measurement) -> MeasurementJson {
    MeasurementJson {
        rps: m.rps,
        p50_ms: m.p50_ms,
        p95_ms: m.p95_ms,
        p99_ms: m.p99_ms,
        p999_ms: m.p999_ms,
        error_rate: m.error_rate,
    }
}

impl MeasurementJson {
    /// Back from the wire (for `--ref-from-json`).
    pub fn to_measurement(self) -> Measurement {
        Measurement {
            rps: self.rps,
            p50_ms: self.p50_ms,
            p95_ms: self.p95_ms,
            p99_ms: self.p99_ms,
            p999_ms: self.p999_ms,
            error_rate: self.error_rate,
        }
    }
}

fn baseline(concurrency: usize, m: Measurement) -> BaselineJson {
    BaselineJson {
        concurrency,
        measured: measurement(m),
    }
}

fn point(p: &Point) -> PointJson {
    let m = p.measured.map(measurement);
    PointJson {
        concurrency: p.concurrency,
        repeats: p.repeats,
        phase: match p.phase {
            Phase::Coarse => "coarse",
            Phase::Refine => "refine",
        }
        .into(),
        rps: m.map(|m| m.rps),
        p50_ms: m.map(|m| m.p50_ms),
        p95_ms: m.map(|m| m.p95_ms),
        p99_ms: m.map(|m| m.p99_ms),
        p999_ms: m.map(|m| m.p999_ms),
        error_rate: m.map(|m| m.error_rate),
        disqualified: p.disqualified.clone(),
        score: p.score(),
        reference: p.reference.map(measurement),
        overhead_pct: p.overhead_pct(),
        rps_deficit_pct: p.rps_deficit_pct(),
    }
}

fn paired(config: &SweepConfig, report: &SweepReport) -> Option<PairedJson> {
    let paired = config.paired.as_ref()?;
    let reference = match &paired.reference {
        Reference::Live(live) => ReferenceJson {
            url: live.target.display.clone(),
            method: live.request.method.clone(),
            source: "live".into(),
            file: None,
        },
        Reference::Cached(curve) => ReferenceJson {
            url: curve.url.clone(),
            method: curve.method.clone(),
            source: "file".into(),
            file: Some(curve.path.clone()),
        },
    };
    Some(PairedJson {
        reference,
        baseline: report
            .reference_baseline
            .map(|m| baseline(config.baseline_c, m)),
        max_overhead_pct: paired.max_overhead_pct,
        max_rps_deficit_pct: paired.max_rps_deficit_pct,
    })
}

fn find_max(config: &SweepConfig, f: &FindMax) -> FindMaxJson {
    let fm = config.find_max.as_ref();
    FindMaxJson {
        by: f.by.name().into(),
        concurrency: (f.by == SearchBy::Rate).then_some(config.base.concurrency),
        start: fm.map_or(0.0, |c| c.start),
        ceiling: fm.map_or(0.0, |c| c.ceiling),
        resolution: fm.map_or(0.0, |c| c.resolution),
        max_passing: f.max_passing,
        first_failing: f.first_failing,
        binding_gate: f.binding_gate.clone(),
        boundary: f.boundary.map(|b| match b {
            Boundary::Smooth => "smooth".into(),
            Boundary::Cliff => "cliff".into(),
        }),
        cliff_factor: CLIFF_FACTOR,
        probes: f.probes.iter().map(probe).collect(),
    }
}

fn probe(p: &Probe) -> ProbeJson {
    ProbeJson {
        level: p.level,
        passed: p.passed,
        runs: p.runs,
        passes: p.passes,
        disagreed: p.disagreed(),
        rps: p.measured.map(|m| m.rps),
        p50_ms: p.measured.map(|m| m.p50_ms),
        p99_ms: p.measured.map(|m| m.p99_ms),
        error_rate: p.measured.map(|m| m.error_rate),
        late_sends: p.late_sends,
        gates: p
            .gates
            .iter()
            .map(|g| GateJson {
                gate: g.gate.name(),
                limit: g.gate.limit(),
                measured: g.measured,
                passed: g.passed,
            })
            .collect(),
    }
}
