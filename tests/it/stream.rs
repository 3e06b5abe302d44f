//! `--stream-metrics`: a scripted SSE server sends known streams with known gaps; the report
//! recovers TTFT and ITL, counts tokens exactly, and counts every kind of stream error.

use std::time::Duration;

use crate::support::{run, run_json, scratch_file, Peer, ScriptServer};

/// How each scripted response ends or goes wrong.
#[derive(Clone, Copy, PartialEq)]
enum Ending {
    /// A usage chunk (completion_tokens = 42), then `[DONE]`.
    UsageAndDone,
    /// `[DONE]` without usage.
    Done,
    /// No `[DONE]`: the body just ends.
    Truncated,
    /// An `event: error` after the content.
    ErrorEvent,
}

/// Content chunks per response, and the gaps the server keeps.
const TOKENS: u64 = 5;
const FIRST_MS: u64 = 100;
const GAP_MS: u64 = 30;

fn chunk(out: &mut Vec<u8>, event: &str) {
    out.extend_from_slice(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes());
}

fn content(text: &str) -> String {
    format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
}

/// Answers every request with an OpenAI-style stream: a role chunk at once, the first
/// content chunk after `FIRST_MS`, then one every `GAP_MS`, then `ending`.
fn openai_stream(peer: &mut Peer, ending: Ending) {
    while peer.read_request().is_some() {
        let mut head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
            Transfer-Encoding: chunked\r\n\r\n"
            .to_vec();
        chunk(
            &mut head,
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        );
        if !peer.send(&head) {
            return;
        }
        for i in 0..TOKENS {
            std::thread::sleep(Duration::from_millis(if i == 0 {
                FIRST_MS
            } else {
                GAP_MS
            }));
            let mut out = Vec::new();
            chunk(&mut out, &content(&format!("t{i}")));
            if !peer.send(&out) {
                return;
            }
        }
        let mut out = Vec::new();
        match ending {
            Ending::UsageAndDone => {
                chunk(&mut out, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":42}}\n\n");
                chunk(&mut out, "data: [DONE]\n\n");
            }
            Ending::Done => chunk(&mut out, "data: [DONE]\n\n"),
            Ending::Truncated => {}
            Ending::ErrorEvent => chunk(
                &mut out,
                "event: error\ndata: {\"message\":\"overloaded\"}\n\n",
            ),
        }
        out.extend_from_slice(b"0\r\n\r\n");
        if !peer.send(&out) {
            return;
        }
    }
}

fn stream_server(ending: Ending) -> ScriptServer {
    ScriptServer::start(move |peer| openai_stream(peer, ending))
}

fn p(map: &std::collections::BTreeMap<String, Option<f64>>, key: &str) -> f64 {
    map.get(key)
        .copied()
        .flatten()
        .unwrap_or_else(|| panic!("{key} missing: {map:?}"))
}

#[test]
fn ttft_and_itl_are_recovered_and_event_counted_tokens_are_exact() {
    let server = stream_server(Ending::Done);
    let report = run_json("--stream-metrics -n 4 -c 2", &[&server.url("/v1/chat")]);
    let s = report.stream.expect("stream metrics on");
    // The server sleeps exactly these gaps; the loaded machine may add, never remove.
    let ttft = p(&s.ttft_ms, "p50");
    assert!(
        (FIRST_MS as f64 - 1.0..FIRST_MS as f64 + 60.0).contains(&ttft),
        "ttft {ttft}"
    );
    let itl = p(&s.itl_ms, "p50");
    assert!(
        (GAP_MS as f64 - 5.0..GAP_MS as f64 + 40.0).contains(&itl),
        "itl {itl}"
    );
    let tpot = p(&s.tpot_ms, "p50");
    assert!(
        (GAP_MS as f64 - 5.0..GAP_MS as f64 + 40.0).contains(&tpot),
        "tpot {tpot}"
    );
    assert!(p(&s.e2e_ms, "p50") >= (FIRST_MS + 4 * GAP_MS) as f64);
    assert_eq!(s.responses, 4);
    assert_eq!(s.output_tokens.total, 4 * TOKENS);
    assert_eq!(s.output_tokens.source.as_deref(), Some("events"));
    assert_eq!(s.content_events, 4 * TOKENS);
    assert_eq!(
        s.events,
        4 * (TOKENS + 2),
        "role chunk and [DONE] are events too"
    );
    assert_eq!(
        (
            s.errors.missing_done,
            s.errors.error_event,
            s.errors.not_streaming
        ),
        (0, 0, 0)
    );
    assert!(s.goodput_rps > 0.0 && s.tokens_per_s > 0.0);
    let share = s.ttft_share.expect("TTFT and E2E measured");
    assert!(share > 0.1 && share < 0.9, "{share}");
}

#[test]
fn usage_tokens_win_over_counted_events() {
    let server = stream_server(Ending::UsageAndDone);
    let s = run_json("--stream-metrics -n 3 -c 1", &[&server.url("/")])
        .stream
        .unwrap();
    assert_eq!(s.output_tokens.total, 3 * 42);
    assert_eq!(s.output_tokens.source.as_deref(), Some("usage"));
    assert_eq!(s.output_tokens.per_request_avg, 42.0);
    assert_eq!(s.content_events, 3 * TOKENS);
    // Per request tokens/s = 42 / E2E: the median response is the median of both.
    let rate = p(&s.tokens_per_s_per_request, "p50");
    let expected = 42.0 / (p(&s.e2e_ms, "p50") / 1000.0);
    assert!(
        (rate - expected).abs() / expected < 0.02,
        "{rate} vs {expected}"
    );
    assert!(
        rate <= 42.0 / ((FIRST_MS + 4 * GAP_MS) as f64 / 1000.0),
        "{rate}"
    );
}

