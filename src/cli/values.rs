//! Value parsers of the command line: each refuses a bad value with a message that names
//! the flag and the fix.

use std::time::{Duration, SystemTime};

use crate::segment::Segment;

/// Parses positive durations like `10s`, `1m`, `500ms`, `1m30s` (see [`crate::duration`]).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::duration::parse(s).ok_or_else(|| {
        format!(
            "invalid duration {s:?}: expected a positive number with a unit, e.g. 10s, 1m, 500ms"
        )
    })
}

/// A flag value refused with a message that already names the flag and the fix; `main`
/// prints it as is, instead of behind clap's generic "invalid value '..' for '..'" prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagValueError(pub String);

impl std::fmt::Display for FlagValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FlagValueError {}

/// `-n`: a whole number of requests. Negative numbers reach this parser (instead of being
/// taken for an unknown flag `-5`) so the message can say what a count is.
pub fn parse_requests(s: &str) -> Result<u64, FlagValueError> {
    parse_count("-n", "requests", s)
}

/// `--segment i/N`.
pub fn parse_segment(s: &str) -> Result<Segment, FlagValueError> {
    Segment::parse(s).map_err(FlagValueError)
}

/// `--start-at`: RFC 3339 or Unix seconds (see [`crate::wallclock::parse`]).
pub fn parse_start_at(s: &str) -> Result<SystemTime, FlagValueError> {
    crate::wallclock::parse(s).ok_or_else(|| {
        FlagValueError(format!(
            "invalid --start-at {s:?}: expected RFC 3339 (2026-11-30T15:00:00Z) or Unix seconds"
        ))
    })
}

/// `-c`: a whole number of connections (see [`parse_requests`]).
pub fn parse_connections(s: &str) -> Result<usize, FlagValueError> {
    parse_count("-c", "connections", s)
}

fn parse_count<T: std::str::FromStr>(flag: &str, what: &str, s: &str) -> Result<T, FlagValueError> {
    s.trim().parse().map_err(|_| {
        FlagValueError(format!(
            "{flag} takes a count, which must be a positive whole number of {what} (e.g. {flag} 10), got {s:?}"
        ))
    })
}

/// `--hist-bins`: a whole number of bars (range checked in `build`).
pub fn parse_hist_bins(s: &str) -> Result<usize, FlagValueError> {
    parse_count("--hist-bins", "bars", s)
}

/// `--cpus`: a whole number of worker threads (see [`parse_requests`]).
pub fn parse_cpus(s: &str) -> Result<usize, FlagValueError> {
    parse_count("--cpus", "worker threads", s)
}

/// `--streams`: a whole number of streams per connection (range checked in `build`).
pub fn parse_streams(s: &str) -> Result<usize, FlagValueError> {
    parse_count("--streams", "streams per connection", s)
}

/// `--redirect`: a whole number of redirects, where 0 turns following off.
pub fn parse_redirects(s: &str) -> Result<u32, FlagValueError> {
    s.trim().parse().map_err(|_| {
        FlagValueError(format!(
            "--redirect takes a whole number of redirects to follow (0 = off, e.g. --redirect 5), got {s:?}"
        ))
    })
}

/// `-t`: seconds as a plain number, as hey takes it. A unit (`1s`, `500ms`) is the usual
/// mistake, since `-z` takes one; the message says so. Range checks are in `build`.
pub fn parse_timeout_s(s: &str) -> Result<f64, FlagValueError> {
    s.trim().parse().map_err(|_| {
        FlagValueError(format!(
            "-t takes seconds as a number (e.g. -t 1.5, or 0 for no timeout), got {s:?}"
        ))
    })
}
