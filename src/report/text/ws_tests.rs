//! Tests of the ws layout, on hand-made WebSocket runs: the speech-to-text shape of issue 15
//! (a frame every 20 ms, answers naming the newest and oldest frame they cover, batched
//! every 100 ms) and a plain echo run.

use std::time::Duration;

use bytes::Bytes;
use hdrhistogram::Histogram;

use super::super::tests::{golden, rendered, strip_ansi};
use crate::config::{WsCadence, WsConfig};
use crate::engine::result::{new_latency_histogram, ErrorKind, RunResult};
use crate::report::fixtures;
use crate::report::model::ws::Finding;
use crate::report::model::{Report, ReportOptions};
use crate::ws::stats::WsStats;

const ACKS: [&str; 2] = ["newest_frame_seq", "oldest_frame_seq"];

/// `n` values spread evenly over `from_us..from_us + span_us` (a fixed shuffle of the
/// range), in nanoseconds.
fn spread_ns(n: u64, from_us: u64, span_us: u64) -> impl Iterator<Item = u64> {
    (0..n).map(move |i| (from_us + (i * 7919) % span_us) * 1_000)
}

fn hist(values_ns: impl IntoIterator<Item = u64>) -> Histogram<u64> {
    let mut h = new_latency_histogram();
    for v in values_ns {
        h.record(v).expect("latency within bounds");
    }
    h
}

/// The report of `result` as `vastar ws ws://127.0.0.1:8080/asr -c C -z 30s` with
/// `cadence`, the ack fields of `result`, and `slo`; C is the sessions tried.
fn report(result: &RunResult, cadence: WsCadence, slo: &str) -> Report {
    let sessions = result
        .ws
        .as_ref()
        .map_or(0, |w| w.sessions.opened + w.sessions.failed);
    let mut config = fixtures::config_z(Duration::from_secs(30), sessions as usize);
    config.slo = crate::slo::parse(slo).expect("fixture spec is valid");
    config.ws = Some(WsConfig {
        messages: vec![Bytes::from_static(&[0; 640])],
        binary: true,
        cadence,
        ack_fields: result
            .ws
            .as_ref()
            .map_or(Vec::new(), |w| w.ack_fields.clone()),
        warmup: Duration::from_secs(2),
        ramp: Duration::ZERO,
    });
    let mut result = result.clone();
    result.params = crate::results::params::Params::of(&config);
    result.params.url = "ws://127.0.0.1:8080/asr".into();
    Report::new(&result, &ReportOptions::default())
}

/// 100 sessions sending a frame every 20 ms for 30 s, two of which were refused (503) and
/// one closed (1011); the server answers every 100 ms, so an answer covers 5 frames and
/// its oldest waited 80 ms more than its newest.
fn result_acks() -> RunResult {
    let mut r = RunResult::empty(Duration::from_micros(30_012_500));
    r.status_codes.insert(101, 146_990);
    r.errors.insert(ErrorKind::WsUpgrade, 2);
    r.errors.insert(ErrorKind::Timeout, 8);
    r.send_lateness_ns = Some(hist(spread_ns(5000, 20, 400)));
    let mut ws = WsStats::new(ACKS.map(String::from).to_vec());
    ws.sessions.opened = 98;
    ws.sessions.failed = 2;
    ws.sessions.closed_by_server = 1;
    ws.upgrade_statuses.insert(503, 2);
    ws.close_codes.insert(1011, 1);
    ws.messages.sent = 146_998;
    ws.messages.received = 29_390;
    ws.messages.pings = 3;
    ws.warmup_sent = 9_800;
    ws.upgrade_ns = hist(spread_ns(98, 900, 2_500));
    ws.measured.acks_ns[0] = hist(spread_ns(27_430, 18_000, 40_000));
    ws.measured.acks_ns[1] = hist(spread_ns(27_430, 98_000, 42_000));
    ws.warmup.acks_ns[0] = hist(spread_ns(1_960, 25_000, 60_000));
    ws.warmup.acks_ns[1] = hist(spread_ns(1_960, 105_000, 60_000));
    ws.error(ErrorKind::WsClosed);
    *ws.errors.entry(ErrorKind::WsBadMessage).or_insert(0) += 3;
    r.ws = Some(ws);
    r
}

/// 10 sessions echoing for 30 s, nothing lost.
fn result_echo() -> RunResult {
    let mut r = RunResult::empty(Duration::from_micros(30_000_800));
    r.status_codes.insert(101, 120_000);
    let mut ws = WsStats::new(Vec::new());
    ws.sessions.opened = 10;
    ws.messages.sent = 120_000;
    ws.messages.received = 120_000;
    ws.upgrade_ns = hist(spread_ns(10, 300, 200));
    ws.measured.echo_ns = hist(spread_ns(120_000, 90, 3_000));
    r.ws = Some(ws);
    r
}

fn report_acks() -> Report {
    let slo = "newest_frame_seq_p50=200ms,oldest_frame_seq_p95=120ms,upgrade_p99=5ms,errors=0.001%";
    report(
        &result_acks(),
        WsCadence::Every(Duration::from_millis(20)),
        slo,
    )
}

fn report_echo() -> Report {
    report(
        &result_echo(),
        WsCadence::Echo,
        "p99=5ms,errors=0%,rps>=3000",
    )
}

fn text(report: &Report) -> String {
    String::from_utf8(rendered(report, false)).expect("report is UTF-8")
}

#[test]
fn golden_acks() {
    let report = report_acks();
    golden("ws_acks.txt", &rendered(&report, false));
    golden("ws_acks_color.txt", &rendered(&report, true));
    assert_eq!(
        strip_ansi(&rendered(&report, true)),
        rendered(&report, false)
    );
}

