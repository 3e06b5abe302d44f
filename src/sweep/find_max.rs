//! The capacity search (`--find-max`): the highest load that still passes the SLO.
//!
//! Probe exponentially (×2) from `--start` until a level fails or `--ceiling` passes, then
//! bisect between the last pass and the first fail until the bracket is narrower than
//! `--resolution` of its lower end (or, by c, one connection wide). With `--repeats N` a
//! level's verdict is the majority of its runs (a tie fails: an SLO is a promise), and a
//! level whose runs disagreed is flagged. The answer names the bracket, the gate that failed
//! at its upper end (the binding constraint, the one furthest past its limit) and whether
//! the boundary is a smooth degradation or a cliff: errors or p99 jumping by more than
//! [`CLIFF_FACTOR`] between the bracket's two levels.

use super::config::{FindMaxConfig, SearchBy, SweepConfig};
use super::curve::at_concurrency;
use super::model::SweepReport;
use super::point::{median, Measurement};
use super::run::Runner;
use super::SweepError;
use crate::config::RunConfig;
use crate::engine::result::RunResult;
use crate::slo::{self, Gate, Measurements};

/// A boundary is a cliff when p99 or the error rate grows by more than this factor from
/// the last passing level to the first failing one.
pub const CLIFF_FACTOR: f64 = 3.0;
/// Error rates below this count as this much when comparing them (0 to 0.01% is no cliff).
const ERROR_FLOOR: f64 = 0.001;

/// One gate at one probe: the median measured value and the majority verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct GateValue {
    pub gate: Gate,
    /// `None` when no run of the probe could measure it.
    pub measured: Option<f64>,
    pub passed: bool,
}

/// One probed level, in the order probed.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Connections (by c) or requests per second (by rate).
    pub level: u64,
    /// Runs, and how many of them passed every gate.
    pub runs: usize,
    pub passes: usize,
    /// The majority verdict.
    pub passed: bool,
    pub gates: Vec<GateValue>,
    /// Median numbers of the runs, `None` without any response.
    pub measured: Option<Measurement>,
    /// By rate: scheduled sends that found no free connection in time, over all runs; the
    /// `-c` cap, not the target, held them back.
    pub late_sends: u64,
}

impl Probe {
    /// Whether the runs of this probe did not all agree.
    pub fn disagreed(&self) -> bool {
        self.passes != 0 && self.passes != self.runs
    }
}

/// Smooth degradation or a cliff at the capacity boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    Smooth,
    Cliff,
}

/// The answer of a capacity search.
#[derive(Debug, Clone, PartialEq)]
pub struct FindMax {
    pub by: SearchBy,
    pub max_passing: Option<u64>,
    /// `None` when even the largest probe passed.
    pub first_failing: Option<u64>,
    /// The gate furthest past its limit at `first_failing`.
    pub binding_gate: Option<String>,
    /// `None` without a bracket (nothing passed, or nothing failed).
    pub boundary: Option<Boundary>,
    pub probes: Vec<Probe>,
}

/// Runs the search and returns the report.
pub fn search(
    config: &SweepConfig,
    fm: &FindMaxConfig,
    runner: &mut Runner,
) -> Result<SweepReport, SweepError> {
    let mut search = Search {
        config,
        fm,
        probes: Vec::new(),
    };
    let bracket = search.run(runner)?;
    let (max_passing, first_failing) = bracket;
    let at =
        |level: Option<u64>| level.and_then(|l| search.probes.iter().rev().find(|p| p.level == l));
    let (pass_probe, fail_probe) = (at(max_passing), at(first_failing));
    let mut notes = vec![format!("repeats={}", config.repeats)];
    let disagreed: Vec<String> = search
        .probes
        .iter()
        .filter(|p| p.disagreed())
        .map(|p| format!("{}={}/{}", p.level, p.passes, p.runs))
        .collect();
    let late: Vec<String> = search
        .probes
        .iter()
        .filter(|p| p.late_sends > 0)
        .map(|p| p.level.to_string())
        .collect();
    if !late.is_empty() {
        notes.push(format!(
            "late sends at rate={}: the -c cap of {} connections could not keep the schedule there; raise -c",
            late.join(","),
            config.base.concurrency
        ));
    }
    if !disagreed.is_empty() {
        notes.push(format!(
            "repeats disagreed at {} (passes/runs)",
            disagreed.join(", ")
        ));
    }
    let result = FindMax {
        by: fm.by,
        max_passing,
        first_failing,
        binding_gate: fail_probe.and_then(binding_gate),
        boundary: pass_probe.zip(fail_probe).map(|(p, f)| boundary(p, f)),
        probes: search.probes.clone(),
    };
    Ok(SweepReport {
        find_max: Some(result),
        ..SweepReport::bare(notes, runner.interrupt_exit_code())
    })
}

struct Search<'a> {
    config: &'a SweepConfig,
    fm: &'a FindMaxConfig,
    probes: Vec<Probe>,
}

