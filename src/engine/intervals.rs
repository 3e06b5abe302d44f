//! The run as a time series (`--interval`): requests, responses, errors and a latency
//! histogram per interval of the measured window.
//!
//! A request belongs to the interval in which it *ended* (its response's last byte, its
//! failure, or the interruption that cut it off), counted from the run's start: interval `k`
//! covers `[k × length, (k + 1) × length)`. Completion time is what shows a stall: a server
//! that freezes for a second answers nothing in that second, and the requests it held land,
//! slow, in the interval where they finally complete. Every request ends exactly once, so the
//! intervals' requests add up to the run's, and likewise responses and errors.
//!
//! Histograms keep two significant digits (percentiles within 1%, where the run's own
//! histogram keeps three) and grow to the slowest value recorded instead of reserving the
//! full hour up front. A series holds one histogram per interval per worker, so its size is
//! what decides whether `--interval` stays lean: at three digits an interval of loopback
//! traffic held ~110 KB and a 5 s run sliced in 10 ms intervals peaked at 119 MB; at two, an
//! interval holds ~15 KB. Their lowest value (1 ns) and upper bound (clamped to
//! [`LATENCY_MAX_NS`](super::result::LATENCY_MAX_NS)) are the run's, so they add into each
//! other exactly and into a run histogram to within their precision.

mod recorder;

use std::time::Duration;

use hdrhistogram::Histogram;
use thiserror::Error;

pub(crate) use recorder::IntervalRecorder;

/// Shortest interval `--interval` accepts: finer slices hold too few requests for a
/// percentile and cost a histogram each.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// What ended in one interval of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// Position from the run's start: the interval covers `[index × length, (index + 1) ×
    /// length)` of the measured window.
    pub index: u64,
    /// Requests that ended in it: responses, errors, and requests cut off by an interruption.
    pub requests: u64,
    /// Complete responses, whatever their status.
    pub responses: u64,
    /// Requests that produced no response.
    pub errors: u64,
    /// Latency of its responses in nanoseconds, recorded as the run's main histogram records
    /// them (corrected samples included under `--latency-correction`).
    pub latency_ns: Histogram<u64>,
}

impl Interval {
    /// An interval with nothing recorded yet, whose histogram is sized like `like` (an
    /// earlier interval's) so that recording into it rarely has to grow it.
    pub fn empty(index: u64, like: Option<&Histogram<u64>>) -> Interval {
        Interval {
            index,
            requests: 0,
            responses: 0,
            errors: 0,
            latency_ns: like.map_or_else(empty_histogram, Histogram::new_from),
        }
    }

    /// Folds another interval (another worker's or process's, same slice of time) into this.
    fn add(&mut self, other: &Interval) {
        self.requests += other.requests;
        self.responses += other.responses;
        self.errors += other.errors;
        // Auto-resizing with the shared layout, so adding cannot fail.
        let _ = self.latency_ns.add(&other.latency_ns);
    }
}

/// Significant digits of an interval's histogram (see the module docs).
pub const INTERVAL_SIGFIG: u8 = 2;

/// An interval's empty histogram, which grows as values arrive (see the module docs).
pub fn empty_histogram() -> Histogram<u64> {
    Histogram::new(INTERVAL_SIGFIG).expect("constant histogram precision is valid")
}

/// Two series sliced differently cannot be added: their intervals cover different times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("cannot merge results with --interval {ours:?} and --interval {theirs:?}")]
pub struct LengthMismatch {
    /// The interval length of the series merged into.
    pub ours: Duration,
    /// The interval length of the series that did not fit.
    pub theirs: Duration,
}

/// The time series of one run (or of several merged).
#[derive(Debug, Clone, PartialEq)]
pub struct Intervals {
    /// Length of every interval (`--interval`).
    pub length: Duration,
    /// Intervals by ascending index, each index at most once. An interval in which nothing
    /// ended may be missing: readers treat it as all zeros.
    pub entries: Vec<Interval>,
}

