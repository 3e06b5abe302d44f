//! The text report of a WebSocket run (`vastar ws`), in place of the HTTP layout: what a
//! person needs at a glance is how the sessions fared, how many messages crossed, and one
//! latency distribution per thing measured (the echo round trip, each `--ack-field`), with
//! the verdict of the gates right after the summary as in the HTTP report.

use std::io::{self, Write};
use std::time::Duration;

use super::super::color::Painter;
use super::super::format::{latency, plural};
use super::super::insight::Health;
use super::super::model::ws::{Distribution, Finding, Source, WsView, CADENCE_SLACK};
use super::super::model::Report;
use super::{distribution, section};
use crate::config::WsCadence;

/// Renders the ws layout: Summary, SLO, the latency distributions, timing, the warm-up
/// apart, Insight, then what went wrong (errors, close codes, refused upgrades).
pub(super) fn render(
    report: &Report,
    view: &WsView,
    p: Painter,
    out: &mut impl Write,
) -> io::Result<()> {
    summary(report, view, p, out)?;
    super::slo::section(report, p, out)?;
    for d in &view.measured {
        latency_block(d, p, out)?;
    }
    if view.measured.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "No latency measured: without --echo or --ack-field, nothing answers a message."
        )?;
    }
    timing(report, view, p, out)?;
    warmup(view, p, out)?;
    insight(view, p, out)?;
    errors(view, p, out)?;
    counts(
        out,
        p,
        "Close codes:",
        &view.close_codes,
        ("session", "sessions"),
    )?;
    let refused = ("upgrade", "upgrades");
    counts(out, p, "Refused upgrades:", &view.upgrade_statuses, refused)
}

fn summary(report: &Report, view: &WsView, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(out, "{}", p.bold("Summary:"))?;
    writeln!(out, "  Target:       {}", report.params.url)?;
    let mode = match view.cadence {
        Some(WsCadence::Echo) => ", echo (the next message after each reply)".to_string(),
        Some(WsCadence::Every(every)) => {
            format!(", every {} ms (open loop per session)", short_ms(every))
        }
        None => String::new(),
    };
    writeln!(
        out,
        "  Sessions:     {} (-c){mode}",
        report.params.concurrency
    )?;
    writeln!(out, "  Duration:     {:.4} secs", s.elapsed.as_secs_f64())?;
    let sessions = view.sessions;
    let failed = format!("{} failed", sessions.failed);
    let failed = match sessions.failed {
        0 => failed,
        _ => p.health(Health::Bad, &failed),
    };
    writeln!(
        out,
        "  Opened:       {}, {failed}, {} closed by the server",
        plural(sessions.opened, "session", "sessions"),
        sessions.closed_by_server
    )?;
    traffic(view, out)?;
    if s.interrupted {
        let note = "yes: stopped early; messages in flight are not failures";
        writeln!(out, "  Interrupted:  {}", p.health(Health::Warn, note))?;
    }
    Ok(())
}

/// The Summary's message lines: sent, received, pings answered.
fn traffic(view: &WsView, out: &mut impl Write) -> io::Result<()> {
    let warmup = match view.warmup_sent {
        0 => String::new(),
        n => format!(" ({n} in warm-ups, reported apart)"),
    };
    let m = view.messages;
    let messages = |n| plural(n, "message", "messages");
    writeln!(
        out,
        "  Sent:         {}, {:.2}/s{warmup}",
        messages(m.sent),
        view.sent_per_s
    )?;
    writeln!(
        out,
        "  Received:     {}, {:.2}/s",
        messages(m.received),
        view.received_per_s
    )?;
    writeln!(out, "  Pings:        {} answered", m.pings)
}

/// The name of a distribution and what it spans.
fn describe(source: &Source) -> (String, &'static str) {
    match source {
        Source::Echo => ("Echo round trip".to_string(), "send to reply"),
        Source::Ack(name) => (
            format!("Latency of {name}"),
            "frame sent to the ack naming it",
        ),
    }
}

/// One distribution's percentiles, p10 to p99.99 as the HTTP report shows them.
fn latency_block(d: &Distribution, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let (name, span) = describe(&d.source);
    let unit = match d.source {
        Source::Echo => ("reply", "replies"),
        Source::Ack(_) => ("ack", "acks"),
    };
    match &d.latency {
        Some(l) => {
            let counted = plural(d.count, unit.0, unit.1);
            distribution(&format!("{name} ({span}, {counted}):"), l, p, out)
        }
        None => {
            section(out, p, &format!("{name}:"))?;
            writeln!(out, "  none measured: no {} arrived", unit.0)
        }
    }
}

