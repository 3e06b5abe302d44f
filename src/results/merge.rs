//! Adding the results of several processes into the result one process would have had.
//!
//! Counts and bytes add; histograms add bucket by bucket (exact, unlike averaging
//! percentiles); the measured window is the union of the processes' wall-clock windows, so
//! rates are the fleet's. Merging one result returns it unchanged.

use std::time::Duration;

use thiserror::Error;

use super::params::Params;
use crate::engine::intervals::LengthMismatch;
use crate::engine::result::{new_latency_histogram, RunResult};
use crate::segment::Segment;
use hdrhistogram::Histogram;

/// Results that should not be added together.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no results to merge")]
    Empty,
    /// Two results measured different things.
    #[error("results of different tests: {first} and {other} (--force merges them anyway)")]
    DifferentTests { first: String, other: String },
    /// The same segment twice (one file given twice, or two runs of one segment).
    #[error("two results are segment {0} (a file given twice?); --force merges them anyway")]
    DuplicateSegment(Segment),
    /// Segments of differently split tests, or segments mixed with whole tests.
    #[error(
        "results of differently split tests: {first} and {other} (--force merges them anyway)"
    )]
    DifferentSplits { first: String, other: String },
    /// `--interval` series sliced differently cannot be added interval by interval.
    #[error(transparent)]
    Intervals(#[from] LengthMismatch),
    /// A `vastar ws` result and an HTTP one count different things (messages, requests);
    /// no flag adds them.
    #[error("cannot merge a vastar ws result with an HTTP result")]
    WsWithHttp,
    /// `vastar ws` results whose sessions acked different fields have different
    /// distributions; no flag adds them.
    #[error(
        "cannot merge vastar ws results with different --ack-field lists: {first} and {other}"
    )]
    DifferentAckFields { first: String, other: String },
}

/// The union of `results`: the result one process would have recorded had it made every
/// request of every part. Different targets or methods are refused unless `force`; a
/// `vastar ws` result with an HTTP one, or with other `--ack-field`s, always.
pub fn merge(results: Vec<RunResult>, force: bool) -> Result<RunResult, MergeError> {
    if !force {
        check_segments(&results)?;
    }
    let mut parts = results.into_iter();
    let mut merged = parts.next().ok_or(MergeError::Empty)?;
    for part in parts {
        check_ws(&merged, &part)?;
        if !force && test_of(&part.params) != test_of(&merged.params) {
            return Err(MergeError::DifferentTests {
                first: test_of(&merged.params),
                other: test_of(&part.params),
            });
        }
        add(&mut merged, &part)?;
    }
    Ok(merged)
}

/// WebSocket results merge only with WebSocket results acking the same fields, in order.
fn check_ws(into: &RunResult, part: &RunResult) -> Result<(), MergeError> {
    let shown = |fields: &[String]| format!("[{}]", fields.join(", "));
    match (&into.ws, &part.ws) {
        (None, None) => Ok(()),
        (Some(a), Some(b)) if a.ack_fields == b.ack_fields => Ok(()),
        (Some(a), Some(b)) => Err(MergeError::DifferentAckFields {
            first: shown(&a.ack_fields),
            other: shown(&b.ack_fields),
        }),
        _ => Err(MergeError::WsWithHttp),
    }
}

/// Segments merge when they split the test the same way and none comes twice.
fn check_segments(results: &[RunResult]) -> Result<(), MergeError> {
    let shown =
        |s: Option<Segment>| s.map_or("a whole test".to_string(), |s| format!("segment {s}"));
    let mut seen = std::collections::BTreeSet::new();
    let first = results.first().and_then(|r| r.params.segment);
    for segment in results.iter().map(|r| r.params.segment) {
        if segment.map(|s| s.count) != first.map(|s| s.count) {
            return Err(MergeError::DifferentSplits {
                first: shown(first),
                other: shown(segment),
            });
        }
        if let Some(s) = segment.filter(|s| !seen.insert(*s)) {
            return Err(MergeError::DuplicateSegment(s));
        }
    }
    Ok(())
}

/// The segments of a split test that `results` lack, as `i/N`; empty when none is split.
pub fn missing_segments(results: &[RunResult]) -> Vec<Segment> {
    let Some(count) = results
        .iter()
        .find_map(|r| r.params.segment)
        .map(|s| s.count)
    else {
        return Vec::new();
    };
    (0..count)
        .map(|index| Segment { index, count })
        .filter(|s| !results.iter().any(|r| r.params.segment == Some(*s)))
        .collect()
}

