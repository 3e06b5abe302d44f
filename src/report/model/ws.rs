//! The report's view of a WebSocket run (`vastar ws`): every number the ws layout shows,
//! computed once from the result's [`WsStats`], so renderers only format.
//!
//! A ws run counts messages where an HTTP run counts requests, and has several latency
//! distributions (the echo round trip, one per `--ack-field`) where HTTP has one: the view
//! names each, with its percentiles colored against its own gate when one bounds it.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::{latency, Latency, LevelScale, Quantile};
use crate::config::WsCadence;
use crate::engine::result::{ErrorKind, RunResult};
use crate::slo::Gate;
use crate::ws::stats::{MessageCounts, SessionCounts, WsStats};

/// Send lateness above this share of the cadence means the generator did not keep it.
pub const CADENCE_SLACK: f64 = 0.10;

/// What a latency distribution of a ws run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--echo`: from a message's send to its reply.
    Echo,
    /// `--ack-field NAME`: from a frame's send to the ack naming it in field `NAME`.
    Ack(String),
}

/// One latency distribution, named and counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    pub source: Source,
    /// Samples in it: replies or acks.
    pub count: u64,
    /// `None` when nothing was measured.
    pub latency: Option<Latency>,
}

/// A reading of the run the numbers alone leave to arithmetic; see [`WsView::findings`].
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// With two ack fields or more: the median of the slowest minus that of the fastest,
    /// i.e. how long the server holds a frame before an answer covers it (a batch interval).
    AckSpread {
        slow: String,
        fast: String,
        spread: Duration,
        /// What the spread implies of a batching server, when the `--every` cadence is
        /// known; see [`Batch`].
        batch: Option<Batch>,
    },
    /// `--every`: whether sends left on time, judged by the p99 of their lateness against
    /// [`CADENCE_SLACK`] of the cadence.
    Cadence {
        every: Duration,
        lateness_p99: Duration,
        kept: bool,
    },
    /// Sessions that failed to open or that the server closed: the latencies describe
    /// only the sessions that kept going.
    SessionsLost { lost: u64, tried: u64 },
}

/// A server answering each session once per `interval` with one message covering the
/// `frames` frames sent since: its oldest and newest frames are `frames - 1` cadence
/// intervals apart, which is how the ack spread reads as a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Batch {
    /// Frames per answer: the spread in cadence intervals, plus one.
    pub frames: f64,
    /// The spread plus one cadence interval.
    pub interval: Duration,
}

/// Everything the text report shows about a ws run.
#[derive(Debug, Clone, PartialEq)]
pub struct WsView {
    /// `--echo` or `--every D`, when the result says (`None` for a result that does not).
    pub cadence: Option<WsCadence>,
    pub sessions: SessionCounts,
    pub messages: MessageCounts,
    /// Messages sent during the sessions' warm-up (in `messages.sent` too).
    pub warmup_sent: u64,
    /// Data messages sent and received per second of elapsed time (0 when none elapsed).
    pub sent_per_s: f64,
    pub received_per_s: f64,
    /// The measured distributions: the echo round trip (when the run echoes or any reply
    /// was timed), then one per `--ack-field`, in the order given.
    pub measured: Vec<Distribution>,
    /// Upgrade request to 101, per opened session; `None` when none opened.
    pub upgrade: Option<Latency>,
    /// The warm-up's distributions that measured anything, in the same order.
    pub warmup: Vec<Distribution>,
    /// Failed sends and failures between sends, merged, in [`ErrorKind::ALL`] order.
    pub errors: Vec<(ErrorKind, u64)>,
    /// Their sum: the numerator of the ws error rate.
    pub errors_total: u64,
    /// Sessions the server closed, by close code.
    pub close_codes: BTreeMap<u16, u64>,
    /// Refused upgrades, by status.
    pub upgrade_statuses: BTreeMap<u16, u64>,
    /// What the Insight section says, in this order; empty when nothing applies.
    pub findings: Vec<Finding>,
}

impl WsView {
    /// The view of a ws run; `None` for an HTTP run.
    pub fn of(result: &RunResult, cadence: Option<WsCadence>) -> Option<WsView> {
        let ws = result.ws.as_ref()?;
        let gates = &result.params.slo;
        let per_s = |n: u64| match result.elapsed.as_secs_f64() {
            secs if secs > 0.0 => n as f64 / secs,
            _ => 0.0,
        };
        let echoes = cadence == Some(WsCadence::Echo) || !ws.measured.echo_ns.is_empty();
        let measured = distributions(
            ws,
            &ws.measured.echo_ns,
            &ws.measured.acks_ns,
            echoes,
            gates,
        );
        let mut warmup = distributions(ws, &ws.warmup.echo_ns, &ws.warmup.acks_ns, true, gates);
        warmup.retain(|d| d.count > 0);
        let errors = merged_errors(&result.errors, &ws.errors);
        let mut view = WsView {
            cadence,
            sessions: ws.sessions,
            messages: ws.messages,
            warmup_sent: ws.warmup_sent,
            sent_per_s: per_s(ws.messages.sent),
            received_per_s: per_s(ws.messages.received),
            upgrade: latency(
                &ws.upgrade_ns,
                &scale(&ws.upgrade_ns, gates, Some("upgrade")),
            ),
            errors_total: errors.iter().map(|(_, n)| n).sum(),
            errors,
            close_codes: ws.close_codes.clone(),
            upgrade_statuses: ws.upgrade_statuses.clone(),
            measured,
            warmup,
            findings: Vec::new(),
        };
        view.findings = findings(&view, result.send_lateness_ns.as_ref());
        Some(view)
    }
}

