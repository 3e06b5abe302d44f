//! Responses framed wrongly: garbage status lines, oversized heads, Content-Length values
//! that lie, are negative or overflow, and chunked bodies with broken size lines.
//!
//! Bytes that are not HTTP count as `malformed`; a response cut short by a close counts as
//! `eof`. Either way the connection is closed, so each request here arrives on a fresh one.

use std::time::Duration;

use super::{assert_errors, run_against};
use crate::support::faulty::{Fault, FaultServer};

/// `HTTP/1.1 200 OK` with the given `Content-Length` value and `body` bytes of body.
pub fn with_content_length(declared: &str, body: usize) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\n\r\n").into_bytes();
    out.resize(out.len() + body, b'b');
    out
}

/// `HTTP/1.1 200 OK`, `Transfer-Encoding: chunked`, and `body` as the raw chunked body.
pub fn with_chunked_body(body: &[u8]) -> Vec<u8> {
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        body,
    ]
    .concat()
}

/// Every request gets `response` (the server then keeps the connection): all `n` must count
/// as `malformed`, each on its own connection, none reused.
fn assert_all_malformed(response: &[u8]) {
    let server = FaultServer::always(Fault::Raw(response.to_vec()));
    let (report, _) = run_against(&server, "-n 6 -c 2 -t 5");
    let shown = String::from_utf8_lossy(&response[..response.len().min(80)]).into_owned();
    assert_errors(&report, &[("malformed", 6)]);
    assert_eq!(server.requests().len(), 6, "{shown}");
    assert_eq!(server.connections(), 6, "{shown}");
    assert_eq!(server.stale_reuses(), 0, "{shown}");
}

#[test]
fn garbage_status_lines_are_malformed() {
    for garbage in [
        &b"SSH-2.0-OpenSSH_9.6\r\n"[..],
        b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/9.9 200 OK\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"HTTP/1.1 42 Too Short\r\nContent-Length: 0\r\n\r\n",
    ] {
        assert_all_malformed(garbage);
    }
}

#[test]
fn a_garbage_status_line_sent_slowly_is_malformed_not_a_timeout() {
    let garbage = b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n".to_vec();
    let server = FaultServer::always(Fault::RawSlowly(garbage, Duration::from_millis(2)));
    let (report, _) = run_against(&server, "-n 2 -c 2 -t 2");
    assert_errors(&report, &[("malformed", 2)]);
}

#[test]
fn a_one_megabyte_header_line_is_malformed_and_never_buffered() {
    let server = FaultServer::always(Fault::HugeHeader(1 << 20));
    // `run_against` also bounds the peak RSS, far below the megabyte times connections.
    let (report, _) = run_against(&server, "-n 4 -c 2 -t 5");
    assert_errors(&report, &[("malformed", 4)]);
    assert_eq!(server.stale_reuses(), 0);
}

#[test]
fn negative_or_overflowing_content_lengths_are_malformed() {
    for declared in [
        "-1",
        "-9223372036854775808",
        "18446744073709551616",
        "99999999999999999999999999",
        "0x10",
        "5, 6",
    ] {
        assert_all_malformed(&with_content_length(declared, 5));
    }
}

#[test]
fn a_content_length_longer_than_the_body_then_close_is_eof() {
    let response = with_content_length("1000", 10);
    let server = FaultServer::always(Fault::RawThenClose(response));
    let (report, _) = run_against(&server, "-n 6 -c 2 -t 5");
    assert_errors(&report, &[("eof", 6)]);
    assert_eq!(server.connections(), 6);
}

#[test]
fn the_largest_content_length_is_honoured_until_the_close() {
    // u64::MAX itself is a valid length: the response is cut short, not malformed.
    let response = with_content_length(&u64::MAX.to_string(), 100);
    let server = FaultServer::always(Fault::RawThenClose(response));
    let (report, _) = run_against(&server, "-n 4 -c 2 -t 5");
    assert_errors(&report, &[("eof", 4)]);
}

#[test]
fn broken_chunk_size_lines_are_malformed() {
    for body in [
        &b"00000000000000000000005\r\nhello\r\n0\r\n\r\n"[..], // 20+ hex digits
        b"FFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n",         // 20 hex digits, overflowing
        b"5hello\r\n0\r\n\r\n",                                // no CRLF after the size
        b"5\nhello\r\n0\r\n\r\n",                              // bare LF
        b"5\r\nhelloXX0\r\n\r\n",                              // no CRLF after the data
        b"-5\r\nhello\r\n0\r\n\r\n",                           // negative
        b"\r\n\r\n",                                           // no size at all
    ] {
        assert_all_malformed(&with_chunked_body(body));
    }
}

#[test]
fn a_chunked_body_cut_short_by_a_close_is_eof() {
    let response = with_chunked_body(b"10\r\nonly ten b");
    let server = FaultServer::always(Fault::RawThenClose(response));
    let (report, _) = run_against(&server, "-n 6 -c 2 -t 5");
    assert_errors(&report, &[("eof", 6)]);
}
