//! Durations as users type them: `10s`, `1m`, `500ms`, `1.5ms`, `250us`, `1m30s`.
//!
//! One parser for every flag that takes a duration (`-z`, `--slo`, `serve --delay`), exact to
//! the nanosecond: `1.5ms` is 1 500 000 ns, not a float rounded on the way, so a limit like
//! `p99=1.5ms` means precisely what it says.

use std::time::Duration;

/// Nanoseconds per unit, longest unit names first so `ms` is not read as `m` + `s`.
const UNITS: [(&str, u128); 10] = [
    ("min", 60_000_000_000),
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

/// Parses one or more `<decimal><unit>` parts (`1m30s`), each with a unit; the total must be
/// positive and fit in a `u64` of nanoseconds.
pub fn parse(s: &str) -> Option<Duration> {
    let mut rest = s.trim();
    let mut total_ns: u128 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, after) = rest.split_at(number_end);
        let after = after.trim_start();
        let (unit, ns_per_unit) = UNITS.iter().find(|(name, _)| after.starts_with(name))?;
        total_ns = total_ns.checked_add(scaled(number, *ns_per_unit)?)?;
        rest = after[unit.len()..].trim_start();
    }
    let ns = u64::try_from(total_ns).ok()?;
    (ns > 0).then(|| Duration::from_nanos(ns))
}

/// `number` (digits with an optional fraction) times `ns_per_unit`, exactly; sub-nanosecond
/// remainders are dropped.
fn scaled(number: &str, ns_per_unit: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || number.ends_with('.') {
        return None;
    }
    if fraction.len() > 18 {
        return None;
    }
    let scale = 10u128.pow(u32::try_from(fraction.len()).ok()?);
    let mantissa: u128 = format!("{whole}{fraction}").parse().ok()?;
    Some(mantissa.checked_mul(ns_per_unit)? / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str) -> Option<u64> {
        parse(s).map(|d| u64::try_from(d.as_nanos()).unwrap())
    }

    #[test]
    fn units_and_fractions_are_exact() {
        assert_eq!(ns("10s"), Some(10_000_000_000));
        assert_eq!(ns("1m"), Some(60_000_000_000));
        assert_eq!(ns("2min"), Some(120_000_000_000));
        assert_eq!(ns("500ms"), Some(500_000_000));
        assert_eq!(ns("1.5ms"), Some(1_500_000));
        assert_eq!(ns("250us"), Some(250_000));
        assert_eq!(ns("250µs"), Some(250_000));
        assert_eq!(ns("1h"), Some(3_600_000_000_000));
        assert_eq!(ns("0.1s"), Some(100_000_000));
        assert_eq!(ns(" 1m30s "), Some(90_000_000_000));
        assert_eq!(ns("1m 30s"), Some(90_000_000_000));
        assert_eq!(ns("5 ms"), Some(5_000_000));
    }

    #[test]
    fn rejects_what_is_not_a_positive_duration() {
        for bad in [
            "", "10", "s", "abc", "0s", "0.0ms", "1.s", ".5s", "-1s", "1x", "1ms2", "1e3s",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse("999999999999999999999h"), None, "overflow");
    }
}