#[test]
fn error_events_and_truncated_streams_are_stream_errors() {
    let server = stream_server(Ending::ErrorEvent);
    let s = run_json("--stream-metrics -n 2 -c 1", &[&server.url("/")])
        .stream
        .unwrap();
    assert_eq!(s.errors.error_event, 2);
    assert_eq!(
        s.errors.missing_done, 2,
        "an error ends the stream without [DONE]"
    );
    assert_eq!(s.goodput_rps, 0.0);
    let server = stream_server(Ending::Truncated);
    let s = run_json("--stream-metrics -n 2 -c 1", &[&server.url("/")])
        .stream
        .unwrap();
    assert_eq!((s.errors.missing_done, s.errors.error_event), (2, 0));
    assert_eq!(s.content_events, 2 * TOKENS);
}

#[test]
fn a_plain_json_answer_is_not_a_stream() {
    let server = ScriptServer::start(|peer| {
        while peer.read_request().is_some() {
            let body = b"{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}";
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            if !peer.send(&[head.as_bytes(), body].concat()) {
                return;
            }
        }
    });
    let report = run_json("--stream-metrics -n 3 -c 1", &[&server.url("/")]);
    let s = report.stream.unwrap();
    assert_eq!(s.errors.not_streaming, 3);
    assert_eq!((s.responses, s.events), (0, 0));
    assert!(s.ttft_ms.values().all(Option::is_none));
    assert_eq!(s.output_tokens.source, None);
    assert!(run_json("-n 1", &[&server.url("/")]).stream.is_none());
}

#[test]
fn stream_gates_pass_and_fail_with_exit_code_1() {
    let server = stream_server(Ending::Done);
    let url = server.url("/");
    run(
        "--stream-metrics -n 2 -c 1 --slo ttft_p99=5s,itl_p50=2s,tokens_per_s>=0.5,goodput>=0.1",
        &[&url],
    )
    .success();
    let failed = run(
        "-o json --stream-metrics -n 2 -c 1 --slo ttft_p50=10ms",
        &[&url],
    )
    .expect_code(1)
    .report();
    assert_eq!(
        failed.stream.unwrap().goodput_rps,
        0.0,
        "no response met the TTFT limit"
    );
    let text = run(
        "--color never --stream-metrics -n 2 -c 1 --slo tpot_p50=1ms",
        &[&url],
    )
    .expect_code(1)
    .stdout_text();
    assert!(
        text.contains("Streaming:") && text.contains("TTFT:"),
        "{text}"
    );
    assert!(text.contains("FAIL  tpot p50 <= 1 ms"), "{text}");
    assert!(text.contains("from events"), "{text}");
}

#[test]
fn what_stream_metrics_cannot_measure_is_refused() {
    let run_err = |flags: &str| run(flags, &["http://127.0.0.1:9/"]).expect_code(2).stderr;
    let err = run_err("--slo ttft_p99=1s -n 1");
    assert!(err.contains("ttft_p99 needs --stream-metrics"), "{err}");
}

#[test]
fn merging_one_stream_result_reproduces_it() {
    let server = stream_server(Ending::UsageAndDone);
    let saved = run("-o json --stream-metrics -n 2 -c 1", &[&server.url("/")]).success();
    let file = scratch_file("merge-stream.json", &saved.stdout);
    let merged = run("merge -o json", &[file.to_str().unwrap()]).success();
    assert_eq!(merged.stdout_text(), saved.stdout_text());
    let report = merged.report();
    assert_eq!(report.stream.unwrap().output_tokens.total, 84);
    let raw = report
        .result
        .stream
        .expect("result.stream carries the exact data");
    assert_eq!(raw["tokens_from_usage"], 2);
}

/// Answers with headers and an SSE comment at once, a role-only chunk after 50 ms, the
/// first content after 100 ms, then `[DONE]`.
fn staged_stream(peer: &mut Peer) {
    let role = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n";
    while peer.read_request().is_some() {
        let mut head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
            Transfer-Encoding: chunked\r\n\r\n"
            .to_vec();
        chunk(&mut head, ": warming up\n\n");
        let mut first = Vec::new();
        chunk(&mut first, role);
        let mut rest = Vec::new();
        chunk(&mut rest, &content("hi"));
        chunk(&mut rest, "data: [DONE]\n\n");
        rest.extend_from_slice(b"0\r\n\r\n");
        for (wait_ms, bytes) in [(0, head), (50, first), (50, rest)] {
            std::thread::sleep(Duration::from_millis(wait_ms));
            if !peer.send(&bytes) {
                return;
            }
        }
    }
}

#[test]
fn first_byte_first_event_and_first_token_are_told_apart() {
    let server = ScriptServer::start(staged_stream);
    let report = run_json("--stream-metrics -n 3 -c 1", &[&server.url("/")]);
    let s = report.stream.expect("stream metrics on");
    // The server sleeps these waits; the loaded machine may add, never remove.
    let (ttfb, ttfe, ttft) = (
        p(&s.ttfb_ms, "p50"),
        p(&s.ttfe_ms, "p50"),
        p(&s.ttft_ms, "p50"),
    );
    assert!(ttfb < 40.0, "ttfb {ttfb}");
    assert!((49.0..90.0).contains(&ttfe), "ttfe {ttfe}");
    assert!((99.0..160.0).contains(&ttft), "ttft {ttft}");
    assert!(ttfb < ttfe && ttfe < ttft, "{ttfb} {ttfe} {ttft}");
    let raw = report.result.stream.expect("raw stream data");
    assert!(raw["histograms"]["ttfb"].is_string() && raw["histograms"]["ttfe"].is_string());
}
