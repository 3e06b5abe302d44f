//! Redirects: followed on the same origin like hey and oha, counted, never a hang.
//!
//! A scripted server routes by path: `/hop/N` redirects to `/hop/N-1` until `/hop/0` answers
//! 200, `/loop` redirects to itself, `/away` points to another host, `/form` answers 303 and
//! `/keep` 307. Counts are checked on the server side as well as in the report.

use std::time::Duration;

use crate::support::{run, run_json, unused_local_addr, Peer, ScriptServer};

/// Pause before each `/hop` answer, so that a latency spanning all hops is visible.
const HOP_DELAY: Duration = Duration::from_millis(30);

fn redirect(status: u16, location: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 5\r\n\r\nmoved")
        .into_bytes()
}

fn route(target: &str, elsewhere: &str) -> Vec<u8> {
    let ok = |body: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    if let Some(n) = target.strip_prefix("/hop/") {
        std::thread::sleep(HOP_DELAY);
        return match n.parse::<u32>() {
            Ok(0) | Err(_) => ok("done"),
            // Relative, absolute-path and absolute-URL Locations in turn.
            Ok(n) if n % 3 == 0 => redirect(302, &format!("{}", n - 1)),
            Ok(n) if n % 3 == 1 => redirect(301, &format!("/hop/{}", n - 1)),
            Ok(n) => redirect(307, &format!("{elsewhere}/hop/{}", n - 1)),
        };
    }
    match target {
        "/loop" => redirect(302, "/loop"),
        "/away" => redirect(301, &format!("http://{}/x", unused_local_addr())),
        "/form" => redirect(303, "/result"),
        "/keep" => redirect(307, "/result"),
        _ => ok("ok"),
    }
}

/// A keep-alive server answering by [`route`]; `origin` is its own `http://addr`.
fn router(origin: String) -> impl Fn(&mut Peer) + Send + Sync + 'static {
    move |peer: &mut Peer| {
        while let Some(request) = peer.read_request() {
            if !peer.send(&route(&request.target, &origin)) || request.wants_close() {
                return;
            }
        }
    }
}

/// A routing server; its handler needs its own address, known only after binding.
fn server() -> ScriptServer {
    let origin = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let shared = std::sync::Arc::clone(&origin);
    let server = ScriptServer::start(move |peer| {
        let origin = shared.get().cloned().unwrap_or_default();
        router(origin)(peer);
    });
    let _ = origin.set(format!("http://{}", server.addr()));
    server
}

#[test]
fn a_chain_is_followed_to_the_end_in_one_latency_sample_per_request() {
    let server = server();
    let report = run_json("-n 6 -c 2 -t 10", &[&server.url("/hop/3")]);
    assert_eq!(report.summary.successful, 6);
    assert_eq!(report.status_codes.get(&200), Some(&6));
    assert_eq!(report.status_codes.len(), 1, "{:?}", report.status_codes);
    assert_eq!(
        (report.redirects.followed, report.redirects.limit_reached),
        (18, 0)
    );
    assert_eq!(report.redirects.cross_host, 0);
    let targets: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(targets.len(), 24, "{targets:?}");
    for hop in ["/hop/3", "/hop/2", "/hop/1", "/hop/0"] {
        assert_eq!(
            targets.iter().filter(|t| *t == hop).count(),
            6,
            "{targets:?}"
        );
    }
    // Four answers each delayed by HOP_DELAY: every sample spans all of them.
    let fastest = report.summary.fastest_ms.expect("responses arrived");
    assert!(fastest >= 4.0 * 30.0 * 0.95, "fastest {fastest} ms");
    // Keep-alive responses: every hop reused the slot's connection.
    assert_eq!(server.connections(), 2);
    assert_eq!(report.connections.reconnects, 0);
    // Bytes of every hop were received.
    assert_eq!(report.summary.bytes_total, 6 * (3 * 5 + 4));
}

#[test]
fn a_loop_stops_at_the_limit_is_counted_and_exits_0() {
    let server = server();
    let report = run_json("-n 3 -c 1 -t 10", &[&server.url("/loop")]);
    assert_eq!(report.params.redirect_limit, 10);
    assert_eq!(report.status_codes.get(&302), Some(&3));
    assert_eq!(report.redirects.followed, 30);
    assert_eq!(report.redirects.limit_reached, 3);
    assert_eq!(server.requests().len(), 33);
    let small = run_json("--redirect 2 -n 4 -c 2 -t 10", &[&server.url("/loop")]);
    assert_eq!(
        (small.redirects.followed, small.redirects.limit_reached),
        (8, 4)
    );
}

#[test]
fn a_redirect_to_another_host_is_recorded_as_is_and_counted() {
    let server = server();
    let report = run_json("-n 4 -c 2 -t 10", &[&server.url("/away")]);
    assert_eq!(report.status_codes.get(&301), Some(&4));
    assert_eq!(report.redirects.cross_host, 4);
    assert_eq!(report.redirects.followed, 0);
    assert_eq!(report.summary.failed, 0);
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn redirect_0_and_disable_redirects_record_the_3xx() {
    for flags in ["--redirect 0", "--disable-redirects", "-disable-redirects"] {
        let server = server();
        let report = run_json(&format!("{flags} -n 5 -c 1 -t 10"), &[&server.url("/loop")]);
        assert_eq!(report.status_codes.get(&302), Some(&5), "{flags}");
        assert_eq!(report.params.redirect_limit, 0);
        let r = &report.redirects;
        assert_eq!((r.followed, r.limit_reached, r.cross_host), (0, 0, 0));
        assert_eq!(server.requests().len(), 5, "{flags}");
    }
}

#[test]
fn see_other_turns_a_post_into_a_get_and_307_keeps_it() {
    let server = server();
    let flags = "-n 2 -c 1 -t 10 -m POST -d hello -T text/plain";
    run_json(flags, &[&server.url("/form")]);
    run_json(flags, &[&server.url("/keep")]);
    let requests = server.requests();
    let seen: Vec<(&str, &str, &[u8])> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str(), r.body.as_slice()))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", "/form", &b"hello"[..]),
            ("GET", "/result", b""),
            ("POST", "/form", b"hello"),
            ("GET", "/result", b""),
            ("POST", "/keep", b"hello"),
            ("POST", "/result", b"hello"),
            ("POST", "/keep", b"hello"),
            ("POST", "/result", b"hello"),
        ]
    );
    assert!(requests[1].header_values("content-type").is_empty());
    assert_eq!(requests[5].only_header("content-type"), "text/plain");
}

#[test]
fn the_text_report_says_how_many_redirects_were_followed() {
    let server = server();
    let url = server.url("/hop/2");
    let text = run("-n 2 -c 1 -t 10", &[&url]).success().stdout_text();
    assert!(text.contains("  Redirects:    4 followed\n"), "{text}");
}

#[test]
fn without_keep_alive_each_hop_opens_its_own_connection() {
    let server = server();
    let report = run_json(
        "--disable-keepalive -n 2 -c 1 -t 10",
        &[&server.url("/hop/2")],
    );
    assert_eq!(report.status_codes.get(&200), Some(&2));
    assert_eq!(report.redirects.followed, 4);
    assert_eq!(server.connections(), 6);
}
