//! The JSON report: the stable, machine-readable contract of a run.
//!
//! Wire types live here, apart from the model, because their field names are forever while the
//! model may change shape. `schema/report.schema.json` describes exactly these types; the tests
//! validate real output against it. All latencies are milliseconds as floats; a value that does
//! not exist (no response, phase never observed, `-z` run has no request count) is `null`,
//! never a fake zero.

mod stream;
mod wire;
mod ws;

use std::io::{self, Write};

use super::format::ms;
use super::insight::Insight;
use super::intervals::IntervalRow;
use super::model::{Bin, HistScale, Latency, PhaseSummary, Quantile, Report};
use super::schedule::Schedule;
use crate::config::Arrival;
use crate::slo::SloOutcome;
pub use stream::{JsonOutputTokens, JsonStream, JsonStreamErrors};
pub use wire::*;
pub use ws::{JsonWs, JsonWsMessages, JsonWsParams, JsonWsSessions, JsonWsWarmup};

/// Version of the JSON layout. Bump the minor for added fields, the major for anything that
/// could break a reader (renames, removals, type changes). 1.1 added `slo`, `rate`,
/// `service_time_ms`, `params.rate` and `params.latency_correction`; 1.2 added `interrupted`,
/// `summary.cut_off`, `summary.send_secs`, `rate.send_lateness_ms`, `histogram_scale`,
/// `redirects`, `params.redirect_limit` and `params.proxy`; 1.3 added `protocol`, `tls` and
/// `details_ms.tls`; 1.4 added the `errors.reset_stream` key and `protocol: "h2"`; 1.5 added
/// `result`, `intervals`, `start_skew_ms`, `params.slo`, `params.segment` and
/// `params.start_at`; 1.6 added `params.arrival`, `params.burstiness`, `params.seed`,
/// `params.model`, `params.prompts`, `stream` and `result.stream`; 1.7 added `ws`,
/// `params.ws`, `result.ws` and the `errors` keys `ws_upgrade`, `ws_bad_accept`,
/// `ws_closed`, `ws_protocol`, `ws_bad_message` and `ws_unknown_ack`, and `protocol`
/// `"websocket"`, and `connections.goaways` (each field says when it was added).
pub const SCHEMA_VERSION: &str = "1.7";

/// Writes `report` as one compact JSON document followed by a newline, so a run's output can
/// be appended to a JSON Lines file as is.
pub fn render(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &JsonReport::from(report))?;
    out.write_all(b"\n")
}

impl From<&Report> for JsonReport {
    fn from(r: &Report) -> JsonReport {
        let lat = r.latency.as_ref();
        let c = &r.connections;
        JsonReport {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: JsonTool {
                name: "vastar".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            params: params(r),
            summary: summary(r),
            latency_ms: latency(lat),
            histogram: r.histogram.iter().map(bin).collect(),
            histogram_scale: r.histogram_scale.key().to_string(),
            status_codes: r.status_codes.clone(),
            errors: r
                .errors
                .iter()
                .map(|(k, n)| (k.key().to_string(), *n))
                .collect(),
            insight: r.insight.as_ref().map(insight),
            details_ms: JsonDetails {
                connect: r.details.connect.map(phase),
                tls: r.details.tls.map(phase),
                write: r.details.write.map(phase),
                wait: r.details.wait.map(phase),
                read: r.details.read.map(phase),
            },
            connections: JsonConnections {
                opened: c.opened,
                reconnects: c.reconnects,
                preconnect_retries: c.preconnect_retries,
                goaways: c.goaways,
            },
            slo: r.slo.as_ref().map(slo),
            interrupted: r.summary.interrupted,
            protocol: r.summary.protocol.to_string(),
            tls: r.summary.tls.map(str::to_string),
            rate: match r.schedule {
                Schedule::OpenLoop {
                    target_rps,
                    achieved_rps,
                    late_sends,
                } => Some(JsonRate {
                    target_rps,
                    achieved_rps,
                    late_sends,
                    send_lateness_ms: latency(r.send_lateness.as_ref()),
                }),
                _ => None,
            },
            service_time_ms: r.service.as_ref().map(|s| latency(Some(s))),
            redirects: JsonRedirects {
                followed: r.redirects.followed,
                limit_reached: r.redirects.limit_reached,
                cross_host: r.redirects.cross_host,
            },
            intervals: r
                .intervals
                .as_ref()
                .map(|view| view.rows.iter().map(interval).collect()),
            result: Some((&r.result).into()),
            start_skew_ms: r.result.start_skew.map(|s| s.ms()),
            stream: r.stream.as_ref().map(stream::stream),
            ws: ws::ws(&r.result, r.params.ws.as_ref()),
        }
    }
}

fn slo(outcome: &SloOutcome) -> JsonSlo {
    JsonSlo {
        passed: outcome.passed,
        gates: outcome
            .gates
            .iter()
            .map(|g| JsonGate {
                name: g.gate.name(),
                limit: g.gate.limit(),
                measured: g.measured,
                passed: g.passed,
            })
            .collect(),
    }
}

fn params(r: &Report) -> JsonParams {
    let p = &r.params;
    JsonParams {
        url: p.url.clone(),
        method: p.method.clone(),
        requests: p.requests,
        concurrency: p.concurrency as u64,
        duration_s: p.duration.map(|d| d.as_secs_f64()),
        qps: p.qps_per_connection,
        timeout_s: p.timeout.map(|d| d.as_secs_f64()),
        keepalive: p.keepalive,
        compression: p.compression,
        rate: p.rate,
        latency_correction: p.latency_correction,
        redirect_limit: p.redirect_limit,
        proxy: p.proxy.clone(),
        slo: (!p.slo.is_empty()).then(|| crate::slo::spec(&p.slo)),
        segment: p.segment.map(|s| JsonSegment {
            index: s.index,
            count: s.count,
        }),
        start_at: p.start_at.map(crate::wallclock::format),
        arrival: p.rate.map(|_| arrival_name(p.arrival).to_string()),
        burstiness: match p.arrival {
            Arrival::Poisson { burstiness, .. } if p.rate.is_some() => Some(burstiness),
            _ => None,
        },
        seed: match p.arrival {
            Arrival::Poisson { seed, .. } if p.rate.is_some() => Some(seed),
            _ => None,
        },
        model: p.model.clone(),
        prompts: p.prompts.map(|n| n as u64),
        ws: p.ws.as_ref().map(Into::into),
    }
}

/// `params.arrival`'s spelling of a schedule (as `--arrival` takes it).
pub fn arrival_name(arrival: Arrival) -> &'static str {
    match arrival {
        Arrival::Constant => "constant",
        Arrival::Poisson { .. } => "poisson",
    }
}

