//! The wire: frames split across reads, fragmented messages with control frames between
//! their fragments, pings, close codes, and sessions whose server stops answering.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use crate::support::ws_script::{frame, op, text, WsPeer, WsServer};

use super::{all_errors, count, errors_of, ws, ws_json};

/// The reply to message k: one of three awkward shapes, written a few bytes at a time.
/// Returns whether it was written and whether it carried a ping.
fn awkward_reply(peer: &mut WsPeer, k: u64) -> (bool, bool) {
    let pause = Duration::from_millis(1);
    match k % 3 {
        // One small text frame, header and payload split at every byte.
        0 => (peer.send_in_pieces(&text("split"), 1, pause), false),
        // A text message in three fragments with a ping between the first two.
        1 => {
            let mut bytes = frame(false, op::TEXT, b"frag");
            bytes.extend(frame(true, op::PING, b"between"));
            bytes.extend(frame(false, op::CONTINUATION, b"men"));
            bytes.extend(frame(true, op::CONTINUATION, b"ted"));
            (peer.send_in_pieces(&bytes, 2, pause), true)
        }
        // A 70,000-byte binary message: fragments with 16- and 64-bit lengths.
        _ => {
            let mut bytes = frame(false, op::BINARY, &[1; 300]);
            bytes.extend(frame(false, op::CONTINUATION, &[2; 69_000]));
            bytes.extend(frame(true, op::CONTINUATION, &[3; 700]));
            (peer.send_in_pieces(&bytes, 4096, pause), false)
        }
    }
}

#[test]
fn split_and_fragmented_messages_are_reassembled_and_counted_once() {
    let pings = Arc::new(AtomicU64::new(0));
    let sent_pings = Arc::clone(&pings);
    let server = WsServer::start(move |peer| {
        let mut k = 0;
        while peer.read_data(1) {
            let (written, pinged) = awkward_reply(peer, k);
            if !written {
                return;
            }
            sent_pings.fetch_add(u64::from(pinged), SeqCst);
            k += 1;
        }
    });
    let report = ws_json("-n 30 -c 2 -t 5 --echo", &server.url());
    assert_eq!(count(&report, "/ws/messages/sent"), 30);
    assert_eq!(count(&report, "/ws/messages/received"), 30);
    assert_eq!(all_errors(&report), []);
    let pings = pings.load(SeqCst);
    assert!(pings >= 8, "{pings} pings");
    assert_eq!(count(&report, "/ws/messages/pings"), pings);
}

#[test]
fn server_pings_are_answered_with_their_payload_and_counted() {
    let server = WsServer::start(|peer| {
        let mut k = 0u64;
        while peer.read_data(1) {
            // The client is waiting for its reply: it must answer the ping while idle.
            let Some(_) = peer.ping(format!("p{k}").as_bytes(), Duration::from_secs(3)) else {
                return;
            };
            if !peer.send(&text("pong seen")) {
                return;
            }
            k += 1;
        }
    });
    let report = ws_json("-n 20 -c 2 -t 5 --echo", &server.url());
    assert_eq!(count(&report, "/ws/messages/received"), 20);
    assert_eq!(count(&report, "/ws/messages/pings"), 20);
    assert_eq!(all_errors(&report), []);
    for log in server.logs() {
        let want: Vec<Vec<u8>> = (0..log.data().count())
            .map(|k| format!("p{k}").into_bytes())
            .collect();
        assert_eq!(log.pongs(), want);
        assert!(log.frames.iter().all(|f| f.masked), "{:?}", log.frames);
    }
}

#[test]
fn close_codes_are_counted_and_the_session_reconnects() {
    // Echoes three messages, then answers the fourth with a close 1011.
    let server = WsServer::start(|peer| {
        for _ in 0..3 {
            if !peer.read_data(1) || !peer.send(&text("echo")) {
                return;
            }
        }
        if peer.read_data(1) {
            peer.close(1011);
        }
    });
    let report = ws_json("-n 12 -c 1 -t 5 --echo", &server.url());
    assert_eq!(count(&report, "/ws/messages/sent"), 12);
    assert_eq!(count(&report, "/ws/messages/received"), 9);
    assert_eq!(
        count(&report, "/ws/close_codes/1011"),
        3,
        "{:#}",
        report["ws"]
    );
    assert_eq!(count(&report, "/ws/sessions/closed_by_server"), 3);
    assert_eq!(errors_of(&report, "ws_closed"), 3, "{:#}", report["ws"]);
    assert!(count(&report, "/ws/sessions/opened") >= 3);
    assert_eq!(server.data_frames(), 12);
    // The client answers each close with its own (the code echoed back).
    for log in server.logs().iter().take(3) {
        let closes: Vec<_> = log
            .frames
            .iter()
            .filter(|f| f.opcode == op::CLOSE)
            .collect();
        assert_eq!(closes.len(), 1, "{:?}", log.frames);
    }
}

#[test]
fn a_stalled_session_times_out_and_the_run_still_ends_on_time() {
    // Echoes two messages per connection, then reads on and never answers.
    let server = WsServer::start(|peer| {
        for _ in 0..2 {
            if !peer.read_data(1) || !peer.send(&text("echo")) {
                return;
            }
        }
        peer.stall();
    });
    let run = ws("-o json -z 2s -c 2 -t 0.3 --echo", &server.url()).success();
    let report = super::json(&run);
    assert!(
        run.elapsed < Duration::from_secs(9),
        "took {:?}",
        run.elapsed
    );
    assert!(
        run.elapsed >= Duration::from_secs(2),
        "took {:?}",
        run.elapsed
    );
    // Each session times out 0.3 s after its third message, reconnects, and so on.
    let timeouts = errors_of(&report, "timeout");
    assert!(timeouts >= 4, "timeouts: {:?}", all_errors(&report));
    assert!(count(&report, "/ws/messages/received") >= 2 * timeouts);
    assert!(server.connections() >= 4);
}
