//! What a run was asked to do, kept with what it measured.
//!
//! A saved result must be readable without the command line that made it: `vastar merge`
//! renders a report from files alone, and two files are only merged when they describe the
//! same test. So the parameters that shape a report (the target, the schedule, the gates)
//! travel inside the [`RunResult`](crate::engine::result::RunResult).

use std::time::{Duration, SystemTime};

use crate::config::{Arrival, RunConfig, StopAt, WsCadence, WsConfig};
use crate::segment::Segment;
use crate::slo::Gate;

/// The test a result belongs to, as the report echoes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    /// Target URL with any password hidden.
    pub url: String,
    pub method: String,
    /// `-n`, or `None` for a duration run.
    pub requests: Option<u64>,
    pub concurrency: usize,
    /// `-z`, or `None` for a request-count run.
    pub duration: Option<Duration>,
    /// Per-connection rate limit, or `None` when unlimited.
    pub qps_per_connection: Option<f64>,
    /// Per-request timeout, or `None` when waiting forever.
    pub timeout: Option<Duration>,
    pub keepalive: bool,
    pub compression: bool,
    /// `--rate`, or `None` for closed-loop runs.
    pub rate: Option<f64>,
    pub latency_correction: bool,
    /// `--redirect`: redirects followed per request at most (0: none).
    pub redirect_limit: u32,
    /// `-x` proxy URL with any password hidden, or `None` without a proxy.
    pub proxy: Option<String>,
    /// The `--slo` gates the result is judged by; empty when none were given.
    pub slo: Vec<Gate>,
    /// `--segment`: which share of a split test this is; `None` for a whole test (and for
    /// a merge of several segments).
    pub segment: Option<Segment>,
    /// `--start-at`: the wall-clock instant the run was asked to start at.
    pub start_at: Option<SystemTime>,
    /// How `--rate` spaced its requests; `Constant` for closed-loop runs too.
    pub arrival: Arrival,
    /// `ai-bench`: the `--model` asked for; `None` for other runs.
    pub model: Option<String>,
    /// `ai-bench`: how many prompts rotated across requests; `None` for other runs.
    pub prompts: Option<usize>,
    /// `vastar ws`: how the sessions sent and were judged; `None` for HTTP runs.
    pub ws: Option<WsParams>,
}

/// What a `vastar ws` run was asked to do, as the report echoes it: the messages
/// themselves stay out (they may be large or private), only how many a session cycles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsParams {
    /// `--echo` or `--every D`.
    pub cadence: WsCadence,
    /// `--ack-field` names, in the order given.
    pub ack_fields: Vec<String>,
    /// `--warmup`: zero for none.
    pub warmup: Duration,
    /// `--ramp`: zero when sessions start together.
    pub ramp: Duration,
    /// How many messages a session sends in turn (the `--frame-size` slices, or 1).
    pub frames: usize,
    /// `--binary`.
    pub binary: bool,
}

impl WsParams {
    /// The parameters of a configured WebSocket run.
    pub fn of(ws: &WsConfig) -> WsParams {
        WsParams {
            cadence: ws.cadence,
            ack_fields: ws.ack_fields.clone(),
            warmup: ws.warmup,
            ramp: ws.ramp,
            frames: ws.messages.len(),
            binary: ws.binary,
        }
    }
}

impl Params {
    /// The parameters of a configured run.
    pub fn of(config: &RunConfig) -> Params {
        let (requests, duration) = match config.stop {
            StopAt::Requests(n) => (Some(n), None),
            StopAt::Duration(d) => (None, Some(d)),
        };
        Params {
            url: config.target.display.clone(),
            method: config.request.method.clone(),
            requests,
            concurrency: config.concurrency,
            duration,
            qps_per_connection: config.qps_per_connection,
            timeout: config.timeout,
            keepalive: config.keepalive,
            compression: config.compression,
            rate: config.rate,
            latency_correction: config.latency_correction,
            redirect_limit: config.redirect_limit,
            proxy: config.proxy.as_ref().map(|p| p.display.clone()),
            slo: config.slo.clone(),
            segment: config.segment,
            start_at: config.start_at,
            arrival: config.arrival,
            model: None,
            prompts: None,
            ws: config.ws.as_ref().map(WsParams::of),
        }
    }
}
