//! The JSON report as a test reads it: test-side wire types plus schema validation.
//!
//! These structs are written from the schema, not imported from the crate, so a renamed or
//! added field breaks the tests (`deny_unknown_fields`) instead of silently following along.
//! Parts tests do not inspect field by field (percentiles, histogram, insight, phase details)
//! stay `serde_json::Value` and are covered by `schema/report.schema.json`, against which every
//! parsed report is validated.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

/// Path of the checked-in JSON Schema of the report.
const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/report.schema.json");

/// One run's JSON report.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    pub params: Params,
    pub summary: Summary,
    pub latency_ms: Value,
    pub histogram: Vec<Value>,
    /// `"log"` or `"linear"`: how the histogram's edges are spaced.
    pub histogram_scale: String,
    /// Responses by status code.
    pub status_codes: BTreeMap<u16, u64>,
    /// Failed requests by error key (`timeout`, `aborted`, ...).
    pub errors: BTreeMap<String, u64>,
    pub insight: Value,
    pub details_ms: Value,
    pub connections: Connections,
    /// `--slo` verdict; null without gates.
    pub slo: Value,
    /// Open-loop schedule keeping; `None` for closed-loop runs.
    pub rate: Option<Rate>,
    /// Service-time percentiles; null when there is one latency view.
    pub service_time_ms: Value,
    /// Stopped early by Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// Redirects followed and not followed.
    pub redirects: Redirects,
    /// The HTTP version spoken (`http/1.1`).
    pub protocol: String,
    /// The TLS version spoken; `None` over plain TCP.
    pub tls: Option<String>,
    /// The `--interval` time series; `None` without `--interval` (added in 1.5).
    pub intervals: Option<Vec<Interval>>,
    /// The exact data behind the report (histograms, raw counters, wall-clock window).
    pub result: RawResult,
    /// With `--start-at`: how late (positive) the run started, in milliseconds.
    pub start_skew_ms: Option<f64>,
    /// With `--stream-metrics`: the stream metrics; `None` without them.
    pub stream: Option<Stream>,
    /// `vastar ws`: the WebSocket sessions; `None` for HTTP runs (added in 1.7).
    pub ws: Option<Ws>,
}

/// Percentiles in ms keyed `p10` .. `p99_99`, null fields when not measured.
pub type Percentiles = BTreeMap<String, Option<f64>>;

/// `ws`: what the WebSocket sessions of a `vastar ws` run did and measured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ws {
    pub sessions: WsSessions,
    pub messages: WsMessages,
    /// `--echo` round trips; `None` without `--echo`.
    pub latency_ms: Option<Percentiles>,
    /// One distribution per `--ack-field` name.
    pub acks: BTreeMap<String, Percentiles>,
    pub upgrade_ms: Percentiles,
    /// `--every`: send lateness; `None` without `--every`.
    pub send_lateness_ms: Option<Percentiles>,
    /// Sessions closed by the server, by close code.
    pub close_codes: BTreeMap<u16, u64>,
    /// Refused upgrades, by status.
    pub upgrade_statuses: BTreeMap<u16, u64>,
    /// Warm-up latencies; `None` without `--warmup`.
    pub warmup: Option<WsWarmup>,
    /// Failed sends and failures between sends, by error key.
    pub errors: BTreeMap<String, u64>,
    /// `errors` summed over `summary.requests`; `None` when nothing was attempted.
    pub error_rate: Option<f64>,
}

/// `ws.sessions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsSessions {
    pub opened: u64,
    pub failed: u64,
    pub closed_by_server: u64,
}

/// `ws.messages`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsMessages {
    pub sent: u64,
    pub received: u64,
    pub pings: u64,
    pub warmup_sent: u64,
}

/// `ws.warmup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsWarmup {
    pub latency_ms: Option<Percentiles>,
    pub acks: BTreeMap<String, Percentiles>,
}

/// `params.ws`: how the sessions sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsParams {
    /// `"echo"` or `"every"`.
    pub mode: String,
    pub every_ms: Option<f64>,
    pub ack_fields: Vec<String>,
    pub warmup_s: f64,
    pub ramp_s: f64,
    pub frames: u64,
    pub binary: bool,
}

