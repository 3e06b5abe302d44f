//! The open-loop arrival schedule (`--rate` with `--arrival`, `--burstiness`, `--seed`):
//! when request *i* of the run is due, as an offset from the start.
//!
//! Every worker takes indexes from the same run-wide counter, so the schedule is one for the
//! run, not one per worker. `constant` needs no shared state: request *i* is due at
//! `i / rate`. `poisson` draws each gap from a seeded gamma distribution with mean
//! `1 / rate` and shape `burstiness` (1: exponential gaps, a Poisson process; vLLM's
//! `bench serve` does the same), and each gap depends on the previous ones, so the index and
//! its due time are taken together under one lock: the i-th index always gets the i-th
//! offset of the seeded sequence, whichever worker takes it, and a seed repeats its schedule.
//! The lock is taken once per request, by at most two threads per CPU, and only in that mode.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::progress::Progress;
use super::random::Rng;
use crate::config::{Arrival, RunConfig};

/// A run's arrival schedule, shared by its workers.
#[derive(Debug)]
pub struct Arrivals {
    /// The seeded gap sequence of a `poisson` schedule; `None` for a constant one.
    random: Option<Mutex<Gaps>>,
}

/// The constant schedule, for pacers that need one and have no run (tests).
#[cfg(test)]
pub(crate) static CONSTANT: Arrivals = Arrivals { random: None };

impl Arrivals {
    /// The schedule `config` asks for (constant unless `--rate` comes with random arrivals).
    pub fn of(config: &RunConfig) -> Arrivals {
        let random = match (config.rate, config.arrival) {
            (Some(rate), Arrival::Poisson { burstiness, seed }) => {
                Some(Mutex::new(Gaps::new(rate, burstiness, seed)))
            }
            _ => None,
        };
        Arrivals { random }
    }

    /// Takes the run's next request index and its due offset from the start (`None` when
    /// the offset would not fit a clock). `interval` is the constant schedule's spacing.
    #[inline]
    pub(crate) fn take(&self, progress: &Progress, interval: Duration) -> (u64, Option<Duration>) {
        match &self.random {
            None => {
                let index = progress.take_ticket();
                let offset = u64::try_from(interval.as_nanos() * u128::from(index)).ok();
                (index, offset.map(Duration::from_nanos))
            }
            Some(gaps) => {
                let mut gaps = gaps.lock().unwrap_or_else(PoisonError::into_inner);
                (progress.take_ticket(), gaps.next_offset())
            }
        }
    }
}

/// Due offsets with random gaps: request 0 at the start, then one gamma-distributed gap
/// after another.
#[derive(Debug, Clone)]
pub struct Gaps {
    rng: Rng,
    shape: f64,
    mean_ns: f64,
    next_ns: f64,
}

impl Gaps {
    /// Gaps of mean `1 / rate` seconds and gamma shape `burstiness` (> 0), seeded by `seed`.
    pub fn new(rate: f64, burstiness: f64, seed: u64) -> Gaps {
        Gaps {
            rng: Rng::new(seed),
            shape: burstiness,
            mean_ns: 1e9 / rate,
            next_ns: 0.0,
        }
    }

    /// The next request's offset from the start (`None` past what a clock can hold).
    pub fn next_offset(&mut self) -> Option<Duration> {
        let offset = Duration::try_from_secs_f64(self.next_ns / 1e9).ok();
        // Shape 1 is the exponential; drawn directly, it costs one logarithm per gap.
        #[allow(clippy::float_cmp)]
        let unit = if self.shape == 1.0 {
            self.rng.exponential()
        } else {
            self.rng.gamma(self.shape) / self.shape
        };
        self.next_ns += unit * self.mean_ns;
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first `n` gaps, in seconds.
    fn gaps(rate: f64, burstiness: f64, seed: u64, n: usize) -> Vec<f64> {
        let mut g = Gaps::new(rate, burstiness, seed);
        let offsets: Vec<f64> = (0..=n)
            .map(|_| g.next_offset().unwrap().as_secs_f64())
            .collect();
        offsets.windows(2).map(|w| w[1] - w[0]).collect()
    }

    fn rate_and_cv(gaps: &[f64]) -> (f64, f64) {
        let n = gaps.len() as f64;
        let mean = gaps.iter().sum::<f64>() / n;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n;
        (1.0 / mean, var.sqrt() / mean)
    }

    #[test]
    fn the_first_request_is_due_at_the_start_and_a_seed_repeats_its_schedule() {
        let mut g = Gaps::new(100.0, 1.0, 9);
        assert_eq!(g.next_offset(), Some(Duration::ZERO));
        assert_eq!(gaps(100.0, 1.0, 9, 1000), gaps(100.0, 1.0, 9, 1000));
        assert_eq!(gaps(100.0, 0.5, 9, 1000), gaps(100.0, 0.5, 9, 1000));
        assert_ne!(gaps(100.0, 1.0, 9, 1000), gaps(100.0, 1.0, 10, 1000));
    }

    #[test]
    fn poisson_keeps_the_rate_with_a_coefficient_of_variation_of_one() {
        let (rate, cv) = rate_and_cv(&gaps(500.0, 1.0, 0, 10_000));
        assert!((rate / 500.0 - 1.0).abs() < 0.03, "rate {rate}");
        assert!((cv - 1.0).abs() < 0.05, "cv {cv}");
    }

    #[test]
    fn burstiness_below_one_clusters_and_above_one_evens_out_at_the_same_rate() {
        for (burstiness, expected_cv) in [(0.25, 2.0), (4.0, 0.5), (100.0, 0.1)] {
            let (rate, cv) = rate_and_cv(&gaps(1000.0, burstiness, 1, 10_000));
            assert!(
                (rate / 1000.0 - 1.0).abs() < 0.05,
                "B {burstiness}: rate {rate}"
            );
            assert!(
                (cv / expected_cv - 1.0).abs() < 0.1,
                "B {burstiness}: cv {cv}"
            );
        }
    }

    #[test]
    fn indexes_and_offsets_are_taken_together_in_order() {
        let progress = Progress::default();
        let mut config = RunConfig::get(
            crate::url::Target::parse("http://h/").unwrap(),
            crate::config::StopAt::Requests(10),
            1,
        );
        config.rate = Some(10.0);
        config.arrival = Arrival::Poisson {
            burstiness: 1.0,
            seed: 4,
        };
        let arrivals = Arrivals::of(&config);
        let mut expected = Gaps::new(10.0, 1.0, 4);
        for i in 0..5 {
            let (index, offset) = arrivals.take(&progress, Duration::from_millis(100));
            assert_eq!((index, offset), (i, expected.next_offset()));
        }
        config.arrival = Arrival::Constant;
        let (index, offset) = Arrivals::of(&config).take(&progress, Duration::from_millis(100));
        assert_eq!((index, offset), (5, Some(Duration::from_millis(500))));
    }
}
