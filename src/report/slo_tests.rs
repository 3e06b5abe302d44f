//! Tests of how `--slo` gates shape the report model: the outcome is carried only when gates
//! were given, and latency gates switch the color levels from run-relative to absolute.

use std::time::Duration;

use super::fixtures;
use super::model::{LevelScale, Report, ReportOptions, MAX_LEVEL};
use crate::slo::{Gate, LatencyGate, Rank};

fn report(spec: &str) -> Report {
    let config = fixtures::config_slo(3000, 50, spec);
    fixtures::report_of(
        &config,
        &fixtures::result_errors(),
        &ReportOptions::default(),
    )
}

fn levels(report: &Report) -> Vec<u8> {
    report.histogram.iter().map(|b| b.level).collect()
}

#[test]
fn outcome_only_when_gates_were_given() {
    assert_eq!(fixtures::report_basic().slo, None);
    let outcome = fixtures::report_slo_fail().slo.expect("gates were given");
    assert!(!outcome.passed);
    let verdicts: Vec<bool> = outcome.gates.iter().map(|g| g.passed).collect();
    assert_eq!(verdicts, [true, false, false, false, true]);
    assert!(fixtures::report_slo_pass().slo.is_some_and(|o| o.passed));
}

#[test]
fn gates_measure_what_the_report_shows() {
    let report = fixtures::report_slo_fail();
    let outcome = report.slo.as_ref().expect("gates were given");
    let latency = report.latency.as_ref().expect("responses were recorded");
    let p99_ms = latency.percentiles[6].value.as_nanos() as f64 / 1e6;
    assert_eq!(outcome.gates[1].measured, Some(p99_ms));
    assert_eq!(outcome.gates[3].measured, Some(50.0 / 3000.0));
    assert_eq!(outcome.gates[4].measured, Some(report.summary.rps));
}

#[test]
fn without_latency_gates_colors_stay_relative() {
    let plain = fixtures::report_errors();
    for spec in ["errors=1%", "rps>=10,errors=5%"] {
        let with_gates = report(spec);
        assert_eq!(with_gates.colors_from, None, "{spec}");
        assert_eq!(levels(&with_gates), levels(&plain), "{spec}");
        assert_eq!(with_gates.latency, plain.latency, "{spec}");
    }
}

#[test]
fn latency_gates_anchor_colors_on_the_highest_percentile_limit() {
    let report = report("p50=5ms,p99.9=150ms,p99=15ms");
    let anchor = LatencyGate {
        rank: Rank::from_hundredths(9990).expect("p99.9"),
        limit: Duration::from_millis(150),
    };
    assert_eq!(report.colors_from, Some(anchor));
    let scale = LevelScale::around_limit(anchor.limit);
    for bin in &report.histogram {
        assert_eq!(bin.level, scale.level(bin.low), "{bin:?}");
    }
    let latency = report.latency.expect("responses were recorded");
    assert!(latency
        .percentiles
        .iter()
        .all(|p| p.level == scale.level(p.value)));
}

#[test]
fn bars_past_the_limit_are_red_and_a_fast_run_stays_green() {
    // Every bar of the run starts (fastest: 0.958 ms) past 1.5 times a 0.5 ms limit.
    let slow = report("p99=500us");
    assert!(
        levels(&slow).iter().all(|&l| l == MAX_LEVEL),
        "{:?}",
        levels(&slow)
    );
    // Far under a 10 s limit, the same run is dark green throughout.
    let fast = report("p99=10s");
    assert!(levels(&fast).iter().all(|&l| l == 0), "{:?}", levels(&fast));
}

#[test]
fn gate_display_is_what_the_heading_shows() {
    let gate = Gate::Latency(LatencyGate {
        rank: Rank::MAX,
        limit: Duration::from_micros(1500),
    });
    assert_eq!(gate.to_string(), "p99.99 <= 1.5 ms");
}