/// `stream`: stream metrics (`--stream-metrics`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stream {
    /// Percentiles in ms (`p50`, `p99`, ...), null fields when not measured.
    pub ttft_ms: BTreeMap<String, Option<f64>>,
    pub ttfb_ms: BTreeMap<String, Option<f64>>,
    pub ttfe_ms: BTreeMap<String, Option<f64>>,
    pub tokens_per_s_per_request: BTreeMap<String, Option<f64>>,
    pub tpot_ms: BTreeMap<String, Option<f64>>,
    pub itl_ms: BTreeMap<String, Option<f64>>,
    pub e2e_ms: BTreeMap<String, Option<f64>>,
    pub output_tokens: OutputTokens,
    pub tokens_per_s: f64,
    pub goodput_rps: f64,
    pub errors: StreamErrors,
    pub events: u64,
    pub content_events: u64,
    pub responses: u64,
    pub ttft_share: Option<f64>,
}

/// `stream.output_tokens`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputTokens {
    pub total: u64,
    pub per_request_avg: f64,
    /// `usage`, `events` or `mixed`.
    pub source: Option<String>,
}

/// `stream.errors`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamErrors {
    pub missing_done: u64,
    pub error_event: u64,
    pub not_streaming: u64,
}

/// `result`: the exact data the report was computed from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResult {
    pub start_unix_us: u64,
    pub end_unix_us: u64,
    pub elapsed_ns: u64,
    pub sending_ns: u64,
    /// `latency`, `service_time`, `send_lateness`: base64 HdrHistogram V2 + DEFLATE.
    pub histograms: BTreeMap<String, Option<String>>,
    pub phases_ns: Value,
    pub status_codes: BTreeMap<u16, u64>,
    pub errors: BTreeMap<String, u64>,
    pub body_bytes: u64,
    pub late_sends: u64,
    pub cut_off: u64,
    pub connections: Connections,
    pub redirects: Redirects,
    pub start_skew_ns: Option<i64>,
    /// With `--interval`: the series with each interval's histogram (added in 1.5).
    pub intervals: Option<Value>,
    /// With `--stream-metrics`: histograms and counters of the stream metrics.
    pub stream: Option<Value>,
    /// `vastar ws`: counters, maps and histograms of the sessions (added in 1.7).
    pub ws: Option<Value>,
}

/// One entry of `intervals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    pub start_s: f64,
    pub duration_s: f64,
    pub requests: u64,
    pub responses: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// `redirects`: how redirects fared.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redirects {
    pub followed: u64,
    pub limit_reached: u64,
    pub cross_host: u64,
}

/// `rate`: how an open-loop run kept its schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub target_rps: f64,
    pub achieved_rps: f64,
    pub late_sends: u64,
    /// Percentiles of how late sends left after their scheduled time.
    pub send_lateness_ms: Value,
}

/// `tool`: which program wrote the report.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// `params`: what the run was asked to do.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub url: String,
    pub method: String,
    pub requests: Option<u64>,
    pub concurrency: u64,
    pub duration_s: Option<f64>,
    pub qps: Option<f64>,
    pub timeout_s: Option<f64>,
    pub keepalive: bool,
    pub compression: bool,
    pub rate: Option<f64>,
    pub latency_correction: bool,
    pub redirect_limit: u32,
    pub proxy: Option<String>,
    /// The `--slo` gates as one normalised spec; `None` without gates.
    pub slo: Option<String>,
    /// `{"index": i, "count": N}` under `--segment i/N`.
    pub segment: Option<Value>,
    /// `--start-at`, RFC 3339.
    pub start_at: Option<String>,
    /// `"constant"` or `"poisson"` with `--rate`.
    pub arrival: Option<String>,
    /// Gamma shape of `"poisson"` gaps.
    pub burstiness: Option<f64>,
    /// Seed of the `"poisson"` schedule.
    pub seed: Option<u64>,
    /// `ai-bench --model`.
    pub model: Option<String>,
    /// `ai-bench`: prompts rotated.
    pub prompts: Option<u64>,
    /// `vastar ws`: cadence, ack fields, warm-up, ramp (added in 1.7).
    pub ws: Option<WsParams>,
}

/// `summary`: headline counts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub total_secs: f64,
    /// Start to the last send; `total_secs` also holds the drain.
    pub send_secs: f64,
    pub requests: u64,
    pub successful: u64,
    pub failed: u64,
    pub cut_off: u64,
    pub rps: f64,
    pub bytes_total: u64,
    pub size_per_request: u64,
    pub slowest_ms: Option<f64>,
    pub fastest_ms: Option<f64>,
    pub average_ms: Option<f64>,
}

