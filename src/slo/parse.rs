//! The `--slo` spec parser: `"p50=20ms, p99=250ms, errors=0.1%, rps>=5000"` into [`Gate`]s.
//! A percentile gate on a name that is not a stream metric (`newest_frame_seq_p50=200ms`)
//! is a [`NamedGate`]: whether the run has that distribution is the command line's check.
//!
//! Numbers are read from their decimal text without a trip through binary floating point
//! where it matters: durations become whole nanoseconds (`1.5ms` is exactly 1 500 000 ns) and
//! `0.1%` is read as the decimal `0.001`, so a measurement exactly at a limit passes. Every
//! error names the token at fault, because the message is all a CI log will show.

use thiserror::Error;

use super::{Gate, LatencyGate, NamedGate, Rank, StreamGate, StreamMetric};

/// A malformed `--slo` spec; the message quotes the bad token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SloError {
    /// The spec, or a gate between two commas, is empty.
    #[error("invalid --slo {0:?}: empty gate, expected gates like \"p99=250ms,errors=0.1%\"")]
    Empty(String),
    /// The left side is not a known gate.
    #[error(
        "invalid --slo gate {0:?}: expected pN=DURATION, errors=RATE, rps>=N, \
         ttft_pN=DURATION (or tpot_, itl_, e2e_), tokens_per_s>=N, goodput>=N or \
         NAME_pN=DURATION"
    )]
    Unknown(String),
    /// `pN` with N malformed or outside 1..=99.99.
    #[error(
        "invalid --slo gate {0:?}: expected a percentile from p1 to p99.99 with at most two \
         decimals"
    )]
    Percentile(String),
    /// A percentile gate whose limit is not a positive duration.
    #[error("invalid --slo gate {0:?}: expected a duration like 250ms")]
    Duration(String),
    /// An `errors` gate whose limit is not a rate in 0..=100%.
    #[error("invalid --slo gate {0:?}: expected an error rate like errors=0.1% or errors=0.001")]
    ErrorRate(String),
    /// An `rps`, `tokens_per_s` or `goodput` gate without `>=` or a positive number.
    #[error("invalid --slo gate {0:?}: expected a minimum throughput like rps>=5000")]
    Rps(String),
    /// The same gate given twice (`p99.9` and `p99.90` are the same gate).
    #[error("invalid --slo gate {token:?}: {name} is given twice")]
    Duplicate {
        /// The second token.
        token: String,
        /// The normalised gate name.
        name: String,
    },
}

/// Parses a comma-separated list of gates; whitespace around tokens, names and values is
/// ignored, names are case-insensitive. `<=` is accepted wherever `=` is.
pub fn parse(spec: &str) -> Result<Vec<Gate>, SloError> {
    let mut gates: Vec<Gate> = Vec::new();
    for token in spec.split(',').map(str::trim) {
        if token.is_empty() {
            return Err(SloError::Empty(spec.to_string()));
        }
        let gate = gate(token)?;
        let name = gate.name();
        if gates.iter().any(|g| g.name() == name) {
            let token = token.to_string();
            return Err(SloError::Duplicate { token, name });
        }
        gates.push(gate);
    }
    Ok(gates)
}

/// The comparison written in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `=` or `<=`: the measurement must not exceed the value.
    AtMost,
    /// `>=`: the measurement must reach the value.
    AtLeast,
}

fn gate(token: &str) -> Result<Gate, SloError> {
    let (raw_name, op, value) = split(token).ok_or_else(|| SloError::Unknown(token.into()))?;
    let name = raw_name.to_ascii_lowercase();
    let bad = |make: fn(String) -> SloError| make(token.to_string());
    match name.as_str() {
        "rps" | "tokens_per_s" | "goodput" => match (op, rps(value)) {
            (Op::AtLeast, Some(min)) if name == "rps" => Ok(Gate::MinRps { min }),
            (Op::AtLeast, Some(min)) if name == "goodput" => Ok(Gate::MinGoodput { min }),
            (Op::AtLeast, Some(min)) => Ok(Gate::MinTokensPerSec { min }),
            _ => Err(bad(SloError::Rps)),
        },
        "errors" => match (op, error_rate(value)) {
            (Op::AtMost, Some(max)) => Ok(Gate::ErrorRate { max }),
            _ => Err(bad(SloError::ErrorRate)),
        },
        _ => percentile_gate(raw_name, op, value).map_err(bad),
    }
}

