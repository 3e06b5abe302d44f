//! One level's numbers: a run reduced to what a sweep compares, and the median of repeats.
//!
//! A sweep keeps no histograms between levels: each run is reduced at once to a handful of
//! numbers (percentiles in milliseconds, rps, error rate), which is also what keeps memory
//! flat over many levels.

use crate::engine::result::RunResult;

/// What one level measured (the median of each metric over its repeats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// Responses per second of measured time.
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// Failed requests / attempted requests.
    pub error_rate: f64,
}

impl Measurement {
    /// Reduces a run; `None` when no response arrived (no latency to speak of). The rate is
    /// over the run's `elapsed`, which holds the drain of requests in flight at a `-z`
    /// deadline: over the deadline alone a level's rps would grow by about c/d past the knee
    /// and the curve would never seem to peak.
    pub fn of(result: &RunResult) -> Option<Measurement> {
        let hist = &result.latency_ns;
        if hist.is_empty() {
            return None;
        }
        let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1e6;
        let secs = result.elapsed.as_secs_f64();
        let requests = result.requests();
        Some(Measurement {
            rps: if secs > 0.0 {
                result.responses() as f64 / secs
            } else {
                0.0
            },
            p50_ms: ms(0.50),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            error_rate: if requests > 0 {
                result.failures() as f64 / requests as f64
            } else {
                0.0
            },
        })
    }

    /// The median of each metric independently; `None` for no measurement.
    pub fn median(runs: &[Measurement]) -> Option<Measurement> {
        if runs.is_empty() {
            return None;
        }
        let m = |f: fn(&Measurement) -> f64| median(runs.iter().map(f).collect());
        Some(Measurement {
            rps: m(|x| x.rps),
            p50_ms: m(|x| x.p50_ms),
            p95_ms: m(|x| x.p95_ms),
            p99_ms: m(|x| x.p99_ms),
            p999_ms: m(|x| x.p999_ms),
            error_rate: m(|x| x.error_rate),
        })
    }

    /// `p99 / p50`: how far the tail is from the typical request.
    pub fn spread(&self) -> f64 {
        ratio(self.p99_ms, self.p50_ms)
    }

    /// `p99.9 / p50`.
    pub fn p999_ratio(&self) -> f64 {
        ratio(self.p999_ms, self.p50_ms)
    }

    /// `rps / (p99/p50)^2`: throughput weighted by consistency squared (the VIL formula).
    pub fn score(&self) -> f64 {
        self.rps / (self.spread() * self.spread())
    }
}

/// `a / b`, guarded against a zero denominator (a sub-resolution p50).
fn ratio(a: f64, b: f64) -> f64 {
    a / b.max(1e-6)
}

/// The middle value; for an even count, the mean of the two middle ones.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Which pass of the sweep measured a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Coarse,
    Refine,
}

/// One level of a sweep: what it measured and the verdict on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub concurrency: usize,
    /// Runs that were aggregated.
    pub repeats: usize,
    pub phase: Phase,
    /// `None` when no run of the level produced a response.
    pub measured: Option<Measurement>,
    /// Paired mode: the reference at the same level.
    pub reference: Option<Measurement>,
    /// Why the level can not be the sweet spot (`spread=5.2`); `None` when it qualifies.
    pub disqualified: Option<String>,
}

impl Point {
    /// The score of a qualified point; `None` for a disqualified or unmeasured one.
    pub fn score(&self) -> Option<f64> {
        self.measured
            .filter(|_| self.disqualified.is_none())
            .map(|m| m.score())
    }

    /// Paired mode: `(target p99 - ref p99) / ref p99`, in percent.
    pub fn overhead_pct(&self) -> Option<f64> {
        let (t, r) = (self.measured?, self.reference?);
        Some((t.p99_ms - r.p99_ms) / r.p99_ms.max(1e-6) * 100.0)
    }

    /// Paired mode: `(ref rps - target rps) / ref rps`, in percent.
    pub fn rps_deficit_pct(&self) -> Option<f64> {
        let (t, r) = (self.measured?, self.reference?);
        (r.rps > 0.0).then(|| (r.rps - t.rps) / r.rps * 100.0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A measured, qualified coarse point with p95 and p99.9 derived from p99.
    pub(crate) fn point(c: usize, rps: f64, p50_ms: f64, p99_ms: f64) -> Point {
        Point {
            concurrency: c,
            repeats: 1,
            phase: Phase::Coarse,
            measured: Some(Measurement {
                rps,
                p50_ms,
                p95_ms: (p50_ms + p99_ms) / 2.0,
                p99_ms,
                p999_ms: p99_ms * 1.2,
                error_rate: 0.0,
            }),
            reference: None,
            disqualified: None,
        }
    }

    #[test]
    fn medians_are_per_metric() {
        let a = point(1, 100.0, 1.0, 9.0).measured.unwrap();
        let b = point(1, 300.0, 3.0, 3.0).measured.unwrap();
        let c = point(1, 200.0, 2.0, 6.0).measured.unwrap();
        let m = Measurement::median(&[a, b, c]).unwrap();
        assert_eq!((m.rps, m.p50_ms, m.p99_ms), (200.0, 2.0, 6.0));
        assert_eq!(median(vec![1.0, 4.0]), 2.5);
        assert_eq!(Measurement::median(&[]), None);
    }

    #[test]
    fn score_is_rps_over_spread_squared() {
        let p = point(10, 1000.0, 2.0, 4.0);
        assert_eq!(p.score(), Some(250.0));
        let mut dq = p;
        dq.disqualified = Some("x".into());
        assert_eq!(dq.score(), None);
    }

    #[test]
    fn paired_overhead_and_deficit() {
        let mut p = point(10, 800.0, 2.0, 12.5);
        p.reference = point(10, 1000.0, 2.0, 10.0).measured;
        assert_eq!(p.overhead_pct(), Some(25.0));
        assert_eq!(p.rps_deficit_pct(), Some(20.0));
    }
}
