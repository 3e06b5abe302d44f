//! The human report printed on stdout, in the sections and spirit of hey and vastar 0.1.
//!
//! Labels hey-compatible scripts grep for (`Total:`, `Requests/sec:`, `Status code
//! distribution:`) keep their hey units; latencies are in milliseconds with adaptive precision
//! (see `format.rs`). Color is decided by the caller and passed in: with `color: false` the
//! output contains no escape byte at all.

mod fleet;
mod histogram;
mod intervals;
mod redirects;
mod schedule;
mod slo;
mod stream;
mod ws;

use std::io::{self, Write};

use super::color::Painter;
use super::format::{latency, plural, ratio};
use super::insight::{Finding, Health};
use super::model::{Latency, Report};
use crate::engine::result::ErrorKind;

/// Presentation choices the caller makes (from `--color`, `NO_COLOR` and whether stdout is a
/// terminal); the renderer itself never looks at the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextStyle {
    /// Emit ANSI-256 colors and bold headers.
    pub color: bool,
}

/// Renders the text report. Sections are separated by one blank line; the output ends with a
/// newline.
pub fn render(report: &Report, style: TextStyle, out: &mut impl Write) -> io::Result<()> {
    let p = Painter { color: style.color };
    if let Some(view) = &report.ws {
        return ws::render(report, view, p, out);
    }
    summary(report, p, out)?;
    redirects::line(report, out)?;
    slo::section(report, p, out)?;
    match &report.latency {
        Some(latency) => {
            distribution("Response time distribution:", latency, p, out)?;
            schedule::section(report, p, out)?;
            if let Some(insight) = &report.insight {
                section(out, p, "Insight:")?;
                finding(out, p, "Latency spread p99/p50:", &insight.spread)?;
                finding(out, p, "Tail ratio p99/p95:", &insight.tail)?;
                finding(out, p, "Outlier ratio p99.9/p99:", &insight.outliers)?;
            }
            histogram::section(report, p, out)?;
            status_codes(report, p, out)?;
        }
        None => no_responses(report, out)?,
    }
    stream::section_of(report, p, out)?;
    errors(report, p, out)?;
    details(report, p, out)?;
    connections(report, p, out)?;
    intervals::section_of(report, p, out)
}

/// Starts every section after Summary: a blank line, then the title in bold.
fn section(out: &mut impl Write, p: Painter, title: &str) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", p.bold(title))
}

fn summary(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(out, "{}", p.bold("Summary:"))?;
    write!(out, "  Total:        {:.4} secs", s.elapsed.as_secs_f64())?;
    if report.params.duration.is_some() && !s.interrupted {
        // A `-z` run counts the responses drained after its deadline, so the time they took
        // is in the total; say so, or the total looks like a mismeasured -z.
        write!(
            out,
            " (sending stopped at {:.4} s, then in-flight requests drained)",
            s.sending.as_secs_f64()
        )?;
    }
    writeln!(out)?;
    let failed = format!("{} failed", s.failed);
    let failed = if s.failed > 0 {
        p.health(Health::Bad, &failed)
    } else {
        failed
    };
    let cut_off = match s.cut_off {
        0 => String::new(),
        n => format!(", {n} cut off"),
    };
    let responses = plural(s.successful, "response", "responses");
    writeln!(
        out,
        "  Requests:     {} attempted, {responses}, {failed}{cut_off}",
        s.requests
    )?;
    if s.interrupted {
        let note = "yes: stopped early; cut-off requests are not failures";
        writeln!(out, "  Interrupted:  {}", p.health(Health::Warn, note))?;
    }
    fleet::lines(report, p, out)?;
    if let Some(l) = &report.latency {
        writeln!(out, "  Slowest:      {} ms", latency(l.slowest))?;
        writeln!(out, "  Fastest:      {} ms", latency(l.fastest))?;
        writeln!(out, "  Average:      {} ms", latency(l.mean))?;
    }
    // Plain HTTP/1.1 is the default and goes unsaid; anything else is named.
    let name = match s.protocol {
        "h2" => "HTTP/2",
        other => other,
    };
    match s.tls {
        Some(tls) => writeln!(out, "  Protocol:     {} over {tls}", name.to_uppercase())?,
        None if s.protocol == "h2" => writeln!(out, "  Protocol:     HTTP/2 (h2c)")?,
        None => {}
    }
    writeln!(out, "  Requests/sec: {:.2}", s.rps)?;
    writeln!(out, "  Total data:   {} bytes", s.bytes_total)?;
    writeln!(out, "  Size/request: {} bytes", s.size_per_request)
}

