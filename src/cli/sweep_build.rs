//! From `vastar sweep` flags to a validated [`SweepConfig`].
//!
//! The request flags go through the flat form's own builder ([`build::request_config`]), so
//! a sweep accepts exactly what a single run accepts. The only I/O is reading the `-D` body
//! and the `--ref-from-json` file.

use std::time::Duration;

use super::build::{self, UsageError};
use super::sweep::{ByArg, PickArg, SweepArgs};
use super::{ws_build, Output};
use crate::config::{RunConfig, StopAt};
use crate::sweep::config::{
    DqGates, FindMaxConfig, OutputConfig, PairedConfig, PickMode, Reference, SearchBy, SweepConfig,
};
use crate::sweep::paired;
use crate::sweep::plan::{self, Plan};

/// Connections that carry a `--find-max --by rate` schedule unless `-c` says otherwise.
pub const DEFAULT_RATE_CONNECTIONS: usize = 100;

/// Duration of each level when neither -n nor -z is given.
pub const DEFAULT_LEVEL_DURATION: Duration = Duration::from_secs(1);

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Validates the flags of `vastar sweep`.
pub fn sweep_config(args: &SweepArgs) -> Result<SweepConfig, UsageError> {
    let stop = match (args.requests, args.duration) {
        (Some(0), _) => return Err(usage("-n must be at least 1")),
        (Some(n), _) => StopAt::Requests(n),
        (None, Some(d)) => StopAt::Duration(d),
        (None, None) => StopAt::Duration(DEFAULT_LEVEL_DURATION),
    };
    let mut base = base_run(args, stop)?;
    base.reset_on_close = true;
    check_numbers(args)?;
    if let StopAt::Requests(n) = stop {
        if args.baseline_c as u64 > n {
            return Err(usage(format!(
                "--baseline-c {} goes above -n {n}: the calibration run sends -n requests, so its c may not exceed it",
                args.baseline_c
            )));
        }
    }
    let find_max = find_max(args, &base)?;
    stream_metrics(args, &mut base, find_max.as_ref())?;
    let mut config = SweepConfig {
        conc_spec: args.conc.clone().unwrap_or_else(|| "auto".into()),
        plan: plan(args, stop)?,
        repeats: args.repeats,
        refine: args.refine,
        baseline_c: args.baseline_c,
        pick: match args.pick {
            PickArg::Knee => PickMode::Knee,
            PickArg::Score => PickMode::Score,
        },
        knee_ratio: args.knee_ratio,
        gates: DqGates {
            max_spread: args.max_spread,
            max_p999_ratio: args.max_p999_ratio,
            max_errors: args.max_errors,
            max_tail_mult: args.max_tail_mult,
        },
        cooldown: args.cooldown.unwrap_or(Duration::ZERO),
        paired: None,
        find_max,
        output: OutputConfig {
            json_stdout: args.output == Output::Json,
            json_path: args.json_path.clone(),
        },
        base,
    };
    let by_rate = config
        .find_max
        .as_ref()
        .is_some_and(|fm| fm.by == SearchBy::Rate);
    match (by_rate, args.concurrency) {
        (true, c) => config.base.concurrency = c.unwrap_or(DEFAULT_RATE_CONNECTIONS),
        (false, Some(_)) => {
            return Err(usage(
                "-c applies to --find-max --by rate only: a sweep varies c itself (use --conc)",
            ))
        }
        (false, None) => {}
    }
    config.paired = paired_config(args, &mut config)?;
    Ok(config)
}

