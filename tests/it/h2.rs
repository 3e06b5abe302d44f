//! `--http2`: h2c and ALPN h2 against the built-in target (server-counted exactness across
//! c × M), a stream limit below M, a server that refuses h2, RST_STREAM, GOAWAY, a 10 MB
//! response and redirects, against local servers only.

use std::sync::atomic::Ordering::Relaxed;

use crate::support::h2::{H2Server, Script, Seen};
use crate::support::{builtin_h2, builtin_target, run, run_json, url_of};

#[test]
fn h2c_is_exact_across_connections_times_streams() {
    let (server, _) = builtin_h2(13, None);
    let url = url_of(server.addr());
    let report = run_json("-n 1000 -c 4 --streams 10 -t 10 --http2", &[&url]);
    assert_eq!(report.summary.successful, 1000);
    assert_eq!(report.summary.failed, 0);
    assert_eq!(server.stats().requests.load(Relaxed), 1000);
    assert_eq!(server.stats().connections.load(Relaxed), 4);
    assert_eq!(report.connections.opened, 4);
    assert_eq!(report.protocol, "h2");
    assert_eq!(report.tls, None);
    let text = run("-n 20 -c 2 --streams 5 -t 10 --http2", &[&url]).success();
    assert!(text.stdout_text().contains("Protocol:     HTTP/2 (h2c)"));
}

#[test]
fn alpn_h2_over_tls_is_exact_and_named() {
    let (server, pem) = builtin_h2(13, Some(""));
    let url = format!("https://{}/", server.addr());
    let pem = pem.expect("a PEM file");
    let report = run_json(
        "-n 300 -c 3 --streams 7 -t 10 --http2 --cacert",
        &[&pem, &url],
    );
    assert_eq!(report.summary.successful, 300);
    assert_eq!(server.stats().requests.load(Relaxed), 300);
    assert_eq!(report.protocol, "h2");
    assert_eq!(report.tls.as_deref(), Some("TLSv1.3"));
    let text = run("-n 5 -c 1 -t 10 --http2 --cacert", &[&pem, &url]).success();
    assert!(text
        .stdout_text()
        .contains("Protocol:     HTTP/2 over TLSv1.3"));
    // Without --http2 the same server answers in HTTP/1.1 (ALPN picks it).
    let h1 = run_json("-n 5 -c 1 -t 10 --cacert", &[&pem, &url]);
    assert_eq!(h1.protocol, "http/1.1");
}

#[test]
fn a_stream_limit_below_m_still_completes_exactly_n() {
    let server = H2Server::start(Script {
        max_streams: Some(3),
        ..Script::default()
    });
    let report = run_json("-n 400 -c 2 --streams 20 -t 10 --http2", &[&server.url()]);
    assert_eq!(report.summary.successful, 400);
    assert_eq!(report.summary.failed, 0, "{:?}", report.errors);
    assert_eq!(server.counts.answered.load(Relaxed), 400);
    assert!(server.counts.max_open.load(Relaxed) <= 3);
}

#[test]
fn a_server_that_refuses_h2_is_one_line_and_exit_3() {
    let server = builtin_target();
    let refused = run("-n 5 -c 2 -t 5 --http2", &[&url_of(server.addr())]).expect_code(3);
    let lines: Vec<&str> = refused.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", refused.stderr);
    assert!(lines[0].starts_with("vastar: error: "), "{}", lines[0]);
    assert!(lines[0].contains("HTTP/2"), "{}", lines[0]);
    assert_eq!(server.stats().requests.load(Relaxed), 0);
}

#[test]
fn rst_stream_is_counted_as_its_own_error_and_keeps_the_connection() {
    let server = H2Server::start(Script {
        reset_every: Some(5),
        ..Script::default()
    });
    let report = run_json("-n 200 -c 2 --streams 4 -t 10 --http2", &[&server.url()]);
    assert_eq!(report.summary.requests, 200);
    assert_eq!(
        report.errors.get("reset_stream"),
        Some(&40),
        "{:?}",
        report.errors
    );
    assert_eq!(report.summary.successful, 160);
    assert_eq!(server.counts.reset.load(Relaxed), 40);
    // A reset stream is not a lost connection.
    assert_eq!(server.counts.connections.load(Relaxed), 2);
    assert_eq!(report.connections.reconnects, 0);
}