/// What makes two results parts of one test: the method and the target.
fn test_of(p: &Params) -> String {
    format!("{} {}", p.method, p.url)
}

/// Folds `part` into `into`.
fn add(into: &mut RunResult, part: &RunResult) -> Result<(), MergeError> {
    add_intervals(into, part)?;
    union_window(into, part);
    add_params(&mut into.params, &part.params);
    add_histogram(&mut into.latency_ns, &part.latency_ns);
    add_optional(&mut into.service_ns, &part.service_ns);
    add_optional(&mut into.send_lateness_ns, &part.send_lateness_ns);
    into.phases.merge(&part.phases);
    for (code, n) in &part.status_codes {
        *into.status_codes.entry(*code).or_default() += n;
    }
    for (kind, n) in &part.errors {
        *into.errors.entry(*kind).or_default() += n;
    }
    into.body_bytes += part.body_bytes;
    into.late_sends += part.late_sends;
    into.cut_off += part.cut_off;
    into.connections.merge(&part.connections);
    into.redirects.merge(&part.redirects);
    into.interrupted |= part.interrupted;
    if let (Some(ws), Some(other)) = (&mut into.ws, &part.ws) {
        ws.merge(other);
    }
    if let Some(stream) = &part.stream {
        into.stream
            .get_or_insert_with(Default::default)
            .merge(stream);
    }
    into.start_skew = [into.start_skew, part.start_skew]
        .into_iter()
        .flatten()
        .max_by_key(|s| s.nanos.unsigned_abs());
    Ok(())
}

/// Adds the `--interval` series by wall clock: `part`'s intervals move by the difference of
/// the two starts, in whole intervals (see [`Intervals::merge`](crate::engine::intervals::Intervals::merge)), so afterwards index 0 is
/// the interval of the earlier start, as the union window's start is. A part without a
/// series drops the merged one: it could no longer add up to the merged summary.
fn add_intervals(into: &mut RunResult, part: &RunResult) -> Result<(), MergeError> {
    match (&mut into.intervals, &part.intervals) {
        (Some(series), Some(other)) => {
            let offset_ns = match part.started_at.duration_since(into.started_at) {
                Ok(later) => i128::try_from(later.as_nanos()).unwrap_or(i128::MAX),
                Err(earlier) => -i128::try_from(earlier.duration().as_nanos()).unwrap_or(i128::MAX),
            };
            series.merge(other, offset_ns)?;
        }
        _ => into.intervals = None,
    }
    Ok(())
}

/// The measured window becomes the union of both wall-clock windows; sending ends with the
/// last send of either.
fn union_window(into: &mut RunResult, part: &RunResult) {
    let start = into.started_at.min(part.started_at);
    let since_start = |r: &RunResult, d: Duration| {
        (r.started_at + d)
            .duration_since(start)
            .unwrap_or(Duration::ZERO)
    };
    let end = since_start(into, into.elapsed).max(since_start(part, part.elapsed));
    let sending = since_start(into, into.sending).max(since_start(part, part.sending));
    into.started_at = start;
    into.elapsed = end;
    into.sending = sending.min(end);
}

/// The fleet's parameters: shares of `-n`, `-c` and `--rate` add up to the whole test.
fn add_params(into: &mut Params, part: &Params) {
    into.requests = into.requests.zip(part.requests).map(|(a, b)| a + b);
    into.concurrency += part.concurrency;
    into.rate = into.rate.zip(part.rate).map(|(a, b)| a + b);
    into.duration = into.duration.max(part.duration);
    // The union is no longer one segment; a shared start time stays.
    into.segment = None;
    if into.start_at != part.start_at {
        into.start_at = None;
    }
}

fn add_histogram(into: &mut Histogram<u64>, part: &Histogram<u64>) {
    // Every histogram has vastar's bounds (decoding re-bounds foreign ones), so adding
    // cannot fail.
    let _ = into.add(part);
}

fn add_optional(into: &mut Option<Histogram<u64>>, part: &Option<Histogram<u64>>) {
    if let Some(part) = part {
        add_histogram(into.get_or_insert_with(new_latency_histogram), part);
    }
}
