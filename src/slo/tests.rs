//! Tests of [`evaluate`]: pass/fail exactly at the boundaries, and unmeasurable gates failing.

use super::*;
use crate::engine::result::new_latency_histogram;

fn hist(latencies_ns: impl IntoIterator<Item = u64>) -> Histogram<u64> {
    let mut h = new_latency_histogram();
    for ns in latencies_ns {
        h.record(ns).expect("latency within bounds");
    }
    h
}

fn run(latency_ns: &Histogram<u64>, requests: u64, failed: u64, rps: f64) -> Measurements<'_> {
    Measurements {
        latency_ns,
        requests,
        failed,
        rps,
        stream: None,
        ws: None,
    }
}

fn gates(spec: &str) -> Vec<Gate> {
    parse(spec).expect("valid spec")
}

fn verdicts(outcome: &SloOutcome) -> Vec<bool> {
    outcome.gates.iter().map(|g| g.passed).collect()
}

#[test]
fn latency_exactly_at_the_limit_passes_and_one_nanosecond_less_fails() {
    let h = hist((1..=1000).map(|i| i * 37_000));
    for rank in [Rank(5000), Rank(9900), Rank(9990), Rank(100)] {
        let measured = h.value_at_quantile(rank.quantile());
        for (limit, passed) in [(measured, true), (measured - 1, false)] {
            let limit = Duration::from_nanos(limit);
            let gate = Gate::Latency(LatencyGate { rank, limit });
            let outcome = evaluate(&[gate], &run(&h, 1000, 0, 1.0));
            assert_eq!(outcome.passed, passed, "{rank} at {limit:?}");
            assert_eq!(outcome.gates[0].measured, Some(measured as f64 / 1e6));
        }
    }
}

#[test]
fn percentile_gates_read_the_same_values_as_the_report() {
    let h = hist((1..=100).map(|ms| ms * 1_000_000));
    let outcome = evaluate(&gates("p50=50.1ms,p99=98ms"), &run(&h, 100, 0, 1.0));
    assert_eq!(verdicts(&outcome), [true, false]);
    let p99 = outcome.gates[1].measured.expect("measured");
    assert_eq!(p99, h.value_at_quantile(0.99) as f64 / 1e6);
    assert!((p99 - 99.0).abs() < 0.1, "{p99}");
}

#[test]
fn no_response_fails_every_percentile_gate_without_a_measurement() {
    let h = new_latency_histogram();
    let outcome = evaluate(
        &gates("p50=1s,p99.99=1s,errors=100%"),
        &run(&h, 40, 40, 0.0),
    );
    assert!(!outcome.passed);
    let measured: Vec<Option<f64>> = outcome.gates.iter().map(|g| g.measured).collect();
    assert_eq!(measured, [None, None, Some(1.0)]);
    assert_eq!(verdicts(&outcome), [false, false, true]);
}

#[test]
fn error_rate_boundaries_as_percent_and_fraction() {
    let h = hist([1_000]);
    for (spec, failed, requests, passed) in [
        ("errors=0.1%", 1, 1000, true),
        ("errors=0.1%", 2, 1000, false),
        ("errors=0.001", 1, 1000, true),
        ("errors=0.3%", 3, 1000, true),
        ("errors=0.3%", 301, 100_000, false),
        ("errors=1%", 1, 100, true),
        ("errors=33%", 33, 100, true),
        ("errors=0%", 0, 5, true),
        ("errors=0%", 1, 1_000_000, false),
        ("errors=100%", 7, 7, true),
    ] {
        let outcome = evaluate(&gates(spec), &run(&h, requests, failed, 1.0));
        assert_eq!(outcome.passed, passed, "{spec} with {failed}/{requests}");
        let rate = failed as f64 / requests as f64;
        assert_eq!(outcome.gates[0].measured, Some(rate));
    }
}

#[test]
fn error_rate_without_requests_fails_unmeasured() {
    let h = new_latency_histogram();
    let outcome = evaluate(&gates("errors=100%"), &run(&h, 0, 0, 0.0));
    assert_eq!(outcome.gates[0].measured, None);
    assert!(!outcome.passed);
}

#[test]
fn throughput_boundary() {
    let h = hist([1_000]);
    for (rps, passed) in [
        (5000.0, true),
        (5000.5, true),
        (4999.99, false),
        (0.0, false),
    ] {
        let outcome = evaluate(&gates("rps>=5000"), &run(&h, 10, 0, rps));
        assert_eq!(outcome.passed, passed, "{rps}");
        assert_eq!(outcome.gates[0].measured, Some(rps));
    }
}

#[test]
fn outcome_passes_only_when_every_gate_passes_and_keeps_order() {
    let h = hist([2_000_000; 10]);
    let spec = "rps>=10,p50=1ms,errors=0%";
    let outcome = evaluate(&gates(spec), &run(&h, 10, 0, 20.0));
    assert_eq!(verdicts(&outcome), [true, false, true]);
    assert!(!outcome.passed);
    let names: Vec<String> = outcome.gates.iter().map(|g| g.gate.name()).collect();
    assert_eq!(names, ["rps", "p50", "errors"]);
    assert!(evaluate(&[], &run(&h, 10, 0, 20.0)).passed);
}

