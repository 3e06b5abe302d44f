//! `--log-requests FILE`: one CSV row per request, which agrees with the report.
//!
//! The log is an independent record of the run: counts, statuses and bytes must add up to
//! the report's, and percentiles recomputed from the logged latencies must equal the
//! report's within the histogram's precision (3 significant digits) and the log's rounding
//! to whole microseconds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use crate::faults::{child, HANG_LIMIT};
use crate::support::{
    builtin_target, ok_response, run, run_json, scratch_file, url_of, Peer, ScriptServer,
};

/// One parsed row of the log.
#[derive(Debug)]
pub(crate) struct Row {
    start_us: u64,
    pub(crate) latency_us: u64,
    status: Option<u16>,
    bytes: Option<u64>,
    error: String,
    connection: u64,
    service_us: u64,
}

const HEADER: &str = "start_us,latency_us,status,bytes,error,connection,service_us";

/// A fresh (empty) scratch path for a log.
fn log_path(name: &str) -> PathBuf {
    scratch_file(name, b"")
}

/// Reads the log at `path`: the header, then every row, each checked for its shape.
pub(crate) fn read_log(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).expect("the log was written");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(HEADER));
    lines.map(parse_row).collect()
}

fn parse_row(line: &str) -> Row {
    let fields: Vec<&str> = line.split(',').collect();
    assert_eq!(fields.len(), 7, "{line}");
    let number = |i: usize| {
        fields[i]
            .parse::<u64>()
            .unwrap_or_else(|e| panic!("{line}: {e}"))
    };
    let optional = |i: usize| (!fields[i].is_empty()).then(|| number(i));
    let row = Row {
        start_us: number(0),
        latency_us: number(1),
        status: optional(2).map(|s| u16::try_from(s).expect("a status code")),
        bytes: optional(3),
        error: fields[4].to_string(),
        connection: number(5),
        service_us: number(6),
    };
    // A row is a response or an error, never both or neither.
    assert_eq!(row.status.is_some(), row.error.is_empty(), "{line}");
    assert_eq!(row.status.is_some(), row.bytes.is_some(), "{line}");
    row
}

