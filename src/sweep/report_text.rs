//! The sweep's text report: a pure function of the config and the report.
//!
//! Layout (ROADMAP Phase 0): header, calibration line, machine line, one row per level (c,
//! rps, p50, p95, p99, p99.9, score, verdict), the refine rows, the sweet-spot block, notes,
//! then two charts (throughput and p99 against c, log-scaled). A capacity search prints its
//! probes in order, the bracket, the binding gate and the boundary instead.

use std::io::{self, Write};

use super::chart::{self, Dot};
use super::config::{PickMode, SearchBy, SweepConfig};
use super::find_max::{Boundary, FindMax, Probe, CLIFF_FACTOR};
use super::model::SweepReport;
use super::point::{Measurement, Phase, Point};

const RULE: &str = "━━━";

/// Writes the text report.
pub fn render(config: &SweepConfig, report: &SweepReport, out: &mut impl Write) -> io::Result<()> {
    let base = &config.base;
    let title = match &config.find_max {
        Some(fm) => format!("vastar sweep --find-max (by {})", fm.by.name()),
        None => "vastar sweep".to_string(),
    };
    writeln!(
        out,
        "{RULE} {title} — {} {} {RULE}",
        base.request.method, base.target.display
    )?;
    if let Some(b) = &report.baseline {
        writeln!(out, "Calibration (c={}): {}", config.baseline_c, brief(b))?;
    }
    if let Some(b) = &report.reference_baseline {
        writeln!(
            out,
            "Reference calibration (c={}): {}",
            config.baseline_c,
            brief(b)
        )?;
    }
    writeln!(out, "Machine: {}", machine(report))?;
    match &report.find_max {
        Some(f) => capacity(config, f, report.interrupted.is_some(), out)?,
        None => sweep(config, report, out)?,
    }
    if !report.notes.is_empty() {
        writeln!(out, "Notes: {}", report.notes.join("; "))?;
    }
    if report.interrupted.is_some() {
        writeln!(
            out,
            "Interrupted: the levels above are those measured before the signal (Ctrl-C or SIGTERM)."
        )?;
    }
    Ok(())
}

fn brief(m: &Measurement) -> String {
    format!("rps={:.0} p50={} p99={}", m.rps, ms(m.p50_ms), ms(m.p99_ms))
}

fn machine(report: &SweepReport) -> String {
    let m = &report.machine;
    let n = |x: Option<u32>| x.map_or("?".to_string(), |n| n.to_string());
    let ram = m
        .ram_mb
        .map_or("? GB".into(), |mb| format!("{:.0} GB", mb as f64 / 1024.0));
    format!(
        "{} phys / {} log cores, {ram} RAM",
        n(m.cpu_cores_physical),
        n(m.cpu_cores_logical)
    )
}

/// Milliseconds with three significant digits: `0.312ms`, `3.10ms`, `31.8ms`, `125ms`.
pub fn ms(x: f64) -> String {
    match x {
        0.0 => "0ms".to_string(),
        _ if x >= 100.0 => format!("{x:.0}ms"),
        _ if x >= 10.0 => format!("{x:.1}ms"),
        _ if x >= 1.0 => format!("{x:.2}ms"),
        _ => format!("{x:.3}ms"),
    }
}

fn sweep(config: &SweepConfig, report: &SweepReport, out: &mut impl Write) -> io::Result<()> {
    let paired = config.paired.is_some();
    let best = report.sweet_spot.as_ref().map(|s| s.concurrency);
    let coarse: Vec<&Point> = report
        .points
        .iter()
        .filter(|p| p.phase == Phase::Coarse)
        .collect();
    let refine: Vec<&Point> = report
        .points
        .iter()
        .filter(|p| p.phase == Phase::Refine)
        .collect();
    let repeats = match config.repeats {
        1 => "1 run each".to_string(),
        n => format!("{n} repeats each, median"),
    };
    writeln!(out, "Sweep ({} levels, {repeats}):", coarse.len())?;
    table(&coarse, paired, best, out)?;
    if !refine.is_empty() {
        let (lo, hi) = (refine[0].concurrency, refine[refine.len() - 1].concurrency);
        writeln!(out, "Refine (bracket c={lo}..{hi}):")?;
        table(&refine, paired, best, out)?;
    }
    match &report.sweet_spot {
        Some(_) => sweet_spot(config, report, out)?,
        None if report.points.is_empty() => writeln!(out, "{RULE} No level measured {RULE}")?,
        None => writeln!(
            out,
            "{RULE} No sweet spot: every level was disqualified {RULE}"
        )?,
    }
    charts(report, out)
}

