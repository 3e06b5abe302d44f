//! A test split over several generator processes (`--segment`, `--start-at`) and merged:
//! the shares add up exactly and the merged report is the test's.

use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::request_log::{at_quantile, read_log};
use crate::support::report::Report;
use crate::support::{builtin_target, run, scratch_file, url_of};

/// Starts `vastar -o json ARGS URL` with stdout into `out`.
pub(crate) fn spawn(args: &[&str], url: &str, out: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vastar"))
        .args(["-o", "json"])
        .args(args)
        .arg(url)
        .stdout(Stdio::from(std::fs::File::create(out).unwrap()))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vastar")
}

/// Unix seconds, `ahead` seconds from now.
pub(crate) fn unix_in(ahead: f64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{:.3}", now.as_secs_f64() + ahead)
}

#[test]
fn three_segments_add_up_to_the_whole_test_and_start_together() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let start = unix_in(1.5);
    let files: Vec<_> = (0..3)
        .map(|i| scratch_file(&format!("fleet-{i}.json"), b""))
        .collect();
    let logs: Vec<_> = (0..3)
        .map(|i| scratch_file(&format!("fleet-{i}.csv"), b""))
        .collect();
    let parts: Vec<Child> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let segment = format!("{i}/3");
            let log = logs[i].to_str().unwrap();
            let args = "-n 1001 -c 10 --segment".split(' ');
            let args: Vec<&str> = args
                .chain([
                    segment.as_str(),
                    "--start-at",
                    &start,
                    "--log-requests",
                    log,
                ])
                .collect();
            spawn(&args, &url, file)
        })
        .collect();
    for part in parts {
        let out = part.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let reports: Vec<Report> = files
        .iter()
        .map(|f| Report::parse(&std::fs::read(f).unwrap()))
        .collect();
    let requests: Vec<u64> = reports.iter().map(|r| r.summary.requests).collect();
    assert_eq!(requests, [333, 334, 334]);
    let connections: Vec<u64> = reports.iter().map(|r| r.params.concurrency).collect();
    assert_eq!(connections, [3, 3, 4]);
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r.params.segment.as_ref().unwrap()["index"], i);
        let at = r.params.start_at.as_deref().expect("start_at echoed");
        assert!(at.ends_with('Z') && at.contains('T'), "{at}");
        let skew = r.start_skew_ms.expect("skew recorded with --start-at");
        // Pre-connecting 3 sockets takes far less than the 1.5 s of notice: the start is
        // on time, to the scheduler's precision on a loaded machine.
        assert!((-1.0..50.0).contains(&skew), "skew {skew} ms");
        assert_eq!(
            r.result.start_skew_ns.map(|ns| ns / 1_000_000),
            Some(skew as i64)
        );
    }
    let paths: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let merged = run("merge -o json", &paths).success();
    assert!(merged.stderr.is_empty(), "{}", merged.stderr);
    let merged = merged.report();
    assert_eq!(merged.summary.requests, 1001);
    assert_eq!(merged.params.requests, Some(1001));
    assert_eq!(merged.params.concurrency, 10);
    assert!(merged.params.segment.is_none());
    let starts: Vec<u64> = reports.iter().map(|r| r.result.start_unix_us).collect();
    assert_eq!(merged.result.start_unix_us, *starts.iter().min().unwrap());
    let spread_us = starts.iter().max().unwrap() - starts.iter().min().unwrap();
    assert!(spread_us < 50_000, "starts {spread_us} us apart");
    // The merged percentiles are those of every request of every part, as the logs record
    // them (within the histogram's 3 digits and the log's whole microseconds), which no
    // average of the parts' percentiles gives in general.
    let mut latencies: Vec<u64> = logs
        .iter()
        .flat_map(|log| read_log(log))
        .map(|row| row.latency_us)
        .collect();
    assert_eq!(latencies.len(), 1001);
    latencies.sort_unstable();
    for (key, quantile) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99_9", 0.999)] {
        let merged_us = merged.latency_ms[key].as_f64().unwrap() * 1000.0;
        let logged_us = at_quantile(&latencies, quantile) as f64;
        let tolerance = logged_us * 0.001 + 1.0;
        assert!(
            (merged_us - logged_us).abs() <= tolerance,
            "{key}: merged {merged_us} us, logs {logged_us} us"
        );
    }
    // Two parts only: the report says what is missing.
    let partial = run("merge -o json", &paths[..2]).success();
    assert!(
        partial.stderr.contains("segments 2/3 are missing"),
        "{}",
        partial.stderr
    );
}

#[test]
fn segment_and_start_at_refuse_bad_values() {
    let server = builtin_target();
    let url = url_of(server.addr());
    for (flags, expected) in [
        ("--segment 3/3", "invalid --segment \"3/3\""),
        ("--segment 1", "expected i/N"),
        ("--start-at tomorrow", "invalid --start-at \"tomorrow\""),
        ("-n 2 --segment 0/3", "-n 2 split into 3 segments"),
        ("-c 2 -z 1s --segment 0/3", "-c 2 split into 3 segments"),
    ] {
        let run = run(flags, &[&url]).expect_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{flags}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{flags}: {}", run.stderr);
    }
}

#[test]
fn a_start_time_in_the_past_starts_at_once_and_says_how_late() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let run = run("-o json -n 20 -c 2 --start-at", &[&unix_in(-3.0), &url]).success();
    let skew = run.report().start_skew_ms.unwrap();
    assert!((2900.0..30_000.0).contains(&skew), "skew {skew} ms");
    assert!(run.elapsed.as_secs_f64() < 10.0);
}