/// The echo distribution (when `echo` is asked) and one per ack field, from `echo_ns` and
/// `acks_ns` (measured or warm-up).
fn distributions(
    ws: &WsStats,
    echo_ns: &Histogram<u64>,
    acks_ns: &[Histogram<u64>],
    echo: bool,
    gates: &[Gate],
) -> Vec<Distribution> {
    let one = |source: Source, hist: &Histogram<u64>, name: Option<&str>| Distribution {
        source,
        count: hist.len(),
        latency: latency(hist, &scale(hist, gates, name)),
    };
    let echo = echo.then(|| one(Source::Echo, echo_ns, None));
    let acks = ws
        .ack_fields
        .iter()
        .zip(acks_ns)
        .map(|(name, hist)| one(Source::Ack(name.clone()), hist, Some(name)));
    echo.into_iter().chain(acks).collect()
}

/// Colors around the limit of the highest-percentile gate on this distribution (`pN` for
/// the echo, `NAME_pN` for a named one), else relative to the distribution itself.
fn scale(hist: &Histogram<u64>, gates: &[Gate], name: Option<&str>) -> LevelScale {
    let limit = gates
        .iter()
        .filter_map(|gate| match (gate, name) {
            (Gate::Latency(g), None) => Some((g.rank, g.limit)),
            (Gate::Named(g), Some(name)) if g.name == name => Some((g.rank, g.limit)),
            _ => None,
        })
        .max_by_key(|&(rank, _)| rank);
    match limit {
        Some((_, limit)) => LevelScale::around_limit(limit),
        None => LevelScale::relative(hist),
    }
}

/// Non-zero counts of both maps, added kind by kind.
fn merged_errors(
    sends: &BTreeMap<ErrorKind, u64>,
    sessions: &BTreeMap<ErrorKind, u64>,
) -> Vec<(ErrorKind, u64)> {
    let count = |map: &BTreeMap<ErrorKind, u64>, k| map.get(&k).copied().unwrap_or(0);
    ErrorKind::ALL
        .iter()
        .map(|&k| (k, count(sends, k) + count(sessions, k)))
        .filter(|&(_, n)| n > 0)
        .collect()
}

/// The Insight rules, each one only where its numbers exist.
fn findings(view: &WsView, lateness_ns: Option<&Histogram<u64>>) -> Vec<Finding> {
    let every = match view.cadence {
        Some(WsCadence::Every(every)) if !every.is_zero() => Some(every),
        _ => None,
    };
    let mut out = Vec::new();
    out.extend(ack_spread(&view.measured, every));
    if let (Some(every), Some(hist)) = (every, lateness_ns.filter(|h| !h.is_empty())) {
        let lateness_p99 = Duration::from_nanos(hist.value_at_quantile(0.99));
        let kept = lateness_p99.as_secs_f64() <= every.as_secs_f64() * CADENCE_SLACK;
        out.push(Finding::Cadence {
            every,
            lateness_p99,
            kept,
        });
    }
    let s = view.sessions;
    let lost = s.failed + s.closed_by_server;
    if lost > 0 {
        let tried = s.opened + s.failed;
        out.push(Finding::SessionsLost { lost, tried });
    }
    out
}

/// The spread between the slowest and the fastest ack medians, when two acks measured.
fn ack_spread(measured: &[Distribution], every: Option<Duration>) -> Option<Finding> {
    let medians: Vec<(&str, Duration)> = measured
        .iter()
        .filter_map(|d| match (&d.source, &d.latency) {
            (Source::Ack(name), Some(l)) => Some((name.as_str(), l.at(Quantile::P50))),
            _ => None,
        })
        .collect();
    let slow = medians.iter().max_by_key(|(_, p50)| *p50)?;
    let fast = medians.iter().min_by_key(|(_, p50)| *p50)?;
    (medians.len() >= 2 && slow.1 > fast.1).then(|| {
        let spread = slow.1 - fast.1;
        Finding::AckSpread {
            slow: slow.0.to_string(),
            fast: fast.0.to_string(),
            spread,
            batch: every.map(|every| Batch {
                frames: spread.as_secs_f64() / every.as_secs_f64() + 1.0,
                interval: spread + every,
            }),
        }
    })
}