/// `connections`: connection bookkeeping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connections {
    pub opened: u64,
    pub reconnects: u64,
    pub preconnect_retries: u64,
    /// Added in 1.7.
    pub goaways: u64,
}

impl Report {
    /// Parses `stdout` of a `-o json` run: see [`one_valid_document`]; it must also fit the
    /// test-side types. Panics with the reason otherwise.
    pub fn parse(stdout: &[u8]) -> Report {
        let document = one_valid_document(stdout);
        serde_json::from_value(document).unwrap_or_else(|e| {
            let text = String::from_utf8_lossy(stdout);
            panic!("report does not fit the test-side types: {e}\n{text}")
        })
    }

    /// Count of errors of one kind (0 when the kind did not occur).
    pub fn errors_of(&self, key: &str) -> u64 {
        self.errors.get(key).copied().unwrap_or(0)
    }
}

/// The JSON document of a small `vastar ws` result (`--every 20ms --warmup 1s`, one session,
/// three frames, the given ack fields), as the engine would hand the result over and the
/// library renders it: what JSON and merge tests of ws results start from.
pub fn ws_document(ack_fields: &[&str]) -> Vec<u8> {
    use std::time::Duration;
    use vastar::config::WsCadence;
    use vastar::engine::result::{
        new_latency_histogram, record_latency, ErrorKind, RunResult, WEBSOCKET,
    };
    use vastar::report::model::{Report, ReportOptions};
    use vastar::results::params::{Params, WsParams};
    use vastar::ws::stats::WsStats;
    let fields: Vec<String> = ack_fields.iter().map(|f| f.to_string()).collect();
    let mut r = RunResult::empty(Duration::from_secs(2));
    r.protocol = WEBSOCKET;
    r.status_codes.insert(101, 3);
    r.errors.insert(ErrorKind::WsUpgrade, 1);
    for ms in [1, 2, 3] {
        record_latency(&mut r.latency_ns, ms * 1_000_000);
    }
    let mut lateness = new_latency_histogram();
    record_latency(&mut lateness, 50_000);
    r.send_lateness_ns = Some(lateness);
    let mut ws = WsStats::new(fields.clone());
    (ws.sessions.opened, ws.sessions.closed_by_server) = (1, 1);
    (ws.messages.sent, ws.messages.received, ws.warmup_sent) = (3, 2, 1);
    for (measured, warmup) in ws.measured.acks_ns.iter_mut().zip(&mut ws.warmup.acks_ns) {
        record_latency(measured, 30_000_000);
        record_latency(warmup, 60_000_000);
    }
    record_latency(&mut ws.upgrade_ns, 1_500_000);
    ws.close_codes.insert(1011, 1);
    ws.error(ErrorKind::WsClosed);
    r.ws = Some(ws);
    r.params = Params {
        url: "ws://127.0.0.1:9/asr".into(),
        method: "GET".into(),
        concurrency: 1,
        duration: Some(Duration::from_secs(2)),
        ws: Some(WsParams {
            cadence: WsCadence::Every(Duration::from_millis(20)),
            ack_fields: fields,
            warmup: Duration::from_secs(1),
            ramp: Duration::ZERO,
            frames: 1,
            binary: true,
        }),
        ..Params::default()
    };
    let mut out = Vec::new();
    let report = Report::new(&r, &ReportOptions::default());
    vastar::report::json::render(&report, &mut out).expect("writing to a Vec");
    out
}

/// `stdout` of a `-o json` run: exactly one JSON document (plus whitespace) that validates
/// against the schema. Panics with the reason otherwise.
pub fn one_valid_document(stdout: &[u8]) -> Value {
    let text = String::from_utf8_lossy(stdout);
    let mut documents = serde_json::Deserializer::from_slice(stdout).into_iter::<Value>();
    let document = match documents.next() {
        Some(Ok(value)) => value,
        Some(Err(e)) => panic!("stdout is not JSON ({e}):\n{text}"),
        None => panic!("stdout holds no JSON document"),
    };
    if let Some(extra) = documents.next() {
        panic!("stdout holds more than one JSON document (next: {extra:?}):\n{text}");
    }
    let problems: Vec<String> = schema()
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "report does not match the schema:\n{}\n{text}",
        problems.join("\n")
    );
    document
}

/// The compiled schema, loaded once per test binary; public for reports read as plain JSON
/// (`ws`'s tests), which must validate all the same.
pub fn schema() -> &'static jsonschema::Validator {
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