#[test]
fn goaway_finishes_accepted_streams_and_reconnects_once_per_connection() {
    let server = H2Server::start(Script {
        goaway_after: Some(50),
        ..Script::default()
    });
    let report = run_json("-n 300 -c 2 --streams 5 -t 10 --http2", &[&server.url()]);
    assert_eq!(report.summary.successful, 300, "{:?}", report.errors);
    assert_eq!(server.counts.answered.load(Relaxed), 300);
    let connections = server.counts.connections.load(Relaxed);
    // 2 connections to start with, then one per GOAWAY: not one per stream slot.
    assert!(connections >= 2 + 4, "{connections}");
    assert_eq!(report.connections.opened, connections);
    assert_eq!(report.connections.reconnects, connections - 2);
    // Every reconnect here is a GOAWAY, counted once per connection, not once per stream.
    assert_eq!(report.connections.goaways, report.connections.reconnects);
    let text = run("-n 120 -c 1 --streams 5 -t 10 --http2", &[&server.url()]).success();
    assert!(
        text.stdout_text().contains(" GOAWAYs\n"),
        "{}",
        text.stdout_text()
    );
}

#[test]
fn a_10_mb_h2_response_completes() {
    let size = 10 * 1024 * 1024;
    let (server, _) = builtin_h2(size, None);
    let report = run_json(
        "-n 4 -c 1 --streams 2 -t 20 --http2",
        &[&url_of(server.addr())],
    );
    assert_eq!(report.summary.successful, 4);
    assert_eq!(report.summary.bytes_total, 4 * size as u64);
}

#[test]
fn request_bodies_are_sent_on_every_stream() {
    let server = H2Server::start(Script::default());
    let body = "x".repeat(100_000);
    let report = run_json(
        "-n 30 -c 2 --streams 5 -t 10 --http2 -m POST -d",
        &[&body, &server.url()],
    );
    assert_eq!(report.summary.successful, 30);
    assert_eq!(server.counts.body_bytes.load(Relaxed), 30 * 100_000);
}

#[test]
fn a_stream_that_times_out_is_counted_and_its_connection_carries_on() {
    let server = H2Server::start(Script {
        hang_every: Some(10),
        ..Script::default()
    });
    let report = run_json("-n 40 -c 1 --streams 2 -t 0.5 --http2", &[&server.url()]);
    assert_eq!(report.summary.requests, 40);
    assert_eq!(
        report.errors.get("timeout"),
        Some(&4),
        "{:?}",
        report.errors
    );
    assert_eq!(report.summary.successful, 36);
    // A stream given up on is cancelled; the connection is not replaced for it.
    assert_eq!(server.counts.connections.load(Relaxed), 1);
    assert_eq!(report.connections.reconnects, 0);
}

#[test]
fn demo_https_http2_needs_nothing_installed() {
    let report = run("demo --https --http2 -z 300ms -c 2 -o json", &[])
        .success()
        .report();
    assert!(report.summary.successful > 0);
    assert_eq!(report.summary.failed, 0);
    assert_eq!(report.protocol, "h2");
    assert_eq!(report.tls.as_deref(), Some("TLSv1.3"));
}

