//! Keep-alive stays in sync: after a malformed, partial, over-long or unsolicited response
//! the connection is dropped and replaced, never reused with stale bytes in it.
//!
//! The fault server answers any request that arrives on a connection it has desynchronised
//! with [`STALE_STATUS`] and counts it ([`FaultServer::stale_reuses`]), so a client that
//! reuses such a connection is caught twice: by the server and by the status it reports.

use std::time::Duration;

use super::framing::with_content_length;
use super::{assert_errors, run_against};
use crate::support::faulty::{At, Fault, FaultServer, STALE_STATUS};
use crate::support::report::Report;

/// A server whose connections each answer one request well, then apply `fault`.
fn ok_then(fault: Fault) -> FaultServer {
    FaultServer::start(move |at| match at.request {
        0 => Fault::Ok,
        _ => fault.clone(),
    })
}

/// Only `200` responses were counted, `expected` of them, and no connection was reused
/// after the server desynchronised it.
fn assert_in_sync(server: &FaultServer, report: &Report, expected: u64) {
    assert!(
        !report.status_codes.contains_key(&STALE_STATUS),
        "a stale response was counted: {:?}",
        report.status_codes
    );
    assert_eq!(
        report.status_codes.get(&200).copied().unwrap_or(0),
        expected
    );
    assert_eq!(
        server.stale_reuses(),
        0,
        "requests sent on desynchronised connections"
    );
}

#[test]
fn after_a_malformed_response_the_connection_is_replaced() {
    let server = ok_then(Fault::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok".to_vec(),
    ));
    let (report, _) = run_against(&server, "-n 20 -c 1 -t 5");
    assert_errors(&report, &[("malformed", 10)]);
    assert_in_sync(&server, &report, 10);
    assert_eq!(server.connections(), 10);
}

#[test]
fn after_a_response_that_timed_out_half_read_the_connection_is_replaced() {
    // The rest of that body would arrive as the next response's bytes if it were reused.
    let server = ok_then(Fault::Raw(with_content_length("100", 10)));
    let (report, _) = run_against(&server, "-n 6 -c 1 -t 0.5");
    assert_errors(&report, &[("timeout", 3)]);
    assert_in_sync(&server, &report, 3);
    assert_eq!(server.connections(), 3);
}

#[test]
fn bytes_beyond_the_content_length_get_the_connection_replaced() {
    let server = FaultServer::always(Fault::Raw(with_content_length("2", 40)));
    let (report, _) = run_against(&server, "-n 10 -c 1 -t 5");
    assert_errors(&report, &[]);
    assert_in_sync(&server, &report, 10);
    assert_eq!(report.summary.bytes_total, 20);
    assert_eq!(server.connections(), 10);
}

#[test]
fn an_unsolicited_response_in_the_same_write_gets_the_connection_replaced() {
    let server = FaultServer::always(Fault::ExtraResponse(Duration::ZERO));
    let (report, _) = run_against(&server, "-n 10 -c 2 -t 5");
    assert_errors(&report, &[]);
    assert_in_sync(&server, &report, 10);
    assert_eq!(server.connections(), 10);
}

#[test]
fn an_unsolicited_response_on_an_idle_connection_is_never_taken_as_an_answer() {
    // The server answers, then 50 ms later sends a response nobody asked for; -q 5 keeps
    // the connection idle for 200 ms between requests, so the stray response is already
    // waiting when the next request is written.
    let server = FaultServer::always(Fault::ExtraResponse(Duration::from_millis(50)));
    let (report, _) = run_against(&server, "-n 4 -c 1 -q 5 -t 5");
    assert_errors(&report, &[]);
    assert_in_sync(&server, &report, 4);
}

/// Deterministic pseudo-random bits for one request slot (SplitMix64 of its coordinates).
fn noise(at: At) -> u64 {
    let mut z = at.conn.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ at.request.wrapping_add(0x632b_e59b);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn idle_connections_closed_at_random_cost_no_errors() {
    // A third of the answers are followed by a close after 0-19 ms of idleness, racing the
    // client's next request (sent every 10 ms per connection).
    let server = FaultServer::start(|at| match noise(at) % 60 {
        n @ 0..20 => Fault::CloseIdleAfter(Duration::from_millis(n)),
        _ => Fault::Ok,
    });
    let (report, _) = run_against(&server, "-n 200 -c 4 -q 100 -t 5");
    assert_errors(&report, &[]);
    assert_in_sync(&server, &report, 200);
    assert!(
        server.connections() > 4,
        "the server never closed a connection"
    );
}
