//! What reaches the server: request counts, connections, headers, bodies, auth, pacing.
//!
//! Counts are taken from the server side (the built-in target's counters or a scripted
//! server's recording) and compared with what the report claims.

use std::net::{Ipv6Addr, SocketAddr};
use std::sync::atomic::Ordering::SeqCst;

use crate::support::{answer_ok, builtin_target, run_json, scratch_file, url_of, ScriptServer};

#[test]
fn exactly_n_requests_reach_the_server() {
    let server = builtin_target();
    let report = run_json("-n 1000 -c 7 -t 5", &[&url_of(server.addr())]);
    assert_eq!(server.stats().requests.load(SeqCst), 1000);
    assert_eq!(report.summary.requests, 1000);
    assert_eq!(report.summary.successful, 1000);
    assert_eq!(report.summary.failed, 0);
    assert_eq!(report.status_codes.get(&200), Some(&1000));
    assert_eq!(report.summary.bytes_total, 1000 * 13);
}

#[test]
fn concurrency_above_n_is_clamped_to_n() {
    let server = builtin_target();
    let report = run_json("-n 10 -c 50 -t 5", &[&url_of(server.addr())]);
    assert_eq!(report.params.concurrency, 10);
    assert_eq!(report.summary.requests, 10);
    assert_eq!(report.summary.successful, 10);
    assert_eq!(server.stats().requests.load(SeqCst), 10);
    assert!(server.stats().connections.load(SeqCst) <= 10);
}

#[test]
fn keep_alive_uses_one_connection_per_slot() {
    let server = builtin_target();
    let report = run_json("-n 500 -c 5 -t 5", &[&url_of(server.addr())]);
    assert_eq!(report.summary.successful, 500);
    assert_eq!(server.stats().connections.load(SeqCst), 5);
    assert_eq!(report.connections.opened, 5);
    assert_eq!(report.connections.reconnects, 0);
}

#[test]
fn disabled_keep_alive_opens_a_connection_per_request_and_says_close() {
    let server = ScriptServer::start(answer_ok);
    let report = run_json("--disable-keepalive -n 20 -c 2 -t 5", &[&server.url("/")]);
    assert_eq!(report.summary.successful, 20);
    assert!(!report.params.keepalive);
    assert_eq!(server.connections(), 20);
    let requests = server.requests();
    assert_eq!(requests.len(), 20);
    for request in &requests {
        assert_eq!(request.only_header("connection"), "close");
    }
    let mut conns: Vec<u64> = requests.iter().map(|r| r.conn).collect();
    conns.sort_unstable();
    conns.dedup();
    assert_eq!(
        conns.len(),
        20,
        "a connection carried more than one request"
    );
}

#[test]
fn explicit_content_type_header_replaces_dash_t() {
    let server = ScriptServer::start(answer_ok);
    let url = server.url("/");
    run_json(
        "-T text/plain -n 3 -c 1 -t 5",
        &["-H", "Content-Type: application/json", &url],
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.header_values("content-type"), ["application/json"]);
    }
}

#[test]
fn a_header_repeated_in_another_case_is_sent_once_with_the_last_value() {
    let server = ScriptServer::start(answer_ok);
    let url = server.url("/");
    run_json(
        "-n 2 -c 1 -t 5",
        &["-H", "X-Trace: first", "-H", "x-trace: second", &url],
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.header_values("x-trace"), ["second"]);
    }
}

#[test]
fn basic_auth_from_the_flag_keeps_colons_in_the_password() {
    let server = ScriptServer::start(answer_ok);
    run_json("-a user:pa:ss -n 2 -c 1 -t 5", &[&server.url("/")]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        // base64("user:pa:ss"): only the first colon separates user from password.
        assert_eq!(
            request.only_header("authorization"),
            "Basic dXNlcjpwYTpzcw=="
        );
    }
}

#[test]
fn basic_auth_from_url_userinfo_is_sent_and_the_password_not_echoed() {
    let server = ScriptServer::start(answer_ok);
    let url = format!("http://user:pass@{}/", server.addr());
    let report = run_json("-n 2 -c 1 -t 5", &[&url]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.only_header("authorization"), "Basic dXNlcjpwYXNz");
        assert_eq!(request.only_header("host"), server.addr().to_string());
    }
    let echoed = &report.params.url;
    assert!(!echoed.contains("pass"), "password echoed in {echoed}");
}

#[test]
fn body_file_arrives_byte_identical_with_its_length() {
    let body: &[u8] = b"line 1\r\nline 2\r\n\r\n\x00\x01\x7f\x80\xfe\xff binary \r\n\x1b[0m end\n";
    let path = scratch_file("body.bin", body);
    let server = ScriptServer::start(answer_ok);
    let url = server.url("/upload");
    let path_arg = path.to_str().expect("scratch paths are UTF-8");
    let report = run_json("-m POST -n 5 -c 2 -t 5", &["-D", path_arg, &url]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(report.summary.successful, 5);
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.only_header("content-length"),
            body.len().to_string()
        );
        assert_eq!(request.body, body);
    }
}

#[test]
fn inline_body_is_posted_with_its_length() {
    let server = ScriptServer::start(answer_ok);
    run_json(
        "-m POST -n 3 -c 1 -t 5",
        &["-d", r#"{"k":1}"#, &server.url("/")],
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.only_header("content-length"), "7");
        assert_eq!(request.body, br#"{"k":1}"#);
    }
}

#[test]
fn host_header_and_request_target_are_sent_exactly_as_given() {
    let server = ScriptServer::start(answer_ok);
    run_json("-n 2 -c 1 -t 5", &[&server.url("/a%20b/c?x=1&y=%2F")]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let host = format!("127.0.0.1:{}", server.addr().port());
    for request in &requests {
        assert_eq!(request.target, "/a%20b/c?x=1&y=%2F");
        assert_eq!(request.version, 1);
        assert_eq!(request.only_header("host"), host);
    }
}

#[test]
fn ipv6_literal_urls_reach_an_ipv6_server() {
    let loopback = SocketAddr::from((Ipv6Addr::LOCALHOST, 0));
    let server = match ScriptServer::bind(loopback, answer_ok) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("note: skipping the IPv6 test, [::1] is unavailable here: {e}");
            return;
        }
    };
    let port = server.addr().port();
    let report = run_json("-n 10 -c 2 -t 5", &[&format!("http://[::1]:{port}/v6")]);
    assert_eq!(report.summary.successful, 10);
    let requests = server.requests();
    assert_eq!(requests.len(), 10);
    for request in &requests {
        assert_eq!(request.target, "/v6");
        assert_eq!(request.only_header("host"), format!("[::1]:{port}"));
    }
}

#[test]
fn rate_limit_spaces_each_connections_requests() {
    let server = builtin_target();
    // 10 requests per connection at 10/s: the last ones leave about 0.9 s after the first.
    let report = run_json("-q 10 -c 2 -n 20 -t 5", &[&url_of(server.addr())]);
    assert_eq!(report.summary.successful, 20);
    let took = report.summary.total_secs;
    assert!(took >= 0.85, "20 requests at 2 x 10/s took only {took} s");
    assert_eq!(report.params.qps, Some(10.0));
}