/// A section of percentile lines; the four SLO percentiles are colored by their own level.
fn distribution(title: &str, l: &Latency, p: Painter, out: &mut impl Write) -> io::Result<()> {
    section(out, p, title)?;
    let values = l.percentiles.map(|pc| latency(pc.value));
    let width = values.iter().map(String::len).max().unwrap_or(0);
    for (pc, value) in l.percentiles.iter().zip(values) {
        let value = format!("{value:>width$}");
        let value = if pc.quantile.highlighted() {
            p.level(pc.level, &value)
        } else {
            value
        };
        let percent = pc.quantile.fraction() * 100.0;
        writeln!(out, "  {percent:>5.2}% in {value} ms")?;
    }
    Ok(())
}

fn finding(out: &mut impl Write, p: Painter, label: &str, f: &Finding) -> io::Result<()> {
    let verdict = p.health(f.verdict.health(), f.verdict.text());
    writeln!(out, "  {label:<25} {:>6}  {verdict}", ratio(f.ratio))
}

fn status_codes(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    section(out, p, "Status code distribution:")?;
    for (code, &count) in &report.status_codes {
        writeln!(out, "  [{code}] {}", plural(count, "response", "responses"))?;
    }
    Ok(())
}

/// Said plainly, instead of a page of empty percentiles.
fn no_responses(report: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out)?;
    match report.summary.requests {
        0 => writeln!(
            out,
            "No requests were sent, so there is no latency to report."
        ),
        n => writeln!(
            out,
            "No response received: {} failed, so there is no latency to report.",
            match n {
                1 => "the only request".to_string(),
                n => format!("all {n} requests"),
            }
        ),
    }
}

fn errors(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    if report.errors.is_empty() {
        return Ok(());
    }
    section(out, p, "Error distribution:")?;
    for (kind, count) in &report.errors {
        // Through a proxy, connects go to the proxy: its failures must not read as the
        // target's.
        match (&report.params.proxy, kind) {
            (Some(proxy), ErrorKind::Connect | ErrorKind::ConnectTimeout) => {
                writeln!(
                    out,
                    "  [{count}] {} (to the proxy {proxy})",
                    kind.describe()
                )?;
            }
            _ => writeln!(out, "  [{count}] {}", kind.describe())?,
        }
    }
    Ok(())
}

