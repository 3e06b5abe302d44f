//! Wall-clock instants as users write them: `--start-at` in RFC 3339 or Unix seconds.
//!
//! A fleet of generators started by hand, by ssh or by a Kubernetes Job can only agree on a
//! wall-clock time, so this is the one place vastar reads one. Hand-written: a calendar
//! conversion is twenty lines, a date-time crate would be most of a megabyte.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Parses `2026-11-30T15:00:00Z`, `2026-11-30T16:00:00.250+01:00` (RFC 3339, `T` or space,
/// `Z` or an offset), or seconds since the Unix epoch (`1796050800`, `1796050800.5`).
pub fn parse(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = text.parse().ok()?;
        return UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).ok()?);
    }
    rfc3339(text)
}

fn rfc3339(text: &str) -> Option<SystemTime> {
    let (date, rest) = (text.get(..10)?, text.get(11..)?);
    if !matches!(text.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let field =
        |s: &str, sep: u8| -> Option<Vec<i64>> { s.split(sep as char).map(digits).collect() };
    let [year, month, day] = field(date, b'-')?[..] else {
        return None;
    };
    let (time, offset_s) = split_offset(rest)?;
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let [hour, minute, second] = field(hms, b':')?[..] else {
        return None;
    };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    let nanos = fraction_nanos(fraction)?;
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    let secs = u64::try_from(secs).ok().filter(|_| valid)?;
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// `HH:MM:SS[.frac]` and its offset from UTC in seconds (`Z`, `+01:00`, `-05:30`).
fn split_offset(rest: &str) -> Option<(&str, i64)> {
    if let Some(time) = rest.strip_suffix(['Z', 'z']) {
        return Some((time, 0));
    }
    let at = rest.rfind(['+', '-'])?;
    let (time, offset) = rest.split_at(at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let (h, m) = offset[1..].split_once(':')?;
    let (h, m) = (digits(h)?, digits(m)?);
    (h < 24 && m < 60).then_some((time, sign * (h * 3600 + m * 60)))
}

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())?
}

/// Up to nine fractional digits as nanoseconds (`""` is 0).
fn fraction_nanos(fraction: &str) -> Option<u32> {
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    format!("{fraction:0<9}").parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `t` as RFC 3339 in UTC with milliseconds (`2026-11-30T15:00:00.000Z`), for reports.
pub fn format(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn rfc3339_in_its_usual_spellings() {
        let t = unix(1_796_050_800, 0); // 2026-11-30T15:00:00Z
        assert_eq!(parse("2026-11-30T15:00:00Z"), Some(t));
        assert_eq!(parse("2026-11-30 15:00:00z"), Some(t));
        assert_eq!(parse("2026-11-30T16:00:00+01:00"), Some(t));
        assert_eq!(parse("2026-11-30T09:30:00-05:30"), Some(t));
        assert_eq!(
            parse("2026-11-30T15:00:00.25Z"),
            Some(unix(1_796_050_800, 250_000_000))
        );
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(parse("2024-02-29T00:00:00Z"), Some(unix(1_709_164_800, 0)));
    }

    #[test]
    fn unix_seconds() {
        assert_eq!(parse("1796050800"), Some(unix(1_796_050_800, 0)));
        assert_eq!(
            parse("1796050800.5"),
            Some(unix(1_796_050_800, 500_000_000))
        );
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "tomorrow",
            "2026-13-01T00:00:00Z",
            "2026-11-30T25:00:00Z",
            "2026-11-30",
            "2026-11-30T15:00:00",
            "2026-11-30T15:00:00+1",
            "1.2.3",
            "-5",
            "2026-11-30T15:00Z",
            "2026-11-30T15:00:00.1234567890Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn format_round_trips_to_the_millisecond() {
        for t in [
            UNIX_EPOCH,
            unix(1_796_050_800, 250_000_000),
            unix(951_782_400, 0),
        ] {
            assert_eq!(parse(&format(t)), Some(t), "{}", format(t));
        }
        assert_eq!(
            format(unix(1_796_050_800, 7_000_000)),
            "2026-11-30T15:00:00.007Z"
        );
    }
}
