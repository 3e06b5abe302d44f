//! The flags of `vastar sweep`: clap types only; `sweep_build` validates them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{parse_duration, Output, RequestArgs, WsSendArgs};

/// Exit codes of `vastar sweep`, shown in its `--help` and README.md.
pub const SWEEP_EXIT_CODES: &str = "\
Exit codes:
  0    a sweet spot was found (--find-max: a passing level was found)
  1    every level was disqualified (--find-max: even the first probe failed the SLO);
       the report (and the JSON) still says why
  2    bad usage or bad input (bad flag value, a --ref-from-json file that is not a sweep
       result or does not cover the levels)
  3    nothing could be measured (unreachable target, no response at calibration) or the
       report could not be written
  130  interrupted by Ctrl-C (the levels measured so far are still reported);
       143 after SIGTERM, likewise";

/// Flags of `vastar sweep`.
#[derive(Debug, Args)]
#[command(after_help = SWEEP_EXIT_CODES)]
pub struct SweepArgs {
    /// Concurrency levels: a list "10,50,100", a log range "10..1000:log=6" (6 levels, ends
    /// included), a linear range "10..200:step=20" (10, 30, ..., 190), or "auto": doubling
    /// from 2 (up to 8192, or -n) that stops once throughput has peaked (no level in the last
    /// two beat the best by 5%) and the tail degraded (p99 above 2x the peak level's, or a
    /// disqualified level). [default: auto]
    #[arg(long, value_name = "SPEC")]
    pub conc: Option<String>,
    /// Requests per level (every level sends this many; c may not exceed it).
    #[arg(short = 'n', value_name = "REQUESTS", conflicts_with = "duration",
          allow_negative_numbers = true, value_parser = super::parse_requests)]
    pub requests: Option<u64>,
    /// Duration of each level (e.g. 1s, 500ms) [default: 1s unless -n is given].
    #[arg(short = 'z', value_name = "DURATION", value_parser = parse_duration,
          allow_hyphen_values = true)]
    pub duration: Option<Duration>,
    /// Runs per level; each metric is the median of the runs (noise robustness).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub repeats: usize,
    /// After the sweep, bracket the winner with up to 4 more levels (x0.5, x0.75, x1.25,
    /// x1.5) and pick again over all levels.
    #[arg(long)]
    pub refine: bool,
    /// Concurrency of the calibration run that defines this endpoint's healthy tail (the
    /// baseline p99 of --max-tail-mult).
    #[arg(long, value_name = "C", default_value_t = 1)]
    pub baseline_c: usize,
    /// How to pick the sweet spot among qualified levels: "knee" = smallest c reaching
    /// --knee-ratio of peak throughput; "score" = highest rps / (p99/p50)^2.
    #[arg(long, value_enum, default_value_t = PickArg::Knee)]
    pub pick: PickArg,
    /// Knee mode: the share of peak throughput the sweet spot must reach (0 < r <= 1);
    /// also used to pick the level --refine brackets.
    #[arg(long, value_name = "RATIO", default_value_t = 0.95)]
    pub knee_ratio: f64,
    /// Disqualify a level whose p99/p50 exceeds this.
    #[arg(long, value_name = "RATIO", default_value_t = 4.0)]
    pub max_spread: f64,
    /// Disqualify a level whose p99.9/p50 exceeds this.
    #[arg(long, value_name = "RATIO", default_value_t = 8.0)]
    pub max_p999_ratio: f64,
    /// Disqualify a level whose failed share of requests exceeds this (0.01 = 1%).
    #[arg(long, value_name = "RATE", default_value_t = 0.01)]
    pub max_errors: f64,
    /// Disqualify a level whose p99 exceeds the calibration p99 times this.
    #[arg(long, value_name = "MULT", default_value_t = 3.0)]
    pub max_tail_mult: f64,
    /// Pause between levels (e.g. 2s), to let the target and the kernel settle.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub cooldown: Option<Duration>,
    /// Paired mode: measure this reference URL (the upstream) first at every level, then the
    /// target, and disqualify levels where the target adds too much latency or loses too
    /// much throughput compared with it.
    #[arg(long, value_name = "REF_URL", conflicts_with = "ref_from_json")]
    pub vs: Option<String>,
    /// Paired mode: take the reference curve from an earlier `vastar sweep -o json` result
    /// instead of measuring it (with --conc auto, the sweep visits the file's levels).
    #[arg(long, value_name = "FILE")]
    pub ref_from_json: Option<PathBuf>,
    /// Paired mode: disqualify a level where the target's p99 exceeds the reference's by
    /// more than this percentage.
    #[arg(long, value_name = "PCT", default_value_t = 25.0)]
    pub max_overhead_pct: f64,
    /// Paired mode: disqualify a level where the target's rps falls short of the
    /// reference's by more than this percentage.
    #[arg(long, value_name = "PCT", default_value_t = 50.0)]
    pub max_rps_deficit_pct: f64,
    /// Capacity search: find the highest load that passes --slo. Probes exponentially (x2)
    /// from --start until a level fails, then bisects down to --resolution.
    #[arg(long, requires = "slo")]
    pub find_max: bool,
    /// With --find-max: the gates a level must pass, as in the flat form, e.g.
    /// "p99=250ms,errors=0.1%,rps>=5000".
    #[arg(long, value_name = "GATES", requires = "find_max")]
    pub slo: Option<String>,
    /// Measure each response as a stream, as the flat form's --stream-metrics (HTTP/1.1
    /// only), so --find-max can judge stream gates: ttft_pN=, tpot_pN=, itl_pN=, e2e_pN=,
    /// tokens_per_s>=, goodput>= (e.g. the highest rate whose TTFT p99 passes).
    #[arg(long)]
    pub stream_metrics: bool,
    /// With --find-max: search over connections ("c", closed loop) or over an open-loop
    /// request rate ("rate", at a fixed -c cap). By rate, latency counts from each request's
    /// scheduled time, so a saturated server cannot flatter the result by slowing the
    /// client down (no coordinated omission); by c it can.
    #[arg(long, value_enum, default_value_t = ByArg::C, requires = "find_max")]
    pub by: ByArg,
    /// With --find-max: the first level probed [default: 1 connection, or 10 req/s].
    #[arg(long, value_name = "LEVEL", requires = "find_max")]
    pub start: Option<f64>,
    /// With --find-max: the largest level probed [default: 10000 connections, or
    /// 1000000 req/s]; if it passes, there is no first failing level.
    #[arg(long, value_name = "LEVEL", requires = "find_max")]
    pub ceiling: Option<f64>,
    /// With --find-max: stop bisecting when the bracket is narrower than this share of its
    /// lower end (5% or 0.05); by c, also when it is one connection wide.
    #[arg(
        long,
        value_name = "SHARE",
        default_value = "5%",
        requires = "find_max"
    )]
    pub resolution: String,
    /// With --find-max --by rate: connections that carry the schedule (the cap on requests
    /// in flight) [default: 100]. Other sweeps vary c themselves (--conc).
    #[arg(short = 'c', value_name = "CONNECTIONS",
          allow_negative_numbers = true, value_parser = super::parse_connections)]
    pub concurrency: Option<usize>,
    #[command(flatten)]
    pub request: RequestArgs,
    /// What each WebSocket session sends, for a ws:// or wss:// URL: the levels are then
    /// sessions (-c of `vastar ws`), and --find-max finds the most sessions that pass.
    #[command(flatten, next_help_heading = "WebSocket (ws:// and wss:// URLs)")]
    pub ws: WsSendArgs,
    /// Output format on stdout: the table ("text") or the JSON document ("json").
    #[arg(short = 'o', value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Also write the JSON document to FILE (the table still goes to stdout).
    #[arg(long, value_name = "FILE")]
    pub json_path: Option<PathBuf>,
    /// Target URL, e.g. http://127.0.0.1:8080/path
    pub url: String,
}

/// `--pick`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PickArg {
    Knee,
    Score,
}

/// `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    C,
    Rate,
}
