//! The JSON report's wire types: each field name is a promise, kept for every 1.x reader.
//!
//! `schema/report.schema.json` describes exactly these types. Converting a report into them
//! is the parent module's job; these are plain data with their documentation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::linear_scale;

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonReport {
    /// Layout version, [`SCHEMA_VERSION`]; readers should check the major part.
    pub schema_version: String,
    /// Which program wrote the report.
    pub tool: JsonTool,
    /// What the run was asked to do.
    pub params: JsonParams,
    /// Headline counts and rates.
    pub summary: JsonSummary,
    /// Latency percentiles in milliseconds; every field is null when no response arrived.
    pub latency_ms: JsonLatency,
    /// Bins from fastest to slowest, spaced as `histogram_scale` says; empty when no
    /// response arrived.
    pub histogram: Vec<JsonBin>,
    /// Spacing of the histogram's bin edges: `"log"` (each upper edge a constant factor above
    /// the previous one, the default) or `"linear"` (equal widths, `--hist-scale linear`).
    /// Reports older than 1.2 have linear bins (added in 1.2).
    #[serde(default = "linear_scale")]
    pub histogram_scale: String,
    /// Responses by status code (keys are the decimal code, e.g. `"200"`).
    pub status_codes: BTreeMap<u16, u64>,
    /// Failed requests by cause (`ErrorKind::key`); only kinds that occurred.
    pub errors: BTreeMap<String, u64>,
    /// Automated reading of the distribution; null when no response arrived.
    pub insight: Option<JsonInsight>,
    /// Per-phase timing in milliseconds.
    pub details_ms: JsonDetails,
    /// Connection bookkeeping.
    pub connections: JsonConnections,
    /// Verdict on the `--slo` gates; null when no gate was given (added in 1.1).
    pub slo: Option<JsonSlo>,
    /// Open-loop schedule keeping; null for closed-loop runs (added in 1.1).
    pub rate: Option<JsonRate>,
    /// Whether the run was stopped early by Ctrl-C or SIGTERM; the numbers then cover what
    /// was measured until then (added in 1.2).
    #[serde(default)]
    pub interrupted: bool,
    /// Service time (from the actual send, queueing excluded) when `latency_ms` is measured
    /// from the scheduled send time (`--rate`) or corrected (`--latency-correction`); null
    /// otherwise, since both views are then the same (added in 1.1).
    pub service_time_ms: Option<JsonLatency>,
    /// Redirects followed and not followed (added in 1.2).
    #[serde(default)]
    pub redirects: JsonRedirects,
    /// The HTTP version spoken, in ALPN's spelling: `"http/1.1"` (added in 1.3), or `"h2"`
    /// under `--http2` (added in 1.4); `"websocket"` for `vastar ws` sessions (added in 1.7).
    #[serde(default = "http1")]
    pub protocol: String,
    /// The TLS version spoken (`"TLSv1.3"`, `"TLSv1.2"`); null over plain TCP (added in 1.3).
    #[serde(default)]
    pub tls: Option<String>,
    /// The `--interval` time series, one entry per interval from the start to the end of
    /// the measured window (a stall is an entry of zeros, not a gap); null without
    /// `--interval` (added in 1.5).
    #[serde(default)]
    pub intervals: Option<Vec<JsonInterval>>,
    /// What everything above was computed from, exactly: counters, the wall-clock window
    /// and every distribution as a standard HdrHistogram; what `vastar merge` reads. Null
    /// only in reports older than 1.5 (added in 1.5).
    #[serde(default)]
    pub result: Option<crate::results::wire::JsonResult>,
    /// With `--start-at`: how far from that instant the measured run actually started, in
    /// milliseconds, positive when late (pre-connecting took longer, or the process
    /// started after the instant). For a merge, the largest of the parts'. Null without
    /// `--start-at` (added in 1.5).
    #[serde(default)]
    pub start_skew_ms: Option<f64>,
    /// Stream metrics (`--stream-metrics`): TTFT, TPOT, ITL, E2E, output tokens, tokens/s,
    /// goodput and stream errors; null when they were off (added in 1.6).
    #[serde(default)]
    pub stream: Option<super::JsonStream>,
    /// `vastar ws`: sessions, messages, echo and ack latencies, upgrade time, send
    /// lateness, close codes and errors of the WebSocket sessions; null for HTTP runs
    /// (added in 1.7).
    #[serde(default)]
    pub ws: Option<super::JsonWs>,
}

