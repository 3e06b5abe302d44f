//! The sweet-spot sweep: calibrate, sweep the planned levels, refine, pick.
//!
//! Algorithm (ROADMAP Phase 0): one calibration run at `--baseline-c` defines this
//! endpoint's healthy tail; each planned level is measured (`--repeats` runs, median) and
//! tagged qualified or disqualified; `auto` stops once throughput has clearly peaked and the
//! tail has degraded; `--refine` brackets the winner with up to four more levels; the
//! sweet spot is picked over all of them with the same `--knee-ratio`. In paired mode the
//! reference is measured first at every level (or read from its cached curve).

use super::config::{PairedConfig, Reference, SweepConfig};
use super::machine::Machine;
use super::model::SweepReport;
use super::pick::{self, PairedGates};
use super::plan::{self, Plan};
use super::point::{Measurement, Phase, Point};
use super::run::Runner;
use super::SweepError;
use crate::config::{RunConfig, StopAt};
use crate::engine::EngineError;

/// The base run at concurrency `c` (never above `-n`).
pub fn at_concurrency(base: &RunConfig, c: usize) -> RunConfig {
    let mut config = base.clone();
    config.concurrency = match base.stop {
        StopAt::Requests(n) => c.min(usize::try_from(n).unwrap_or(usize::MAX)),
        StopAt::Duration(_) => c,
    };
    config
}

/// Runs the whole sweep and returns what it found.
pub fn sweep(config: &SweepConfig, runner: &mut Runner) -> Result<SweepReport, SweepError> {
    let mut notes = Vec::new();
    let calibration = measure_level(config, runner, config.baseline_c, Phase::Coarse)?;
    let Some(calibration) = calibration else {
        return Ok(SweepReport::bare(notes, runner.interrupt_exit_code()));
    };
    let Some(baseline) = calibration.measured else {
        return Err(SweepError::Unmeasurable(format!(
            "the calibration run at c={} got no response",
            config.baseline_c
        )));
    };
    runner.progress(&line(&calibration, "calibration"));
    let mut sweep = Levels {
        config,
        baseline,
        points: Vec::new(),
    };
    sweep.coarse(runner, &mut notes)?;
    if config.refine && !runner.interrupted() {
        sweep.refine(runner, &mut notes)?;
    }
    notes.extend(setting_notes(config));
    let Levels { points, .. } = sweep;
    let sweet_spot = pick::pick(&points, config.pick, config.knee_ratio);
    Ok(SweepReport {
        machine: Machine::detect(),
        baseline: Some(baseline),
        reference_baseline: calibration.reference,
        points,
        sweet_spot,
        notes,
        find_max: None,
        interrupted: runner.interrupt_exit_code(),
    })
}

/// The levels measured so far and what they are judged against.
struct Levels<'a> {
    config: &'a SweepConfig,
    baseline: Measurement,
    points: Vec<Point>,
}