/// How to make the error for a token, once the token is known.
type BadToken = fn(String) -> SloError;

/// `pN`, `METRIC_pN` or `NAME_pN` with a duration limit; the error to report otherwise.
/// The distribution's name is what precedes the last `_`: a stream metric when it is one
/// (in any case), else a named distribution, its case kept (see [`NamedGate`]).
fn percentile_gate(name: &str, op: Op, value: &str) -> Result<Gate, BadToken> {
    let (prefix, percentile) = match name.rsplit_once('_') {
        Some((prefix, p)) => (Some(prefix), p),
        None => (None, name),
    };
    let percentile = percentile.to_ascii_lowercase();
    let unknown: BadToken = SloError::Unknown;
    let digits = percentile.strip_prefix('p').ok_or(unknown)?;
    if prefix.is_some_and(|p| p.is_empty() || p.contains(char::is_whitespace)) {
        return Err(unknown);
    }
    let rank = rank(digits).ok_or(SloError::Percentile as BadToken)?;
    let limit = match (op, crate::duration::parse(value)) {
        (Op::AtMost, Some(limit)) => limit,
        _ => return Err(SloError::Duration),
    };
    let Some(prefix) = prefix else {
        return Ok(Gate::Latency(LatencyGate { rank, limit }));
    };
    Ok(match stream_metric(&prefix.to_ascii_lowercase()) {
        Some(metric) => Gate::Stream(StreamGate {
            metric,
            rank,
            limit,
        }),
        None => Gate::Named(NamedGate {
            name: prefix.to_string(),
            rank,
            limit,
        }),
    })
}

/// The stream metric a gate name starts with (`ttft` in `ttft_p99`).
fn stream_metric(name: &str) -> Option<StreamMetric> {
    StreamMetric::ALL.into_iter().find(|m| m.name() == name)
}

/// `name OP value`, with `>=` and `<=` tried before `=` so the `=` inside them is not taken
/// for the operator.
fn split(token: &str) -> Option<(&str, Op, &str)> {
    let (name, op, value) = if let Some((n, v)) = token.split_once(">=") {
        (n, Op::AtLeast, v)
    } else if let Some((n, v)) = token.split_once("<=") {
        (n, Op::AtMost, v)
    } else {
        let (n, v) = token.split_once('=')?;
        (n, Op::AtMost, v)
    };
    let name = name.trim();
    (!name.is_empty()).then_some((name, op, value.trim()))
}

/// Splits a plain decimal `123` or `1.5` into its whole and fractional digits. Signs,
/// exponents, `inf` and `nan` are not decimals, so they never reach `f64::from_str`.
fn decimal(s: &str) -> Option<(&str, &str)> {
    let (whole, fraction) = match s.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (s, ""),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    (!whole.is_empty() && digits(whole) && digits(fraction)).then_some((whole, fraction))
}

/// `99`, `99.9`, `99.99` (the part after `p`) into a [`Rank`].
fn rank(s: &str) -> Option<Rank> {
    let (whole, fraction) = decimal(s)?;
    if whole.len() > 2 || fraction.len() > 2 {
        return None;
    }
    let whole: u16 = whole.parse().ok()?;
    let fraction: u16 = format!("{fraction:0<2}").parse().ok()?;
    Rank::from_hundredths(whole * 100 + fraction)
}

/// An error rate as a percent (`0.1%`) or a fraction (`0.001`), as a fraction in 0..=1.
fn error_rate(s: &str) -> Option<f64> {
    let (number, percent) = match s.strip_suffix('%') {
        Some(number) => (number.trim_end(), true),
        None => (s, false),
    };
    decimal(number)?;
    // Shifting the decimal point in the text keeps `0.1%` exactly as close to 0.001 as
    // `1 / 1000` is, which dividing by 100.0 would not guarantee.
    let rate: f64 = match percent {
        true => format!("{number}e-2").parse().ok()?,
        false => number.parse().ok()?,
    };
    (rate <= 1.0).then_some(rate)
}

/// A positive, finite throughput in responses per second.
fn rps(s: &str) -> Option<f64> {
    decimal(s)?;
    let min: f64 = s.parse().ok()?;
    (min > 0.0 && min.is_finite()).then_some(min)
}

#[cfg(test)]
mod tests;
