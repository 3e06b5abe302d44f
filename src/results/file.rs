//! Reading saved results back: a JSON report file (or a JSON Lines file of several) into
//! [`RunResult`]s, refusing anything that is not one vastar can rebuild exactly.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;

use super::params::{Params, WsParams};
use super::wire::{Spoken, WireError};
use crate::config::{Arrival, DEFAULT_SEED};
use crate::engine::result::RunResult;
use crate::report::json::{JsonParams, JsonReport, JsonWsParams, SCHEMA_VERSION};
use crate::report::model::HistScale;
use crate::segment::Segment;

/// The first schema minor whose reports carry the exact `result` object.
const FIRST_MERGEABLE_MINOR: u32 = 5;

/// Why a file could not be read as results; each names the file.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a vastar result (expected the JSON of `vastar -o json`): {reason}")]
    NotAResult { path: String, reason: String },
    #[error(
        "{path} has schema {version}, which this vastar cannot merge (it reads 1.{FIRST_MERGEABLE_MINOR} \
         to {SCHEMA_VERSION}; 1.{FIRST_MERGEABLE_MINOR} is the first with exact histograms)"
    )]
    Schema { path: String, version: String },
    #[error("{path}: {source}")]
    Data { path: String, source: WireError },
    #[error("{path}: invalid --slo gates {spec:?} in params.slo")]
    Gates { path: String, spec: String },
}

/// One result read from a file, with how its histogram was drawn.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The run, exactly as the process that wrote the file had it.
    pub result: RunResult,
    /// The histogram's spacing and bar count, so re-rendering draws the same bars.
    pub hist_scale: HistScale,
    pub hist_bins: Option<usize>,
}

/// Every result in `path`: one JSON document, or several (JSON Lines, as appending
/// `-o json` output to one file makes).
pub fn read(path: &Path) -> Result<Vec<Saved>, ReadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: shown.clone(),
        source,
    })?;
    let not_a_result = |reason: String| ReadError::NotAResult {
        path: shown.clone(),
        reason,
    };
    let documents: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .map_err(|e| not_a_result(format!("not JSON ({e})")))?;
    if documents.is_empty() {
        return Err(not_a_result("the file is empty".into()));
    }
    documents.into_iter().map(|d| saved(d, &shown)).collect()
}

fn saved(document: Value, path: &str) -> Result<Saved, ReadError> {
    check_version(&document, path)?;
    let report: JsonReport =
        serde_json::from_value(document).map_err(|e| ReadError::NotAResult {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
    let data = |source| ReadError::Data {
        path: path.to_string(),
        source,
    };
    let raw = report.result.ok_or_else(|| ReadError::Schema {
        path: path.to_string(),
        version: report.schema_version.clone(),
    })?;
    let spoken = Spoken {
        protocol: &report.protocol,
        tls: report.tls.as_deref(),
        interrupted: report.interrupted,
    };
    let mut result = raw.into_run_result(spoken).map_err(data)?;
    result.params = params(report.params, path)?;
    Ok(Saved {
        result,
        hist_scale: match report.histogram_scale.as_str() {
            "linear" => HistScale::Linear,
            _ => HistScale::Log,
        },
        hist_bins: (!report.histogram.is_empty()).then_some(report.histogram.len()),
    })
}

/// A vastar report of a schema this version reads: `tool.name` is vastar, the major is 1,
/// and the minor is between the first with exact results and ours (a newer minor may carry
/// fields this version would silently drop).
fn check_version(document: &Value, path: &str) -> Result<(), ReadError> {
    let tool = document.pointer("/tool/name").and_then(Value::as_str);
    let version = document.get("schema_version").and_then(Value::as_str);
    let (Some("vastar"), Some(version)) = (tool, version) else {
        let what = match document.get("sweep_points") {
            Some(_) => "a sweep report has no single result to merge",
            None => "no vastar tool name and schema_version",
        };
        return Err(ReadError::NotAResult {
            path: path.to_string(),
            reason: what.to_string(),
        });
    };
    let minor = |v: &str| v.strip_prefix("1.").and_then(|m| m.parse::<u32>().ok());
    match (minor(version), minor(SCHEMA_VERSION)) {
        (Some(m), Some(ours)) if (FIRST_MERGEABLE_MINOR..=ours).contains(&m) => Ok(()),
        _ => Err(ReadError::Schema {
            path: path.to_string(),
            version: version.to_string(),
        }),
    }
}

fn params(p: JsonParams, path: &str) -> Result<Params, ReadError> {
    let slo = match &p.slo {
        Some(spec) => crate::slo::parse(spec).map_err(|_| ReadError::Gates {
            path: path.to_string(),
            spec: spec.clone(),
        })?,
        None => Vec::new(),
    };
    Ok(Params {
        url: p.url,
        method: p.method,
        requests: p.requests,
        concurrency: usize::try_from(p.concurrency).unwrap_or(usize::MAX),
        duration: p.duration_s.and_then(seconds),
        qps_per_connection: p.qps,
        timeout: p.timeout_s.and_then(seconds),
        keepalive: p.keepalive,
        compression: p.compression,
        rate: p.rate,
        latency_correction: p.latency_correction,
        redirect_limit: p.redirect_limit,
        proxy: p.proxy,
        slo,
        segment: p.segment.map(|s| Segment {
            index: s.index,
            count: s.count,
        }),
        start_at: p.start_at.as_deref().and_then(crate::wallclock::parse),
        arrival: match p.arrival.as_deref() {
            Some("poisson") => Arrival::Poisson {
                burstiness: p.burstiness.unwrap_or(1.0),
                seed: p.seed.unwrap_or(DEFAULT_SEED),
            },
            _ => Arrival::Constant,
        },
        model: p.model,
        prompts: p.prompts.and_then(|n| usize::try_from(n).ok()),
        ws: p.ws.map(|ws| ws_params(ws, path)).transpose()?,
    })
}

/// `params.ws` back; a mode this version does not know cannot be judged or merged.
fn ws_params(ws: JsonWsParams, path: &str) -> Result<WsParams, ReadError> {
    ws.into_params().ok_or_else(|| ReadError::NotAResult {
        path: path.to_string(),
        reason: "params.ws has a mode this vastar does not know".into(),
    })
}

/// Seconds as written by the report, back to a duration (`None` for nonsense values).
fn seconds(s: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(s).ok()
}
