//! What vastar prints: the JSON document and its schema, and text that stays plain when
//! piped.

use crate::support::{builtin_target, run, run_cmd, run_json, url_of, vastar, ScriptServer};

#[test]
fn json_output_is_one_schema_valid_document_and_nothing_else() {
    let server = builtin_target();
    let run = run("-o json -n 50 -c 5 -t 5", &[&url_of(server.addr())]).success();
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    // `report()` requires exactly one document, valid against schema/report.schema.json.
    let report = run.report();
    assert_eq!(report.schema_version, "1.7");
    assert!(!report.interrupted);
    assert_eq!(report.summary.cut_off, 0);
    assert_eq!(report.tool.name, "vastar");
    assert_eq!(report.tool.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(report.params.requests, Some(50));
    assert_eq!(report.params.concurrency, 5);
    assert_eq!(report.params.method, "GET");
    assert_eq!(report.params.timeout_s, Some(5.0));
    assert_eq!(report.params.duration_s, None);
    assert!(report.ws.is_none() && report.params.ws.is_none() && report.result.ws.is_none());
    let summary = &report.summary;
    assert_eq!(
        (summary.requests, summary.successful, summary.failed),
        (50, 50, 0)
    );
    assert_eq!(summary.size_per_request, 13);
    assert_exact_result_agrees(&report);
    assert!(summary.fastest_ms.is_some() && summary.slowest_ms >= summary.fastest_ms);
    assert!(summary.rps > 0.0);
    assert!(report.params.compression && report.params.keepalive);
    assert!(
        report.latency_ms["p50"].is_number(),
        "{:?}",
        report.latency_ms
    );
    assert!(
        report.details_ms["wait"]["avg"].is_number(),
        "{:?}",
        report.details_ms
    );
}

#[test]
fn json_output_of_a_run_without_responses_is_still_schema_valid() {
    // Everything times out, so every latency-derived field has to be null, not a fake zero.
    let server = ScriptServer::start(|peer| peer.read_until_closed());
    let report = run_json("-n 1 -c 1 -t 0.3", &[&server.url("/")]);
    assert_eq!(report.summary.successful, 0);
    assert_eq!(report.summary.average_ms, None);
    assert!(report.histogram.is_empty());
    assert!(report.insight.is_null());
}

#[test]
fn piped_text_report_has_no_escape_bytes_even_without_no_color() {
    let server = builtin_target();
    let url = url_of(server.addr());
    // `vastar()` removes NO_COLOR; a color-capable TERM must not matter when stdout is a pipe.
    let run = run_cmd(
        vastar()
            .env("TERM", "xterm-256color")
            .args(["-n", "20", "-c", "2", "-t", "5", &url]),
    )
    .success();
    assert!(
        run.stdout_text().contains("Requests/sec:"),
        "stdout:\n{}",
        run.stdout_text()
    );
    assert!(
        !run.stdout.contains(&0x1b),
        "escape byte in piped stdout:\n{}",
        run.stdout_text()
    );
}

#[test]
fn color_always_forces_escapes_even_when_piped() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let run = run("--color always -n 20 -c 2 -t 5", &[&url]).success();
    assert!(
        run.stdout.contains(&0x1b),
        "no escape byte with --color always:\n{}",
        run.stdout_text()
    );
}

#[test]
fn stderr_has_no_progress_bar_when_not_a_terminal() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let run = run("-z 500ms -c 2 -t 5", &[&url]).success();
    assert!(
        run.stderr.is_empty(),
        "stderr is not a terminal, yet got {:?}",
        run.stderr
    );
}

#[test]
fn histograms_are_log_scale_by_default_and_linear_on_request() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let log = run_json("-n 200 -c 4 -t 5", &[&url]);
    assert_eq!(log.histogram_scale, "log");
    let linear = run_json(
        "-n 200 -c 4 -t 5 --hist-scale linear --hist-bins 5",
        &[&url],
    );
    assert_eq!(linear.histogram_scale, "linear");
    assert!(linear.histogram.len() <= 5, "{:?}", linear.histogram);
    for (flags, heading) in [
        ("", "\nResponse time histogram (log scale):\n"),
        (
            "--hist-scale linear",
            "\nResponse time histogram (linear scale):\n",
        ),
    ] {
        let text = run(&format!("-n 200 -c 4 -t 5 {flags}"), &[&url])
            .success()
            .stdout_text();
        assert!(text.contains(heading), "{heading:?} not in:\n{text}");
    }
    let refused = run("-n 10 --hist-scale cubic", &[&url]).expect_code(2);
    assert!(refused.stderr.contains("cubic"), "{}", refused.stderr);
}