fn table(
    points: &[&Point],
    paired: bool,
    best: Option<usize>,
    out: &mut impl Write,
) -> io::Result<()> {
    let extra = if paired {
        "  ref rps  ref p99  overhead"
    } else {
        ""
    };
    writeln!(
        out,
        "{:>7} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}{extra}  verdict",
        "c", "rps", "p50", "p95", "p99", "p99.9", "score"
    )?;
    for p in points {
        writeln!(out, "{}", row(p, paired, best))?;
    }
    Ok(())
}

/// One level: its numbers, the reference's in paired mode, and the verdict.
fn row(p: &Point, paired: bool, best: Option<usize>) -> String {
    let numbers = match &p.measured {
        Some(m) => format!(
            "{:>7} {:>10.0} {:>8} {:>8} {:>8} {:>8} {:>8}",
            p.concurrency,
            m.rps,
            ms(m.p50_ms),
            ms(m.p95_ms),
            ms(m.p99_ms),
            ms(m.p999_ms),
            p.score().map_or("—".to_string(), |s| format!("{s:.0}"))
        ),
        None => format!(
            "{:>7} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
            p.concurrency, "—", "—", "—", "—", "—", "—"
        ),
    };
    let reference = match (paired, &p.reference) {
        (false, _) => String::new(),
        (true, Some(r)) => format!(
            " {:>8.0} {:>8} {:>9}",
            r.rps,
            ms(r.p99_ms),
            p.overhead_pct().map_or("—".into(), |o| format!("{o:+.1}%"))
        ),
        (true, None) => format!(" {:>8} {:>8} {:>9}", "—", "—", "—"),
    };
    let verdict = match (&p.disqualified, best == Some(p.concurrency)) {
        (Some(why), _) => format!("DISQ ({why})"),
        (None, true) => "ok ← best".to_string(),
        (None, false) => "ok".to_string(),
    };
    format!("{numbers}{reference}  {verdict}")
}

fn sweet_spot(config: &SweepConfig, report: &SweepReport, out: &mut impl Write) -> io::Result<()> {
    let Some(s) = &report.sweet_spot else {
        return Ok(());
    };
    let m = &s.measured;
    writeln!(out, "{RULE} Sweet spot: c={} {RULE}", s.concurrency)?;
    writeln!(
        out,
        "Throughput:  {:.0} req/s ({:.1}% of peak {:.0} @ c={})",
        m.rps,
        m.rps / s.peak_rps.max(1e-9) * 100.0,
        s.peak_rps,
        s.peak_concurrency
    )?;
    if let Some(b) = &report.baseline {
        writeln!(
            out,
            "Latency p99: {} ({:.1}× baseline c={}, within gates)",
            ms(m.p99_ms),
            m.p99_ms / b.p99_ms.max(1e-6),
            config.baseline_c
        )?;
    }
    let strategy = match s.method {
        PickMode::Knee => format!("knee@{:.0}%", config.knee_ratio * 100.0),
        PickMode::Score => "score (rps/(p99/p50)^2)".to_string(),
    };
    writeln!(out, "Strategy:    {strategy}")?;
    writeln!(out, "Reasoning:   {}", s.reasoning)
}

fn charts(report: &SweepReport, out: &mut impl Write) -> io::Result<()> {
    let best = report.sweet_spot.as_ref().map(|s| s.concurrency);
    let dots = |value: fn(&Measurement) -> f64| -> Vec<Dot> {
        report
            .points
            .iter()
            .filter_map(|p| {
                let m = p.measured.as_ref()?;
                let mark = match (best == Some(p.concurrency), p.disqualified.is_some()) {
                    (true, _) => '◆',
                    (false, true) => '×',
                    (false, false) => '●',
                };
                Some(Dot {
                    c: p.concurrency as f64,
                    value: value(m),
                    mark,
                })
            })
            .collect()
    };
    let throughput = chart::render("Throughput (req/s) vs c:", chart::compact, &dots(|m| m.rps));
    let p99 = chart::render("Latency p99 vs c:", ms, &dots(|m| m.p99_ms));
    for line in throughput.iter().chain(&p99) {
        writeln!(out, "{line}")?;
    }
    if !throughput.is_empty() {
        writeln!(out, "(● qualified  × disqualified  ◆ sweet spot)")?;
    }
    Ok(())
}