impl Intervals {
    /// A series of intervals of `length` with nothing recorded.
    pub fn new(length: Duration) -> Intervals {
        Intervals {
            length,
            entries: Vec::new(),
        }
    }

    /// Requests of every interval; equals the run's requests.
    pub fn requests(&self) -> u64 {
        self.entries.iter().map(|e| e.requests).sum()
    }

    /// Responses of every interval; equals the run's responses.
    pub fn responses(&self) -> u64 {
        self.entries.iter().map(|e| e.responses).sum()
    }

    /// Errors of every interval; equals the run's failures.
    pub fn errors(&self) -> u64 {
        self.entries.iter().map(|e| e.errors).sum()
    }

    /// Folds in another series of the same run (another worker's): same start, so intervals
    /// of equal index cover the same time.
    pub fn add(&mut self, other: &Intervals) -> Result<(), LengthMismatch> {
        self.merge(other, 0)
    }

    /// [`Intervals::add`] taking `other` by value: its intervals move instead of being
    /// copied when this series is still empty (the first worker's).
    pub fn absorb(&mut self, other: Intervals) -> Result<(), LengthMismatch> {
        if self.entries.is_empty() && self.length == other.length {
            self.entries = other.entries;
            return Ok(());
        }
        self.add(&other)
    }

    /// Folds in the series of another process, whose run started `offset_ns` nanoseconds
    /// after this one's (negative: before), by wall clock. The offset is rounded to whole
    /// intervals: processes started together with `--start-at` differ by milliseconds, so
    /// their intervals line up; two runs started half an interval apart cannot be sliced
    /// alike, and each of their requests moves by at most half an interval. When the other
    /// run started earlier, this series is shifted instead, so afterwards its index 0 is the
    /// interval of the earlier start.
    pub fn merge(&mut self, other: &Intervals, offset_ns: i128) -> Result<(), LengthMismatch> {
        if other.length != self.length {
            return Err(LengthMismatch {
                ours: self.length,
                theirs: other.length,
            });
        }
        let shift = whole_intervals(offset_ns, self.length);
        let theirs = match u64::try_from(shift) {
            Ok(later) => later,
            Err(_) => {
                let earlier = shift.unsigned_abs();
                for entry in &mut self.entries {
                    entry.index += earlier;
                }
                0
            }
        };
        for entry in &other.entries {
            self.add_at(entry.index + theirs, entry);
        }
        Ok(())
    }

    /// Adds `entry` as the interval of index `index`, keeping entries sorted.
    fn add_at(&mut self, index: u64, entry: &Interval) {
        match self.entries.binary_search_by_key(&index, |e| e.index) {
            Ok(at) => self.entries[at].add(entry),
            Err(at) => {
                let mut copy = entry.clone();
                copy.index = index;
                self.entries.insert(at, copy);
            }
        }
    }

    /// The same run sliced `factor` times coarser: interval `k` of the result holds intervals
    /// `k × factor .. (k + 1) × factor` of this one. What a short table of a long run shows.
    pub fn coarsen(&self, factor: u64) -> Intervals {
        let factor = factor.max(1);
        let mut coarse = Intervals::new(self.length * u32::try_from(factor).unwrap_or(u32::MAX));
        for entry in &self.entries {
            coarse.add_at(entry.index / factor, entry);
        }
        coarse
    }
}

/// `offset_ns` in whole intervals of `length`, rounded to the nearest (halves away from zero).
fn whole_intervals(offset_ns: i128, length: Duration) -> i64 {
    let length_ns = i128::try_from(length.as_nanos())
        .unwrap_or(i128::MAX)
        .max(1);
    let half = length_ns / 2;
    let rounded = if offset_ns >= 0 {
        (offset_ns + half) / length_ns
    } else {
        (offset_ns - half) / length_ns
    };
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests;