/// One interval of the `--interval` time series. A request counts in the interval in which
/// it ended, so the intervals' `requests` add up to `summary.requests` (and `responses` to
/// `summary.successful`, `errors` to `summary.failed`) (added in 1.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonInterval {
    /// Where the interval starts, in seconds from the run's start.
    pub start_s: f64,
    /// Its length in seconds: `--interval`, or less for the last one, cut by the end of the
    /// measured window.
    pub duration_s: f64,
    /// Requests that ended in it: responses, failures, and requests cut off by Ctrl-C.
    pub requests: u64,
    /// Complete responses, whatever their status.
    pub responses: u64,
    /// Requests that produced no response.
    pub errors: u64,
    /// Responses per second of `duration_s`.
    pub rps: f64,
    /// Median latency of its responses in milliseconds; null when none arrived.
    pub p50_ms: Option<f64>,
    /// 90th percentile latency in milliseconds; null when no response arrived.
    pub p90_ms: Option<f64>,
    /// 99th percentile latency in milliseconds; null when no response arrived.
    pub p99_ms: Option<f64>,
    /// Slowest response in milliseconds; null when no response arrived.
    pub max_ms: Option<f64>,
}

/// What reports older than 1.3 spoke.
fn http1() -> String {
    crate::engine::result::HTTP1.to_string()
}

/// How redirects fared: followed on the same origin, stopped at `--redirect`, or pointing
/// to another host. A request whose redirect was not followed recorded the 3xx itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRedirects {
    /// Redirects followed, summed over requests (a chain of three hops counts three).
    pub followed: u64,
    /// Requests still redirected when the `--redirect` limit was used up (a loop).
    pub limit_reached: u64,
    /// Redirects to another scheme, host or port; not followed.
    pub cross_host: u64,
}

/// How well an open-loop run kept its arrival schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRate {
    /// The asked rate (`--rate`), requests per second across the run.
    pub target_rps: f64,
    /// Requests sent per second of the sending window, which runs from the start to one
    /// schedule interval (`1 / target_rps`) after the last send: the target when the
    /// schedule was kept, less when sends fell behind, never more.
    pub achieved_rps: f64,
    /// Requests due while every connection was busy (the connection that sent one became
    /// free only after its scheduled time): more than zero means the connections (`-c`)
    /// could not keep up with the schedule. Timer or start-up delays never count.
    pub late_sends: u64,
    /// How late requests left after their scheduled time (actual minus scheduled send), in
    /// milliseconds: the pacer's precision, plus the wait of late sends for a connection.
    /// A send the alarm released early (by at most 50 us) counts as 0.
    /// Every field is null when nothing was sent (added in 1.2).
    #[serde(default)]
    pub send_lateness_ms: JsonLatency,
}

/// The program that wrote the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonTool {
    /// Always `"vastar"`.
    pub name: String,
    /// The crate version, e.g. `"0.4.0"`.
    pub version: String,
}