#[test]
fn golden_echo() {
    golden("ws_echo.txt", &rendered(&report_echo(), false));
}

#[test]
fn sections_in_order_and_no_http_section() {
    let text = text(&report_acks());
    let order = [
        "Summary:",
        "SLO: 2 of 4 gates failed",
        "Latency of newest_frame_seq (frame sent to the ack naming it, 27430 acks):",
        "Latency of oldest_frame_seq",
        "Timing:",
        "Warm-up (9800 messages, not in the statistics above):",
        "Insight:",
        "Error distribution:",
        "Close codes:",
        "Refused upgrades:",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|s| {
            text.find(s)
                .unwrap_or_else(|| panic!("missing {s}:\n{text}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    for http in [
        "Requests/sec:",
        "Status code distribution:",
        "Details",
        "Echo",
    ] {
        assert!(!text.contains(http), "{http}:\n{text}");
    }
}

#[test]
fn errors_merge_failed_sends_and_session_failures() {
    let report = report_acks();
    let ws = report.ws.as_ref().expect("a ws run");
    assert_eq!(ws.errors_total, 2 + 8 + 1 + 3);
    let text = text(&report);
    assert!(
        text.contains("  [2] WebSocket upgrade refused (status not 101)\n"),
        "{text}"
    );
    assert!(text.contains("  [8] request timed out\n"), "{text}");
    assert!(
        text.contains("  [3] message not the JSON expected\n"),
        "{text}"
    );
    // The error gate's rate and counts are the ws ones: 14 errors in 147000 messages.
    assert!(text.contains("errors <= 0.001%"), "{text}");
    assert!(text.contains("(14 errors in 147000 messages)"), "{text}");
}

#[test]
fn insight_reads_the_batch_interval_and_the_kept_cadence() {
    let findings = report_acks().ws.expect("a ws run").findings;
    match &findings[0] {
        Finding::AckSpread {
            slow,
            fast,
            spread,
            batch,
        } => {
            assert_eq!((slow.as_str(), fast.as_str()), (ACKS[1], ACKS[0]));
            let ms = spread.as_secs_f64() * 1e3;
            assert!((ms - 81.0).abs() < 1.0, "{ms}");
            let batch = batch.expect("the cadence is known");
            assert!((batch.frames - 5.05).abs() < 0.1, "{batch:?}");
            assert_eq!(batch.interval, *spread + Duration::from_millis(20));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(findings[1], Finding::Cadence { kept: true, .. }));
    assert_eq!(
        findings[2],
        Finding::SessionsLost {
            lost: 3,
            tried: 100
        }
    );
    assert_eq!(findings.len(), 3);
}

#[test]
fn a_late_generator_is_said_to_miss_the_cadence() {
    let mut result = result_acks();
    result.send_lateness_ns = Some(hist(spread_ns(5000, 100, 4_000)));
    let report = report(
        &result,
        WsCadence::Every(Duration::from_millis(20)),
        "errors=1%",
    );
    let text = text(&report);
    assert!(
        text.contains("cadence missed: send lateness p99 4.0"),
        "{text}"
    );
    assert!(
        text.contains("the generator could not keep the cadence"),
        "{text}"
    );
}

#[test]
fn echo_runs_show_the_round_trip_and_no_ack_or_cadence_reading() {
    let report = report_echo();
    let text = text(&report);
    assert!(
        text.contains("Echo round trip (send to reply, 120000 replies):"),
        "{text}"
    );
    assert!(text.contains("  Sessions:     10 (-c), echo"), "{text}");
    assert!(!text.contains("Insight:"), "{text}");
    assert!(!text.contains("Warm-up"), "{text}");
    assert!(text.contains("SLO: all 3 gates passed"), "{text}");
    assert!(text.contains("msg/s"), "{text}");
}

#[test]
fn a_result_without_its_cadence_names_no_mode_and_judges_no_cadence() {
    let mut result = result_acks();
    result.params = Default::default();
    result.params.concurrency = 100;
    let report = Report::new(&result, &ReportOptions::default());
    let text = text(&report);
    assert!(text.contains("  Sessions:     100 (-c)\n"), "{text}");
    let findings = report.ws.expect("a ws run").findings;
    assert!(matches!(
        findings[0],
        Finding::AckSpread { batch: None, .. }
    ));
    assert!(!findings
        .iter()
        .any(|f| matches!(f, Finding::Cadence { .. })));
}

#[test]
fn an_empty_distribution_says_so() {
    let mut result = result_acks();
    if let Some(ws) = result.ws.as_mut() {
        ws.measured.acks_ns[1] = new_latency_histogram();
    }
    let report = report(
        &result,
        WsCadence::Every(Duration::from_millis(20)),
        "oldest_frame_seq_p50=1s",
    );
    let text = text(&report);
    assert!(
        text.contains("Latency of oldest_frame_seq:\n  none measured: no ack arrived\n"),
        "{text}"
    );
    assert!(
        text.contains("FAIL  oldest_frame_seq p50 <= 1000 ms  measured n/a (nothing measured)"),
        "{text}"
    );
    assert!(!report
        .ws
        .expect("ws")
        .findings
        .iter()
        .any(|f| matches!(f, Finding::AckSpread { .. })));
}

#[test]
fn http_runs_keep_the_http_layout() {
    assert!(fixtures::report_basic().ws.is_none());
    let text = text(&fixtures::report_basic());
    assert!(text.contains("Response time distribution:"), "{text}");
}
