//! Exact message counts, `--slo` gates on ws distributions (exit 0 or 1 after the full
//! report), and bad input (exit 2 with one line).

use std::time::Duration;

use serde_json::Value;

use crate::support::unused_local_addr;
use crate::support::ws_script::{text, WsServer};

use super::{all_errors, count, json, one_error_line, ws, ws_json};

#[test]
fn a_closed_loop_run_sends_and_receives_exactly_n_messages() {
    let server = WsServer::start(|peer| peer.echo(Duration::ZERO));
    let report = ws_json("-n 100 -c 4 -t 5 --echo", &server.url());
    assert_eq!(count(&report, "/ws/messages/sent"), 100);
    assert_eq!(count(&report, "/ws/messages/received"), 100);
    assert_eq!(count(&report, "/ws/sessions/opened"), 4);
    assert_eq!(count(&report, "/summary/requests"), 100);
    assert_eq!(all_errors(&report), []);
    assert_eq!(server.data_frames(), 100);
    assert_eq!(server.connections(), 4);
}

/// The `(name, passed)` pairs of the report's gates.
fn verdicts(report: &Value) -> Vec<(String, bool)> {
    let gates = report["slo"]["gates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    gates
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap_or("?").to_string(),
                g["passed"] == true,
            )
        })
        .collect()
}

#[test]
fn echo_gates_within_bounds_exit_0() {
    let server = WsServer::start(|peer| peer.echo(Duration::from_millis(5)));
    let run = ws(
        "-o json -n 40 -c 2 -t 5 --echo --slo p99=1s,errors=0%,upgrade_p99=1s",
        &server.url(),
    );
    let report = json(&run.success());
    assert_eq!(report["slo"]["passed"], true);
    assert_eq!(
        verdicts(&report),
        [
            ("p99".to_string(), true),
            ("errors".to_string(), true),
            ("upgrade_p99".to_string(), true)
        ]
    );
}

#[test]
fn an_ack_gate_below_the_servers_delay_exits_1_after_the_full_report() {
    let server = WsServer::start(|peer| {
        peer.answer(Duration::from_millis(20), |k, _| {
            Some(text(&format!(r#"{{"newest_frame_seq":{k}}}"#)))
        });
    });
    let run = ws(
        "-o json -n 20 -c 2 -t 5 --every 20ms --ack-field newest_frame_seq \
         --slo newest_frame_seq_p50=1ms",
        &server.url(),
    )
    .expect_code(1);
    let report = json(&run);
    assert_eq!(report["slo"]["passed"], false);
    assert_eq!(
        verdicts(&report),
        [("newest_frame_seq_p50".to_string(), false)]
    );
    let gate = &report["slo"]["gates"][0];
    assert_eq!(
        gate["measured"],
        report["ws"]["acks"]["newest_frame_seq"]["p50"]
    );
    assert_eq!(count(&report, "/ws/messages/sent"), 20);
}

#[test]
fn an_http_url_exits_2_with_one_line() {
    let line = one_error_line(ws("-n 1", "http://x/"), 2);
    assert!(line.contains("ws://"), "{line}");
}

#[test]
fn an_unknown_gate_name_exits_2_naming_it() {
    let url = format!("ws://{}/", unused_local_addr());
    let line = one_error_line(ws("-n 1 --slo bogus_p50=1ms", &url), 2);
    assert!(line.contains("bogus_p50"), "{line}");
    // A gate on an ack field the run does not measure is just as unknown.
    let line = one_error_line(
        ws(
            "-n 1 --ack-field newest_frame_seq --slo oldest_frame_seq_p50=1s",
            &url,
        ),
        2,
    );
    assert!(line.contains("oldest_frame_seq"), "{line}");
}

#[test]
fn nothing_to_connect_to_exits_3_with_one_line() {
    let url = format!("ws://{}/", unused_local_addr());
    let line = one_error_line(ws("-n 5 -c 2 -t 2", &url), 3);
    assert!(line.to_ascii_lowercase().contains("refused"), "{line}");
}
