//! `--interval`: the run as a time series, in the JSON, as CSV and in the text report.
//!
//! What must hold whatever the timing: the intervals' requests, responses and errors add up
//! to the summary's, and they tile the measured window. What the series is for: a server
//! that freezes for a second shows as an interval without responses, followed by one whose
//! slowest response waited out the freeze.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::support::report::{Interval, Report};
use crate::support::{builtin_target, run, run_json, scratch_file, url_of, ScriptServer};

/// Checks that the intervals add up to the summary and tile the window; returns them.
fn accounted(report: &Report) -> &[Interval] {
    let intervals = adding_up(report);
    let s = &report.summary;
    let covered: f64 = intervals.iter().map(|i| i.duration_s).sum();
    assert!((covered - s.total_secs).abs() < 1e-6, "{covered} vs {s:?}");
    for pair in intervals.windows(2) {
        assert!((pair[1].start_s - pair[0].start_s - pair[0].duration_s).abs() < 1e-9);
    }
    intervals
}

/// Checks that the intervals' requests, responses and errors add up to the summary's (what
/// a merged series keeps, though its parts' rounding may leave it past the window).
fn adding_up(report: &Report) -> &[Interval] {
    let intervals = report
        .intervals
        .as_deref()
        .expect("a series with --interval");
    let sum = |f: fn(&Interval) -> u64| intervals.iter().map(f).sum::<u64>();
    let s = &report.summary;
    assert_eq!(
        (sum(|i| i.requests), sum(|i| i.responses), sum(|i| i.errors)),
        (s.requests, s.successful, s.failed),
        "{intervals:#?}"
    );
    intervals
}

#[test]
fn a_timed_run_gets_one_interval_per_second_adding_up_to_the_summary() {
    let target = builtin_target();
    let report = run_json("-z 3s --interval 1s -c 5 -t 5", &[&url_of(target.addr())]);
    let intervals = accounted(&report);
    // Three seconds of sending, plus the drain of the last requests (well under a second).
    assert!((3..=4).contains(&intervals.len()), "{intervals:#?}");
    // The exact series, for `vastar merge`: one entry per interval in which something ended.
    let raw = report.result.intervals.as_ref().expect("the raw series");
    assert_eq!(raw["length_ns"], 1_000_000_000u64, "{raw}");
    assert_eq!(
        raw["entries"].as_array().map(Vec::len),
        Some(intervals.len())
    );
    assert_eq!(intervals[0].start_s, 0.0);
    for interval in &intervals[..3] {
        assert_eq!(interval.duration_s, 1.0, "{intervals:#?}");
        assert!(interval.responses > 0, "{intervals:#?}");
        let order = [
            interval.p50_ms,
            interval.p90_ms,
            interval.p99_ms,
            interval.max_ms,
        ];
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "{interval:?}");
        let rps = interval.responses as f64 / interval.duration_s;
        assert!((interval.rps - rps).abs() < 1e-6, "{interval:?}");
    }
}

#[test]
fn a_counted_run_adds_up_too_and_without_interval_the_field_is_null() {
    let target = builtin_target();
    let url = url_of(target.addr());
    let report = run_json("-n 300 -c 3 --interval 100ms", &[&url]);
    assert_eq!(
        accounted(&report).iter().map(|i| i.requests).sum::<u64>(),
        300
    );
    assert!(run_json("-n 10 -c 1", &[&url]).intervals.is_none());
}

#[test]
fn a_server_that_freezes_for_a_second_shows_an_interval_without_responses() {
    let server = freezing_server(Duration::from_millis(1_000), Duration::from_millis(1_200));
    let report = run_json("-z 4s --interval 250ms -c 2 -t 10", &[&server.url("/")]);
    let intervals = accounted(&report);
    let quiet = intervals
        .iter()
        .position(|i| i.responses == 0)
        .unwrap_or_else(|| panic!("no interval without responses: {intervals:#?}"));
    assert!(quiet > 0 && intervals[0].responses > 0, "{intervals:#?}");
    assert_eq!(intervals[quiet].p50_ms, None);
    // The requests held through the freeze complete after it, having waited most of it.
    let after = intervals[quiet..]
        .iter()
        .find(|i| i.responses > 0)
        .unwrap_or_else(|| panic!("no response after the freeze: {intervals:#?}"));
    assert!(after.max_ms.unwrap_or(0.0) >= 500.0, "{intervals:#?}");
    let late = intervals.last().unwrap();
    assert!(
        late.responses > 0 || intervals.len() > quiet + 2,
        "{intervals:#?}"
    );
}

/// A server that answers at once, except that every request arriving between `at` and `at +
/// pause` after the first one waits until `at + pause`: the whole server freezes once.
fn freezing_server(at: Duration, pause: Duration) -> ScriptServer {
    let first = Arc::new(OnceLock::<Instant>::new());
    ScriptServer::start(move |peer| {
        while peer.read_request().is_some() {
            let since = first.get_or_init(Instant::now).elapsed();
            if since >= at && since < at + pause {
                std::thread::sleep(at + pause - since);
            }
            if !peer.send(&crate::support::ok_response(b"ok")) {
                return;
            }
        }
    })
}

