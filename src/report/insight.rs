//! Automated reading of the latency distribution: three ratios, each with a verdict.
//!
//! Percentiles alone make the reader do arithmetic; these ratios answer the questions people
//! actually ask of a run ("is latency consistent?", "is the tail clean?", "are there stalls?")
//! with fixed, documented thresholds so the same distribution always gets the same words.

use std::time::Duration;

/// How alarming a verdict is; the text report colors it green, yellow or red.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Good,
    Warn,
    Bad,
}

/// A verdict on one ratio. Keys are part of the JSON contract; texts are for humans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    GoodConsistency,
    ModerateVariance,
    HighVariance,
    SevereVariance,
    CleanTail,
    ModerateTail,
    HeavyTail,
    NoSignificantOutliers,
    SomeOutliers,
    SevereOutliers,
}

impl Verdict {
    /// The stable snake_case key used in JSON (`insight.*_verdict`); never renamed once shipped.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::GoodConsistency => "good_consistency",
            Verdict::ModerateVariance => "moderate_variance",
            Verdict::HighVariance => "high_variance",
            Verdict::SevereVariance => "severe_variance",
            Verdict::CleanTail => "clean_tail",
            Verdict::ModerateTail => "moderate_tail",
            Verdict::HeavyTail => "heavy_tail",
            Verdict::NoSignificantOutliers => "no_significant_outliers",
            Verdict::SomeOutliers => "some_outliers",
            Verdict::SevereOutliers => "severe_outliers",
        }
    }

    /// The words printed in the text report.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::GoodConsistency => "good consistency",
            Verdict::ModerateVariance => "moderate variance",
            Verdict::HighVariance => "high variance",
            Verdict::SevereVariance => "severe variance",
            Verdict::CleanTail => "clean tail",
            Verdict::ModerateTail => "moderate tail",
            Verdict::HeavyTail => "heavy tail",
            Verdict::NoSignificantOutliers => "no significant outliers",
            Verdict::SomeOutliers => "some outliers",
            Verdict::SevereOutliers => "severe outliers",
        }
    }

    /// How alarming the verdict is: the best verdict of each ratio is good, the worst is bad.
    pub fn health(self) -> Health {
        match self {
            Verdict::GoodConsistency | Verdict::CleanTail | Verdict::NoSignificantOutliers => {
                Health::Good
            }
            Verdict::ModerateVariance | Verdict::ModerateTail | Verdict::SomeOutliers => {
                Health::Warn
            }
            Verdict::HighVariance
            | Verdict::SevereVariance
            | Verdict::HeavyTail
            | Verdict::SevereOutliers => Health::Bad,
        }
    }
}

/// One ratio and what it means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    /// The ratio itself, e.g. 1.9 for p99 = 1.9 × p50.
    pub ratio: f64,
    pub verdict: Verdict,
}

/// The three findings of a run with at least one response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Insight {
    /// p99 / p50: how far the slow requests are from the typical one.
    pub spread: Finding,
    /// p99 / p95: whether the last few percent degrade sharply.
    pub tail: Finding,
    /// p99.9 / p99: whether rare stalls (GC, retransmits, queueing) stand out from the tail.
    pub outliers: Finding,
}

impl Insight {
    /// Reads the four percentiles the ratios need.
    pub fn new(p50: Duration, p95: Duration, p99: Duration, p99_9: Duration) -> Insight {
        Insight {
            spread: spread(ratio(p99, p50)),
            tail: tail(ratio(p99, p95)),
            outliers: outliers(ratio(p99_9, p99)),
        }
    }
}

/// `a / b`, with a zero denominator treated as 1 ns so a pathological run cannot divide by 0.
fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_nanos() as f64 / b.as_nanos().max(1) as f64
}

/// Latency spread p99/p50: below 2 "good consistency", below 5 "moderate variance",
/// below 10 "high variance", from 10 up "severe variance". Bounds are exclusive: exactly 2.0
/// is already moderate.
pub fn spread(ratio: f64) -> Finding {
    let verdict = match ratio {
        r if r < 2.0 => Verdict::GoodConsistency,
        r if r < 5.0 => Verdict::ModerateVariance,
        r if r < 10.0 => Verdict::HighVariance,
        _ => Verdict::SevereVariance,
    };
    Finding { ratio, verdict }
}