impl Levels<'_> {
    /// Measures and judges level `c`; `false` when interrupted.
    fn measure(&mut self, runner: &mut Runner, c: usize, phase: Phase) -> Result<bool, SweepError> {
        let measured = match measure_level(self.config, runner, c, phase) {
            Ok(Some(point)) => point,
            Ok(None) => return Ok(false),
            // A level that cannot run (too few descriptors at this c, say) is a verdict on
            // that level, not the end of the sweep.
            Err(SweepError::Engine(e)) => failed(c, phase, &e),
            Err(e) => return Err(e),
        };
        let mut point = measured;
        if point.disqualified.is_none() {
            let paired = self.config.paired.as_ref().map(gates);
            point.disqualified =
                pick::disqualify(&point, &self.baseline, &self.config.gates, paired);
        }
        runner.progress(&line(&point, "level"));
        let at = self.points.partition_point(|p| p.concurrency < c);
        self.points.insert(at, point);
        Ok(true)
    }

    /// Whether some disqualified level measured more throughput than every qualified one.
    fn rps_still_rising(&self) -> bool {
        let best = |qualified: bool| {
            self.points
                .iter()
                .filter(|p| p.disqualified.is_none() == qualified)
                .filter_map(|p| p.measured.map(|m| m.rps))
                .fold(0.0, f64::max)
        };
        best(false) > best(true)
    }

    /// The planned levels, in order, until `auto` sees the peak (or a signal arrives).
    fn coarse(&mut self, runner: &mut Runner, notes: &mut Vec<String>) -> Result<(), SweepError> {
        for c in self.config.plan.levels() {
            if !self.measure(runner, c, Phase::Coarse)? {
                break;
            }
            if matches!(self.config.plan, Plan::Auto { .. }) && plan::auto_done(&self.points) {
                let why = match self.points.iter().any(|p| p.disqualified.is_none()) {
                    true if self.rps_still_rising() => {
                        "throughput peaked among qualified levels (disqualified ones measured \
                         more, but their tail is out of the gates) and the tail degraded"
                    }
                    true => "throughput peaked and the tail degraded",
                    false => "throughput peaked and the tail degraded, with no level qualified",
                };
                notes.push(format!("auto stopped after c={c}: {why}"));
                break;
            }
        }
        Ok(())
    }

    fn refine(&mut self, runner: &mut Runner, notes: &mut Vec<String>) -> Result<(), SweepError> {
        let Some(winner) = pick::pick(&self.points, self.config.pick, self.config.knee_ratio)
        else {
            notes.push("refine skipped: no qualified level".into());
            return Ok(());
        };
        let measured: Vec<usize> = self.points.iter().map(|p| p.concurrency).collect();
        let max = match self.config.base.stop {
            StopAt::Requests(n) => usize::try_from(n).unwrap_or(usize::MAX),
            StopAt::Duration(_) => plan::MAX_LEVEL,
        };
        let levels = plan::refine_levels(winner.concurrency, &measured, max);
        notes.push(format!(
            "refined around c={} with {:?}",
            winner.concurrency, levels
        ));
        for c in levels {
            if !self.measure(runner, c, Phase::Refine)? {
                break;
            }
        }
        Ok(())
    }
}

fn gates(paired: &PairedConfig) -> PairedGates {
    PairedGates {
        max_overhead_pct: paired.max_overhead_pct,
        max_rps_deficit_pct: paired.max_rps_deficit_pct,
    }
}

fn failed(c: usize, phase: Phase, e: &EngineError) -> Point {
    Point {
        concurrency: c,
        repeats: 0,
        phase,
        measured: None,
        reference: None,
        disqualified: Some(format!("failed: {e}")),
    }
}

/// Measures one level `repeats` times (reference first in live paired mode), median of
/// each; `Ok(None)` when interrupted.
fn measure_level(
    config: &SweepConfig,
    runner: &mut Runner,
    c: usize,
    phase: Phase,
) -> Result<Option<Point>, SweepError> {
    let (mut target, mut reference) = (Vec::new(), Vec::new());
    for _ in 0..config.repeats {
        if let Some(Reference::Live(live)) = config.paired.as_ref().map(|p| &p.reference) {
            let Some(run) = runner.measure(&at_concurrency(live, c))? else {
                return Ok(None);
            };
            reference.extend(Measurement::of(&run));
        }
        let Some(run) = runner.measure(&at_concurrency(&config.base, c))? else {
            return Ok(None);
        };
        target.extend(Measurement::of(&run));
    }
    let reference = match config.paired.as_ref().map(|p| &p.reference) {
        Some(Reference::Live(_)) => Measurement::median(&reference),
        Some(Reference::Cached(curve)) if c == curve.baseline_c => Some(curve.baseline),
        Some(Reference::Cached(curve)) => curve.at(c),
        None => None,
    };
    Ok(Some(Point {
        concurrency: c,
        repeats: config.repeats,
        phase,
        measured: Measurement::median(&target),
        reference,
        disqualified: None,
    }))
}

/// The progress line of one level.
fn line(point: &Point, what: &str) -> String {
    let verdict = point.disqualified.as_deref().unwrap_or("ok");
    match &point.measured {
        Some(m) => format!(
            "{what} c={} rps={:.0} p50={:.2}ms p99={:.2}ms {verdict}",
            point.concurrency, m.rps, m.p50_ms, m.p99_ms
        ),
        None => format!("{what} c={} {verdict}", point.concurrency),
    }
}

fn setting_notes(config: &SweepConfig) -> Vec<String> {
    let mut notes = vec![
        format!("repeats={}", config.repeats),
        format!("refine={}", if config.refine { "on" } else { "off" }),
    ];
    if !config.cooldown.is_zero() {
        notes.push(format!("cooldown={:?}", config.cooldown));
    }
    notes
}