/// The run's parameters, echoed so a saved report is self-describing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonParams {
    /// Target URL, with any password replaced by `***`.
    pub url: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Requests asked for with `-n`; null for a `-z` run.
    pub requests: Option<u64>,
    /// Connections kept busy.
    pub concurrency: u64,
    /// Run length asked for with `-z`, in seconds; null for a `-n` run.
    pub duration_s: Option<f64>,
    /// Rate limit per connection in requests per second; null when unlimited.
    pub qps: Option<f64>,
    /// Per-request timeout in seconds; null when there is none.
    pub timeout_s: Option<f64>,
    /// Whether connections were reused.
    pub keepalive: bool,
    /// Whether `Accept-Encoding: gzip` was sent.
    pub compression: bool,
    /// Open-loop rate (`--rate`) in requests per second; null for closed-loop runs.
    #[serde(default)]
    pub rate: Option<f64>,
    /// Whether `-q` latency was corrected for coordinated omission.
    #[serde(default)]
    pub latency_correction: bool,
    /// Redirects followed per request at most (`--redirect`; 0 = off) (added in 1.2).
    #[serde(default)]
    pub redirect_limit: u32,
    /// The `-x` proxy URL, password replaced by `***`; null without a proxy (added in 1.2).
    #[serde(default)]
    pub proxy: Option<String>,
    /// The `--slo` gates the run was judged by, as one normalised spec that `--slo` reads
    /// back (`"p99=250ms,errors=0.001"`); null without gates (added in 1.5).
    #[serde(default)]
    pub slo: Option<String>,
    /// `--segment i/N`: the share of a split test this run made (`-n`, `-c` and `rate`
    /// above are this share); null for a whole test, including a merge of all segments
    /// (added in 1.5).
    #[serde(default)]
    pub segment: Option<JsonSegment>,
    /// `--start-at` as RFC 3339 in UTC with milliseconds; null without it (added in 1.5).
    #[serde(default)]
    pub start_at: Option<String>,
    /// How `--rate` spaced its requests: `"constant"` (request i at i/rate) or `"poisson"`
    /// (seeded random gaps, see `burstiness`); null for closed-loop runs (added in 1.6).
    #[serde(default)]
    pub arrival: Option<String>,
    /// `--burstiness`: the gamma shape of the `"poisson"` gaps (1 = Poisson process); null
    /// for other schedules (added in 1.6).
    #[serde(default)]
    pub burstiness: Option<f64>,
    /// `--seed` of the `"poisson"` schedule (the same seed repeats it); null for other
    /// schedules (added in 1.6).
    #[serde(default)]
    pub seed: Option<u64>,
    /// `ai-bench --model`; null for other runs (added in 1.6).
    #[serde(default)]
    pub model: Option<String>,
    /// `ai-bench`: how many prompts rotated across the requests; null for other runs
    /// (added in 1.6).
    #[serde(default)]
    pub prompts: Option<u64>,
    /// `vastar ws`: the sessions' cadence, ack fields, warm-up, ramp and messages; null
    /// for HTTP runs (added in 1.7).
    #[serde(default)]
    pub ws: Option<super::JsonWsParams>,
}

/// Segment `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSegment {
    pub index: u32,
    pub count: u32,
}

/// Headline numbers, as in the text report's Summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSummary {
    /// Wall time of the measured phase, in seconds: from the start to the last response or
    /// failure (for `-z`, at least the duration unless interrupted), so requests drained
    /// after a `-z` deadline are inside it. `rps` is counted over this window.
    pub total_secs: f64,
    /// From the start to the last request sent, in seconds (sending stopped; the rest of
    /// `total_secs` drained the requests in flight). Null only in reports older than 1.2
    /// (added in 1.2).
    #[serde(default)]
    pub send_secs: Option<f64>,
    /// Requests attempted: `successful + failed + cut_off`.
    pub requests: u64,
    /// Responses received, whatever their status.
    pub successful: u64,
    /// Requests that produced no response (see `errors`).
    pub failed: u64,
    /// Requests in flight when the run was interrupted: neither answered nor failed, so
    /// `requests = successful + failed + cut_off` (added in 1.2).
    #[serde(default)]
    pub cut_off: u64,
    /// `successful / total_secs`; 0 when no time elapsed.
    pub rps: f64,
    /// Response body bytes received.
    pub bytes_total: u64,
    /// `bytes_total / successful`, rounded down; 0 when there was no response.
    pub size_per_request: u64,
    /// Slowest response; null when there was none.
    pub slowest_ms: Option<f64>,
    /// Fastest response; null when there was none.
    pub fastest_ms: Option<f64>,
    /// Mean response time; null when there was none.
    pub average_ms: Option<f64>,
}