/// Tail ratio p99/p95: below 1.5 "clean tail", below 3 "moderate tail", from 3 up
/// "heavy tail". Bounds are exclusive.
pub fn tail(ratio: f64) -> Finding {
    let verdict = match ratio {
        r if r < 1.5 => Verdict::CleanTail,
        r if r < 3.0 => Verdict::ModerateTail,
        _ => Verdict::HeavyTail,
    };
    Finding { ratio, verdict }
}

/// Outlier ratio p99.9/p99: below 1.5 "no significant outliers", below 3 "some outliers",
/// from 3 up "severe outliers". Bounds are exclusive.
pub fn outliers(ratio: f64) -> Finding {
    let verdict = match ratio {
        r if r < 1.5 => Verdict::NoSignificantOutliers,
        r if r < 3.0 => Verdict::SomeOutliers,
        _ => Verdict::SevereOutliers,
    };
    Finding { ratio, verdict }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(f: fn(f64) -> Finding, r: f64) -> Verdict {
        f(r).verdict
    }

    #[test]
    fn spread_boundaries() {
        assert_eq!(v(spread, 1.0), Verdict::GoodConsistency);
        assert_eq!(v(spread, 1.999), Verdict::GoodConsistency);
        assert_eq!(v(spread, 2.0), Verdict::ModerateVariance);
        assert_eq!(v(spread, 4.999), Verdict::ModerateVariance);
        assert_eq!(v(spread, 5.0), Verdict::HighVariance);
        assert_eq!(v(spread, 9.999), Verdict::HighVariance);
        assert_eq!(v(spread, 10.0), Verdict::SevereVariance);
        assert_eq!(v(spread, f64::INFINITY), Verdict::SevereVariance);
    }

    #[test]
    fn tail_boundaries() {
        assert_eq!(v(tail, 1.499), Verdict::CleanTail);
        assert_eq!(v(tail, 1.5), Verdict::ModerateTail);
        assert_eq!(v(tail, 2.999), Verdict::ModerateTail);
        assert_eq!(v(tail, 3.0), Verdict::HeavyTail);
    }

    #[test]
    fn outlier_boundaries() {
        assert_eq!(v(outliers, 1.499), Verdict::NoSignificantOutliers);
        assert_eq!(v(outliers, 1.5), Verdict::SomeOutliers);
        assert_eq!(v(outliers, 2.999), Verdict::SomeOutliers);
        assert_eq!(v(outliers, 3.0), Verdict::SevereOutliers);
    }

    #[test]
    fn health_per_verdict() {
        assert_eq!(Verdict::GoodConsistency.health(), Health::Good);
        assert_eq!(Verdict::ModerateVariance.health(), Health::Warn);
        assert_eq!(Verdict::HighVariance.health(), Health::Bad);
        assert_eq!(Verdict::SevereVariance.health(), Health::Bad);
        assert_eq!(Verdict::ModerateTail.health(), Health::Warn);
        assert_eq!(Verdict::HeavyTail.health(), Health::Bad);
        assert_eq!(Verdict::NoSignificantOutliers.health(), Health::Good);
        assert_eq!(Verdict::SevereOutliers.health(), Health::Bad);
    }

    #[test]
    fn insight_from_percentiles_guards_zero() {
        let ms = Duration::from_millis;
        let i = Insight::new(ms(10), ms(40), ms(100), ms(400));
        assert_eq!(i.spread.verdict, Verdict::SevereVariance);
        assert!((i.spread.ratio - 10.0).abs() < 1e-12);
        assert_eq!(i.tail.verdict, Verdict::ModerateTail);
        assert_eq!(i.outliers.verdict, Verdict::SevereOutliers);
        let z = Insight::new(
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
        );
        assert_eq!(z.spread.ratio, 0.0);
    }
}