fn check_numbers(args: &SweepArgs) -> Result<(), UsageError> {
    if args.repeats == 0 || args.repeats > 100 {
        return Err(usage("--repeats must be between 1 and 100"));
    }
    if args.baseline_c == 0 {
        return Err(usage("--baseline-c must be at least 1"));
    }
    if args.concurrency == Some(0) {
        return Err(usage("-c must be at least 1"));
    }
    if args.find_max && args.conc.is_some() {
        return Err(usage(
            "--find-max chooses its own levels (--start, --ceiling, --resolution): it takes no --conc",
        ));
    }
    if !(args.knee_ratio > 0.0 && args.knee_ratio <= 1.0) {
        return Err(usage(format!(
            "--knee-ratio must be above 0 and at most 1, got {}",
            args.knee_ratio
        )));
    }
    let positive = [
        ("--max-spread", args.max_spread),
        ("--max-p999-ratio", args.max_p999_ratio),
        ("--max-tail-mult", args.max_tail_mult),
        ("--max-overhead-pct", args.max_overhead_pct),
        ("--max-rps-deficit-pct", args.max_rps_deficit_pct),
    ];
    for (flag, value) in positive {
        if !(value > 0.0 && value.is_finite()) {
            return Err(usage(format!(
                "{flag} must be a positive number, got {value}"
            )));
        }
    }
    if !(0.0..=1.0).contains(&args.max_errors) {
        return Err(usage(format!(
            "--max-errors must be a fraction between 0 and 1, got {}",
            args.max_errors
        )));
    }
    if args.find_max && (args.vs.is_some() || args.ref_from_json.is_some() || args.refine) {
        return Err(usage(
            "--find-max searches one target: it takes no --vs, --ref-from-json or --refine",
        ));
    }
    Ok(())
}

/// The levels; with `-n`, none may exceed it (`auto` is capped at it).
fn plan(args: &SweepArgs, stop: StopAt) -> Result<Plan, UsageError> {
    let spec = args.conc.as_deref().unwrap_or("auto");
    let plan = plan::parse(spec).map_err(|e| usage(e.to_string()))?;
    within_requests(plan, stop, &format!("--conc {spec}"))
}

/// `plan` checked against `-n`: every level sends -n requests, so c may not exceed it.
fn within_requests(plan: Plan, stop: StopAt, what: &str) -> Result<Plan, UsageError> {
    let StopAt::Requests(n) = stop else {
        return Ok(plan);
    };
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    match plan {
        Plan::Auto { last } if last.min(n) < plan::AUTO_FIRST => Err(usage(format!(
            "--conc auto starts at c = {} but -n {n} caps every level below it (raise -n or use -z)",
            plan::AUTO_FIRST
        ))),
        Plan::Auto { last } => Ok(Plan::Auto { last: last.min(n) }),
        Plan::Levels(levels) if levels.iter().any(|&c| c > n) => Err(usage(format!(
            "{what} goes above -n {n}: each level sends -n requests, so c may not exceed it (raise -n or use -z)"
        ))),
        levels => Ok(levels),
    }
}

fn paired_config(
    args: &SweepArgs,
    config: &mut SweepConfig,
) -> Result<Option<PairedConfig>, UsageError> {
    let reference = match (&args.vs, &args.ref_from_json) {
        (Some(url), _) => Reference::Live(Box::new(reference_run(args, url, config.base.stop)?)),
        (None, Some(path)) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| usage(format!("cannot read --ref-from-json {shown}: {e}")))?;
            let curve = paired::load_reference(&shown, &text).map_err(usage)?;
            if args.refine {
                return Err(usage("--refine needs a live reference (--vs): a cached curve has only its own levels"));
            }
            if matches!(config.plan, Plan::Auto { .. }) {
                let levels: Vec<usize> = curve.points.iter().map(|(c, _)| *c).collect();
                config.plan =
                    within_requests(Plan::Levels(levels), config.base.stop, "the cached levels")?;
            }
            paired::check_coverage(&curve, &config.plan.levels()).map_err(usage)?;
            Reference::Cached(curve)
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(PairedConfig {
        reference,
        max_overhead_pct: args.max_overhead_pct,
        max_rps_deficit_pct: args.max_rps_deficit_pct,
    }))
}

fn reference_run(args: &SweepArgs, url: &str, stop: StopAt) -> Result<RunConfig, UsageError> {
    let mut reference = build::request_config(&args.request, url, stop)
        .map_err(|e| usage(format!("--vs: {}", e.0)))?;
    // Like the target's levels: thousands of sockets per level must leave no TIME_WAIT.
    reference.reset_on_close = true;
    Ok(reference)
}

