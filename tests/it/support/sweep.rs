//! The sweep's JSON document as a test reads it: test-side types written from
//! `schema/sweep.schema.json` (with `deny_unknown_fields`, so an added or renamed field
//! breaks the tests instead of slipping through) plus validation against that schema.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/sweep.schema.json");

/// One sweep result.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    pub schema_version: String,
    pub tool: Value,
    pub params: Value,
    pub machine: Value,
    pub baseline: Option<Level>,
    pub sweep_points: Vec<Point>,
    pub sweet_spot: Option<SweetSpot>,
    pub notes: Vec<String>,
    pub interrupted: bool,
    pub paired: Option<Value>,
    pub find_max: Option<FindMax>,
}

/// `baseline` and `reference`: a level's numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub concurrency: Option<usize>,
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub error_rate: f64,
}

/// `sweep_points[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub concurrency: usize,
    pub repeats: usize,
    pub phase: String,
    pub rps: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    pub error_rate: Option<f64>,
    pub disqualified: Option<String>,
    pub score: Option<f64>,
    pub reference: Option<Level>,
    pub overhead_pct: Option<f64>,
    pub rps_deficit_pct: Option<f64>,
}

/// `sweet_spot`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweetSpot {
    pub concurrency: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub method: String,
    pub reasoning: String,
    pub peak_rps: f64,
    pub peak_concurrency: usize,
}

/// `find_max`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindMax {
    pub by: String,
    pub concurrency: Option<usize>,
    pub start: f64,
    pub ceiling: f64,
    pub resolution: f64,
    pub max_passing: Option<u64>,
    pub first_failing: Option<u64>,
    pub binding_gate: Option<String>,
    pub boundary: Option<String>,
    pub cliff_factor: f64,
    pub probes: Vec<Probe>,
}

/// `find_max.probes[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    pub level: u64,
    pub passed: bool,
    pub runs: usize,
    pub passes: usize,
    pub disagreed: bool,
    pub rps: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub error_rate: Option<f64>,
    pub late_sends: u64,
    pub gates: Vec<Value>,
}

impl Sweep {
    /// Parses one JSON document valid against the sweep schema; panics with the reason.
    pub fn parse(bytes: &[u8]) -> Sweep {
        let text = String::from_utf8_lossy(bytes);
        let document: Value = serde_json::from_slice(bytes)
            .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"));
        let problems: Vec<String> = schema()
            .iter_errors(&document)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            problems.is_empty(),
            "sweep result does not match the schema:\n{}\n{text}",
            problems.join("\n")
        );
        serde_json::from_value(document).unwrap_or_else(|e| {
            panic!("sweep result does not fit the test-side types: {e}\n{text}")
        })
    }

    /// The measured points of one phase (`coarse` or `refine`).
    pub fn phase(&self, phase: &str) -> Vec<&Point> {
        self.sweep_points
            .iter()
            .filter(|p| p.phase == phase)
            .collect()
    }
}

fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(SCHEMA_PATH)
            .unwrap_or_else(|e| panic!("cannot read {SCHEMA_PATH}: {e}"));
        let schema: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{SCHEMA_PATH} is not JSON: {e}"));
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{SCHEMA_PATH} is not a valid schema: {e}"))
    })
}
