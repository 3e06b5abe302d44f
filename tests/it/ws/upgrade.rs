//! The upgrade: what the request carries, and upgrades the client must refuse (a status other
//! than 101, a wrong `Sec-WebSocket-Accept`): counted per session, and exit 3 when no session
//! could open at all.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use base64::Engine as _;

use crate::support::run;
use crate::support::ws_script::{text, Upgrade, WsServer};

use super::{count, errors_of, json, one_error_line, ws, ws_json};

#[test]
fn the_upgrade_request_is_a_websocket_handshake_with_the_users_headers() {
    let server = WsServer::start(|peer| peer.echo(Duration::ZERO));
    let url = format!("{}chat?room=1", server.url());
    let run = run("ws -o json -n 2 -c 1 -t 5 -H", &["X-Token: abc", &url]);
    let report = json(&run.success());
    assert_eq!(count(&report, "/ws/sessions/opened"), 1);
    let logs = server.logs();
    let upgrade = logs[0].upgrade.as_ref().expect("an upgrade request");
    assert_eq!(
        (upgrade.method.as_str(), upgrade.target.as_str()),
        ("GET", "/chat?room=1")
    );
    assert!(upgrade
        .only_header("upgrade")
        .eq_ignore_ascii_case("websocket"));
    assert!(upgrade
        .only_header("connection")
        .to_ascii_lowercase()
        .contains("upgrade"));
    assert_eq!(upgrade.only_header("sec-websocket-version"), "13");
    assert_eq!(upgrade.only_header("x-token"), "abc");
    assert_eq!(
        upgrade.only_header("host"),
        server
            .url()
            .trim_start_matches("ws://")
            .trim_end_matches('/')
    );
    let key = base64::engine::general_purpose::STANDARD
        .decode(upgrade.only_header("sec-websocket-key"))
        .expect("the key is base64");
    assert_eq!(key.len(), 16, "a 16-byte nonce");
}

#[test]
fn a_wrong_accept_key_before_the_run_fails_that_session_and_the_others_carry_on() {
    let plan = |conn| match conn {
        0 => Upgrade::WrongKey,
        _ => Upgrade::Accept,
    };
    let server = WsServer::with_upgrades(plan, |peer| peer.echo(Duration::ZERO));
    let report = ws_json("-n 20 -c 2 -t 5", &server.url());
    assert_eq!(
        count(&report, "/ws/sessions/failed"),
        1,
        "{:#}",
        report["ws"]
    );
    assert_eq!(count(&report, "/ws/sessions/opened"), 2);
    assert_eq!(count(&report, "/ws/messages/received"), 20);
    // The refused session sent nothing after the 101.
    assert!(server.logs()[0].frames.is_empty(), "{:?}", server.logs()[0]);
}

#[test]
fn upgrades_failing_during_the_run_are_counted_by_kind_and_the_session_reconnects() {
    // Connection 0 echoes two messages and closes (1011) on the third; the session's next
    // upgrade gets a wrong accept key, the one after a 403, then all is well.
    let plan = |conn| match conn {
        1 => Upgrade::WrongKey,
        2 => Upgrade::Refuse(403),
        _ => Upgrade::Accept,
    };
    let first = AtomicBool::new(true);
    let server = WsServer::with_upgrades(plan, move |peer| {
        if !first.swap(false, SeqCst) {
            return peer.echo(Duration::ZERO);
        }
        for _ in 0..2 {
            if !peer.read_data(1) || !peer.send(&text("echo")) {
                return;
            }
        }
        if peer.read_data(1) {
            peer.close(1011);
        }
    });
    let report = ws_json("-n 10 -c 1 -t 5", &server.url());
    let ws = &report["ws"];
    assert_eq!(errors_of(&report, "ws_closed"), 1, "{ws:#}");
    assert_eq!(errors_of(&report, "ws_bad_accept"), 1, "{ws:#}");
    assert_eq!(errors_of(&report, "ws_upgrade"), 1, "{ws:#}");
    assert_eq!(count(&report, "/ws/upgrade_statuses/403"), 1, "{ws:#}");
    assert_eq!(count(&report, "/ws/sessions/failed"), 2, "{ws:#}");
    assert_eq!(count(&report, "/ws/sessions/opened"), 2, "{ws:#}");
    // Messages 1, 2 and 6 to 10 were answered; 3 met the close, 4 and 5 the bad upgrades.
    assert_eq!(count(&report, "/ws/messages/received"), 7, "{ws:#}");
    assert_eq!(count(&report, "/summary/requests"), 10);
}

#[test]
fn only_wrong_accept_keys_exit_3_with_one_line() {
    let server = WsServer::with_upgrades(|_| Upgrade::WrongKey, |peer| peer.stall());
    let line = one_error_line(ws("-o json -n 5 -c 2 -t 2", &server.url()), 3);
    assert!(line.to_ascii_lowercase().contains("accept"), "{line}");
    assert!(server.logs().iter().all(|log| log.frames.is_empty()));
}

#[test]
fn a_refused_upgrade_before_the_run_counts_its_status_and_the_others_carry_on() {
    let plan = |conn| match conn {
        0 => Upgrade::Refuse(403),
        _ => Upgrade::Accept,
    };
    let server = WsServer::with_upgrades(plan, |peer| peer.echo(Duration::ZERO));
    let report = ws_json("-n 20 -c 2 -t 5", &server.url());
    let statuses = &report["ws"]["upgrade_statuses"];
    assert_eq!(statuses.as_object().map(|m| m.len()), Some(1), "{statuses}");
    assert_eq!(count(&report, "/ws/upgrade_statuses/403"), 1);
    assert_eq!(count(&report, "/ws/sessions/failed"), 1);
    assert_eq!(count(&report, "/ws/messages/received"), 20);
}

#[test]
fn only_refused_upgrades_exit_3_naming_the_status() {
    let server = WsServer::with_upgrades(|_| Upgrade::Refuse(403), |peer| peer.stall());
    let line = one_error_line(ws("-n 5 -c 2 -t 2", &server.url()), 3);
    assert!(line.contains("403"), "{line}");
}