/// `--stream-metrics` over HTTP/2: each DATA frame is payload for the stream observer,
/// stamped when it arrived, so TTFT, ITL and token counts come out as over HTTP/1.1.
#[test]
fn stream_metrics_read_h2_data_frames() {
    let server = H2Server::start(Script {
        sse: Some((6, 20)),
        ..Script::default()
    });
    let report = run_json(
        "-n 20 -c 2 --streams 3 -t 10 --http2 --stream-metrics",
        &[&server.url()],
    );
    assert_eq!(report.summary.successful, 20);
    let stream = report.stream.expect("stream metrics over h2");
    assert_eq!(stream.responses, 20);
    assert_eq!(stream.content_events, 20 * 6);
    assert_eq!(stream.output_tokens.total, 20 * 6);
    assert_eq!(stream.errors.missing_done + stream.errors.not_streaming, 0);
    let p50 = |m: &std::collections::BTreeMap<String, Option<f64>>| m["p50"].expect("measured");
    let (ttft, itl) = (p50(&stream.ttft_ms), p50(&stream.itl_ms));
    // The first event is due at 20 ms and the second at 40: a loaded machine adds a few ms.
    assert!((20.0..36.0).contains(&ttft), "TTFT p50 {ttft} ms");
    assert!((19.0..24.0).contains(&itl), "ITL p50 {itl} ms");
}

fn redirecting() -> H2Server {
    H2Server::start(Script {
        redirects: true,
        ..Script::default()
    })
}

#[test]
fn same_origin_redirects_are_followed_over_h2_one_sample_per_request() {
    let server = redirecting();
    let url = format!("{}hop/4", server.url());
    let report = run_json("-n 30 -c 2 --streams 3 -t 10 --http2", &[&url]);
    assert_eq!(report.summary.successful, 30, "{:?}", report.errors);
    assert_eq!(report.status_codes.get(&200), Some(&30));
    assert_eq!(report.status_codes.len(), 1, "{:?}", report.status_codes);
    assert_eq!(report.redirects.followed, 30 * 4);
    let seen = server.counts.seen.lock().unwrap();
    assert_eq!(seen.len(), 30 * 5);
    let finals = seen.iter().filter(|r| r.path == "/hop/0").count();
    assert_eq!(finals, 30);
    // The hops ride the same connections: no reconnect for a redirect.
    assert_eq!(server.counts.connections.load(Relaxed), 2);
}

#[test]
fn h2_redirect_loops_stop_at_the_limit_and_other_origins_are_not_followed() {
    let server = redirecting();
    let looped = run_json(
        "--redirect 3 -n 4 -c 1 --streams 2 -t 10 --http2",
        &[&format!("{}loop", server.url())],
    );
    assert_eq!(looped.status_codes.get(&302), Some(&4));
    let r = &looped.redirects;
    assert_eq!((r.followed, r.limit_reached, r.cross_host), (12, 4, 0));
    let away = run_json(
        "-n 3 -c 1 -t 10 --http2",
        &[&format!("{}away", server.url())],
    );
    assert_eq!(away.status_codes.get(&301), Some(&3));
    assert_eq!((away.redirects.followed, away.redirects.cross_host), (0, 3));
    let off = run_json(
        "--disable-redirects -n 2 -c 1 -t 10 --http2",
        &[&format!("{}hop/2", server.url())],
    );
    assert_eq!(off.status_codes.get(&302), Some(&2));
    assert_eq!(server.counts.seen.lock().unwrap().len(), 4 * 4 + 3 + 2);
}

#[test]
fn h2_see_other_turns_a_post_into_a_get_and_307_keeps_it() {
    let server = redirecting();
    let flags = "-n 1 -c 1 -t 10 --http2 -m POST -d hello -T text/plain";
    run_json(flags, &[&format!("{}form", server.url())]);
    run_json(flags, &[&format!("{}keep", server.url())]);
    let seen = server.counts.seen.lock().unwrap().clone();
    let request = |method: &str, path: &str, body: &[u8], typed: bool| Seen {
        method: method.into(),
        path: path.into(),
        body: body.to_vec(),
        content_type: typed.then(|| "text/plain".into()),
    };
    assert_eq!(
        seen,
        [
            request("POST", "/form", b"hello", true),
            request("GET", "/result", b"", false),
            request("POST", "/keep", b"hello", true),
            request("POST", "/result", b"hello", true),
        ]
    );
}
