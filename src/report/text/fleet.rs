//! The Summary lines of a run that was part of a fleet: its segment and how close to the
//! shared `--start-at` it started. Nothing is printed for an ordinary run.

use std::io::{self, Write};

use super::super::color::Painter;
use super::super::insight::Health;
use super::super::model::Report;

/// A start further than this from `--start-at` is flagged: the parts of the test did not
/// overlap as intended.
const LATE_START_MS: f64 = 100.0;

/// `Segment:` and `Start:` lines, when the run had `--segment` or `--start-at`.
pub fn lines(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    if let Some(segment) = report.params.segment {
        writeln!(
            out,
            "  Segment:      {segment} (this process's share of the test)"
        )?;
    }
    if let Some(skew) = report.result.start_skew {
        let ms = skew.ms();
        let when = match ms >= 0.0 {
            true => format!("{ms:.3} ms after --start-at"),
            false => format!("{:.3} ms before --start-at", -ms),
        };
        let health = match ms.abs() > LATE_START_MS {
            true => Health::Warn,
            false => Health::Good,
        };
        writeln!(out, "  Start:        {}", p.health(health, &when))?;
    }
    Ok(())
}
