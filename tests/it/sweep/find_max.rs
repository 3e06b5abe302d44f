//! The capacity search against a known limit.

use std::time::Duration;

use super::sweep_json;
use crate::support::{capacity_target, url_of};

/// K = 8 in service, D = 20 ms: at c <= K every request takes D; past K some wait a whole
/// D more, so a p99 gate between D and 2D separates c = K from c = K + 1.
const K: u64 = 8;
const D: Duration = Duration::from_millis(20);

#[test]
fn by_c_brackets_the_service_slots() {
    let server = capacity_target(K as usize, D);
    let result = sweep_json(
        "--find-max --slo p99=32ms -z 300ms --repeats 3",
        &url_of(server.addr()),
        0,
    );
    let fm = result.find_max.expect("a find_max block");
    assert_eq!(fm.by, "c");
    assert_eq!(
        (fm.start, fm.ceiling, fm.resolution, fm.cliff_factor),
        (1.0, 10_000.0, 0.05, 3.0)
    );
    let (pass, fail) = (fm.max_passing.unwrap(), fm.first_failing.unwrap());
    assert!(
        (K / 2..=K).contains(&pass) && fail == pass + 1,
        "bracket {pass}..{fail} for K={K}: {:#?}",
        fm.probes
    );
    assert_eq!(fm.binding_gate.as_deref(), Some("p99"));
    assert!(fm.boundary.is_some());
    let order: Vec<u64> = fm.probes.iter().map(|p| p.level).take(4).collect();
    assert_eq!(order, [1, 2, 4, 8], "exponential from --start 1");
    assert!(fm
        .probes
        .iter()
        .all(|p| p.runs == 3 && p.disagreed == (p.passes % 3 != 0)));
    for p in &fm.probes {
        assert_eq!(p.passed, p.passes >= 2, "majority of 3: {p:?}");
        assert_eq!(p.gates[0]["gate"], "p99");
        assert_eq!(p.gates[0]["limit"], 32.0);
        let p99 = p.p99_ms.unwrap();
        assert!(p.rps.unwrap() > 0.0 && p.p50_ms.unwrap() <= p99 && p.error_rate == Some(0.0));
    }
    assert!(result.sweet_spot.is_none() && result.baseline.is_none());
}

#[test]
fn by_rate_brackets_the_throughput_within_the_resolution() {
    let server = capacity_target(K as usize, D);
    let capacity = K as f64 / D.as_secs_f64();
    let flags = "--find-max --by rate -c 64 --start 50 --slo p99=60ms -z 500ms";
    let result = sweep_json(flags, &url_of(server.addr()), 0);
    let fm = result.find_max.expect("a find_max block");
    assert_eq!((fm.by.as_str(), fm.concurrency), ("rate", Some(64)));
    let (pass, fail) = (
        fm.max_passing.unwrap() as f64,
        fm.first_failing.unwrap() as f64,
    );
    assert!(
        fail - pass <= pass * 0.05 + 1.0,
        "bracket {pass}..{fail} wider than 5%"
    );
    // Timer overhead makes each request a little longer than D: the limit is at most K/D.
    assert!(
        pass >= capacity * 0.6 && pass <= capacity * 1.15,
        "max passing {pass} req/s for a capacity of {capacity}: {:#?}",
        fm.probes
    );
}

#[test]
fn a_first_probe_that_fails_exits_1_and_says_why() {
    let server = capacity_target(K as usize, D);
    let result = sweep_json(
        "--find-max --slo p99=5ms -z 100ms",
        &url_of(server.addr()),
        1,
    );
    let fm = result.find_max.unwrap();
    assert_eq!((fm.max_passing, fm.first_failing), (None, Some(1)));
    assert_eq!(fm.binding_gate.as_deref(), Some("p99"));
    assert_eq!(fm.boundary, None);
}

#[test]
fn a_passing_ceiling_leaves_no_failing_level() {
    let server = capacity_target(K as usize, D);
    let result = sweep_json(
        "--find-max --slo p99=1s --ceiling 4 -z 100ms",
        &url_of(server.addr()),
        0,
    );
    let fm = result.find_max.unwrap();
    assert_eq!((fm.max_passing, fm.first_failing), (Some(4), None));
}

