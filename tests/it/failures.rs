//! Servers that fail: stall, close idle connections, refuse, or start listening late.
//!
//! Per-request failures are data: the run still exits 0 and the report counts each failed
//! request under exactly one error kind. Only a run where nothing could connect exits 3.
//! Timing assertions are lower bounds, or generous upper bounds whose point is "no hang".

use std::thread;
use std::time::Duration;

use crate::support::{
    answer_ok, ok_response, run, run_json, unused_local_addr, url_of, Peer, ScriptServer,
};

/// A stalled backend: reads requests and never answers.
fn stall(peer: &mut Peer) {
    peer.read_until_closed();
}

#[test]
fn stalled_server_times_out_every_request_and_the_run_still_exits_0() {
    let server = ScriptServer::start(stall);
    let run = run("-o json -n 4 -c 2 -t 1", &[&server.url("/")]).success();
    let report = run.report();
    assert!(
        run.elapsed < Duration::from_secs(10),
        "took {:?}",
        run.elapsed
    );
    assert_eq!(
        report.errors.clone().into_iter().collect::<Vec<_>>(),
        [("timeout".to_string(), 4)]
    );
    assert_eq!(
        (
            report.summary.requests,
            report.summary.successful,
            report.summary.failed
        ),
        (4, 0, 4)
    );
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn stalled_server_in_a_timed_run_is_cut_off_by_the_drain_cap_and_counted_as_aborted() {
    let server = ScriptServer::start(stall);
    let run = run("-o json -z 2s -c 2 -t 30", &[&server.url("/")]).success();
    let report = run.report();
    // 2 s of run plus at most 2 s of drain: far below the 30 s request timeout.
    assert!(
        run.elapsed < Duration::from_secs(15),
        "took {:?}",
        run.elapsed
    );
    assert!(
        run.elapsed >= Duration::from_secs(2),
        "took only {:?}",
        run.elapsed
    );
    assert_eq!(
        report.errors_of("aborted"),
        2,
        "errors: {:?}",
        report.errors
    );
    assert_eq!(report.errors.len(), 1, "errors: {:?}", report.errors);
    assert_eq!(report.summary.requests, 2);
    // The window holds the drain, up to its 2 s cap, since the aborted requests count in it.
    let s = &report.summary;
    assert!(
        (3.9..=4.2).contains(&s.total_secs) && s.send_secs < 0.1,
        "sent at {} s, window {} s",
        s.send_secs,
        s.total_secs
    );
}

#[test]
fn idle_connections_closed_silently_by_the_server_are_retried_without_errors() {
    // Answers one request as if keeping the connection alive, then closes it: the client
    // learns only when it sends the next request.
    let server = ScriptServer::start(|peer| {
        if peer.read_request().is_some() {
            peer.send(&ok_response(b"ok"));
        }
    });
    let report = run_json("-n 50 -c 2 -t 5", &[&server.url("/")]);
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert_eq!(report.summary.successful, 50);
    assert_eq!(server.requests().len(), 50);
    assert_eq!(server.connections(), 50);
}

#[test]
fn refused_connection_exits_3_with_one_line_naming_address_and_os_error() {
    let addr = unused_local_addr();
    let run = run("-n 5 -c 2 -t 2", &[&url_of(addr)]).expect_code(3);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout_text());
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr: {}", run.stderr);
    assert!(
        lines[0].contains(&addr.to_string()),
        "no address in {:?}",
        lines[0]
    );
    assert!(
        lines[0].to_ascii_lowercase().contains("refused"),
        "no OS error in {:?}",
        lines[0]
    );
    assert!(
        run.elapsed < Duration::from_secs(10),
        "took {:?}",
        run.elapsed
    );
}

#[test]
fn a_server_that_starts_listening_late_is_reached_by_preconnect_retries() {
    // Pre-connect tries each connection 3 times, 50 ms then 100 ms apart. Listening after a
    // delay inside that window must succeed; to prove the retry happened, at least one
    // attempt must also land before the listener exists. Process start-up time varies, so
    // a delay that turns out too short (no retry needed) is widened and tried again.
    for delay_ms in [40, 80, 120] {
        let addr = unused_local_addr();
        let listener = thread::spawn(move || {
            thread::sleep(Duration::from_millis(delay_ms));
            ScriptServer::bind(addr, answer_ok)
        });
        let run = run("-o json -n 10 -c 2 -t 5", &[&url_of(addr)]);
        let server = listener
            .join()
            .expect("listener thread")
            .expect("bind the reserved port again");
        let report = run.success().report();
        assert_eq!(report.summary.successful, 10, "errors: {:?}", report.errors);
        assert_eq!(server.requests().len(), 10);
        if report.connections.preconnect_retries > 0 {
            return;
        }
        eprintln!("note: listening after {delay_ms} ms needed no retry; widening the delay");
    }
    panic!("vastar never needed a pre-connect retry, even with the listener 120 ms late");
}
