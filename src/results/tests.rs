//! Round trips and merges of results: what `vastar merge` relies on.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use super::file::{self, ReadError};
use super::merge::{merge, MergeError};
use super::wire::{JsonResult, Spoken};
use crate::engine::result::{ErrorKind, RunResult};
use crate::report::fixtures;
use crate::report::json;
use crate::report::model::{Report, ReportOptions};

const SPOKEN: Spoken<'static> = Spoken {
    protocol: "http/1.1",
    tls: None,
    interrupted: false,
};

fn at(result: RunResult, unix_us: u64, config: &crate::config::RunConfig) -> RunResult {
    let mut r = result;
    r.started_at = UNIX_EPOCH + Duration::from_micros(unix_us);
    r.params = super::params::Params::of(config);
    r
}

fn basic_at(unix_us: u64) -> RunResult {
    at(
        fixtures::result_basic(),
        unix_us,
        &fixtures::config_n(3000, 50),
    )
}

#[test]
fn the_wire_form_rebuilds_the_same_result() {
    for r in [
        fixtures::result_basic(),
        fixtures::result_errors(),
        fixtures::result_no_responses(),
        basic_at(1_764_500_000_123_456),
    ] {
        let mut back = JsonResult::from(&r).into_run_result(SPOKEN).unwrap();
        back.params = r.params.clone();
        assert_eq!(back, r);
    }
}

#[test]
fn unknown_names_are_errors() {
    let wire = JsonResult::from(&fixtures::result_basic());
    let h3 = Spoken {
        protocol: "h3",
        ..SPOKEN
    };
    assert!(wire.clone().into_run_result(h3).is_err());
    let mut bad = wire;
    bad.errors.insert("gremlins".into(), 1);
    let message = bad.into_run_result(SPOKEN).unwrap_err().to_string();
    assert!(message.contains("gremlins"), "{message}");
}

#[test]
fn merging_one_result_changes_nothing() {
    let one = basic_at(1_000_000);
    assert_eq!(merge(vec![one.clone()], false).unwrap(), one);
    assert_eq!(merge(vec![], false), Err(MergeError::Empty));
}

#[test]
fn merging_adds_counts_and_histograms_over_the_union_of_windows() {
    let a = basic_at(10_000_000);
    // Starts 0.5 s later; the basic fixture lasts 1.25 s, so the union is 1.75 s.
    let b = at(
        fixtures::result_errors(),
        10_500_000,
        &fixtures::config_n(3000, 50),
    );
    let m = merge(vec![a.clone(), b.clone()], false).unwrap();
    assert_eq!(m.requests(), a.requests() + b.requests());
    assert_eq!(m.responses(), a.responses() + b.responses());
    assert_eq!(m.errors[&ErrorKind::Timeout], 45);
    assert_eq!(m.body_bytes, a.body_bytes + b.body_bytes);
    assert_eq!(m.latency_ns.len(), a.latency_ns.len() + b.latency_ns.len());
    let mut all = a.latency_ns.clone();
    all.add(&b.latency_ns).unwrap();
    assert_eq!(m.latency_ns, all);
    assert_eq!(m.elapsed, Duration::from_millis(3000));
    assert_eq!(m.started_at, a.started_at);
    assert_eq!(m.phases.write.count, 3000 + 2950);
    assert_eq!(m.connections.opened, 50 + 55);
    assert_eq!(m.params.requests, Some(6000));
    assert_eq!(m.params.concurrency, 100);
}

