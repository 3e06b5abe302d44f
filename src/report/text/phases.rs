//! Where the time and the connections went: hey's Details, and the Connections line that
//! shows up only when connections churned.

use std::io::{self, Write};

use super::{latency, plural, section, Painter};
use crate::report::model::Report;

/// Phase timing like hey's Details, each column right-aligned; skipped entirely when no phase
/// was ever observed.
pub(super) fn details(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let d = &report.details;
    let phases = [
        ("connect:", d.connect),
        ("tls:", d.tls),
        ("write:", d.write),
        ("wait:", d.wait),
        ("read:", d.read),
    ];
    if phases.iter().all(|(_, s)| s.is_none()) {
        return Ok(());
    }
    section(out, p, "Details (average, fastest, slowest):")?;
    let columns = phases.map(|(_, s)| s.map(|s| [s.average, s.fastest, s.slowest].map(latency)));
    let mut widths = [0; 3];
    for cells in columns.iter().flatten() {
        for (w, cell) in widths.iter_mut().zip(cells) {
            *w = (*w).max(cell.len());
        }
    }
    for ((label, summary), cells) in phases.iter().zip(columns) {
        // Plain TCP has no handshake: no row, rather than a row of n/a in every report.
        if *label == "tls:" && summary.is_none() {
            continue;
        }
        let values = match cells {
            Some([a, f, s]) => {
                let [wa, wf, ws] = widths;
                format!("{a:>wa$} ms, {f:>wf$} ms, {s:>ws$} ms")
            }
            None => "n/a".to_string(),
        };
        writeln!(out, "  {label:<13} {values}")?;
    }
    Ok(())
}

/// Only when something went wrong with connections: a reconnect storm must not hide in latency.
pub(super) fn connections(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let c = &report.connections;
    if c.reconnects == 0 && c.preconnect_retries == 0 && c.goaways == 0 {
        return Ok(());
    }
    section(out, p, "Connections:")?;
    write!(
        out,
        "  {} opened, {}, {}",
        c.opened,
        plural(c.reconnects, "reconnect", "reconnects"),
        plural(
            c.preconnect_retries,
            "pre-connect retry",
            "pre-connect retries"
        ),
    )?;
    // Only HTTP/2 servers send GOAWAY; HTTP/1.1 reports keep their line as it was.
    if c.goaways > 0 {
        write!(out, ", {}", plural(c.goaways, "GOAWAY", "GOAWAYs"))?;
    }
    writeln!(out)
}
