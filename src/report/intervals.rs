//! The `--interval` time series as the reports show it: one row per interval of the measured
//! window, computed once from a run's [`Intervals`].
//!
//! Rows are dense: an interval in which nothing ended (a stall) is a row of zeros, not a gap.
//! Rates divide by the part of the interval inside the measured window, so the last,
//! partial interval's rate is not understated.

use std::time::Duration;

use crate::engine::intervals::{Interval, Intervals};

/// Most rows the text report shows; a longer series is shown with neighbouring intervals
/// grouped, while JSON and CSV keep every interval.
pub const TEXT_ROWS: u64 = 30;

/// One interval, as every renderer shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    /// Where the interval starts, from the run's start.
    pub start: Duration,
    /// Its length inside the measured window: the interval's length, or less for the last.
    pub duration: Duration,
    /// Requests that ended in it (responses, errors, cut off).
    pub requests: u64,
    /// Complete responses, whatever their status.
    pub responses: u64,
    /// Requests that produced no response.
    pub errors: u64,
    /// Responses per second of `duration`.
    pub rps: f64,
    /// Median latency of its responses; `None` when none arrived.
    pub p50: Option<Duration>,
    /// 90th percentile latency; `None` when no response arrived.
    pub p90: Option<Duration>,
    /// 99th percentile latency; `None` when no response arrived.
    pub p99: Option<Duration>,
    /// Slowest response; `None` when none arrived.
    pub max: Option<Duration>,
}

/// The series, in full and as the text report's short table.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalsView {
    /// `--interval`.
    pub length: Duration,
    /// Every interval from the start to the end of the measured window.
    pub rows: Vec<IntervalRow>,
    /// Intervals per row of `text_rows`: 1, or more for a series longer than [`TEXT_ROWS`].
    pub text_group: u64,
    /// At most [`TEXT_ROWS`] rows, each covering `text_group` intervals.
    pub text_rows: Vec<IntervalRow>,
}

impl IntervalsView {
    /// The view of `series` for a run whose measured window lasted `elapsed`.
    pub fn new(series: &Intervals, elapsed: Duration) -> IntervalsView {
        let rows = rows(series, elapsed);
        let count = u64::try_from(rows.len()).unwrap_or(u64::MAX);
        let text_group = count.div_ceil(TEXT_ROWS).max(1);
        let text_rows = match text_group {
            1 => rows.clone(),
            group => self::rows(&series.coarsen(group), elapsed),
        };
        IntervalsView {
            length: series.length,
            rows,
            text_group,
            text_rows,
        }
    }
}

/// One row per interval up to the end of the window (or of the last interval holding
/// anything, should a request have ended after the window).
fn rows(series: &Intervals, elapsed: Duration) -> Vec<IntervalRow> {
    let length_ns = series.length.as_nanos().max(1);
    let in_window = u64::try_from(elapsed.as_nanos().div_ceil(length_ns)).unwrap_or(u64::MAX);
    let last = series.entries.last().map_or(0, |e| e.index + 1);
    let mut entries = series.entries.iter().peekable();
    (0..in_window.max(last).max(1))
        .map(|index| {
            let entry = entries.next_if(|e| e.index == index);
            row(index, entry, series.length, elapsed)
        })
        .collect()
}

fn row(index: u64, entry: Option<&Interval>, length: Duration, elapsed: Duration) -> IntervalRow {
    let start = length * u32::try_from(index).unwrap_or(u32::MAX);
    let inside = elapsed.saturating_sub(start).min(length);
    // An interval wholly past the window (a request that ended in teardown) is rated over
    // its full length rather than divided by zero.
    let duration = if inside.is_zero() { length } else { inside };
    let (requests, responses, errors) =
        entry.map_or((0, 0, 0), |e| (e.requests, e.responses, e.errors));
    let hist = entry.map(|e| &e.latency_ns).filter(|h| !h.is_empty());
    let at = |q: f64| hist.map(|h| Duration::from_nanos(h.value_at_quantile(q)));
    IntervalRow {
        start,
        duration,
        requests,
        responses,
        errors,
        rps: responses as f64 / duration.as_secs_f64(),
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: hist.map(|h| Duration::from_nanos(h.max())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(entries: &[(u64, &[u64])]) -> Intervals {
        let entries = entries
            .iter()
            .map(|&(index, values)| {
                let mut e = Interval::empty(index, None);
                for &v in values {
                    e.latency_ns.record(v).unwrap();
                }
                e.responses = values.len() as u64;
                e.errors = 1;
                e.requests = e.responses + 1;
                e
            })
            .collect();
        Intervals {
            length: Duration::from_secs(1),
            entries,
        }
    }

    #[test]
    fn a_stalled_interval_is_a_row_of_zeros_with_null_percentiles() {
        let s = series(&[(0, &[1_000_000, 2_000_000]), (2, &[3_000_000])]);
        let view = IntervalsView::new(&s, Duration::from_millis(3_000));
        let rows = &view.rows;
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (
                rows[1].requests,
                rows[1].responses,
                rows[1].rps,
                rows[1].p50
            ),
            (0, 0, 0.0, None)
        );
        assert_eq!(rows[1].start, Duration::from_secs(1));
        assert_eq!(rows[0].p50, Some(Duration::from_nanos(1_003_519)));
        assert_eq!(rows[0].rps, 2.0);
        assert!(rows[0].max >= rows[0].p99 && rows[0].p99 >= rows[0].p50);
        assert_eq!(rows.iter().map(|r| r.requests).sum::<u64>(), s.requests());
    }

    #[test]
    fn the_last_partial_interval_is_rated_over_its_part_of_the_window() {
        let s = series(&[(0, &[1_000; 10]), (1, &[1_000; 5])]);
        let view = IntervalsView::new(&s, Duration::from_millis(1_250));
        assert_eq!(view.rows[1].duration, Duration::from_millis(250));
        assert_eq!(view.rows[1].rps, 20.0);
        assert_eq!(view.rows[0].rps, 10.0);
    }

    #[test]
    fn trailing_quiet_intervals_of_the_window_are_shown() {
        let s = series(&[(0, &[1_000])]);
        let view = IntervalsView::new(&s, Duration::from_millis(2_500));
        assert_eq!(view.rows.len(), 3);
        assert_eq!(view.rows[2].duration, Duration::from_millis(500));
    }

    #[test]
    fn a_long_series_is_grouped_to_at_most_thirty_text_rows() {
        let entries: Vec<(u64, &[u64])> = (0..95).map(|i| (i, &[1_000u64][..])).collect();
        let s = series(&entries);
        let view = IntervalsView::new(&s, Duration::from_secs(95));
        assert_eq!(view.rows.len(), 95);
        assert_eq!(view.text_group, 4);
        assert_eq!(view.text_rows.len(), 24);
        assert_eq!(view.text_rows[1].start, Duration::from_secs(4));
        assert_eq!(view.text_rows[1].requests, 8);
        assert_eq!(view.text_rows[23].duration, Duration::from_secs(3));
        let short = IntervalsView::new(&series(&entries[..30]), Duration::from_secs(30));
        assert_eq!((short.text_group, short.text_rows.len()), (1, 30));
    }
}