/// Latency percentiles (rank `ceil(q * n)`, within 0.1% histogram precision).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonLatency {
    /// 10th percentile.
    pub p10: Option<f64>,
    /// 25th percentile.
    pub p25: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 75th percentile.
    pub p75: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 99.9th percentile.
    pub p99_9: Option<f64>,
    /// 99.99th percentile.
    pub p99_99: Option<f64>,
}

/// One histogram bin: responses slower than the previous bin's `le_ms`, up to this one's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonBin {
    /// Upper edge, inclusive, in milliseconds.
    pub le_ms: f64,
    /// Responses in the bin.
    pub count: u64,
    /// Color level 0..=10: how many of the run's p10..p99.9 ladder lie below the bin or, when
    /// latency gates were given, how many multiples of the top gate's limit (0.05 to 1.5).
    pub level: u8,
}

/// The three insight ratios and their verdicts (see `report::insight` for thresholds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonInsight {
    /// p99 / p50.
    pub spread: f64,
    /// p99 / p95.
    pub tail_ratio: f64,
    /// p99.9 / p99.
    pub outlier_ratio: f64,
    /// `good_consistency`, `moderate_variance`, `high_variance` or `severe_variance`.
    pub spread_verdict: String,
    /// `clean_tail`, `moderate_tail` or `heavy_tail`.
    pub tail_verdict: String,
    /// `no_significant_outliers`, `some_outliers` or `severe_outliers`.
    pub outlier_verdict: String,
}

/// Per-phase timing; a phase never observed is null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonDetails {
    /// TCP connect, for requests that had to open a connection.
    pub connect: Option<JsonPhase>,
    /// TLS handshake after the connect; null over plain TCP (added in 1.3).
    #[serde(default)]
    pub tls: Option<JsonPhase>,
    /// Writing the request.
    pub write: Option<JsonPhase>,
    /// End of write to first response byte.
    pub wait: Option<JsonPhase>,
    /// First response byte to end of response.
    pub read: Option<JsonPhase>,
}

/// Average, fastest and slowest of one phase, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonPhase {
    /// Mean.
    pub avg: f64,
    /// Fastest.
    pub min: f64,
    /// Slowest.
    pub max: f64,
}

/// Connection bookkeeping, so reconnect storms are visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonConnections {
    /// Connections opened, pre-connected ones included.
    pub opened: u64,
    /// Connections reopened during the run.
    pub reconnects: u64,
    /// Failed pre-connect attempts that were retried.
    pub preconnect_retries: u64,
    /// HTTP/2 connections the server closed with a GOAWAY, one per connection; 0 over
    /// HTTP/1.1 (added in 1.7).
    #[serde(default)]
    pub goaways: u64,
}

/// The verdict on the `--slo` gates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSlo {
    /// True when every gate passed (the exit code is then not 1).
    pub passed: bool,
    /// One entry per gate, in the order given.
    pub gates: Vec<JsonGate>,
}

/// One gate and its verdict. `limit` and `measured` are in the gate's natural unit:
/// milliseconds for a percentile (`p99`), a fraction of requests for `errors`, responses per
/// second for `rps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonGate {
    /// `p50`, `p99.9` (any percentile from `p1` to `p99.99`), `errors` or `rps`.
    pub name: String,
    /// The bound: a maximum for percentiles and errors, a minimum for rps.
    pub limit: f64,
    /// What the run measured; null when it could not be measured (no response for a
    /// percentile, no request for errors), in which case the gate failed.
    pub measured: Option<f64>,
    /// Whether the run met the gate.
    pub passed: bool,
}