#[test]
fn by_rate_says_when_the_connection_cap_held_sends_back() {
    // One connection at 20 ms a request carries at most 50 req/s; 100 are asked.
    let server = capacity_target(K as usize, D);
    let flags =
        "sweep -o json --find-max --by rate -c 1 --start 100 --ceiling 100 --slo p99=10s -z 300ms";
    let run = crate::support::run(flags, &[&url_of(server.addr())]);
    let result = crate::support::sweep::Sweep::parse(&run.stdout);
    let probe = &result.find_max.unwrap().probes[0];
    assert!(probe.late_sends > 0, "{probe:?}");
    assert!(
        result.notes.iter().any(|n| n.contains("raise -c")),
        "{:?}",
        result.notes
    );
}

/// An SSE server with K generation slots: the role chunk goes out at once, the content
/// chunk once a slot has been held for D, so past K streams in flight TTFT grows by D.
fn slotted_stream_target() -> crate::support::ScriptServer {
    use std::sync::{Arc, Condvar, Mutex};
    let slots = Arc::new((Mutex::new(K), Condvar::new()));
    crate::support::ScriptServer::start(move |peer| {
        let chunk = |event: &str| format!("{:x}\r\n{event}\r\n", event.len()).into_bytes();
        let role = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n";
        let content = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n";
        while peer.read_request().is_some() {
            let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
            if !peer.send(&[&head[..], &chunk(role)].concat()) {
                return;
            }
            let (free, freed) = &*slots;
            let mut n = free.lock().unwrap();
            while *n == 0 {
                n = freed.wait_timeout(n, D).unwrap().0;
            }
            *n -= 1;
            drop(n);
            std::thread::sleep(D);
            *free.lock().unwrap() += 1;
            freed.notify_one();
            let end = [
                chunk(content),
                chunk("data: [DONE]\n\n"),
                b"0\r\n\r\n".to_vec(),
            ];
            if !peer.send(&end.concat()) {
                return;
            }
        }
    })
}

#[test]
fn by_c_judges_a_ttft_gate_with_stream_metrics() {
    let server = slotted_stream_target();
    let url = server.url("/");
    let result = sweep_json(
        "--find-max --stream-metrics --slo ttft_p99=32ms --ceiling 32 -z 300ms",
        &url,
        0,
    );
    let fm = result.find_max.expect("a find_max block");
    let (pass, fail) = (fm.max_passing.unwrap(), fm.first_failing.unwrap());
    assert!(
        (K / 2..=K).contains(&pass) && fail == pass + 1,
        "bracket {pass}..{fail} for K={K}: {:#?}",
        fm.probes
    );
    assert_eq!(fm.binding_gate.as_deref(), Some("ttft_p99"));
    let run = crate::support::run("sweep --find-max --slo ttft_p99=32ms -z 100ms", &[&url]);
    let err = run.expect_code(2).stderr;
    assert!(err.contains("ttft_p99 needs --stream-metrics"), "{err}");
}

#[test]
fn by_rate_finds_the_highest_rate_whose_ttft_p99_passes() {
    let server = slotted_stream_target();
    let capacity = K as f64 / D.as_secs_f64();
    let flags =
        "--find-max --by rate -c 64 --start 50 --stream-metrics --slo ttft_p99=60ms -z 500ms";
    let result = sweep_json(flags, &server.url("/"), 0);
    let fm = result.find_max.expect("a find_max block");
    let pass = fm.max_passing.unwrap() as f64;
    assert!(fm.first_failing.is_some(), "{:#?}", fm.probes);
    // Past K/D streams per second the slots queue and TTFT grows without bound.
    assert!(
        pass >= capacity * 0.4 && pass <= capacity * 1.2,
        "max passing {pass} req/s for a capacity of {capacity}: {:#?}",
        fm.probes
    );
    assert_eq!(fm.binding_gate.as_deref(), Some("ttft_p99"));
}
