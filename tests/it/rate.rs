//! Open-loop `--rate` and `--latency-correction` against a server that freezes.
//!
//! The built-in target freezes completely for 300 ms every few hundred requests, like a
//! stop-the-world pause. A closed loop stops sending while it waits, so only the handful of
//! requests in flight see the pause (coordinated omission); an open loop keeps its schedule,
//! so every request due during the pause waits, and the percentiles show it.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use vastar::serve::{Background, ServeConfig, Stall};

use crate::support::{run_json, url_of};

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
