//! Verdicts on levels and the choice of the sweet spot. Pure functions of measured points.
//!
//! Disqualification (exactly the seed's gates): a level is out when `p99/p50 > max_spread`,
//! `p99.9/p50 > max_p999_ratio`, `error_rate > max_errors` or `p99 > baseline p99 ×
//! max_tail_mult`; in paired mode also when the overhead or the rps deficit exceeds its
//! limit. Among the qualified levels:
//! - knee: the smallest c whose rps reaches `knee_ratio × peak` (peak over qualified levels;
//!   every qualified level is within the tail gate by construction); if none does, the
//!   level with the highest rps;
//! - score: the highest `rps / (p99/p50)^2`.

use super::config::{DqGates, PickMode};
use super::point::{Measurement, Point};

/// Paired-mode limits, in percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedGates {
    pub max_overhead_pct: f64,
    pub max_rps_deficit_pct: f64,
}

/// Why `point` is disqualified, every failed gate named with its value
/// (`spread=5.2, tail=4.1x`); `None` when it qualifies.
pub fn disqualify(
    point: &Point,
    baseline: &Measurement,
    gates: &DqGates,
    paired: Option<PairedGates>,
) -> Option<String> {
    let Some(m) = &point.measured else {
        return Some("no responses".into());
    };
    let mut reasons = Vec::new();
    if m.error_rate > gates.max_errors {
        reasons.push(format!(
            "errors={}%",
            over(m.error_rate * 100.0, gates.max_errors * 100.0)
        ));
    }
    if m.spread() > gates.max_spread {
        reasons.push(format!("spread={}", over(m.spread(), gates.max_spread)));
    }
    if m.p999_ratio() > gates.max_p999_ratio {
        reasons.push(format!(
            "p999_ratio={}",
            over(m.p999_ratio(), gates.max_p999_ratio)
        ));
    }
    let tail = m.p99_ms / baseline.p99_ms.max(1e-6);
    if tail > gates.max_tail_mult {
        reasons.push(format!("tail={}x", over(tail, gates.max_tail_mult)));
    }
    if let Some(limits) = paired {
        reasons.extend(paired_reasons(point, limits));
    }
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

fn paired_reasons(point: &Point, limits: PairedGates) -> Vec<String> {
    let mut reasons = Vec::new();
    if point.reference.is_none() {
        reasons.push("no reference".to_string());
    }
    if let Some(o) = point
        .overhead_pct()
        .filter(|o| *o > limits.max_overhead_pct)
    {
        reasons.push(format!("overhead={}%", over(o, limits.max_overhead_pct)));
    }
    let deficit = point.rps_deficit_pct();
    if let Some(d) = deficit.filter(|d| *d > limits.max_rps_deficit_pct) {
        reasons.push(format!(
            "rps_deficit={}%",
            over(d, limits.max_rps_deficit_pct)
        ));
    }
    reasons
}

/// `x`, which exceeds `limit`, with one decimal, or as many more (up to four) as it takes to
/// still show it above the limit: `spread=1.04` against 1.0, never a puzzling `spread=1`.
fn over(x: f64, limit: f64) -> f64 {
    (1..=4)
        .map(|decimals| round(x, decimals))
        .find(|&shown| shown > limit)
        .unwrap_or(x)
}

/// `x` rounded to `decimals`, printed without trailing zeros.
fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// The chosen level and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SweetSpot {
    pub concurrency: usize,
    pub measured: Measurement,
    pub method: PickMode,
    /// One sentence a human can check against the table.
    pub reasoning: String,
    /// Highest rps among qualified levels, and where.
    pub peak_rps: f64,
    pub peak_concurrency: usize,
}

/// Picks the sweet spot among qualified points; `None` when every level is disqualified.
pub fn pick(points: &[Point], mode: PickMode, knee_ratio: f64) -> Option<SweetSpot> {
    let qualified: Vec<(usize, Measurement)> = points
        .iter()
        .filter(|p| p.disqualified.is_none())
        .filter_map(|p| Some((p.concurrency, p.measured?)))
        .collect();
    let &(peak_c, peak) = qualified
        .iter()
        .max_by(|a, b| a.1.rps.total_cmp(&b.1.rps))?;
    let (c, m, reasoning) = match mode {
        PickMode::Knee => knee(&qualified, (peak_c, peak), knee_ratio),
        PickMode::Score => {
            let &(c, m) = qualified
                .iter()
                .max_by(|a, b| a.1.score().total_cmp(&b.1.score()))?;
            let why = format!(
                "highest rps/(p99/p50)^2 = {:.0} ({:.0} rps, spread {:.2}) among {} qualified levels",
                m.score(),
                m.rps,
                m.spread(),
                qualified.len()
            );
            (c, m, why)
        }
    };
    Some(SweetSpot {
        concurrency: c,
        measured: m,
        method: mode,
        reasoning,
        peak_rps: peak.rps,
        peak_concurrency: peak_c,
    })
}

