//! The `--interval` time series inside the JSON `result` object: each interval's counters
//! and its histogram in the standard encoding, so `vastar merge` rebuilds the series exactly
//! and lines up the series of several processes by their wall-clock starts.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::hdr::{self, HdrError};
use crate::engine::intervals::{empty_histogram, Interval, Intervals};

/// The series, exactly (added in 1.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawIntervals {
    /// Length of every interval (`--interval`), in nanoseconds.
    pub length_ns: u64,
    /// The intervals in which something ended, by ascending index; a missing index is an
    /// interval of zeros.
    pub entries: Vec<JsonRawInterval>,
}

/// One interval, exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRawInterval {
    /// Position from the start of the measured window: the interval covers
    /// `[index × length_ns, (index + 1) × length_ns)`.
    pub index: u64,
    /// Requests that ended in it: responses, errors, requests cut off.
    pub requests: u64,
    /// Complete responses, whatever their status.
    pub responses: u64,
    /// Requests that produced no response.
    pub errors: u64,
    /// Latency of its responses, base64 of HdrHistogram's V2 + DEFLATE encoding, in
    /// nanoseconds.
    pub latency: String,
}

impl From<&Intervals> for JsonRawIntervals {
    fn from(series: &Intervals) -> JsonRawIntervals {
        JsonRawIntervals {
            length_ns: u64::try_from(series.length.as_nanos()).unwrap_or(u64::MAX),
            entries: series
                .entries
                .iter()
                .map(|e| JsonRawInterval {
                    index: e.index,
                    requests: e.requests,
                    responses: e.responses,
                    errors: e.errors,
                    latency: hdr::encode(&canonical(&e.latency_ns)),
                })
                .collect(),
        }
    }
}

/// `hist` in the layout a decoded histogram gets: a growing histogram's size depends on
/// how it grew, and its encoding records that size, so without this a result read back and
/// written again (`vastar merge` of one file) would not reproduce its own bytes.
fn canonical(hist: &Histogram<u64>) -> Histogram<u64> {
    let mut copy = empty_histogram();
    // The interval layout grows, so adding cannot fail.
    let _ = copy.add(hist);
    copy
}