/// The run every level starts from: an HTTP request, or WebSocket sessions for a `ws://`
/// or `wss://` URL (whose levels are then sessions).
fn base_run(args: &SweepArgs, stop: StopAt) -> Result<RunConfig, UsageError> {
    let is_ws = ["ws://", "wss://"].iter().any(|scheme| {
        args.url
            .get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    });
    if !is_ws {
        if args.ws.every.is_some() || args.ws.send.is_some() || args.ws.send_file.is_some() {
            return Err(usage(
                "--every, --send and --send-file are for ws:// and wss:// URLs",
            ));
        }
        return build::request_config(&args.request, &args.url, stop);
    }
    if args.vs.is_some() || args.ref_from_json.is_some() {
        return Err(usage(
            "--vs and --ref-from-json compare HTTP endpoints; a ws:// sweep has no reference",
        ));
    }
    let r = &args.request;
    if r.http2
        || r.body.is_some()
        || r.body_file.is_some()
        || r.proxy.is_some()
        || args.stream_metrics
    {
        return Err(usage(
            "--http2, -d, -D, -x and --stream-metrics are for http:// and https:// URLs",
        ));
    }
    let connection = ws_build::Connection {
        url: &args.url,
        headers: &r.headers,
        timeout_s: r.timeout,
        cpus: r.cpus,
        tls: &r.tls,
    };
    ws_build::ws_run(&connection, &args.ws, stop)
}

/// Turns on `--stream-metrics` for every level, and refuses stream gates without it. With
/// it, the levels carry the find-max gates, so goodput counts only the responses within
/// their per-request limits, as in the flat form.
fn stream_metrics(
    args: &SweepArgs,
    base: &mut RunConfig,
    find_max: Option<&FindMaxConfig>,
) -> Result<(), UsageError> {
    base.stream_metrics = args.stream_metrics;
    let gates = find_max.map(|fm| fm.slo.clone()).unwrap_or_default();
    let before = std::mem::replace(&mut base.slo, gates);
    build::check_stream(base)?;
    if !base.stream_metrics {
        base.slo = before;
    }
    Ok(())
}

fn find_max(args: &SweepArgs, base: &RunConfig) -> Result<Option<FindMaxConfig>, UsageError> {
    if !args.find_max {
        return Ok(None);
    }
    let slo = build::slo_gates(args.slo.as_deref())?;
    build::check_gates(base, &slo)?;
    let by = match args.by {
        ByArg::C => SearchBy::Concurrency,
        ByArg::Rate => SearchBy::Rate,
    };
    let (start, ceiling): (f64, f64) = match by {
        SearchBy::Concurrency => (1.0, 10_000.0),
        SearchBy::Rate => (10.0, 1_000_000.0),
    };
    let start = args.start.unwrap_or(start);
    let ceiling = match (args.ceiling, by, base.stop) {
        (Some(ceiling), _, _) => ceiling,
        // With -n, no level may exceed it: the default ceiling follows.
        (None, SearchBy::Concurrency, StopAt::Requests(n)) => ceiling.min(n as f64),
        (None, _, _) => ceiling,
    };
    if !(start >= 1.0 && start.is_finite() && ceiling >= start && ceiling.is_finite()) {
        return Err(usage(format!(
            "--start and --ceiling must be levels of at least 1 with --start <= --ceiling, got {start} and {ceiling}"
        )));
    }
    if let (SearchBy::Concurrency, StopAt::Requests(n)) = (by, base.stop) {
        if ceiling > n as f64 {
            return Err(usage(format!(
                "--ceiling {ceiling} goes above -n {n}: use -z, or a --ceiling of at most -n"
            )));
        }
    }
    Ok(Some(FindMaxConfig {
        by,
        start,
        ceiling,
        resolution: resolution(&args.resolution)?,
        slo,
    }))
}

/// `5%` or `0.05`, above 0 and below 1.
fn resolution(text: &str) -> Result<f64, UsageError> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    };
    match value {
        Ok(r) if r > 0.0 && r < 1.0 => Ok(r),
        _ => Err(usage(format!(
            "invalid --resolution {t:?}: expected a share like 5% or 0.05"
        ))),
    }
}

#[cfg(test)]
mod tests;
