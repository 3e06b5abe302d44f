//! The `--conc` spec: which concurrency levels a sweep visits.
//!
//! Four forms: an explicit list (`10,50,100`), a log range (`10..1000:log=6`, six levels
//! evenly spaced on a log scale, both ends included), a linear range (`10..200:step=20`:
//! 10, 30, ..., 190) and `auto`: doubling levels from [`AUTO_FIRST`] that stop early once
//! throughput has clearly peaked and the tail has degraded (see [`auto_done`]). Levels are
//! always strictly increasing after parsing.

use thiserror::Error;

use super::point::Point;

/// First level of an `auto` sweep (the calibration run covers c = 1).
pub const AUTO_FIRST: usize = 2;
/// Last level an `auto` sweep may reach if throughput keeps growing.
pub const AUTO_LAST: usize = 8192;
/// Largest level any spec may name: beyond it a single host runs out of ports and sockets.
pub const MAX_LEVEL: usize = 100_000;
/// A level is a new peak only when it beats the best so far by this share: smaller gains
/// are noise on a plateau.
pub const PEAK_GAIN: f64 = 0.05;
/// `auto` stops once this many levels in a row brought no new peak...
pub const LEVELS_PAST_PEAK: usize = 2;
/// ...and the last one's p99 exceeds the peak level's by this factor.
pub const TAIL_DEGRADED: f64 = 2.0;

/// The levels to visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Exactly these levels, ascending.
    Levels(Vec<usize>),
    /// Doubling levels from [`AUTO_FIRST`] up to `last`, with the early stop.
    Auto {
        /// The largest level (at most [`AUTO_LAST`]; less when `-n` is smaller).
        last: usize,
    },
}

impl Plan {
    /// Every level the plan may visit (for `auto`, before any early stop).
    pub fn levels(&self) -> Vec<usize> {
        match self {
            Plan::Levels(levels) => levels.clone(),
            Plan::Auto { last } => std::iter::successors(Some(AUTO_FIRST), |c| Some(c * 2))
                .take_while(|c| c <= last)
                .collect(),
        }
    }
}

/// A `--conc` spec that cannot be read; the message names the bad part.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid --conc {spec:?}: {why}")]
pub struct PlanError {
    spec: String,
    why: String,
}

/// Parses a `--conc` spec.
pub fn parse(spec: &str) -> Result<Plan, PlanError> {
    let fail = |why: &str| PlanError {
        spec: spec.to_string(),
        why: why.to_string(),
    };
    let s = spec.trim();
    if s == "auto" {
        return Ok(Plan::Auto { last: AUTO_LAST });
    }
    let levels = match s.split_once("..") {
        Some((from, rest)) => range(from, rest).map_err(|why| fail(&why))?,
        None => list(s).map_err(|why| fail(&why))?,
    };
    if levels.is_empty() {
        return Err(fail("no level"));
    }
    if levels.windows(2).any(|w| w[0] >= w[1]) {
        return Err(fail("levels must be strictly increasing"));
    }
    Ok(Plan::Levels(levels))
}

fn level(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(c) if (1..=MAX_LEVEL).contains(&c) => Ok(c),
        _ => Err(format!(
            "{:?} is not a concurrency between 1 and {MAX_LEVEL}",
            text.trim()
        )),
    }
}

fn list(text: &str) -> Result<Vec<usize>, String> {
    text.split(',').map(level).collect()
}

/// `FROM..TO:log=N` or `FROM..TO:step=S`.
fn range(from: &str, rest: &str) -> Result<Vec<usize>, String> {
    let expected = "expected FROM..TO:log=N or FROM..TO:step=S";
    let (to, how) = rest.split_once(':').ok_or(expected)?;
    let (from, to) = (level(from)?, level(to)?);
    if from >= to {
        return Err("FROM must be below TO".into());
    }
    let (key, value) = how.split_once('=').ok_or(expected)?;
    let n: usize = value
        .trim()
        .parse()
        .map_err(|_| format!("{:?} is not a whole number", value.trim()))?;
    match key.trim() {
        "log" if (2..=100).contains(&n) => Ok(log_levels(from, to, n)),
        "log" => Err("log=N needs N between 2 and 100".into()),
        "step" if n >= 1 => Ok((from..=to).step_by(n).collect()),
        "step" => Err("step=S needs S of at least 1".into()),
        _ => Err(expected.into()),
    }
}

/// `n` levels from `from` to `to` evenly spaced in log space, rounded, duplicates dropped.
pub fn log_levels(from: usize, to: usize, n: usize) -> Vec<usize> {
    let ratio = (to as f64 / from as f64).ln();
    let mut levels: Vec<usize> = (0..n)
        .map(|i| (from as f64 * (ratio * i as f64 / (n - 1) as f64).exp()).round() as usize)
        .collect();
    levels.dedup();
    levels
}

/// The refine bracket around a winner `w`: `w × 0.5, 0.75, 1.25, 1.5`, minus levels already
/// measured, below 1 or above `max`.
pub fn refine_levels(winner: usize, measured: &[usize], max: usize) -> Vec<usize> {
    let mut levels: Vec<usize> = [0.5, 0.75, 1.25, 1.5]
        .iter()
        .map(|f| (winner as f64 * f).round() as usize)
        .filter(|c| (1..=max).contains(c) && !measured.contains(c))
        .collect();
    levels.dedup();
    levels
}