/// The logged value at `quantile`, ranked as HdrHistogram's `value_at_quantile` ranks.
pub(crate) fn at_quantile(sorted: &[u64], quantile: f64) -> u64 {
    let rank = ((quantile * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

#[test]
fn the_log_has_one_row_per_request_and_agrees_with_the_report() {
    let server = builtin_target();
    let path = log_path("agree.csv");
    let log = path.to_str().expect("a UTF-8 scratch path");
    let report = run_json(
        "-n 2000 -c 20 --log-requests",
        &[log, &url_of(server.addr())],
    );
    let rows = read_log(&path);
    assert_eq!(rows.len() as u64, report.summary.requests);
    let mut statuses = BTreeMap::new();
    for row in &rows {
        *statuses
            .entry(row.status.expect("no errors"))
            .or_insert(0u64) += 1;
    }
    assert_eq!(statuses, report.status_codes);
    let bytes: u64 = rows.iter().filter_map(|r| r.bytes).sum();
    assert_eq!(bytes, report.summary.bytes_total);
    // 20 connections, each its own id, all used.
    let mut connections: Vec<u64> = rows.iter().map(|r| r.connection).collect();
    connections.sort_unstable();
    connections.dedup();
    assert_eq!(connections.len(), 20, "{connections:?}");
    // Every request ended inside the measured window (plus the log's rounding).
    let window_us = report.summary.total_secs * 1e6 + 2.0;
    for row in &rows {
        assert!(
            ((row.start_us + row.latency_us) as f64) <= window_us,
            "{row:?}"
        );
        assert_eq!(
            row.latency_us, row.service_us,
            "a closed loop has one view: {row:?}"
        );
    }
    let mut latencies: Vec<u64> = rows.iter().map(|r| r.latency_us).collect();
    latencies.sort_unstable();
    for (key, quantile) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
        let reported_us = report.latency_ms[key].as_f64().expect("a percentile") * 1000.0;
        let logged_us = at_quantile(&latencies, quantile) as f64;
        // The histogram keeps 3 significant digits (buckets under 0.1% wide); the log
        // rounds to the nearest microsecond.
        let tolerance = logged_us * 0.001 + 1.0;
        assert!(
            (reported_us - logged_us).abs() <= tolerance,
            "{key}: report {reported_us} us, log {logged_us} us"
        );
    }
}

/// Answers two requests per connection, then reads the third and never answers it.
fn answer_two_then_stall(peer: &mut Peer) {
    for _ in 0..2 {
        if peer.read_request().is_none() || !peer.send(&ok_response(b"ok")) {
            return;
        }
    }
    peer.read_until_closed();
}

#[test]
fn failed_requests_are_rows_with_their_error_and_no_status() {
    let server = ScriptServer::start(answer_two_then_stall);
    let path = log_path("errors.csv");
    let log = path.to_str().expect("a UTF-8 scratch path");
    let report = run_json("-n 12 -c 2 -t 0.3 --log-requests", &[log, &server.url("/")]);
    let rows = read_log(&path);
    assert_eq!(rows.len(), 12);
    let timeouts: Vec<&Row> = rows.iter().filter(|r| r.error == "timeout").collect();
    assert_eq!(report.errors.get("timeout"), Some(&(timeouts.len() as u64)));
    assert!(!timeouts.is_empty());
    for row in timeouts {
        assert_eq!((row.status, row.bytes), (None, None));
        // The time to the failure: the 300 ms timeout (a generous bound above it).
        assert!((300_000..5_000_000).contains(&row.latency_us), "{row:?}");
    }
    let ok = rows.iter().filter(|r| r.status == Some(200)).count() as u64;
    assert_eq!(ok, report.summary.successful);
    assert!(rows.iter().all(|r| r.bytes.is_none_or(|b| b == 2)));
}

#[test]
fn under_rate_rows_start_on_the_schedule_and_latency_includes_the_wait() {
    let server = builtin_target();
    let path = log_path("rate.csv");
    let log = path.to_str().expect("a UTF-8 scratch path");
    run_json(
        "-n 50 -c 5 --rate 500 --log-requests",
        &[log, &url_of(server.addr())],
    );
    let mut rows = read_log(&path);
    assert_eq!(rows.len(), 50);
    rows.sort_by_key(|r| r.start_us);
    for (i, row) in rows.iter().enumerate() {
        // Request i is due 2 ms after request i - 1; a send the alarm releases a little
        // early is timed from when it left, so allow well under one interval.
        let due_us = i as u64 * 2000;
        assert!(row.start_us.abs_diff(due_us) < 500, "request {i}: {row:?}");
        assert!(row.latency_us >= row.service_us, "{row:?}");
    }
}

#[test]
fn an_unwritable_log_is_a_usage_error_before_any_load() {
    let server = ScriptServer::start(crate::support::answer_ok);
    let missing = scratch_file("no-such-dir", b"").join("log.csv");
    let missing = missing.to_str().expect("a UTF-8 scratch path");
    let refused = run("-n 5 --log-requests", &[missing, &server.url("/")]).expect_code(2);
    let lines: Vec<&str> = refused.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", refused.stderr);
    assert!(lines[0].starts_with("vastar: error: cannot create --log-requests file"));
    assert!(refused.stdout.is_empty());
    assert_eq!(server.connections(), 0);
}

#[test]
fn a_full_disk_is_one_line_after_the_report_and_exit_3() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let server = builtin_target();
    let run = run(
        "-o json -n 200 -c 4 --log-requests /dev/full",
        &[&url_of(server.addr())],
    )
    .expect_code(3);
    assert_eq!(run.report().summary.requests, 200);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with("vastar: error: cannot write --log-requests file /dev/full: "),
        "{}",
        lines[0]
    );
}

#[test]
fn requests_cut_off_by_ctrl_c_get_no_row() {
    let target = builtin_target();
    let path = log_path("interrupted.csv");
    let log = path.to_str().expect("a UTF-8 scratch path");
    let running = child::spawn(
        "-o json -z 60s -c 4 -t 5 --log-requests",
        &[log, &url_of(target.addr())],
    );
    let started = Instant::now();
    while target.stats().requests.load(SeqCst) < 200 || !running.catches(libc::SIGINT) {
        assert!(started.elapsed() < HANG_LIMIT, "no requests flowed");
        std::thread::sleep(Duration::from_millis(10));
    }
    running.signal(libc::SIGINT);
    let report = running.finish(HANG_LIMIT).expect_code(130).report();
    assert!(report.interrupted);
    let rows = read_log(&path);
    assert_eq!(
        rows.len() as u64,
        report.summary.requests - report.summary.cut_off
    );
}