fn summary(r: &Report) -> JsonSummary {
    let s = &r.summary;
    let lat = r.latency.as_ref();
    JsonSummary {
        total_secs: s.elapsed.as_secs_f64(),
        send_secs: Some(s.sending.as_secs_f64()),
        requests: s.requests,
        successful: s.successful,
        failed: s.failed,
        cut_off: s.cut_off,
        rps: s.rps,
        bytes_total: s.bytes_total,
        size_per_request: s.size_per_request,
        slowest_ms: lat.map(|l| ms(l.slowest)),
        fastest_ms: lat.map(|l| ms(l.fastest)),
        average_ms: lat.map(|l| ms(l.mean)),
    }
}

fn latency(lat: Option<&Latency>) -> JsonLatency {
    JsonLatency::at_quantiles(|q| lat.map(|l| ms(l.at(q))))
}

impl JsonLatency {
    /// The wire form of any distribution: `at` gives the value at each reported quantile.
    pub(super) fn at_quantiles(at: impl Fn(Quantile) -> Option<f64>) -> JsonLatency {
        JsonLatency {
            p10: at(Quantile::P10),
            p25: at(Quantile::P25),
            p50: at(Quantile::P50),
            p75: at(Quantile::P75),
            p90: at(Quantile::P90),
            p95: at(Quantile::P95),
            p99: at(Quantile::P99),
            p99_9: at(Quantile::P99_9),
            p99_99: at(Quantile::P99_99),
        }
    }
}

/// The spacing of every histogram written before 1.2.
fn linear_scale() -> String {
    HistScale::Linear.key().to_string()
}

fn bin(b: &Bin) -> JsonBin {
    JsonBin {
        le_ms: ms(b.high),
        count: b.count,
        level: b.level,
    }
}

fn insight(i: &Insight) -> JsonInsight {
    JsonInsight {
        spread: i.spread.ratio,
        tail_ratio: i.tail.ratio,
        outlier_ratio: i.outliers.ratio,
        spread_verdict: i.spread.verdict.key().to_string(),
        tail_verdict: i.tail.verdict.key().to_string(),
        outlier_verdict: i.outliers.verdict.key().to_string(),
    }
}

fn interval(row: &IntervalRow) -> JsonInterval {
    JsonInterval {
        start_s: row.start.as_secs_f64(),
        duration_s: row.duration.as_secs_f64(),
        requests: row.requests,
        responses: row.responses,
        errors: row.errors,
        rps: row.rps,
        p50_ms: row.p50.map(ms),
        p90_ms: row.p90.map(ms),
        p99_ms: row.p99.map(ms),
        max_ms: row.max.map(ms),
    }
}

fn phase(p: PhaseSummary) -> JsonPhase {
    JsonPhase {
        avg: ms(p.average),
        min: ms(p.fastest),
        max: ms(p.slowest),
    }
}
