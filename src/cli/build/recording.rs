//! What a run records besides latency, and which share of a test it runs: `--interval`,
//! `--log-requests`, `--stream-metrics` and `--segment`, each checked here.

use std::time::Duration;

use super::{usage, UsageError};
use crate::cli::{RunArgs, RunOutput};
use crate::config::RunConfig;
use crate::engine::intervals::MIN_INTERVAL;
use crate::request_log::{RequestLog, CONNECTION_STRIDE};
use crate::slo;

/// `--interval`, and `-o csv-intervals`, which prints nothing without it.
pub(super) fn interval(args: &RunArgs) -> Result<Option<Duration>, UsageError> {
    match args.interval {
        Some(d) if d < MIN_INTERVAL => Err(usage(format!(
            "--interval must be at least {MIN_INTERVAL:?}, got {d:?}"
        ))),
        None if args.output == RunOutput::CsvIntervals => Err(usage(
            "-o csv-intervals prints the --interval time series: add --interval (e.g. --interval 1s)",
        )),
        other => Ok(other),
    }
}

/// Refuses stream gates in a run that does not measure streams: they would have nothing
/// to pass on.
pub fn check_stream(config: &RunConfig) -> Result<(), UsageError> {
    let stream_gate = config.slo.iter().find(|g| {
        matches!(
            g,
            slo::Gate::Stream(_) | slo::Gate::MinTokensPerSec { .. } | slo::Gate::MinGoodput { .. }
        )
    });
    match stream_gate {
        Some(gate) if !config.stream_metrics => Err(usage(format!(
            "--slo {} needs --stream-metrics",
            gate.name()
        ))),
        _ => Ok(()),
    }
}

/// This process's share of a total under `--segment` (the total itself without one); a
/// share of nothing is refused, since that process would measure nothing.
pub(super) fn segment_share(args: &RunArgs, flag: &str, total: u64) -> Result<u64, UsageError> {
    let Some(segment) = args.segment else {
        return Ok(total);
    };
    match segment.share(total) {
        0 => Err(usage(format!(
            "{flag} {total} split into {} segments leaves segment {segment} nothing; give at \
             least {} or use fewer segments",
            segment.count, segment.count
        ))),
        share => Ok(share),
    }
}

/// `--log-requests`: the file, created now, so that an unwritable path stops the run before
/// any load instead of after it.
pub(super) fn request_log(
    args: &RunArgs,
    config: &RunConfig,
) -> Result<Option<RequestLog>, UsageError> {
    let Some(path) = &args.log_requests else {
        return Ok(None);
    };
    // A worker's slots must fit below the next worker's connection ids.
    let slots = config.concurrency.saturating_mul(config.streams) as u64;
    if slots > CONNECTION_STRIDE {
        return Err(usage(format!(
            "--log-requests numbers at most {CONNECTION_STRIDE} requests in flight (-c x --streams), got {slots}"
        )));
    }
    RequestLog::create(path).map(Some).map_err(|e| {
        usage(format!(
            "cannot create --log-requests file {}: {e}",
            path.display()
        ))
    })
}