/// Whether an `auto` sweep may stop after `points` (measured so far, ascending): the last
/// [`LEVELS_PAST_PEAK`] levels brought no new peak (a level beating the best by
/// [`PEAK_GAIN`]), and the last one's tail is degraded (disqualified, or p99 above
/// [`TAIL_DEGRADED`] × the peak level's). Peaks are looked for among qualified levels (a
/// disqualified level is never a peak worth chasing) unless none qualified yet.
pub fn auto_done(points: &[Point]) -> bool {
    let any_qualified = points.iter().any(|p| p.disqualified.is_none());
    let mut peak: Option<(usize, f64)> = None;
    for (i, p) in points.iter().enumerate() {
        let candidate = p.disqualified.is_none() || !any_qualified;
        let Some(m) = p.measured.filter(|_| candidate) else {
            continue;
        };
        if peak.is_none_or(|(_, best)| m.rps > best * (1.0 + PEAK_GAIN)) {
            peak = Some((i, m.rps));
        }
    }
    let (Some((peak_at, _)), Some(last)) = (peak, points.last()) else {
        return false;
    };
    if points.len() - 1 < peak_at + LEVELS_PAST_PEAK {
        return false;
    }
    let Some(best) = points[peak_at].measured else {
        return false;
    };
    match last.measured {
        Some(m) => {
            (any_qualified && last.disqualified.is_some()) || m.p99_ms > best.p99_ms * TAIL_DEGRADED
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::point::tests::point;

    #[test]
    fn explicit_lists_and_ranges() {
        assert_eq!(parse("10,50,100"), Ok(Plan::Levels(vec![10, 50, 100])));
        assert_eq!(
            parse("10..1000:log=3"),
            Ok(Plan::Levels(vec![10, 100, 1000]))
        );
        assert_eq!(
            parse("10..1000:log=6").unwrap().levels(),
            vec![10, 25, 63, 158, 398, 1000]
        );
        assert_eq!(
            parse("10..70:step=20"),
            Ok(Plan::Levels(vec![10, 30, 50, 70]))
        );
        assert_eq!(parse("auto"), Ok(Plan::Auto { last: AUTO_LAST }));
        assert_eq!(
            Plan::Auto { last: 20 }.levels(),
            vec![2, 4, 8, 16],
            "doubling from 2 up to the cap"
        );
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let err = |s: &str| parse(s).unwrap_err().to_string();
        assert!(err("10,x").contains("\"x\""));
        assert!(err("0,10").contains("between 1"));
        assert!(err("50,10").contains("increasing"));
        assert!(err("10..5:log=3").contains("below"));
        assert!(err("10..50:log=1").contains("log=N"));
        assert!(err("10..50:step=0").contains("step=S"));
        assert!(err("10..50").contains("expected"));
        assert!(err("10..50:lin=2").contains("expected"));
    }

    #[test]
    fn refine_brackets_the_winner_without_repeats() {
        assert_eq!(refine_levels(32, &[16, 32, 64], 1000), vec![24, 40, 48]);
        assert_eq!(refine_levels(1, &[1], 1000), vec![2]);
        assert_eq!(refine_levels(100, &[], 120), vec![50, 75]);
    }

    #[test]
    fn auto_stops_past_the_peak_once_the_tail_degrades() {
        // (c, rps, p99 ms): saturates at c=16.
        let curve = [
            (2, 200.0, 10.0),
            (4, 400.0, 10.0),
            (8, 800.0, 10.0),
            (16, 1600.0, 10.5),
            (32, 1610.0, 20.0),
            (64, 1600.0, 41.0),
        ];
        let points: Vec<Point> = curve.iter().map(|&(c, r, p)| point(c, r, 5.0, p)).collect();
        assert!(!auto_done(&points[..5]), "one level past the peak");
        assert!(auto_done(&points), "two past the peak, p99 4x");
        let mut flat_tail = points.clone();
        flat_tail[5] = point(64, 1600.0, 5.0, 15.0);
        assert!(!auto_done(&flat_tail), "tail not degraded yet");
        let mut dq = flat_tail;
        dq[5].disqualified = Some("spread=5".into());
        assert!(auto_done(&dq));
    }

    #[test]
    fn disqualified_levels_are_no_new_peak() {
        // Throughput still grows past c=16, but only at disqualified levels.
        let mut points: Vec<Point> = [(8, 800.0), (16, 1600.0), (32, 1800.0), (64, 2200.0)]
            .iter()
            .map(|&(c, r)| point(c, r, 5.0, 10.0))
            .collect();
        points[2].disqualified = Some("tail=3.6x".into());
        assert!(!auto_done(&points[..3]));
        points[3].disqualified = Some("tail=5.9x".into());
        assert!(auto_done(&points));
    }

    #[test]
    fn with_nothing_qualified_the_shape_of_the_curve_decides() {
        let mut points: Vec<Point> = [(2, 900.0, 1.0), (4, 1300.0, 1.0), (8, 1200.0, 1.5)]
            .iter()
            .map(|&(c, r, p99)| point(c, r, 0.1, p99))
            .collect();
        for p in &mut points {
            p.disqualified = Some("tail=9x".into());
        }
        assert!(!auto_done(&points), "one level past the peak");
        points.push(point(16, 1250.0, 0.1, 1.8));
        points[3].disqualified = Some("tail=9x".into());
        assert!(!auto_done(&points), "p99 1.8x the peak's: not degraded yet");
        points[3] = point(16, 1250.0, 0.1, 2.5);
        points[3].disqualified = Some("tail=9x".into());
        assert!(auto_done(&points));
    }
}