fn knee(
    qualified: &[(usize, Measurement)],
    (peak_c, peak): (usize, Measurement),
    knee_ratio: f64,
) -> (usize, Measurement, String) {
    let mut by_c = qualified.to_vec();
    by_c.sort_by_key(|(c, _)| *c);
    match by_c.iter().find(|(_, m)| m.rps >= knee_ratio * peak.rps) {
        Some(&(c, m)) => {
            let why = format!(
                "smallest c reaching {:.1}% of peak ({:.0} rps @ c={peak_c}), at least the \
                 knee ratio {:.0}%, p99 within the tail gate",
                m.rps / peak.rps * 100.0,
                peak.rps,
                knee_ratio * 100.0
            );
            (c, m, why)
        }
        // Only reachable with a knee ratio above 1: the peak is the best we have.
        None => (
            peak_c,
            peak,
            format!(
                "no level reached {:.0}% of peak; highest throughput instead",
                knee_ratio * 100.0
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::point::tests::point;

    #[test]
    fn a_reason_shows_its_value_above_the_limit() {
        assert_eq!(over(1.04, 1.0), 1.04);
        assert_eq!(over(3.0001, 3.0), 3.0001);
        assert_eq!(over(5.26, 4.0), 5.3);
    }

    fn baseline() -> Measurement {
        point(1, 100.0, 1.0, 2.0).measured.unwrap()
    }

    fn verdict(p: &Point) -> Option<String> {
        disqualify(p, &baseline(), &DqGates::default(), None)
    }

    #[test]
    fn each_gate_disqualifies_just_past_its_limit() {
        // At the limits: spread 4.0, p99.9/p50 8.0 (p99.9 = 1.2 p99 in `point`), tail 3.0x.
        assert_eq!(verdict(&point(2, 1.0, 1.5, 6.0)), None);
        let spread = verdict(&point(2, 1.0, 1.0, 4.1)).unwrap();
        assert!(spread.starts_with("spread=4.1"), "{spread}");
        let mut p999 = point(2, 1.0, 1.0, 3.0);
        p999.measured.as_mut().unwrap().p999_ms = 8.1;
        assert_eq!(verdict(&p999).unwrap(), "p999_ratio=8.1");
        let tail = verdict(&point(2, 1.0, 2.0, 6.2)).unwrap();
        assert_eq!(tail, "tail=3.1x");
        let mut errors = point(2, 1.0, 1.5, 3.0);
        errors.measured.as_mut().unwrap().error_rate = 0.011;
        assert_eq!(verdict(&errors).unwrap(), "errors=1.1%");
        errors.measured.as_mut().unwrap().error_rate = 0.01;
        assert_eq!(verdict(&errors), None, "exactly at the limit passes");
        let mut none = point(2, 1.0, 1.0, 1.0);
        none.measured = None;
        assert_eq!(verdict(&none).unwrap(), "no responses");
    }

    #[test]
    fn paired_gates_disqualify_overhead_and_deficit() {
        let limits = PairedGates {
            max_overhead_pct: 25.0,
            max_rps_deficit_pct: 50.0,
        };
        let mut p = point(4, 400.0, 1.5, 3.0);
        p.reference = point(4, 1000.0, 1.0, 2.0).measured;
        let why = disqualify(&p, &baseline(), &DqGates::default(), Some(limits)).unwrap();
        assert_eq!(why, "overhead=50%, rps_deficit=60%");
        p.reference = point(4, 450.0, 1.5, 2.5).measured;
        assert_eq!(
            disqualify(&p, &baseline(), &DqGates::default(), Some(limits)),
            None
        );
    }

    fn curve() -> Vec<Point> {
        vec![
            point(10, 6420.0, 1.55, 3.10),
            point(50, 18900.0, 2.64, 5.80),
            point(150, 34100.0, 4.39, 9.80),
            point(180, 35800.0, 4.55, 10.2),
            point(400, 38200.0, 10.4, 41.0),
        ]
    }

    #[test]
    fn knee_is_the_smallest_level_near_peak() {
        let spot = pick(&curve(), PickMode::Knee, 0.9).unwrap();
        assert_eq!((spot.concurrency, spot.peak_concurrency), (180, 400));
        assert!(
            spot.reasoning.contains("93.7% of peak"),
            "{}",
            spot.reasoning
        );
        let spot = pick(&curve(), PickMode::Knee, 0.95).unwrap();
        assert_eq!(spot.concurrency, 400);
        let spot = pick(&curve(), PickMode::Knee, 0.85).unwrap();
        assert_eq!(spot.concurrency, 150);
    }

    #[test]
    fn disqualified_levels_are_never_picked() {
        let mut points = curve();
        points[4].disqualified = Some("tail=20x".into());
        let spot = pick(&points, PickMode::Knee, 0.95).unwrap();
        assert_eq!((spot.concurrency, spot.peak_concurrency), (150, 180));
        for p in &mut points {
            p.disqualified = Some("x".into());
        }
        assert_eq!(pick(&points, PickMode::Knee, 0.95), None);
    }

    #[test]
    fn score_mode_weighs_consistency() {
        // Scores: 1605, 3916, 6843, 7124, 2458.
        let spot = pick(&curve(), PickMode::Score, 0.95).unwrap();
        assert_eq!(spot.concurrency, 180);
        assert!(spot.reasoning.starts_with("highest rps/(p99/p50)^2 = 7124"));
    }

    #[test]
    fn knee_ratio_above_one_falls_back_to_the_peak() {
        let spot = pick(&curve(), PickMode::Knee, 1.5).unwrap();
        assert_eq!(spot.concurrency, 400);
    }
}