impl Search<'_> {
    /// The bracket found by probing levels with [`bracket`].
    fn run(&mut self, runner: &mut Runner) -> Result<(Option<u64>, Option<u64>), SweepError> {
        let fm = self.fm;
        bracket(fm.start, fm.ceiling, fm.resolution, |level| {
            self.probe(runner, level)
        })
    }

    /// Runs one level `repeats` times; `None` when interrupted.
    fn probe(&mut self, runner: &mut Runner, level: u64) -> Result<Option<bool>, SweepError> {
        let config = self.level_config(level);
        let mut runs = Vec::new();
        for _ in 0..self.config.repeats {
            match runner.measure(&config) {
                Ok(Some(result)) => runs.push(result),
                Ok(None) => return Ok(None),
                Err(e) if self.probes.is_empty() => return Err(e.into()),
                // Past the first probe, a level that cannot run fails: it is more than we
                // can load, which is an answer too.
                Err(_) => runs.push(RunResult::empty(std::time::Duration::from_nanos(1))),
            }
        }
        let probe = judge(level, &runs, &self.fm.slo);
        runner.progress(&format!(
            "probe {}={level} {} ({}/{} runs passed)",
            self.fm.by.name(),
            if probe.passed { "pass" } else { "fail" },
            probe.passes,
            probe.runs
        ));
        let passed = probe.passed;
        self.probes.push(probe);
        Ok(Some(passed))
    }

    fn level_config(&self, level: u64) -> RunConfig {
        let c = usize::try_from(level).unwrap_or(usize::MAX);
        match self.fm.by {
            SearchBy::Concurrency => at_concurrency(&self.config.base, c),
            SearchBy::Rate => {
                let mut config = self.config.base.clone();
                config.rate = Some(level as f64);
                config
            }
        }
    }
}

/// Exponential probing (×2 from `start`, capped at `ceiling`) until a level fails, then
/// bisection until the bracket is narrower than `resolution` of its lower end or one unit
/// wide. `probe` answers pass/fail, or `None` when interrupted (the search stops there).
/// Returns (max passing, first failing).
pub fn bracket<E>(
    start: f64,
    ceiling: f64,
    resolution: f64,
    mut probe: impl FnMut(u64) -> Result<Option<bool>, E>,
) -> Result<(Option<u64>, Option<u64>), E> {
    let ceiling = (ceiling.round() as u64).max(1);
    let mut level = (start.round() as u64).clamp(1, ceiling);
    let (mut pass, mut fail) = (None, None);
    while fail.is_none() {
        match probe(level)? {
            None => return Ok((pass, fail)),
            Some(true) => pass = Some(level),
            Some(false) => fail = Some(level),
        }
        if level >= ceiling {
            break;
        }
        level = level.saturating_mul(2).min(ceiling);
    }
    while let (Some(lo), Some(hi)) = (pass, fail) {
        if hi - lo <= 1 || (hi - lo) as f64 <= lo as f64 * resolution {
            break;
        }
        let mid = lo + (hi - lo) / 2;
        match probe(mid)? {
            None => break,
            Some(true) => pass = Some(mid),
            Some(false) => fail = Some(mid),
        }
    }
    Ok((pass, fail))
}

/// The verdict on one level from its runs.
fn judge(level: u64, runs: &[RunResult], gates: &[Gate]) -> Probe {
    let outcomes: Vec<_> = runs
        .iter()
        .map(|r| slo::evaluate(gates, &Measurements::of(r)))
        .collect();
    let majority = |n: usize| n * 2 > runs.len();
    let passes = outcomes.iter().filter(|o| o.passed).count();
    let gate_values = gates
        .iter()
        .enumerate()
        .map(|(i, gate)| {
            let values: Vec<f64> = outcomes
                .iter()
                .filter_map(|o| o.gates[i].measured)
                .collect();
            GateValue {
                gate: gate.clone(),
                measured: (!values.is_empty()).then(|| median(values)),
                passed: majority(outcomes.iter().filter(|o| o.gates[i].passed).count()),
            }
        })
        .collect();
    let measured: Vec<Measurement> = runs.iter().filter_map(Measurement::of).collect();
    Probe {
        level,
        runs: runs.len(),
        passes,
        passed: majority(passes),
        gates: gate_values,
        measured: Measurement::median(&measured),
        late_sends: runs.iter().map(|r| r.late_sends).sum(),
    }
}

/// The failed gate furthest past its limit (an unmeasurable gate is infinitely far). A probe
/// can fail by majority over repeats while each gate passes by majority (one run fails p99,
/// another errors); the gate nearest its limit then binds.
fn binding_gate(probe: &Probe) -> Option<String> {
    let excess = |g: &GateValue| match (&g.gate, g.measured) {
        (_, None) => f64::INFINITY,
        (
            Gate::MinRps { min } | Gate::MinTokensPerSec { min } | Gate::MinGoodput { min },
            Some(m),
        ) => min / m.max(1e-9),
        (_, Some(m)) => m / g.gate.limit().max(1e-12),
    };
    let furthest = |failed_only: bool| {
        probe
            .gates
            .iter()
            .filter(|g| !failed_only || !g.passed)
            .max_by(|a, b| excess(a).total_cmp(&excess(b)))
    };
    furthest(true)
        .or_else(|| furthest(false))
        .map(|g| g.gate.name())
}

/// Cliff when p99 or the error rate jumps by more than [`CLIFF_FACTOR`] across the bracket.
fn boundary(pass: &Probe, fail: &Probe) -> Boundary {
    let (Some(p), Some(f)) = (pass.measured, fail.measured) else {
        return Boundary::Cliff;
    };
    let errors = f.error_rate.max(ERROR_FLOOR) / p.error_rate.max(ERROR_FLOOR);
    let p99 = f.p99_ms / p.p99_ms.max(1e-6);
    if errors > CLIFF_FACTOR || p99 > CLIFF_FACTOR {
        Boundary::Cliff
    } else {
        Boundary::Smooth
    }
}

#[cfg(test)]
mod tests;