#[test]
fn csv_intervals_prints_the_series_alone_as_csv() {
    let target = builtin_target();
    let run = run(
        "-z 1s --interval 200ms -c 2 -o csv-intervals",
        &[&url_of(target.addr())],
    )
    .success();
    let text = run.stdout_text();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("start_s,duration_s,requests,responses,errors,rps,p50_ms,p90_ms,p99_ms,max_ms")
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|line| {
            line.split(',')
                .map(|f| {
                    f.parse()
                        .unwrap_or_else(|_| panic!("bad field in {line:?}"))
                })
                .collect()
        })
        .collect();
    assert!((5..=7).contains(&rows.len()), "{text}");
    assert!(rows.iter().all(|r| r.len() == 10), "{text}");
    assert_eq!(rows[0][0], 0.0);
    assert_eq!(rows[1][0], 0.2);
    assert!(
        rows[..5].iter().all(|r| r[3] > 0.0 && r[6] <= r[8]),
        "{text}"
    );
}

#[test]
fn the_text_report_ends_with_the_intervals_table() {
    let target = builtin_target();
    let run = run("-z 1s --interval 500ms -c 2", &[&url_of(target.addr())]).success();
    let text = run.stdout_text();
    let table = text
        .split("Intervals (500ms, by completion):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no Intervals section:\n{text}"));
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].contains("requests") && lines[0].contains("p99 ms"),
        "{table}"
    );
    assert!(lines[1].trim_start().starts_with("0.0s"), "{table}");
    assert!(lines[2].trim_start().starts_with("0.5s"), "{table}");
}

#[test]
fn bad_intervals_and_csv_without_them_exit_2_with_one_line() {
    let target = builtin_target();
    let url = url_of(target.addr());
    for (flags, fragment) in [
        ("--interval 0s", "--interval"),
        ("--interval 5ms", "at least 10ms"),
        ("--interval abc", "abc"),
        ("-o csv-intervals", "add --interval"),
    ] {
        let run = run(&format!("-n 10 {flags}"), &[&url]).expect_code(2);
        assert!(run.stdout.is_empty(), "{flags}: {}", run.stdout_text());
        assert_eq!(run.stderr.lines().count(), 1, "{flags}: {}", run.stderr);
        assert!(run.stderr.contains(fragment), "{flags}: {}", run.stderr);
    }
}

#[test]
fn merge_reproduces_one_series_and_adds_two_by_wall_clock() {
    let target = builtin_target();
    let url = url_of(target.addr());
    let saved = |name: &str| {
        let run = run("-o json -z 1s --interval 250ms -c 2", &[&url]).success();
        scratch_file(name, &run.stdout)
    };
    let (first, second) = (saved("intervals-a.json"), saved("intervals-b.json"));
    let path = |p: &std::path::PathBuf| p.to_str().expect("UTF-8 scratch path").to_string();
    let one = run("merge -o json", &[&path(&first)]).success();
    assert_eq!(one.stdout_text(), std::fs::read_to_string(&first).unwrap());
    let both = run("merge -o json", &[&path(&first), &path(&second)])
        .success()
        .report();
    let intervals = adding_up(&both);
    let s = &both.summary;
    // The second run started after the first's sending stopped (1 s), so the first's four
    // full intervals come first, as they were.
    assert!(intervals.len() >= 8, "{intervals:#?}");
    let parts = [&first, &second].map(|p| Report::parse(&std::fs::read(p).unwrap()));
    let own = parts[0]
        .intervals
        .as_deref()
        .expect("the first run's series");
    let responses =
        |series: &[Interval]| series[..4].iter().map(|i| i.responses).collect::<Vec<_>>();
    assert_eq!(responses(intervals), responses(own), "{intervals:#?}");
    let parts = parts.map(|p| p.summary.successful);
    assert_eq!(s.successful, parts[0] + parts[1]);
    // The merged series alone, as CSV: one row per merged interval.
    let csv = run("merge -o csv-intervals", &[&path(&first), &path(&second)]).success();
    assert_eq!(csv.stdout_text().lines().count(), intervals.len() + 1);
}

#[test]
fn segments_started_together_merge_their_series_interval_by_interval() {
    use crate::fleet::{spawn, unix_in};
    let target = builtin_target();
    let url = url_of(target.addr());
    let start = unix_in(1.5);
    let files: Vec<_> = (0..2)
        .map(|i| scratch_file(&format!("intervals-fleet-{i}.json"), b""))
        .collect();
    let parts: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let segment = format!("{i}/2");
            let args = ["-z", "2s", "-c", "4", "--interval", "500ms", "--segment"];
            let args: Vec<&str> = args
                .into_iter()
                .chain([&*segment, "--start-at", &start])
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
    let paths: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let merged = run("merge -o json", &paths).success().report();
    let series = adding_up(&merged);
    let parts: Vec<Report> = files
        .iter()
        .map(|f| Report::parse(&std::fs::read(f).unwrap()))
        .collect();
    // Started within milliseconds of each other: interval i of the union is interval i of
    // each part, added.
    for (i, interval) in series.iter().take(4).enumerate() {
        let sum: u64 = parts
            .iter()
            .map(|p| p.intervals.as_deref().unwrap()[i].responses)
            .sum();
        assert_eq!(interval.responses, sum, "interval {i}: {series:#?}");
        assert!(interval.responses > 0, "{series:#?}");
    }
}
