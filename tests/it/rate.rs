//! Open-loop `--rate` and `--latency-correction` against a server that freezes, open-loop
//! timing against a fast one, and rates over the right window against a slow one.
//!
//! The built-in target freezes completely for 300 ms every few hundred requests, like a
//! stop-the-world pause. A closed loop stops sending while it waits, so only the handful of
//! requests in flight see the pause (coordinated omission); an open loop keeps its schedule,
//! so every request due during the pause waits, and the percentiles show it.
//!
//! Against the plain built-in target on loopback a response takes ~0.05 ms, so an open loop
//! that reports much more is measuring its own timer, not the server.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use vastar::serve::{Background, ServeConfig, Stall};

use crate::support::{builtin_target, run, run_json, url_of};

const STALL: Duration = Duration::from_millis(300);

fn freezing_target(every: u64) -> Background {
    let config = ServeConfig {
        stall: Some(Stall {
            every,
            duration: STALL,
        }),
        ..ServeConfig::default()
    };
    Background::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config, 1)
        .expect("start the freezing target")
}

fn slow_target(delay: Duration) -> Background {
    let config = ServeConfig {
        delay: Some(delay),
        ..ServeConfig::default()
    };
    Background::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config, 1)
        .expect("start the slow target")
}

fn ms(percentiles: &serde_json::Value, key: &str) -> f64 {
    percentiles[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is a number in {percentiles}"))
}

fn p99_ms(report: &crate::support::report::Report) -> f64 {
    report.latency_ms["p99"]
        .as_f64()
        .expect("p99 is a number when responses arrived")
}

#[test]
fn a_closed_loop_hides_most_of_a_server_freeze() {
    let server = freezing_target(1000);
    let report = run_json("-n 4000 -c 4 -t 5", &[&url_of(server.addr())]);
    assert_eq!(report.summary.successful, 4000);
    // Four freezes, but only the (at most 4) requests in flight see each one: 0.4%.
    assert!(
        p99_ms(&report) < 150.0,
        "closed-loop p99 {} ms",
        p99_ms(&report)
    );
    let p99_9 = report.latency_ms["p99_9"].as_f64().unwrap_or(0.0);
    assert!(
        p99_9 > 200.0,
        "the few requests caught in a freeze are still there: {p99_9} ms"
    );
    assert!(
        report.service_time_ms.is_null(),
        "closed loop: one view only"
    );
    assert!(report.rate.is_none() && report.params.rate.is_none() && report.slo.is_null());
}

#[test]
fn an_open_loop_shows_the_freeze_in_its_percentiles_and_counts_late_sends() {
    let server = freezing_target(400);
    let report = run_json("--rate 1000 -z 3s -c 4 -t 5", &[&url_of(server.addr())]);
    // About 1000 requests per second, a 300 ms freeze every 400 of them: a large share of
    // requests is due while the server is frozen, and waits for it.
    assert!(
        p99_ms(&report) > 150.0,
        "open-loop p99 {} ms",
        p99_ms(&report)
    );
    let rate = report
        .rate
        .as_ref()
        .expect("open-loop runs report their rate");
    assert_eq!(
        (rate.target_rps, report.params.rate),
        (1000.0, Some(1000.0))
    );
    assert!(
        rate.late_sends > 0,
        "4 connections cannot keep the schedule through a freeze"
    );
    assert!(
        rate.achieved_rps > 500.0 && rate.achieved_rps <= 1001.0,
        "{rate:?}"
    );
    let service_p50 = report.service_time_ms["p50"]
        .as_f64()
        .expect("service time is reported");
    let response_p50 = report.latency_ms["p50"].as_f64().unwrap_or(0.0);
    assert!(
        service_p50 <= response_p50,
        "service {service_p50} vs response {response_p50}"
    );
}

#[test]
fn latency_correction_restores_the_requests_a_stalled_connection_did_not_send() {
    let server = freezing_target(400);
    let url = url_of(server.addr());
    let plain = run_json("-q 200 -c 4 -z 3s -t 5", &[&url]);
    let corrected = run_json("-q 200 -c 4 -z 3s -t 5 --latency-correction", &[&url]);
    // Each freeze holds every connection for up to 300 ms, i.e. ~60 requests per connection
    // that were never sent; the correction puts them back into the histogram.
    assert!(
        p99_ms(&plain) < p99_ms(&corrected),
        "{} vs {}",
        p99_ms(&plain),
        p99_ms(&corrected)
    );
    assert!(
        p99_ms(&corrected) > 100.0,
        "corrected p99 {} ms",
        p99_ms(&corrected)
    );
    assert!(corrected.service_time_ms["p99"].as_f64().is_some());
    assert!(corrected.params.latency_correction && !plain.params.latency_correction);
}

#[test]
fn an_open_loop_sends_on_schedule_and_measures_the_server_not_its_timer() {
    let server = builtin_target();
    let report = run_json("--rate 2000 -z 2s -c 20 -t 5", &[&url_of(server.addr())]);
    let rate = report
        .rate
        .as_ref()
        .expect("open-loop runs report their rate");
    // A millisecond timer leaves ~0.5 ms late on average and that delay was counted as
    // latency (p50 ~1 ms); sent on time, the response time is the ~0.05 ms of the wire.
    // Under 0.1 ms even while the other tests load both cores (a millisecond timer: ~0.5).
    let lateness_p50 = ms(&rate.send_lateness_ms, "p50");
    assert!(lateness_p50 < 0.1, "send lateness p50 {lateness_p50} ms");
    let latency_p50 = ms(&report.latency_ms, "p50");
    assert!(latency_p50 < 0.3, "latency p50 {latency_p50} ms");
    assert!(ms(&rate.send_lateness_ms, "p99_99") >= lateness_p50);
    assert!(
        rate.achieved_rps <= 2000.0 && rate.achieved_rps > 1900.0,
        "{rate:?}"
    );
    assert_eq!(report.summary.requests, 4000, "{:?}", report.summary);
}

#[test]
fn connections_free_for_their_turn_are_never_late_sends() {
    let server = builtin_target();
    let url = url_of(server.addr());
    // Far below capacity: 50 connections for 100 requests/s, each free 9.9 ms of every 10.
    let slow_rate = run_json("--rate 100 -z 2s -c 50 -t 5", &[&url]);
    // Every ticket due within 0.1 ms of the start, before the workers are even running: late
    // in leaving, but each connection was free, so no send is "late".
    let start_burst = run_json("--rate 100000 -n 10 -c 10 -t 5", &[&url]);
    for report in [&slow_rate, &start_burst] {
        let rate = report
            .rate
            .as_ref()
            .expect("open-loop runs report their rate");
        assert_eq!(rate.late_sends, 0, "{rate:?}");
        assert!(rate.achieved_rps <= rate.target_rps, "{rate:?}");
    }
    assert_eq!(slow_rate.summary.requests, 200);
    assert_eq!(start_burst.summary.requests, 10);
}

#[test]
fn an_open_loop_faster_than_its_connections_reports_late_sends() {
    // Two connections, 20 ms per response: at most 100 requests/s, asked for 400.
    let server = slow_target(Duration::from_millis(20));
    let report = run_json("--rate 400 -z 1s -c 2 -t 5", &[&url_of(server.addr())]);
    let rate = report
        .rate
        .as_ref()
        .expect("open-loop runs report their rate");
    assert!(rate.late_sends > 100, "{rate:?}");
    assert!(rate.achieved_rps < 200.0, "{rate:?}");
    // Late sends wait for a connection, and their lateness shows it.
    assert!(ms(&rate.send_lateness_ms, "p50") > 20.0, "{rate:?}");
}

#[test]
fn rates_count_drained_responses_over_the_time_they_took() {
    // Each connection sends at 0 s and again at 1.5 s, before the 2 s deadline; the second
    // answers arrive at 3 s. 200 responses in 3 s is 66.7/s, not 200 in 2 s = 100/s.
    let server = slow_target(Duration::from_millis(1500));
    let run = run(
        "-o json -z 2s -c 100 -t 10 --slo rps>=90",
        &[&url_of(server.addr())],
    )
    .expect_code(1);
    let report = run.report();
    let s = &report.summary;
    assert_eq!(s.successful, 200, "{s:?}");
    assert!((2.95..3.6).contains(&s.total_secs), "{s:?}");
    assert!((1.45..2.0).contains(&s.send_secs), "{s:?}");
    assert!((55.0..68.0).contains(&s.rps), "{s:?}");
    // The gate judges the same rate the summary shows.
    let gate = &report.slo["gates"][0];
    assert_eq!(gate["measured"].as_f64(), Some(s.rps), "{gate}");
    assert_eq!(gate["passed"], false);
}

#[test]
fn poisson_arrivals_keep_the_rate_and_record_their_seed() {
    let server = builtin_target();
    let report = run_json(
        "-n 400 -c 8 --rate 400 --arrival poisson --seed 5",
        &[&url_of(server.addr())],
    );
    assert_eq!(report.summary.successful, 400);
    // 400 requests at 400/s take about a second; a Poisson count's sd is 5% here, and the
    // constant schedule would send the last one at exactly 0.9975 s.
    let send_s = report.summary.send_secs;
    assert!((0.75..1.35).contains(&send_s), "{send_s}");
    let p = &report.params;
    assert_eq!(p.arrival.as_deref(), Some("poisson"));
    assert_eq!((p.burstiness, p.seed), (Some(1.0), Some(5)));
    let constant = run_json("-n 20 -c 2 --rate 400", &[&url_of(server.addr())]);
    assert_eq!(constant.params.arrival.as_deref(), Some("constant"));
    assert_eq!(
        (constant.params.burstiness, constant.params.seed),
        (None, None)
    );
    let text = run(
        "-n 20 -c 2 --rate 400 --burstiness 0.5 --seed 9 --color never",
        &[&url_of(server.addr())],
    )
    .success()
    .stdout_text();
    assert!(
        text.contains("Target 400.00 req/s (poisson arrivals, burstiness 0.5, seed 9), sent"),
        "{text}"
    );
    let closed = run_json("-n 20 -c 2", &[&url_of(server.addr())]);
    assert_eq!((closed.params.arrival, closed.params.seed), (None, None));
    assert_eq!((closed.params.model, closed.params.prompts), (None, None));
}

#[test]
fn arrival_flags_without_rate_are_usage_errors() {
    for flags in ["--arrival poisson", "--burstiness 2", "--seed 3"] {
        let out = run(&format!("-n 1 {flags}"), &["http://127.0.0.1:1/"]).expect_code(2);
        let stderr = &out.stderr;
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--rate"), "{stderr}");
    }
}
