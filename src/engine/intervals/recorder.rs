//! One worker's side of `--interval`: buckets each request by when it ended, lock-free.
//!
//! The worker owns its recorder on its own thread, so recording is plain arithmetic. The
//! common case, a request that ends in the interval being filled, costs one comparison of
//! instants, three counter increments and a histogram record; only the first request of a
//! new interval computes its index and creates its histogram, once per interval per worker.

use std::time::Duration;

use tokio::time::Instant;

use super::{Interval, Intervals};
use crate::engine::result::LATENCY_MAX_NS;

/// A worker's intervals: the one being filled, and the ones before it.
pub(crate) struct IntervalRecorder {
    /// The run's start, common to all workers: interval 0 begins here.
    start: Instant,
    length: Duration,
    /// Where the interval being filled ends; a request that ends before it belongs to it.
    ends: Instant,
    current: Interval,
    /// Earlier intervals in which something ended, by ascending index.
    closed: Vec<Interval>,
}

impl IntervalRecorder {
    /// A recorder for a run that started at `start`, sliced in intervals of `length`; a run
    /// expected to last `expected` (`-z` plus its drain) reserves room for all its intervals.
    pub fn new(start: Instant, length: Duration, expected: Option<Duration>) -> Self {
        let length = length.max(Duration::from_nanos(1));
        let slots = expected.map_or(0, |d| index_of(d, length) + 1);
        IntervalRecorder {
            start,
            length,
            ends: end_of(start, length, 0),
            current: Interval::empty(0, None),
            closed: Vec::with_capacity(usize::try_from(slots).unwrap_or(0).min(1 << 16)),
        }
    }

    /// Records a response that ended at `at`, with the latency (ns) the main histogram got;
    /// `correction` is the expected interval of `--latency-correction`.
    #[inline]
    pub fn response(&mut self, at: Instant, latency_ns: u64, correction: Option<u64>) {
        let interval = self.at(at);
        interval.requests += 1;
        interval.responses += 1;
        let value = latency_ns.clamp(1, LATENCY_MAX_NS);
        // Values are clamped to the shared bounds and the histogram grows, so this cannot
        // fail.
        let _ = match correction {
            Some(expected) => interval.latency_ns.record_correct(value, expected),
            None => interval.latency_ns.record(value),
        };
    }

    /// Records a request that failed at `at`.
    #[inline]
    pub fn error(&mut self, at: Instant) {
        let interval = self.at(at);
        interval.requests += 1;
        interval.errors += 1;
    }

    /// Records `requests` cut off in flight by an interruption at `at`.
    pub fn cut_off(&mut self, at: Instant, requests: u64) {
        self.at(at).requests += requests;
    }

    /// The interval a request that ended at `at` is counted in. Instants from one thread
    /// arrive in order, so only a request of a new interval takes the slow path; one that
    /// arrives late (an instant read before the previous record) counts in the current one.
    #[inline]
    fn at(&mut self, at: Instant) -> &mut Interval {
        if at >= self.ends {
            self.roll(at);
        }
        &mut self.current
    }

    /// Closes the current interval and starts the one `at` falls in.
    #[cold]
    fn roll(&mut self, at: Instant) {
        let index = index_of(at.saturating_duration_since(self.start), self.length);
        let next = Interval::empty(index, Some(&self.current.latency_ns));
        let done = std::mem::replace(&mut self.current, next);
        if done.requests > 0 {
            self.closed.push(done);
        }
        self.ends = end_of(self.start, self.length, index);
    }

    /// The worker's series, once its last request ended.
    pub fn finish(mut self) -> Intervals {
        if self.current.requests > 0 {
            self.closed.push(self.current);
        }
        Intervals {
            length: self.length,
            entries: self.closed,
        }
    }
}

/// Where interval `index` ends; an end past what the clock can hold (an `--interval` of
/// centuries) is a far future instead of an overflow.
fn end_of(start: Instant, length: Duration, index: u64) -> Instant {
    let far = Duration::from_secs(86_400 * 365 * 30);
    index
        .checked_add(1)
        .and_then(|n| u32::try_from(n).ok())
        .and_then(|n| length.checked_mul(n))
        .and_then(|d| start.checked_add(d))
        .unwrap_or_else(|| start + far)
}

/// Index of the interval holding the instant `since` after the start.
fn index_of(since: Duration, length: Duration) -> u64 {
    let index = since.as_nanos() / length.as_nanos().max(1);
    u64::try_from(index).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn requests_land_in_the_interval_they_ended_in() {
        let start = Instant::now();
        let mut rec = IntervalRecorder::new(start, ms(100), Some(ms(1_000)));
        rec.response(start + ms(5), 1_000, None);
        rec.response(start + ms(99), 2_000, None);
        rec.error(start + ms(100));
        rec.response(start + ms(350), 3_000, None);
        rec.cut_off(start + ms(351), 4);
        let series = rec.finish();
        let shape: Vec<_> = series
            .entries
            .iter()
            .map(|e| {
                (
                    e.index,
                    e.requests,
                    e.responses,
                    e.errors,
                    e.latency_ns.len(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![(0, 2, 2, 0, 2), (1, 1, 0, 1, 0), (3, 5, 1, 0, 1)]
        );
        assert_eq!(series.requests(), 8);
    }

    #[test]
    fn an_instant_read_before_the_previous_record_counts_in_the_current_interval() {
        let start = Instant::now();
        let mut rec = IntervalRecorder::new(start, ms(100), None);
        rec.response(start + ms(150), 1_000, None);
        rec.error(start + ms(90));
        let series = rec.finish();
        assert_eq!(series.entries.len(), 1);
        assert_eq!(
            (series.entries[0].index, series.entries[0].requests),
            (1, 2)
        );
    }

    #[test]
    fn a_histogram_is_made_once_per_interval_and_adds_into_a_run_histogram() {
        let start = Instant::now();
        let mut rec = IntervalRecorder::new(start, ms(10), None);
        for i in 0..1_000u64 {
            rec.response(
                start + Duration::from_micros(i * 50),
                1 + i * 1_000_003,
                None,
            );
        }
        let series = rec.finish();
        assert_eq!(series.entries.len(), 5);
        let mut main = crate::engine::result::new_latency_histogram();
        for entry in &series.entries {
            main.add(&entry.latency_ns).unwrap();
        }
        assert_eq!(main.len(), 1_000);
        let max = 1 + 999 * 1_000_003;
        assert!(main.max().abs_diff(max) < max / 100, "{}", main.max());
    }

    #[test]
    fn an_interval_longer_than_the_clock_holds_ends_in_a_far_future() {
        let start = Instant::now();
        let mut rec = IntervalRecorder::new(start, Duration::MAX, None);
        rec.response(start + ms(5), 1_000, None);
        assert_eq!(rec.finish().requests(), 1);
        assert!(end_of(start, ms(10), u64::MAX) > start);
    }

    #[test]
    fn values_past_the_shared_bounds_are_clamped() {
        let start = Instant::now();
        let mut rec = IntervalRecorder::new(start, ms(10), None);
        rec.response(start, u64::MAX, None);
        let series = rec.finish();
        let mut main = crate::engine::result::new_latency_histogram();
        main.add(&series.entries[0].latency_ns).unwrap();
        assert_eq!(main.len(), 1);
    }
}