/// Phase timing like hey's Details, each column right-aligned; skipped entirely when no phase
/// was ever observed.
fn details(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
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
fn connections(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;
    use std::path::PathBuf;

    pub(super) fn rendered(report: &Report, color: bool) -> Vec<u8> {
        let mut out = Vec::new();
        render(report, TextStyle { color }, &mut out).expect("writing to a Vec cannot fail");
        out
    }

    /// Compares with `tests/golden/<name>` byte for byte; `UPDATE_GOLDEN=1` rewrites it.
    pub(super) fn golden(name: &str, actual: &[u8]) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
            std::fs::write(&path, actual).expect("golden file is writable");
            return;
        }
        let expected = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
        assert!(
            expected == actual,
            "{name} differs; run with UPDATE_GOLDEN=1 to accept. Actual:\n{}",
            String::from_utf8_lossy(actual)
        );
    }

    #[test]
    fn connect_errors_through_a_proxy_name_the_proxy() {
        let mut report = fixtures::report_errors();
        let plain = String::from_utf8(rendered(&report, false)).unwrap();
        assert!(plain.contains("  [5] connect failed\n"), "{plain}");
        report.params.proxy = Some("http://***@127.0.0.1:3128".into());
        let text = String::from_utf8(rendered(&report, false)).unwrap();
        assert!(
            text.contains("  [5] connect failed (to the proxy http://***@127.0.0.1:3128)\n"),
            "{text}"
        );
        assert!(text.contains("  [45] request timed out\n"), "{text}");
    }

    #[test]
    fn goaways_join_the_connections_line_only_when_some_arrived() {
        let mut report = fixtures::report_errors();
        let plain = String::from_utf8(rendered(&report, false)).unwrap();
        assert!(!plain.contains("GOAWAY"), "{plain}");
        report.connections.goaways = 3;
        let text = String::from_utf8(rendered(&report, false)).unwrap();
        assert!(
            text.contains("  55 opened, 5 reconnects, 1 pre-connect retry, 3 GOAWAYs\n"),
            "{text}"
        );
    }

    /// Removes `ESC [ ... m` sequences.
    pub(super) fn strip_ansi(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == 0x1b {
                while i < bytes.len() && bytes[i] != b'm' {
                    i += 1;
                }
            } else {
                out.push(bytes[i]);
            }
            i += 1;
        }
        out
    }

    #[test]
    fn golden_basic() {
        golden(
            "report_basic.txt",
            &rendered(&fixtures::report_basic(), false),
        );
    }

    #[test]
    fn golden_open_loop_and_correction() {
        golden(
            "report_open_loop.txt",
            &rendered(&fixtures::report_open_loop(), false),
        );
        golden(
            "report_corrected.txt",
            &rendered(&fixtures::report_corrected(), false),
        );
    }

    #[test]
    fn golden_errors() {
        golden(
            "report_errors.txt",
            &rendered(&fixtures::report_errors(), false),
        );
    }

    #[test]
    fn golden_no_responses() {
        let report = fixtures::report_no_responses();
        golden("report_no_responses.txt", &rendered(&report, false));
    }

    #[test]
    fn golden_color() {
        golden(
            "report_color.txt",
            &rendered(&fixtures::report_errors(), true),
        );
    }

    #[test]
    fn no_escape_byte_without_color() {
        for report in [
            fixtures::report_basic(),
            fixtures::report_errors(),
            fixtures::report_no_responses(),
            fixtures::report_duration(),
        ] {
            assert!(!rendered(&report, false).contains(&0x1b));
        }
    }

    #[test]
    fn color_only_adds_escapes() {
        for report in [fixtures::report_basic(), fixtures::report_errors()] {
            let colored = rendered(&report, true);
            assert!(colored.contains(&0x1b));
            let plain = String::from_utf8(rendered(&report, false));
            assert_eq!(String::from_utf8(strip_ansi(&colored)), plain);
        }
    }

    #[test]
    fn sections_in_seed_order() {
        let text = String::from_utf8(rendered(&fixtures::report_errors(), false))
            .expect("report is UTF-8");
        let order = [
            "Summary:",
            "Response time distribution:",
            "Insight:",
            "Response time histogram (log scale):",
            "Status code distribution:",
            "Error distribution:",
            "Details (average, fastest, slowest):",
            "Connections:",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|s| text.find(s).unwrap_or_else(|| panic!("missing {s}")))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn empty_run_says_nothing_was_sent() {
        let result = fixtures::empty_result(std::time::Duration::ZERO);
        let config = fixtures::config_n(0, 1);
        let report = fixtures::report_of(&config, &result, &Default::default());
        let text = String::from_utf8(rendered(&report, false)).expect("report is UTF-8");
        assert!(text.contains("No requests were sent"), "{text}");
        assert!(!text.contains("Details"), "{text}");
    }
}