#[test]
fn limits_in_natural_units() {
    let limits: Vec<f64> = gates("p99=250ms,p50=500us,errors=0.1%,rps>=5000")
        .iter()
        .map(Gate::limit)
        .collect();
    assert_eq!(limits, [250.0, 0.5, 0.001, 5000.0]);
}

#[test]
fn colors_anchor_on_the_highest_percentile() {
    let anchor = color_anchor(&gates("p99.9=1s,errors=1%,p50=20ms,p99=250ms"));
    assert_eq!(
        anchor,
        Some(LatencyGate {
            rank: Rank(9990),
            limit: Duration::from_secs(1)
        })
    );
    assert_eq!(color_anchor(&gates("errors=1%,rps>=3")), None);
    assert_eq!(color_anchor(&[]), None);
}

#[test]
fn rank_bounds_and_names() {
    assert_eq!(Rank::from_hundredths(99), None);
    assert_eq!(Rank::from_hundredths(10_000), None);
    assert_eq!(Rank::MIN.to_string(), "p1");
    assert_eq!(Rank::MAX.to_string(), "p99.99");
    assert_eq!(Rank(9950).to_string(), "p99.5");
    assert_eq!(Rank(9905).to_string(), "p99.05");
    assert_eq!(Rank(9990).quantile(), 0.999);
}

#[test]
fn spec_reads_back_to_the_same_gates() {
    for text in [
        "p99=250ms",
        "p50=1.5ms,p99.9=20us,p99.99=7ns",
        "errors=0.1%,rps>=5000",
        "errors=0.000001,rps>=0.5,p1=3s",
        "ttft_p99=500ms,tpot_p50=40ms,itl_p99.9=100ms,e2e_p95=2s",
        "tokens_per_s>=1000.5,goodput>=3,p99=1s",
        "newest_frame_seq_p50=200ms,oldest_frame_seq_p95=1650ms,upgrade_p99.9=1.5ms",
        "newestFrame_p50=7us,Frame_Seq_P99.99=3ns,p50=1ms,errors=0.001%",
    ] {
        let gates = parse(text).unwrap();
        assert_eq!(
            parse(&spec(&gates)).unwrap(),
            gates,
            "{text} -> {}",
            spec(&gates)
        );
    }
    assert_eq!(
        spec(&parse("p99 <= 250ms, errors=0.1%").unwrap()),
        "p99=250ms,errors=0.001"
    );
    assert_eq!(spec(&[]), "");
    assert_eq!(
        spec(&parse("newestFrame_P95 <= 1.65s, TTFT_p99=1s").unwrap()),
        "newestFrame_p95=1650ms,ttft_p99=1000ms"
    );
}

#[test]
fn named_gates_check_the_named_ws_distribution_and_fail_without_it() {
    use crate::ws::stats::WsStats;
    let gates = parse("newest_p50=10ms,oldest_p99=5ms,upgrade_p50=1ms,newest_p99=1ms").unwrap();
    assert_eq!(gates[0].to_string(), "newest p50 <= 10 ms");
    let latency = hist([1]);
    let mut run = run(&latency, 10, 0, 10.0);
    let verdict = evaluate(&gates, &run);
    assert!(verdict
        .gates
        .iter()
        .all(|g| !g.passed && g.measured.is_none()));
    let mut ws = WsStats::new(vec!["newest".into(), "oldest".into()]);
    ws.measured.acks_ns[0] = hist([9_000_000]);
    ws.measured.acks_ns[1] = hist([6_000_000]);
    ws.warmup.acks_ns[1] = hist([1_000]);
    run.ws = Some(&ws);
    let verdict = evaluate(&gates, &run);
    let passed: Vec<bool> = verdict.gates.iter().map(|g| g.passed).collect();
    // oldest is over its limit (the warm-up's fast sample does not count); no upgrade
    // was measured.
    assert_eq!(passed, [true, false, false, false]);
    let measured: Vec<Option<f64>> = verdict.gates.iter().map(|g| g.measured).collect();
    assert_eq!(measured[2], None);
    assert!(
        measured[0].is_some_and(|ms| (ms - 9.0).abs() < 0.01),
        "{measured:?}"
    );
}

#[test]
fn stream_gates_check_their_own_histograms_and_fail_without_streams() {
    let gates = parse("ttft_p50=10ms,itl_p99=5ms,tokens_per_s>=100,goodput>=2").unwrap();
    assert_eq!(gates[0].to_string(), "ttft p50 <= 10 ms");
    assert_eq!(gates[1].name(), "itl_p99");
    let latency = hist([1]);
    let mut run = run(&latency, 10, 0, 10.0);
    let verdict = evaluate(&gates, &run);
    assert!(!verdict.passed);
    assert!(verdict.gates.iter().all(|g| g.measured.is_none()));
    let (ttft, itl) = (hist([9_000_000]), hist([6_000_000]));
    let empty = hist([]);
    run.stream = Some(StreamMeasurements {
        ttft_ns: &ttft,
        tpot_ns: &empty,
        itl_ns: &itl,
        e2e_ns: &empty,
        tokens_per_s: 100.0,
        goodput_rps: 1.5,
    });
    let passed: Vec<bool> = evaluate(&gates, &run)
        .gates
        .iter()
        .map(|g| g.passed)
        .collect();
    assert_eq!(passed, [true, false, true, false]);
}
