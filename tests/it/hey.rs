//! hey users' command lines: single-dash long flags keep hey's meaning, or are refused.
//!
//! Each test checks what reached the server, since the danger is a flag that parses as
//! something else and runs anyway (`-disable-keepalive` once sent `isable-keepalive` as a body).

use crate::support::{answer_ok, builtin_target, run, run_json, url_of, ScriptServer};

#[test]
fn hey_disable_keepalive_sends_no_body_and_one_connection_per_request() {
    let server = ScriptServer::start(answer_ok);
    let report = run_json("-disable-keepalive -n 12 -c 2 -t 5", &[&server.url("/")]);
    assert_eq!(report.summary.successful, 12);
    assert!(!report.params.keepalive);
    let requests = server.requests();
    assert_eq!(requests.len(), 12);
    for request in &requests {
        assert_eq!(request.method, "GET");
        assert!(request.body.is_empty(), "body sent: {request:?}");
        assert!(request.header_values("content-length").is_empty());
        assert_eq!(request.only_header("connection"), "close");
    }
    assert_eq!(server.connections(), 12);
}

#[test]
fn a_dash_d_value_spelled_like_a_hey_flag_is_never_turned_into_the_flag() {
    let server = ScriptServer::start(answer_ok);
    run_json(
        "-n 1 -c 1 -t 5 -m POST -d-disable-keepalive",
        &[&server.url("/")],
    );
    assert_eq!(server.requests()[0].body, b"-disable-keepalive");
    // As a separate argument clap refuses a value that looks like a flag: a refusal,
    // not a run without the body.
    let refused = run("-n 1 -c 1 -t 5 -d -disable-keepalive", &[&server.url("/")]);
    let refused = refused.expect_code(2);
    assert!(refused.stderr.contains("-d"), "{}", refused.stderr);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn hey_host_reaches_the_server_as_the_host_header() {
    let server = ScriptServer::start(answer_ok);
    run_json("-host api.example -n 2 -c 1 -t 5", &[&server.url("/")]);
    for request in server.requests() {
        assert_eq!(request.only_header("host"), "api.example");
    }
    let server = ScriptServer::start(answer_ok);
    run_json("--host=b.example -n 1 -c 1 -t 5", &[&server.url("/")]);
    assert_eq!(server.requests()[0].only_header("host"), "b.example");
}

#[test]
fn hey_cpus_and_compression_and_redirect_flags_are_accepted() {
    let server = builtin_target();
    let report = run_json(
        "-cpus 1 -disable-compression -disable-redirects -n 20 -c 4 -t 5",
        &[&url_of(server.addr())],
    );
    assert_eq!(report.summary.successful, 20);
    assert!(!report.params.compression);
    let refused = run("-cpus 0 -n 1", &[&url_of(server.addr())]).expect_code(2);
    assert!(refused.stderr.contains("--cpus"), "{}", refused.stderr);
}

#[test]
fn h2_and_csv_are_refused_in_one_line_with_exit_2() {
    let server = ScriptServer::start(answer_ok);
    let url = server.url("/");
    for (flags, says) in [("-h2 -n 1", "HTTP/2"), ("-o csv -n 1", "-o json")] {
        let refused = run(flags, &[&url]).expect_code(2);
        let lines: Vec<&str> = refused.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{flags}: {}", refused.stderr);
        assert!(lines[0].starts_with("vastar: error: "), "{}", lines[0]);
        assert!(lines[0].contains(says), "{flags}: {}", lines[0]);
        assert!(refused.stdout.is_empty());
    }
    assert_eq!(
        server.connections(),
        0,
        "a refused command line sent requests"
    );
}