#[test]
fn different_targets_need_force() {
    let a = basic_at(0);
    let mut b = basic_at(0);
    b.params.url = "http://elsewhere/".into();
    let err = merge(vec![a.clone(), b.clone()], false).unwrap_err();
    assert!(err.to_string().contains("http://elsewhere/"), "{err}");
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(merge(vec![a, b], true).unwrap().requests(), 6000);
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vastar-results-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn rendered(result: &RunResult) -> String {
    let report = Report::new(result, &ReportOptions::default());
    let mut out = Vec::new();
    json::render(&report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_saved_report_reads_back_exactly_and_json_lines_hold_several() {
    let mut r = basic_at(1_764_500_000_000_001);
    r.params.slo = crate::slo::parse("p99=20ms,errors=0.1%").unwrap();
    let one = rendered(&r);
    let path = temp_file("two.jsonl", &format!("{one}{one}"));
    let saved = file::read(&path).unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0].result, r);
    assert_eq!(saved[0].hist_bins, Some(11));
}

#[test]
fn the_arrival_schedule_and_the_ai_bench_params_read_back() {
    let mut r = basic_at(1_764_500_000_000_001);
    r.params.rate = Some(250.0);
    r.params.arrival = crate::config::Arrival::Poisson {
        burstiness: 0.5,
        seed: 42,
    };
    r.params.model = Some("m\u{e9}\"x".into());
    r.params.prompts = Some(3);
    let path = temp_file("arrival.json", &rendered(&r));
    assert_eq!(file::read(&path).unwrap()[0].result, r);
}

#[test]
fn files_that_are_not_mergeable_results_say_why() {
    let cases = [
        ("empty.json", "", "empty"),
        ("text.json", "Summary:\n  Total: 1 secs", "not JSON"),
        ("other.json", r#"{"hello": 1}"#, "not a vastar result"),
        ("sweep.json", r#"{"sweep_points": []}"#, "sweep report"),
    ];
    for (name, contents, expected) in cases {
        let err = file::read(&temp_file(name, contents)).unwrap_err();
        assert!(matches!(err, ReadError::NotAResult { .. }), "{name}: {err}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
    let current = rendered(&basic_at(0));
    for version in ["1.4", "1.99", "2.0"] {
        let old = current.replace(
            &format!("\"schema_version\":\"{}\"", json::SCHEMA_VERSION),
            &format!("\"schema_version\":\"{version}\""),
        );
        let err = file::read(&temp_file("versioned.json", &old)).unwrap_err();
        assert!(matches!(err, ReadError::Schema { .. }), "{version}: {err}");
        assert!(err.to_string().contains(version), "{err}");
    }
    assert!(matches!(
        file::read(&PathBuf::from("/nonexistent/vastar.json")),
        Err(ReadError::Io { .. })
    ));
}

fn segment(r: &mut RunResult, index: u32, count: u32) {
    r.params.segment = Some(crate::segment::Segment { index, count });
}

#[test]
fn segments_merge_once_each_and_only_with_their_own_split() {
    use super::merge::missing_segments;
    let part = |index, count| {
        let mut r = basic_at(0);
        segment(&mut r, index, count);
        r
    };
    let merged = merge(vec![part(0, 3), part(2, 3), part(1, 3)], false).unwrap();
    assert_eq!(merged.params.segment, None);
    assert_eq!(merged.requests(), 9000);
    assert!(matches!(
        merge(vec![part(1, 3), part(1, 3)], false),
        Err(MergeError::DuplicateSegment(_))
    ));
    for mixed in [vec![part(0, 3), part(1, 2)], vec![part(0, 3), basic_at(0)]] {
        let err = merge(mixed.clone(), false).unwrap_err();
        assert!(matches!(err, MergeError::DifferentSplits { .. }), "{err}");
        assert!(merge(mixed, true).is_ok());
    }
    let missing = missing_segments(&[part(0, 4), part(2, 4)]);
    let shown: Vec<String> = missing.iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["1/4", "3/4"]);
    assert!(missing_segments(&[basic_at(0)]).is_empty());
}

#[test]
fn the_merged_skew_is_the_worst_part() {
    use crate::engine::result::SignedDuration;
    let skewed = |nanos| {
        let mut r = basic_at(0);
        r.start_skew = Some(SignedDuration { nanos });
        r
    };
    let merged = merge(vec![skewed(2_000), skewed(-9_000), skewed(5_000)], false).unwrap();
    assert_eq!(merged.start_skew, Some(SignedDuration { nanos: -9_000 }));
}

/// The `--every 20ms` WebSocket fixture run, started at `unix_us`.
fn ws_at(unix_us: u64) -> RunResult {
    use crate::report::fixtures::ws::{result_ws_acks, ws_config, ACK_FIELDS};
    let every = crate::config::WsCadence::Every(Duration::from_millis(20));
    let config = ws_config(every, &ACK_FIELDS, Duration::from_secs(1));
    at(result_ws_acks(), unix_us, &config)
}

#[test]
fn a_ws_result_reads_back_and_merging_its_file_alone_reproduces_it_byte_for_byte() {
    let r = ws_at(1_764_500_000_000_001);
    let spoken = Spoken {
        protocol: "websocket",
        ..SPOKEN
    };
    let mut back = JsonResult::from(&r).into_run_result(spoken).unwrap();
    back.params = r.params.clone();
    assert_eq!(back, r);
    let one = rendered(&r);
    let saved = file::read(&temp_file("ws.json", &one)).unwrap();
    assert_eq!(saved[0].result, r);
    let merged = merge(saved.into_iter().map(|s| s.result).collect(), false).unwrap();
    assert_eq!(rendered(&merged), one);
}

#[test]
fn merging_two_ws_results_adds_sessions_messages_and_distributions() {
    use crate::report::fixtures::ws::ACK_FIELDS;
    let files: Vec<PathBuf> = [10_000_000, 10_500_000]
        .iter()
        .map(|&us| temp_file(&format!("ws-{us}.json"), &rendered(&ws_at(us))))
        .collect();
    let mut parts = Vec::new();
    for path in &files {
        parts.extend(file::read(path).unwrap().into_iter().map(|s| s.result));
    }
    let m = merge(parts, false).unwrap();
    let ws = m.ws.as_ref().expect("ws stats survive the merge");
    assert_eq!(ws.ack_fields, ACK_FIELDS);
    assert_eq!((ws.sessions.opened, ws.sessions.failed), (4, 6));
    assert_eq!((ws.messages.sent, ws.warmup_sent), (1980, 200));
    assert_eq!(ws.close_codes[&1011], 2);
    assert_eq!(ws.upgrade_statuses[&503], 6);
    assert_eq!(ws.errors[&ErrorKind::WsUnknownAck], 4);
    assert_eq!(
        ws.distribution("oldest_frame_seq").map(|h| h.len()),
        Some(800)
    );
    assert_eq!(ws.warmup.acks_ns[0].len(), 100);
    assert_eq!(ws.upgrade_ns.len(), 4);
    assert_eq!(m.errors[&ErrorKind::WsUpgrade], 6);
    assert_eq!(m.params.concurrency, 4);
    assert_eq!(m.params.ws, ws_at(0).params.ws);
    let v: serde_json::Value = serde_json::from_str(&rendered(&m)).unwrap();
    assert_eq!(v["ws"]["messages"]["sent"], 1980);
    assert_eq!(v["ws"]["error_rate"], 28.0 / 2000.0);
}

#[test]
fn ws_results_merge_only_with_ws_results_acking_the_same_fields() {
    let ws = ws_at(0);
    let http = basic_at(0);
    let mut other_fields = ws_at(0);
    other_fields.ws = Some(crate::ws::stats::WsStats::new(vec!["frames".into()]));
    for force in [false, true] {
        for pair in [
            vec![ws.clone(), http.clone()],
            vec![http.clone(), ws.clone()],
        ] {
            assert_eq!(merge(pair, force), Err(MergeError::WsWithHttp));
        }
        let err = merge(vec![ws.clone(), other_fields.clone()], force).unwrap_err();
        assert!(
            matches!(err, MergeError::DifferentAckFields { .. }),
            "{err}"
        );
        let message = err.to_string();
        assert!(
            message.contains("[newest_frame_seq, oldest_frame_seq]"),
            "{message}"
        );
        assert!(
            message.contains("[frames]") && !message.contains('\n'),
            "{message}"
        );
    }
}

#[test]
fn a_ws_ack_field_without_its_histogram_is_an_error() {
    let mut wire = JsonResult::from(&ws_at(0));
    if let Some(ws) = wire.ws.as_mut() {
        ws.histograms.warmup.acks.remove("oldest_frame_seq");
    }
    let message = wire.into_run_result(SPOKEN).unwrap_err().to_string();
    assert!(message.contains("oldest_frame_seq"), "{message}");
}