fn capacity(
    config: &SweepConfig,
    f: &FindMax,
    interrupted: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let unit = f.by.name();
    if let Some(fm) = &config.find_max {
        let gates: Vec<String> = fm.slo.iter().map(|g| g.to_string()).collect();
        writeln!(out, "SLO: {}", gates.join(", "))?;
    }
    writeln!(out, "Probes (in order):")?;
    writeln!(
        out,
        "{:>8} {:>10} {:>8} {:>8} {:>8}  {:<7} gates",
        unit, "rps", "p50", "p99", "errors", "verdict"
    )?;
    for p in &f.probes {
        writeln!(out, "{}", probe_row(p))?;
    }
    let level = |l: Option<u64>, none: &str| l.map_or(none.to_string(), |l| format!("{unit}={l}"));
    writeln!(
        out,
        "{RULE} Capacity: max passing {}, first failing {} {RULE}",
        level(f.max_passing, "none (even the first probe failed)"),
        level(
            f.first_failing,
            match interrupted {
                true => "not reached (interrupted)",
                false => "none (the largest probe passed)",
            }
        )
    )?;
    if let (Some(pass), Some(fail), true) = (f.max_passing, f.first_failing, sessions(config, f)) {
        writeln!(out, "{pass} sessions pass, {fail} fail")?;
    }
    if let Some(gate) = &f.binding_gate {
        writeln!(out, "Binding gate: {}", binding(f, gate))?;
    }
    if let Some(b) = f.boundary {
        let kind = match b {
            Boundary::Smooth => "smooth",
            Boundary::Cliff => "cliff",
        };
        writeln!(
            out,
            "Boundary: {kind} (a cliff is p99 or errors growing more than {CLIFF_FACTOR}× across the bracket)"
        )?;
    }
    Ok(())
}

/// Whether the levels searched are WebSocket sessions (`ws://`, by c).
fn sessions(config: &SweepConfig, f: &FindMax) -> bool {
    config.base.ws.is_some() && f.by == SearchBy::Concurrency
}

/// `p99 (41.5 ms measured at c=9, limit p99 <= 40 ms)`: the binding gate at the first
/// failing level.
fn binding(f: &FindMax, gate: &str) -> String {
    let at = f
        .first_failing
        .and_then(|l| f.probes.iter().rev().find(|p| p.level == l));
    let value = at.and_then(|p| p.gates.iter().find(|g| g.gate.name() == gate));
    match (at, value) {
        (Some(p), Some(g)) => format!(
            "{gate} ({} measured at {}={}, limit {})",
            g.measured
                .map_or("nothing".to_string(), |m| format!("{m:.3}")),
            f.by.name(),
            p.level,
            g.gate
        ),
        _ => gate.to_string(),
    }
}

fn probe_row(p: &Probe) -> String {
    let gates: Vec<String> = p
        .gates
        .iter()
        .map(|g| {
            let measured = g.measured.map_or("—".to_string(), |m| format!("{m:.3}"));
            format!(
                "{}={measured}{}",
                g.gate.name(),
                if g.passed { "" } else { "!" }
            )
        })
        .collect();
    let verdict = match (p.passed, p.disagreed()) {
        (true, false) => "pass".to_string(),
        (false, false) => "FAIL".to_string(),
        (true, true) => format!("pass {}/{}", p.passes, p.runs),
        (false, true) => format!("FAIL {}/{}", p.passes, p.runs),
    };
    match &p.measured {
        Some(m) => format!(
            "{:>8} {:>10.0} {:>8} {:>8} {:>7.2}%  {verdict:<7} {}",
            p.level,
            m.rps,
            ms(m.p50_ms),
            ms(m.p99_ms),
            m.error_rate * 100.0,
            gates.join(" ")
        ),
        None => format!(
            "{:>8} {:>10} {:>8} {:>8} {:>8}  {verdict:<7} {}",
            p.level,
            "—",
            "—",
            "—",
            "—",
            gates.join(" ")
        ),
    }
}