/// Upgrade time and send lateness, one line each, when measured.
fn timing(report: &Report, view: &WsView, p: Painter, out: &mut impl Write) -> io::Result<()> {
    if view.upgrade.is_none() && report.send_lateness.is_none() {
        return Ok(());
    }
    section(out, p, "Timing:")?;
    if let Some(upgrade) = &view.upgrade {
        super::schedule::percentiles("Upgrade (request to 101)", upgrade, out)?;
    }
    if let Some(lateness) = &report.send_lateness {
        super::schedule::percentiles("Send lateness (after due)", lateness, out)?;
    }
    Ok(())
}

/// The warm-up's distributions, one short line each.
fn warmup(view: &WsView, p: Painter, out: &mut impl Write) -> io::Result<()> {
    if view.warmup_sent == 0 && view.warmup.is_empty() {
        return Ok(());
    }
    let title = format!(
        "Warm-up ({}, not in the statistics above):",
        plural(view.warmup_sent, "message", "messages")
    );
    section(out, p, &title)?;
    for d in &view.warmup {
        if let Some(l) = &d.latency {
            let (name, _) = describe(&d.source);
            super::schedule::percentiles(&name, l, out)?;
        }
    }
    Ok(())
}

fn insight(view: &WsView, p: Painter, out: &mut impl Write) -> io::Result<()> {
    if view.findings.is_empty() {
        return Ok(());
    }
    section(out, p, "Insight:")?;
    for f in &view.findings {
        let (health, fact, meaning) = reading(f);
        writeln!(out, "  {}", p.health(health, &fact))?;
        if let Some(meaning) = meaning {
            writeln!(out, "    {meaning}")?;
        }
    }
    Ok(())
}

/// A finding in words: how alarming it is, the fact, and what it means when that needs a
/// line of its own.
type Reading = (Health, String, Option<String>);

/// One finding as a fact (colored by how alarming it is) and, when it needs one, what it
/// means on a line of its own.
fn reading(f: &Finding) -> Reading {
    match f {
        Finding::AckSpread {
            slow,
            fast,
            spread,
            batch,
        } => {
            let spread = latency(*spread);
            let fact = format!("batched answers: {slow} p50 is {spread} ms above {fast} p50");
            let meaning = match batch {
                Some(b) => format!(
                    "as if each session got one answer every {} ms covering {:.1} frames",
                    latency(b.interval),
                    b.frames
                ),
                None => format!("an answer covers frames sent over about {spread} ms"),
            };
            (Health::Good, fact, Some(meaning))
        }
        Finding::Cadence {
            every,
            lateness_p99,
            kept,
        } => cadence(*every, *lateness_p99, *kept),
        Finding::SessionsLost { lost, tried } => (
            Health::Warn,
            format!("{lost} of {tried} sessions failed to open or were closed by the server"),
            Some("the latencies describe only the sessions that kept going".to_string()),
        ),
    }
}

/// Whether sends kept the `--every` cadence, in words.
fn cadence(every: Duration, lateness_p99: Duration, kept: bool) -> Reading {
    let (late, every) = (latency(lateness_p99), short_ms(every));
    let share = CADENCE_SLACK * 100.0;
    let lateness = format!("send lateness p99 {late} ms");
    match kept {
        true => (
            Health::Good,
            format!("cadence kept: {lateness}, within {share}% of {every} ms"),
            None,
        ),
        false => (
            Health::Bad,
            format!("cadence missed: {lateness}, over {share}% of {every} ms"),
            Some(
                "the generator could not keep the cadence: the server saw less load than asked"
                    .to_string(),
            ),
        ),
    }
}

/// A cadence as the user wrote it: `20`, `2.5` (milliseconds, no trailing zeros).
fn short_ms(d: Duration) -> String {
    let ms = format!("{:.3}", d.as_nanos() as f64 / 1e6);
    ms.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Every error, failed sends and session failures alike, in words.
fn errors(view: &WsView, p: Painter, out: &mut impl Write) -> io::Result<()> {
    if view.errors.is_empty() {
        return Ok(());
    }
    section(out, p, "Error distribution:")?;
    for (kind, count) in &view.errors {
        writeln!(out, "  [{count}] {}", kind.describe())?;
    }
    Ok(())
}

/// A `[code] N things` list, or nothing when it is empty.
fn counts(
    out: &mut impl Write,
    p: Painter,
    title: &str,
    by_code: &std::collections::BTreeMap<u16, u64>,
    (one, many): (&str, &str),
) -> io::Result<()> {
    if by_code.is_empty() {
        return Ok(());
    }
    section(out, p, title)?;
    for (code, &n) in by_code {
        writeln!(out, "  [{code}] {}", plural(n, one, many))?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "ws_tests.rs"]
mod tests;
