//! `vastar sweep`: many runs of the engine in one process, and what they add up to.
//!
//! Two questions, one machinery. The sweet-spot sweep (ROADMAP Phase 0) asks which
//! concurrency gives most of the throughput with a healthy tail; the capacity search
//! (`--find-max`) asks for the highest load that still passes the SLO. Both call the engine
//! through one seam ([`run::Runner`]), judge levels with pure functions ([`pick`],
//! [`find_max`]) and render a [`model::SweepReport`] as text or JSON (schema
//! `schema/sweep.schema.json`).
//!
//! Module map: [`config`] (validated input), [`plan`] (the `--conc` levels), [`run`] (the
//! engine seam: cancel, cooldown, progress), [`point`] (a level reduced to numbers),
//! [`curve`] (calibrate, sweep, refine; paired mode), [`pick`] (gates, knee, score), [`paired`] (the cached reference),
//! [`find_max`] (capacity search), [`chart`], [`report_text`], [`report_json`].

pub mod chart;
pub mod config;
pub mod curve;
pub mod find_max;
pub mod machine;
pub mod model;
pub mod paired;
pub mod pick;
pub mod plan;
pub mod point;
pub mod report_json;
#[cfg(test)]
mod report_tests;
pub mod report_text;
pub mod run;

use std::io::Write;

use thiserror::Error;

pub use config::SweepConfig;
pub use model::{Outcome, SweepReport};

use crate::engine::EngineError;

/// Why a sweep ended without a report.
#[derive(Debug, Error)]
pub enum SweepError {
    /// Nothing could be measured (the target is unreachable, say).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Something measured, but nothing to compare against (no calibration response).
    #[error("{0}")]
    Unmeasurable(String),
    /// The report could not be written.
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
}

/// Runs the sweep (or the capacity search), writes its report, and says how it ended.
pub fn execute(config: &SweepConfig) -> Result<Outcome, SweepError> {
    // A sweep can take minutes: a --json-path that cannot be written fails before them.
    if let Some(path) = &config.output.json_path {
        std::fs::File::create(path).map_err(|e| json_path_error(path, e))?;
    }
    let mut runner = run::Runner::new(config.cooldown, max_connections(config));
    let report = match &config.find_max {
        Some(fm) => find_max::search(config, fm, &mut runner)?,
        None => curve::sweep(config, &mut runner)?,
    };
    emit(config, &report)?;
    Ok(report.outcome())
}

/// The most connections any level may open: the open-file limit is raised once for it.
fn max_connections(config: &SweepConfig) -> usize {
    let mut max = config.baseline_c.max(config.base.concurrency);
    max = max.max(config.plan.levels().into_iter().max().unwrap_or(0));
    if config.refine {
        max += max / 2;
    }
    if let Some(fm) = &config.find_max {
        if fm.by == config::SearchBy::Concurrency {
            max = max.max(fm.ceiling.round() as usize);
        }
    }
    max
}

/// The text table (or the JSON with `-o json`) on stdout, then the JSON to `--json-path` if
/// asked: a file that cannot be written no longer hides what was measured.
fn emit(config: &SweepConfig, report: &SweepReport) -> Result<(), SweepError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match config.output.json_stdout {
        true => report_json::render(config, report, &mut out),
        false => report_text::render(config, report, &mut out),
    }
    .and_then(|()| out.flush());
    match written {
        // A closed pipe (`vastar sweep ... | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.map_err(SweepError::Output)?,
    }
    if let Some(path) = &config.output.json_path {
        let mut bytes = Vec::new();
        report_json::render(config, report, &mut bytes).map_err(SweepError::Output)?;
        std::fs::write(path, bytes).map_err(|e| json_path_error(path, e))?;
    }
    Ok(())
}

fn json_path_error(path: &std::path::Path, e: std::io::Error) -> SweepError {
    SweepError::Output(std::io::Error::new(
        e.kind(),
        format!("--json-path {}: {e}", path.display()),
    ))
}
