//! `-o csv-intervals`: the `--interval` time series alone, as CSV for a spreadsheet or a
//! plotting script.
//!
//! The columns are the JSON `intervals` entries' fields, in the same units; a percentile of
//! an interval without responses is an empty field, as JSON's null.

use std::io::{self, Write};
use std::time::Duration;

use super::format::ms;
use super::model::Report;

/// The header line: the JSON field names, so both outputs read alike.
pub const HEADER: &str =
    "start_s,duration_s,requests,responses,errors,rps,p50_ms,p90_ms,p99_ms,max_ms";

/// Writes the header and one row per interval (the header alone for a run without
/// `--interval`, which the command line does not allow).
pub fn render_intervals(report: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    let rows = report.intervals.as_ref().map_or(&[][..], |v| &v.rows[..]);
    let field = |d: Option<Duration>| d.map_or_else(String::new, |d| ms(d).to_string());
    for r in rows {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            r.start.as_secs_f64(),
            r.duration.as_secs_f64(),
            r.requests,
            r.responses,
            r.errors,
            r.rps,
            field(r.p50),
            field(r.p90),
            field(r.p99),
            field(r.max),
        )?;
    }
    Ok(())
}
