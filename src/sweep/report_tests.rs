//! Both renderers on fixed reports: the text layout, and every JSON variant (plain, paired,
//! capacity search, interrupted) valid against `schema/sweep.schema.json`.

use std::time::Duration;

use super::config::{
    CachedCurve, DqGates, FindMaxConfig, OutputConfig, PairedConfig, PickMode, Reference, SearchBy,
    SweepConfig,
};
use super::find_max::{Boundary, FindMax, GateValue, Probe};
use super::machine::Machine;
use super::model::SweepReport;
use super::pick;
use super::plan::Plan;
use super::point::tests::point;
use super::{report_json, report_text};
use crate::config::{RunConfig, StopAt};
use crate::url::Target;

fn config() -> SweepConfig {
    let target = Target::parse("http://127.0.0.1:8080/api").unwrap();
    SweepConfig {
        base: RunConfig::get(target, StopAt::Duration(Duration::from_secs(1)), 1),
        conc_spec: "10,50,150,400".into(),
        plan: Plan::Levels(vec![10, 50, 150, 400]),
        repeats: 3,
        refine: false,
        baseline_c: 1,
        pick: PickMode::Knee,
        knee_ratio: 0.9,
        gates: DqGates::default(),
        cooldown: Duration::ZERO,
        paired: None,
        find_max: None,
        output: OutputConfig {
            json_stdout: false,
            json_path: None,
        },
    }
}

fn report() -> SweepReport {
    let mut points = vec![
        point(10, 6420.0, 1.55, 3.10),
        point(50, 18900.0, 2.64, 5.80),
        point(150, 34100.0, 4.39, 9.80),
        point(400, 38200.0, 10.4, 41.0),
    ];
    points[3].disqualified = Some("spread=3.9, tail=91.1x".into());
    SweepReport {
        machine: Machine {
            cpu_cores_physical: Some(8),
            cpu_cores_logical: Some(16),
            ram_mb: Some(20000),
        },
        baseline: point(1, 3200.0, 0.31, 0.45).measured,
        reference_baseline: None,
        sweet_spot: pick::pick(&points, PickMode::Knee, 0.9),
        points,
        notes: vec!["repeats=3".into()],
        find_max: None,
        interrupted: None,
    }
}

fn text(config: &SweepConfig, report: &SweepReport) -> String {
    let mut out = Vec::new();
    report_text::render(config, report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn validate(config: &SweepConfig, report: &SweepReport) -> serde_json::Value {
    let mut out = Vec::new();
    report_json::render(config, report, &mut out).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let schema_text = include_str!("../../schema/sweep.schema.json");
    let schema: serde_json::Value = serde_json::from_str(schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(problems.is_empty(), "{problems:?}\n{doc:#}");
    doc
}

#[test]
fn text_has_the_seeds_layout() {
    let text = text(&config(), &report());
    for line in [
        "━━━ vastar sweep — GET http://127.0.0.1:8080/api ━━━",
        "Calibration (c=1): rps=3200 p50=0.310ms p99=0.450ms",
        "Machine: 8 phys / 16 log cores, 20 GB RAM",
        "Sweep (4 levels, 3 repeats each, median):",
        "      c        rps      p50      p95      p99    p99.9    score  verdict",
        "    150      34100   4.39ms   7.10ms   9.80ms   11.8ms     6843  ok ← best",
        "    400      38200   10.4ms   25.7ms   41.0ms   49.2ms        —  DISQ (spread=3.9, tail=91.1x)",
        "━━━ Sweet spot: c=150 ━━━",
        "Throughput:  34100 req/s (100.0% of peak 34100 @ c=150)",
        "Strategy:    knee@90%",
        "Notes: repeats=3",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in:\n{text}");
    }
}

#[test]
fn plain_json_is_the_seed_contract() {
    let doc = validate(&config(), &report());
    assert_eq!(doc["schema_version"], "1.0");
    assert_eq!(doc["sweet_spot"]["concurrency"], 150);
    assert_eq!(doc["sweet_spot"]["method"], "knee");
    assert_eq!(doc["sweep_points"][3]["score"], serde_json::Value::Null);
    assert!(doc.get("paired").is_none() && doc.get("find_max").is_none());
    assert_eq!(doc["machine"]["cpu_cores_physical"], 8);
}

#[test]
fn paired_json_and_text_carry_the_reference() {
    let mut config = config();
    let baseline = point(1, 4000.0, 0.2, 0.3).measured.unwrap();
    config.paired = Some(PairedConfig {
        reference: Reference::Cached(CachedCurve {
            path: "up.json".into(),
            url: "http://127.0.0.1:4545/".into(),
            method: "GET".into(),
            baseline_c: 1,
            baseline,
            points: vec![(10, baseline)],
        }),
        max_overhead_pct: 25.0,
        max_rps_deficit_pct: 50.0,
    });
    let mut report = report();
    report.reference_baseline = Some(baseline);
    report.points[0].reference = Some(baseline);
    let doc = validate(&config, &report);
    assert_eq!(doc["paired"]["reference"]["source"], "file");
    assert!(doc["sweep_points"][0]["overhead_pct"].as_f64().unwrap() > 0.0);
    let text = text(&config, &report);
    assert!(text.contains("ref rps  ref p99  overhead"), "{text}");
    assert!(text.contains("Reference calibration (c=1)"), "{text}");
}

#[test]
fn capacity_search_json_and_text() {
    let mut config = config();
    let slo = crate::slo::parse("p99=20ms").unwrap();
    config.find_max = Some(FindMaxConfig {
        by: SearchBy::Concurrency,
        start: 1.0,
        ceiling: 100.0,
        resolution: 0.05,
        slo: slo.clone(),
    });
    let probe = |level, passed, p99| Probe {
        level,
        runs: 1,
        passes: usize::from(passed),
        passed,
        gates: vec![GateValue {
            gate: slo[0].clone(),
            measured: Some(p99),
            passed,
        }],
        measured: point(1, 100.0, 10.0, p99).measured,
        late_sends: 0,
    };
    let report = SweepReport {
        baseline: None,
        points: Vec::new(),
        sweet_spot: None,
        find_max: Some(FindMax {
            by: SearchBy::Concurrency,
            max_passing: Some(8),
            first_failing: Some(9),
            binding_gate: Some("p99".into()),
            boundary: Some(Boundary::Smooth),
            probes: vec![
                probe(8, true, 19.0),
                probe(16, false, 41.0),
                probe(9, false, 25.0),
            ],
        }),
        interrupted: Some(130),
        ..report()
    };
    let doc = validate(&config, &report);
    assert_eq!(doc["find_max"]["first_failing"], 9);
    assert_eq!(doc["interrupted"], true);
    let text = text(&config, &report);
    assert!(
        text.contains("━━━ Capacity: max passing c=8, first failing c=9 ━━━"),
        "{text}"
    );
    assert!(
        text.contains("Binding gate: p99 (25.000 measured at c=9, limit p99 <= 20 ms)"),
        "{text}"
    );
    assert!(text.contains("Interrupted:"), "{text}");
}
