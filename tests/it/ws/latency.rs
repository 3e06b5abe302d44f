//! Latency: the echo round trip is the server's reply delay, and each `--ack-field`'s
//! distribution times the frame that field names.

use std::time::Duration;

use crate::support::ws_script::{text, WsServer};

use super::{all_errors, assert_within, count, errors_of, ms, ws_json};

#[test]
fn echo_latency_is_the_servers_reply_delay() {
    let server = WsServer::start(|peer| peer.echo(Duration::from_millis(30)));
    let report = ws_json("-n 40 -c 2 -t 5 --echo --send hello", &server.url());
    assert_eq!(count(&report, "/ws/messages/sent"), 40);
    assert_eq!(count(&report, "/ws/messages/received"), 40);
    assert_eq!(count(&report, "/ws/sessions/opened"), 2);
    assert_eq!(count(&report, "/ws/sessions/failed"), 0);
    assert_eq!(all_errors(&report), []);
    // The server holds every reply 30 ms: nothing can come back sooner.
    let p50 = ms(&report, "/ws/latency_ms/p50");
    assert_within("echo p50", p50, 29.5..80.0, &report);
    assert_within(
        "echo p10",
        ms(&report, "/ws/latency_ms/p10"),
        29.5..80.0,
        &report,
    );
    // What went over the wire: 40 masked text frames saying `hello`, on two connections.
    let logs = server.logs();
    assert_eq!(logs.len(), 2);
    let frames: Vec<_> = logs.iter().flat_map(|log| log.data()).collect();
    assert_eq!(frames.len(), 40);
    assert!(
        frames
            .iter()
            .all(|f| f.masked && f.fin && f.opcode == 1 && f.payload == b"hello"),
        "{frames:?}"
    );
}

#[test]
fn binary_messages_from_a_file_cycle_through_its_frame_size_slices() {
    let bytes: Vec<u8> = (0u8..=9).collect();
    let file = crate::support::scratch_file("ws-frames.bin", &bytes);
    let server = WsServer::start(|peer| peer.echo(Duration::ZERO));
    let path = file.to_string_lossy();
    let report = ws_json(
        &format!("-n 5 -c 1 -t 5 --binary --frame-size 4 --send-file {path}"),
        &server.url(),
    );
    assert_eq!(count(&report, "/ws/messages/received"), 5);
    let payloads: Vec<Vec<u8>> = server.logs()[0]
        .data()
        .inspect(|f| assert_eq!(f.opcode, 2, "binary frames"))
        .map(|f| f.payload.clone())
        .collect();
    let want: [&[u8]; 5] = [
        &[0, 1, 2, 3],
        &[4, 5, 6, 7],
        &[8, 9],
        &[0, 1, 2, 3],
        &[4, 5, 6, 7],
    ];
    assert_eq!(payloads, want);
}

/// The frame ack server: after frame k of a session, waits `DELAY` and answers
/// `{"newest_frame_seq":k,"oldest_frame_seq":k-4}` (0 for the first four frames).
fn ack_server() -> WsServer {
    WsServer::start(|peer| {
        peer.answer(DELAY, |k, _| {
            let oldest = k.saturating_sub(4);
            Some(text(&format!(
                r#"{{"newest_frame_seq":{k},"oldest_frame_seq":{oldest},"frames":1}}"#
            )))
        });
    })
}

/// How long the ack server holds each answer.
const DELAY: Duration = Duration::from_millis(40);

/// The send interval of the ack runs: an ack mapped one frame off moves by this much.
const EVERY_MS: f64 = 60.0;

#[test]
fn each_ack_field_times_the_frame_it_names() {
    let server = ack_server();
    let report = ws_json(
        "-n 60 -c 2 -t 5 --every 60ms --send frame \
         --ack-field newest_frame_seq --ack-field oldest_frame_seq",
        &server.url(),
    );
    assert_eq!(count(&report, "/ws/messages/sent"), 60);
    assert_eq!(server.data_frames(), 60);
    assert_eq!(all_errors(&report), []);
    // newest names the frame just received: its latency is the server's delay.
    let newest = ms(&report, "/ws/acks/newest_frame_seq/p50");
    assert_within("newest p50", newest, 39.5..85.0, &report);
    // oldest names the frame sent four intervals earlier.
    let oldest = ms(&report, "/ws/acks/oldest_frame_seq/p50");
    let expected = 40.0 + 4.0 * EVERY_MS;
    assert_within(
        "oldest p50",
        oldest,
        expected - 0.5..expected + 45.0,
        &report,
    );
    // Without --echo there is no round trip; with --every, send lateness is reported.
    assert!(report["ws"]["latency_ms"].is_null(), "{:#}", report["ws"]);
    assert_within(
        "send lateness p50",
        ms(&report, "/ws/send_lateness_ms/p50"),
        0.0..EVERY_MS,
        &report,
    );
}

/// `-n 10 --every 20ms --ack-field newest_frame_seq` against `server`: the report.
fn ten_acked_frames(server: &WsServer) -> serde_json::Value {
    ws_json(
        "-n 10 -c 1 -t 5 --every 20ms --ack-field newest_frame_seq",
        &server.url(),
    )
}

/// Asserts that every message received was counted as a failure of kind `kind`, and that at
/// least the first nine of ten were received (the tenth's answer is a separate matter: see
/// [`the_acks_of_a_sessions_last_frames_are_awaited_before_it_closes`]).
fn every_message_counted_as(report: &serde_json::Value, kind: &str) {
    let received = count(report, "/ws/messages/received");
    assert!(received >= 9, "{:#}", report["ws"]);
    assert_eq!(errors_of(report, kind), received, "{:#}", report["ws"]);
}

#[test]
fn acks_naming_frames_never_sent_are_counted_not_timed() {
    let server = WsServer::start(|peer| {
        peer.answer(Duration::ZERO, |k, _| {
            let seq = k + 1000;
            Some(text(&format!(r#"{{"newest_frame_seq":{seq}}}"#)))
        });
    });
    let report = ten_acked_frames(&server);
    every_message_counted_as(&report, "ws_unknown_ack");
    let acks = &report["ws"]["acks"]["newest_frame_seq"];
    assert!(acks["p50"].is_null(), "{acks:#}");
}

#[test]
fn messages_that_are_not_the_json_expected_are_counted() {
    let server = WsServer::start(|peer| {
        peer.answer(Duration::ZERO, |k, _| match k % 2 {
            0 => Some(text("not json")),
            _ => Some(text(r#"{"other_field":1}"#)),
        });
    });
    let report = ten_acked_frames(&server);
    every_message_counted_as(&report, "ws_bad_message");
}

#[test]
fn the_acks_of_a_sessions_last_frames_are_awaited_before_it_closes() {
    // Each ack leaves 100 ms after its frame: after the fifth and last send (at 80 ms) all
    // five are still on their way, and each names a frame the session did send.
    let server = WsServer::start(|peer| {
        peer.answer(Duration::from_millis(100), |k, _| {
            Some(text(&format!(r#"{{"newest_frame_seq":{k}}}"#)))
        });
    });
    let report = ws_json(
        "-n 5 -c 1 -t 5 --every 20ms --ack-field newest_frame_seq",
        &server.url(),
    );
    assert_eq!(
        count(&report, "/ws/messages/received"),
        5,
        "{:#}",
        report["ws"]
    );
    let p50 = ms(&report, "/ws/acks/newest_frame_seq/p50");
    assert_within("newest p50", p50, 99.5..150.0, &report);
}
