//! `vastar merge`: saved results in, the report of their union out.

use thiserror::Error;

use super::{exit_code, write_report, AppError};
use crate::cli::{HistScaleArg, MergeArgs, RunOutput};
use crate::report::model::{HistScale, Report, ReportOptions};
use crate::results::file::{self, ReadError, Saved};
use crate::results::merge::{self, MergeError};
use crate::slo::{self, Gate};

/// Why the files could not be merged; all are bad input (exit 2).
#[derive(Debug, Error)]
pub enum MergeFailure {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Merge(#[from] MergeError),
    #[error(transparent)]
    Slo(#[from] slo::SloError),
    #[error(
        "-o csv-intervals: the files carry no --interval series (run the parts with --interval)"
    )]
    NoIntervals,
    #[error(
        "the files were judged by different --slo gates ({first:?} and {other:?}); give --slo \
         to judge the merged result"
    )]
    DifferentGates { first: String, other: String },
    /// A `--slo` gate on a distribution the files do not have.
    #[error("{0}")]
    Gates(String),
}

/// Reads every file, merges, reports, and turns the verdict into the exit code.
pub fn run(args: &MergeArgs) -> Result<i32, AppError> {
    let mut saved: Vec<Saved> = Vec::new();
    for path in &args.files {
        saved.extend(file::read(path).map_err(MergeFailure::from)?);
    }
    let options = options(args, &saved);
    let gates = gates(args, &saved)?;
    let results: Vec<_> = saved.into_iter().map(|s| s.result).collect();
    let missing = merge::missing_segments(&results);
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
        eprintln!(
            "vastar: warning: segments {} are missing: the report covers part of the test",
            list.join(", ")
        );
    }
    let mut merged = merge::merge(results, args.force).map_err(MergeFailure::from)?;
    merged.params.slo = gates;
    if args.output == RunOutput::CsvIntervals && merged.intervals.is_none() {
        return Err(MergeFailure::NoIntervals.into());
    }
    let report = Report::new(&merged, &options);
    write_report(&report, args.output, args.color)?;
    Ok(exit_code(None, &report))
}

/// `--slo` when given; otherwise the gates every file was run with.
fn gates(args: &MergeArgs, saved: &[Saved]) -> Result<Vec<Gate>, MergeFailure> {
    if let Some(spec) = &args.slo {
        let gates = slo::parse(spec)?;
        let ws = saved.first().and_then(|s| s.result.ws.as_ref());
        let known = slo::distribution_names(ws.map(|ws| ws.ack_fields.as_slice()));
        if let Some(message) = slo::unknown_names(&gates, &known) {
            return Err(MergeFailure::Gates(message));
        }
        return Ok(gates);
    }
    let first = saved.first().map(|s| &s.result.params.slo);
    match saved.iter().find(|s| Some(&s.result.params.slo) != first) {
        Some(other) => Err(MergeFailure::DifferentGates {
            first: slo::spec(first.map_or(&[][..], Vec::as_slice)),
            other: slo::spec(&other.result.params.slo),
        }),
        None => Ok(first.cloned().unwrap_or_default()),
    }
}

/// The histogram as the first file drew it, unless the flags say otherwise.
fn options(args: &MergeArgs, saved: &[Saved]) -> ReportOptions {
    let first = saved.first();
    let default = ReportOptions::default();
    ReportOptions {
        hist_bins: args
            .hist_bins
            .or_else(|| first.and_then(|s| s.hist_bins))
            .unwrap_or(default.hist_bins),
        hist_scale: match args.hist_scale {
            Some(HistScaleArg::Log) => HistScale::Log,
            Some(HistScaleArg::Linear) => HistScale::Linear,
            None => first.map_or(default.hist_scale, |s| s.hist_scale),
        },
    }
}
