//! Number formatting shared by the text report.
//!
//! Latencies are printed in milliseconds with a precision that follows the magnitude: a loopback
//! run measures tens of microseconds, where hey's "0.0000 secs" says nothing, while a slow
//! backend measures hundreds of milliseconds, where four decimals are noise.

use std::time::Duration;

/// Milliseconds as a float, the unit of every latency in both reports. Computed from whole
/// nanoseconds so 1 ms is exactly 1.0, not 0.9999999.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

/// A latency in milliseconds, without unit: 1 decimal from 100 ms, 2 from 10 ms, 3 from 1 ms,
/// 4 below, so every value shows about four significant digits.
pub(crate) fn latency(d: Duration) -> String {
    latency_ms(ms(d))
}

/// [`latency`] of a value already in milliseconds.
pub(crate) fn latency_ms(v: f64) -> String {
    let decimals = match v {
        v if v >= 100.0 => 1,
        v if v >= 10.0 => 2,
        v if v >= 1.0 => 3,
        _ => 4,
    };
    format!("{v:.decimals$}")
}

/// A fraction as a percent: `0%` when exactly zero, four decimals below 0.01% so one failure
/// in a million does not read as zero, two otherwise.
pub(crate) fn percent(fraction: f64) -> String {
    let pct = fraction * 100.0;
    if pct == 0.0 {
        "0%".to_string()
    } else if pct < 0.01 {
        format!("{pct:.4}%")
    } else {
        format!("{pct:.2}%")
    }
}

/// A ratio such as p99/p50, e.g. `1.9x`.
pub(crate) fn ratio(r: f64) -> String {
    format!("{r:.1}x")
}

/// `count` followed by the singular or plural noun, so the report never says "1 reconnects".
pub(crate) fn plural(count: u64, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_precision_follows_magnitude() {
        assert_eq!(latency(Duration::from_nanos(31_260)), "0.0313");
        assert_eq!(latency(Duration::from_micros(1_234)), "1.234");
        assert_eq!(latency(Duration::from_micros(12_345)), "12.35");
        assert_eq!(latency(Duration::from_micros(123_456)), "123.5");
        assert_eq!(latency(Duration::from_secs(2)), "2000.0");
        assert_eq!(latency(Duration::ZERO), "0.0000");
    }

    #[test]
    fn ratio_and_plural() {
        assert_eq!(ratio(1.94), "1.9x");
        assert_eq!(plural(1, "retry", "retries"), "1 retry");
        assert_eq!(plural(0, "retry", "retries"), "0 retries");
    }

    #[test]
    fn percent_never_rounds_a_failure_to_zero() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.000001), "0.0001%");
        assert_eq!(percent(50.0 / 3000.0), "1.67%");
        assert_eq!(percent(1.0), "100.00%");
    }
}
