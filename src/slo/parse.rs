//! The `--slo` spec parser: `"p50=20ms, p99=250ms, errors=0.1%, rps>=5000"` into [`Gate`]s.
//!
//! Numbers are read from their decimal text without a trip through binary floating point
//! where it matters: durations become whole nanoseconds (`1.5ms` is exactly 1 500 000 ns) and
//! `0.1%` is read as the decimal `0.001`, so a measurement exactly at a limit passes. Every
//! error names the token at fault, because the message is all a CI log will show.

use std::time::Duration;

use thiserror::Error;

use super::{Gate, LatencyGate, Rank};

/// A malformed `--slo` spec; the message quotes the bad token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SloError {
    /// The spec, or a gate between two commas, is empty.
    #[error("invalid --slo {0:?}: empty gate, expected gates like \"p99=250ms,errors=0.1%\"")]
    Empty(String),
    /// The left side is not a known gate.
    #[error("invalid --slo gate {0:?}: expected pN=DURATION, errors=RATE or rps>=N")]
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
    /// An `rps` gate without `>=` or without a positive number.
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
    let (name, op, value) = split(token).ok_or_else(|| SloError::Unknown(token.into()))?;
    let name = name.to_ascii_lowercase();
    let bad = |make: fn(String) -> SloError| make(token.to_string());
    match name.as_str() {
        "rps" => match (op, rps(value)) {
            (Op::AtLeast, Some(min)) => Ok(Gate::MinRps { min }),
            _ => Err(bad(SloError::Rps)),
        },
        "errors" => match (op, error_rate(value)) {
            (Op::AtMost, Some(max)) => Ok(Gate::ErrorRate { max }),
            _ => Err(bad(SloError::ErrorRate)),
        },
        _ => {
            let digits = name
                .strip_prefix('p')
                .ok_or_else(|| bad(SloError::Unknown))?;
            let rank = rank(digits).ok_or_else(|| bad(SloError::Percentile))?;
            match (op, duration(value)) {
                (Op::AtMost, Some(limit)) => Ok(Gate::Latency(LatencyGate { rank, limit })),
                _ => Err(bad(SloError::Duration)),
            }
        }
    }
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

/// A positive duration like `250ms`, `1.5ms`, `500us`, `500µs` or `1s`, to the nanosecond.
fn duration(s: &str) -> Option<Duration> {
    let unit_at = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = s.split_at(unit_at);
    let ns_per_unit: u128 = match unit.trim_start() {
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return None,
    };
    let (whole, fraction) = decimal(number)?;
    if fraction.len() > 9 {
        return None;
    }
    let scale = 10u128.pow(fraction.len() as u32);
    let digits: u128 = format!("{whole}{fraction}").parse().ok()?;
    let ns = u64::try_from(digits.checked_mul(ns_per_unit)? / scale).ok()?;
    (ns > 0).then(|| Duration::from_nanos(ns))
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
