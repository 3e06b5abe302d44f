//! Against the built-in target: `serve --ws` echoes, `serve --ws-batch D` acks each session's
//! frames in batches every D (the speech-to-text protocol), and `demo --ws` runs offline.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use vastar::serve::{Background, ServeConfig, WsMode};

use crate::support::run;

use super::{all_errors, assert_within, count, json, ms, ws_json};

/// The built-in target serving WebSocket sessions in `mode`, on a free port, one thread.
fn target(mode: WsMode) -> (Background, String) {
    let config = ServeConfig {
        ws: Some(mode),
        ..ServeConfig::default()
    };
    let server = Background::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config, 1)
        .expect("start the built-in ws target on 127.0.0.1:0");
    let url = format!("ws://{}/", server.addr());
    (server, url)
}

#[test]
fn the_echo_target_answers_every_message_once() {
    let (server, url) = target(WsMode::Echo);
    let report = ws_json("-n 200 -c 4 -t 5 --echo --send hello", &url);
    assert_eq!(count(&report, "/ws/messages/sent"), 200);
    assert_eq!(count(&report, "/ws/messages/received"), 200);
    assert_eq!(all_errors(&report), []);
    let stats = server.stats();
    assert_eq!(stats.ws_sessions.load(SeqCst), 4);
    assert_eq!(stats.ws_received.load(SeqCst), 200);
    assert_eq!(stats.ws_sent.load(SeqCst), 200);
}

#[test]
fn batched_acks_time_the_oldest_frame_at_the_batch_interval_and_the_newest_at_the_rtt() {
    let (_server, url) = target(WsMode::Batch(Duration::from_millis(200)));
    let report = ws_json(
        "-z 2s -c 2 -t 5 --every 20ms --binary --send frame \
         --ack-field oldest_frame_seq --ack-field newest_frame_seq",
        &url,
    );
    // A batch covers the frames of the last 200 ms: its oldest was sent between 180 and
    // 200 ms before the answer left, its newest less than one 20 ms interval before.
    let oldest = ms(&report, "/ws/acks/oldest_frame_seq/p50");
    assert_within("oldest p50", oldest, 175.0..260.0, &report);
    let newest = ms(&report, "/ws/acks/newest_frame_seq/p50");
    assert_within("newest p50", newest, 0.0..60.0, &report);
    // 2 sessions, 50 frames/s each, for 2 s.
    let sent = count(&report, "/ws/messages/sent");
    assert!((180..=202).contains(&sent), "sent {sent}");
    // One answer per 200 ms per session.
    let received = count(&report, "/ws/messages/received");
    assert!((14..=22).contains(&received), "received {received}");
}

#[test]
fn demo_ws_runs_against_its_own_target() {
    let report = json(&run("demo --ws -z 600ms -c 2 -o json", &[]).success());
    assert!(
        count(&report, "/ws/messages/received") > 0,
        "{:#}",
        report["ws"]
    );
    assert_eq!(count(&report, "/ws/sessions/failed"), 0);
}

#[test]
fn wss_sessions_verify_the_targets_certificate_and_say_so() {
    // `demo --https` trusts exactly the certificate its target was just given.
    let report = json(&run("demo --ws --https -z 600ms -c 2 -o json", &[]).success());
    assert_eq!(report["protocol"], "websocket");
    assert!(
        report["tls"]
            .as_str()
            .is_some_and(|v| v.starts_with("TLSv1")),
        "{}",
        report["tls"]
    );
    assert_eq!(count(&report, "/ws/sessions/opened"), 2);
    assert!(
        count(&report, "/ws/messages/received") > 0,
        "{:#}",
        report["ws"]
    );
}