impl JsonRawIntervals {
    /// Rebuilds the series, each histogram in the interval layout.
    pub fn into_intervals(self) -> Result<Intervals, HdrError> {
        let mut entries = self
            .entries
            .into_iter()
            .map(|e| {
                Ok(Interval {
                    index: e.index,
                    requests: e.requests,
                    responses: e.responses,
                    errors: e.errors,
                    latency_ns: hdr::decode_into(&e.latency, empty_histogram())?,
                })
            })
            .collect::<Result<Vec<_>, HdrError>>()?;
        // A hand-edited file may list them out of order; the series keeps them sorted.
        entries.sort_by_key(|e| e.index);
        entries.dedup_by(|later, kept| {
            let same = later.index == kept.index;
            if same {
                kept.requests += later.requests;
                kept.responses += later.responses;
                kept.errors += later.errors;
                let _ = kept.latency_ns.add(&later.latency_ns);
            }
            same
        });
        Ok(Intervals {
            length: Duration::from_nanos(self.length_ns.max(1)),
            entries,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use crate::engine::intervals::{Interval, Intervals};
    use crate::engine::result::RunResult;
    use crate::report::fixtures;
    use crate::results::merge::{merge, MergeError};
    use crate::results::wire::{JsonResult, Spoken};

    /// A run started `start_ms` after the epoch, sliced in intervals of `length_ms`, with
    /// `responses` responses (all of 1 ms) in the intervals given.
    fn run(start_ms: u64, length_ms: u64, intervals: &[(u64, u64)]) -> RunResult {
        let mut r = fixtures::result_basic();
        r.started_at = UNIX_EPOCH + Duration::from_millis(start_ms);
        let entries = intervals
            .iter()
            .map(|&(index, responses)| {
                let mut e = Interval::empty(index, None);
                e.latency_ns.record_n(1_000_000 + index, responses).unwrap();
                (e.requests, e.responses) = (responses, responses);
                e
            })
            .collect();
        r.intervals = Some(Intervals {
            length: Duration::from_millis(length_ms),
            entries,
        });
        r
    }

    /// A result whose interval histograms grew as a worker's do: sized like the previous
    /// interval's, then recorded into.
    fn r_again() -> RunResult {
        let mut r = fixtures::result_basic();
        let mut first = Interval::empty(0, None);
        first.latency_ns.record(9_000_000_000).unwrap();
        let mut second = Interval::empty(1, Some(&first.latency_ns));
        second.latency_ns.record(2_000).unwrap();
        for e in [&mut first, &mut second] {
            (e.requests, e.responses) = (1, 1);
        }
        r.intervals = Some(Intervals {
            length: Duration::from_secs(1),
            entries: vec![first, second],
        });
        r
    }

    fn shape(r: &RunResult) -> Vec<(u64, u64, u64)> {
        let series = r.intervals.as_ref().expect("a merged series");
        series
            .entries
            .iter()
            .map(|e| (e.index, e.responses, e.latency_ns.len()))
            .collect()
    }

    const SPOKEN: Spoken<'static> = Spoken {
        protocol: "http/1.1",
        tls: None,
        interrupted: false,
    };

    #[test]
    fn the_series_round_trips_through_the_wire_form_exactly() {
        let r = run(1_764_500_000_000, 1_000, &[(0, 3), (1, 0), (4, 250)]);
        let back = JsonResult::from(&r).into_run_result(SPOKEN).unwrap();
        let (ours, theirs) = (r.intervals.unwrap(), back.intervals.unwrap());
        assert_eq!(theirs.length, ours.length);
        for (a, b) in ours.entries.iter().zip(&theirs.entries) {
            assert_eq!(
                (a.index, a.requests, a.responses),
                (b.index, b.requests, b.responses)
            );
            assert_eq!(
                a.latency_ns.value_at_quantile(0.5),
                b.latency_ns.value_at_quantile(0.5)
            );
            assert_eq!(a.latency_ns.len(), b.latency_ns.len());
        }
        // Written again, the wire form is the same bytes, however the histograms grew.
        let mut grown = r_again();
        let wire = JsonResult::from(&grown);
        grown = wire.clone().into_run_result(SPOKEN).unwrap();
        assert_eq!(JsonResult::from(&grown), wire);
        let none = fixtures::result_basic();
        assert_eq!(
            JsonResult::from(&none)
                .into_run_result(SPOKEN)
                .unwrap()
                .intervals,
            None
        );
    }

    #[test]
    fn processes_merge_by_wall_clock_in_whole_intervals() {
        // The second started 2.003 s after the first: two intervals later.
        let first = run(10_000, 1_000, &[(0, 5), (1, 5), (2, 5)]);
        let second = run(12_003, 1_000, &[(0, 7), (1, 7)]);
        let merged = merge(vec![first.clone(), second.clone()], false).unwrap();
        assert_eq!(
            shape(&merged),
            vec![(0, 5, 5), (1, 5, 5), (2, 12, 12), (3, 7, 7)]
        );
        // Given the other way round, the earlier start is still index 0.
        let reversed = merge(vec![second, first], false).unwrap();
        assert_eq!(shape(&reversed), shape(&merged));
        assert_eq!(reversed.started_at, merged.started_at);
    }

    #[test]
    fn different_interval_lengths_do_not_merge_and_a_part_without_a_series_drops_it() {
        let err = merge(vec![run(0, 1_000, &[(0, 1)]), run(0, 500, &[(0, 1)])], true);
        assert!(matches!(err, Err(MergeError::Intervals(_))), "{err:?}");
        let mut plain = run(0, 1_000, &[]);
        plain.intervals = None;
        let merged = merge(vec![run(0, 1_000, &[(0, 1)]), plain], false).unwrap();
        assert_eq!(merged.intervals, None);
    }
}