/// The `result` object is what the rest was computed from: its counters are the report's,
/// its window is `total_secs`, and it carries the latency histogram.
fn assert_exact_result_agrees(report: &crate::support::report::Report) {
    let raw = &report.result;
    assert_eq!(raw.status_codes, report.status_codes);
    assert_eq!(raw.errors, report.errors);
    assert_eq!(raw.body_bytes, report.summary.bytes_total);
    assert_eq!(raw.cut_off, report.summary.cut_off);
    assert_eq!(raw.late_sends, 0);
    assert_eq!(raw.connections.opened, report.connections.opened);
    assert_eq!(raw.redirects.followed, report.redirects.followed);
    let total_ns = report.summary.total_secs * 1e9;
    assert!((raw.elapsed_ns as f64 - total_ns).abs() < 1e3, "{raw:?}");
    assert!(raw.sending_ns <= raw.elapsed_ns);
    let window_us = raw.end_unix_us - raw.start_unix_us;
    assert!(window_us.abs_diff(raw.elapsed_ns / 1000) <= 1, "{raw:?}");
    let latency = raw.histograms["latency"].as_deref().unwrap_or_default();
    assert!(latency.starts_with("HISTF"), "{latency}");
    assert_eq!(raw.histograms["service_time"], None);
    assert!(raw.phases_ns["wait"]["count"] == 50, "{:?}", raw.phases_ns);
}

/// A `vastar ws` result as the engine hands it over, rendered by the library: the schema
/// and the test-side types (which deny unknown fields) must both accept its `ws` objects.
#[test]
fn a_ws_report_fits_the_schema_and_the_test_side_types() {
    let out = crate::support::report::ws_document(&["newest_frame_seq"]);
    let report = crate::support::report::Report::parse(&out);
    assert_eq!(report.protocol, "websocket");
    let ws = report.ws.expect("a ws run has a ws object");
    let s = &ws.sessions;
    assert_eq!((s.opened, s.failed, s.closed_by_server), (1, 0, 1));
    let m = &ws.messages;
    assert_eq!((m.sent, m.received, m.pings, m.warmup_sent), (3, 2, 0, 1));
    assert_eq!(ws.latency_ms, None);
    let p50 = |d: &std::collections::BTreeMap<String, Option<f64>>| d["p50"].unwrap_or(0.0);
    assert!((p50(&ws.acks["newest_frame_seq"]) - 30.0).abs() < 0.1);
    assert!((p50(&ws.upgrade_ms) - 1.5).abs() < 0.01);
    assert!(ws.send_lateness_ms.as_ref().is_some_and(|l| p50(l) < 0.1));
    assert_eq!((ws.close_codes[&1011], ws.upgrade_statuses.len()), (1, 0));
    let warmup = ws.warmup.expect("--warmup 1s");
    assert_eq!(warmup.latency_ms, None);
    assert!((p50(&warmup.acks["newest_frame_seq"]) - 60.0).abs() < 0.1);
    assert_eq!(ws.errors["ws_closed"] + ws.errors["ws_upgrade"], 2);
    assert_eq!(ws.error_rate, Some(2.0 / 4.0));
    let p = report.params.ws.expect("params.ws");
    assert_eq!((p.mode.as_str(), p.every_ms), ("every", Some(20.0)));
    assert_eq!(
        (p.warmup_s, p.ramp_s, p.frames, p.binary),
        (1.0, 0.0, 1, true)
    );
    assert_eq!(p.ack_fields, ["newest_frame_seq"]);
    let raw = report.result.ws.expect("result.ws");
    assert_eq!(raw["messages"]["sent"], 3);
}
