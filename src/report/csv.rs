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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::intervals::{Interval, Intervals};
    use crate::report::fixtures;
    use crate::report::intervals::IntervalsView;

    #[test]
    fn one_row_per_interval_with_empty_fields_for_missing_percentiles() {
        let mut report = fixtures::report_basic();
        let mut out = Vec::new();
        render_intervals(&report, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{HEADER}\n"));
        let mut busy = Interval::empty(1, None);
        busy.latency_ns.record(1_000_000).unwrap();
        (busy.requests, busy.responses) = (2, 1);
        busy.errors = 1;
        let series = Intervals {
            length: Duration::from_millis(500),
            entries: vec![busy],
        };
        report.intervals = Some(IntervalsView::new(&series, Duration::from_millis(1_250)));
        let mut out = Vec::new();
        render_intervals(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[1], "0,0.5,0,0,0,0,,,,");
        assert_eq!(
            lines[2],
            "0.5,0.5,2,1,1,2,1.003519,1.003519,1.003519,1.003519"
        );
        assert!(lines[3].starts_with("1,0.25,0,0,0,0,"), "{text}");
    }
}
