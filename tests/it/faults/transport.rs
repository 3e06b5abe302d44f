//! Connection-level faults: servers that close or reset mid-response, drip bytes, stop
//! reading, or send more than anyone could buffer.
//!
//! A close before the response is complete counts as `eof`, a reset as `reset`, a response
//! still incomplete at `-t` as `timeout` and, in a `-z` run, one still incomplete after the
//! drain time as `aborted`. Whatever the server sends, memory stays bounded ([`run_against`]).

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use super::{assert_errors, run_against};
use crate::support::faulty::{Fault, FaultServer};
use crate::support::scratch_file;

/// A request body far larger than loopback socket buffers hold, so writing it blocks until
/// the server reads; written once per test process.
fn big_request_body() -> &'static PathBuf {
    static BODY: OnceLock<PathBuf> = OnceLock::new();
    BODY.get_or_init(|| scratch_file("faults-body-8m", &vec![b'x'; 8 << 20]))
}

#[test]
fn closing_before_the_status_line_is_eof() {
    let server = FaultServer::always(Fault::CloseBeforeStatus);
    let (report, _) = run_against(&server, "-n 6 -c 2 -t 5");
    assert_errors(&report, &[("eof", 6)]);
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn a_reset_mid_head_or_mid_body_is_reset() {
    for fault in [Fault::ResetMidHead, Fault::ResetMidBody] {
        let server = FaultServer::always(fault.clone());
        let (report, _) = run_against(&server, "-n 6 -c 2 -t 5");
        assert_errors(&report, &[("reset", 6)]);
        assert_eq!(server.requests().len(), 6, "{fault:?}");
    }
}

#[test]
fn a_server_dripping_one_byte_per_second_times_out_at_the_request_timeout() {
    let server = FaultServer::always(Fault::Drip(Duration::from_secs(1)));
    let (report, finished) = run_against(&server, "-n 2 -c 2 -t 1");
    assert_errors(&report, &[("timeout", 2)]);
    assert!(finished.elapsed >= Duration::from_secs(1), "{finished:?}");
    assert!(finished.elapsed < Duration::from_secs(10), "{finished:?}");
}

#[test]
fn a_server_that_never_reads_times_out_even_while_the_request_write_is_blocked() {
    let body = big_request_body().display().to_string();
    for flags in [
        "-n 2 -c 2 -t 1".to_string(),
        format!("-n 2 -c 2 -t 1 -m POST -D {body}"),
    ] {
        let server = FaultServer::always(Fault::NeverRead);
        let (report, finished) = run_against(&server, &flags);
        assert_errors(&report, &[("timeout", 2)]);
        assert!(finished.elapsed >= Duration::from_secs(1), "{flags}");
        assert!(finished.elapsed < Duration::from_secs(10), "{flags}");
    }
}

#[test]
fn a_server_that_stops_reading_for_a_while_is_waited_for_within_the_timeout() {
    // Like a SIGSTOPped server: the first request slot of each connection finds it frozen
    // for 1.5 s, with the 8 MiB request body stuck in the socket buffers meanwhile.
    let pause = Duration::from_millis(1500);
    let server = FaultServer::start(move |at| {
        if at.request == 0 {
            Fault::StopReading(pause)
        } else {
            Fault::Ok
        }
    });
    let body = big_request_body().display().to_string();
    let (report, _) = run_against(&server, &format!("-n 6 -c 2 -t 10 -m POST -D {body}"));
    assert_errors(&report, &[]);
    assert_eq!(report.summary.successful, 6);
    let slowest = report.summary.slowest_ms.expect("responses were timed");
    assert!(slowest >= 1000.0, "slowest {slowest} ms");
    assert_eq!(server.connections(), 2);
    assert!(server.requests().iter().all(|r| r.body.len() == 8 << 20));
}

#[test]
fn an_endless_chunked_body_times_out_in_bounded_memory() {
    let server = FaultServer::always(Fault::EndlessChunked);
    let (report, _) = run_against(&server, "-n 2 -c 2 -t 1");
    assert_errors(&report, &[("timeout", 2)]);
}

#[test]
fn an_endless_chunked_body_in_a_timed_run_is_aborted_at_the_deadline() {
    let server = FaultServer::always(Fault::EndlessChunked);
    let (report, finished) = run_against(&server, "-z 1s -c 2 -t 30");
    assert_errors(&report, &[("aborted", 2)]);
    // 1 s of run plus at most 2 s of drain, nowhere near the 30 s request timeout.
    assert!(finished.elapsed >= Duration::from_secs(1), "{finished:?}");
    assert!(finished.elapsed < Duration::from_secs(10), "{finished:?}");
    // The aborted requests end at the drain cap (2 s after the deadline), inside the window.
    let s = &report.summary;
    assert!(
        (2.9..=3.2).contains(&s.total_secs) && s.send_secs < 0.1,
        "{report:#?}"
    );
}

#[test]
fn a_one_gigabyte_body_is_counted_not_buffered() {
    let server = FaultServer::always(Fault::BigBody(1 << 30));
    let (report, _) = run_against(&server, "-n 1 -c 1 -t 20");
    assert_errors(&report, &[]);
    assert_eq!(report.summary.bytes_total, 1 << 30);
}

#[test]
fn a_mix_of_every_fault_is_still_accounted_once_per_request() {
    let faults = [
        Fault::Ok,
        Fault::CloseBeforeStatus,
        Fault::ResetMidHead,
        Fault::ResetMidBody,
        Fault::Raw(b"HTTP/1.1 2OO OK\r\n\r\n".to_vec()),
        Fault::RawThenClose(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort".to_vec()),
        Fault::HugeHeader(1 << 20),
        Fault::EndlessChunked,
        Fault::Drip(Duration::from_secs(1)),
        Fault::ExtraResponse(Duration::ZERO),
    ];
    let server = FaultServer::start(move |at| {
        faults[(at.conn * 3 + at.request) as usize % faults.len()].clone()
    });
    let (report, _) = run_against(&server, "-n 60 -c 4 -t 1");
    let expected = ["eof", "malformed", "reset", "timeout"];
    assert!(
        report.errors.keys().all(|k| expected.contains(&k.as_str())),
        "{report:#?}"
    );
    assert!(report.summary.successful > 0, "{report:#?}");
    assert_eq!(server.stale_reuses(), 0);
}
