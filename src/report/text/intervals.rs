//! The Intervals section of the text report (`--interval`): a short table of the run over
//! time, where a stall reads as a row of zeros and a warm-up as rising rates.
//!
//! It shows at most [`TEXT_ROWS`](crate::report::intervals::TEXT_ROWS) rows: a longer series
//! is grouped into rows of several intervals each, so the whole run still fits a screen; the
//! JSON and CSV outputs keep every interval.

use std::io::{self, Write};
use std::time::Duration;

use super::super::color::Painter;
use super::super::format::latency;
use super::super::intervals::{IntervalRow, IntervalsView};
use super::super::model::Report;
use super::section;

/// Writes the section, or nothing without `--interval`.
pub(super) fn section_of(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let Some(view) = &report.intervals else {
        return Ok(());
    };
    section(out, p, &title(view))?;
    writeln!(
        out,
        "  {:>9} {:>9} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9}",
        "start", "requests", "responses", "errors", "rps", "p50 ms", "p99 ms", "max ms"
    )?;
    let decimals = decimals(view.length);
    for row in &view.text_rows {
        line(row, decimals, out)?;
    }
    Ok(())
}

/// `Intervals (1s, by completion):`, naming the grouping when rows hold several intervals.
fn title(view: &IntervalsView) -> String {
    match view.text_group {
        1 => format!("Intervals ({:?}, by completion):", view.length),
        group => format!(
            "Intervals ({} of {:?}, each row {group} intervals; all of them in -o json or -o csv-intervals):",
            view.rows.len(),
            view.length,
        ),
    }
}

fn line(row: &IntervalRow, decimals: usize, out: &mut impl Write) -> io::Result<()> {
    let ms = |d: Option<Duration>| d.map_or_else(|| "-".to_string(), latency);
    let start = format!("{:.decimals$}s", row.start.as_secs_f64());
    writeln!(
        out,
        "  {start:>9} {:>9} {:>9} {:>7} {:>10.1} {:>9} {:>9} {:>9}",
        row.requests,
        row.responses,
        row.errors,
        row.rps,
        ms(row.p50),
        ms(row.p99),
        ms(row.max),
    )
}

/// Decimals that tell interval starts apart: none for whole seconds, up to milliseconds.
fn decimals(length: Duration) -> usize {
    let ms = length.as_millis();
    match ms {
        _ if ms % 1_000 == 0 => 0,
        _ if ms % 100 == 0 => 1,
        _ if ms % 10 == 0 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::rendered;
    use crate::engine::intervals::{Interval, Intervals};
    use crate::report::fixtures;
    use crate::report::intervals::IntervalsView;
    use std::time::Duration;

    fn with_intervals(count: u64, length: Duration) -> String {
        let mut report = fixtures::report_basic();
        let entries = (0..count)
            .filter(|i| i % 5 != 2)
            .map(|index| {
                let mut e = Interval::empty(index, None);
                e.latency_ns.record(1_500_000 + index).unwrap();
                (e.requests, e.responses) = (1, 1);
                e
            })
            .collect();
        let series = Intervals { length, entries };
        report.intervals = Some(IntervalsView::new(&series, length * count as u32));
        String::from_utf8(rendered(&report, false)).unwrap()
    }

    #[test]
    fn no_section_without_intervals() {
        let plain = String::from_utf8(rendered(&fixtures::report_basic(), false)).unwrap();
        assert!(!plain.contains("Intervals"));
    }

    #[test]
    fn a_short_series_gets_one_row_per_interval_with_quiet_ones_as_dashes() {
        let text = with_intervals(4, Duration::from_secs(1));
        let table = text
            .split("Intervals (1s, by completion):\n")
            .nth(1)
            .unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(lines[0].trim_start().starts_with("start"), "{table}");
        assert!(lines[1].trim_start().starts_with("0s "), "{table}");
        assert!(lines[1].contains("1.507"), "{table}");
        assert!(lines[3].trim_start().starts_with("2s "), "{table}");
        assert_eq!(lines[3].matches('-').count(), 3, "{}", lines[3]);
    }

    #[test]
    fn a_long_series_is_grouped_and_says_where_the_rest_is() {
        let text = with_intervals(100, Duration::from_millis(250));
        assert!(
            text.contains("Intervals (100 of 250ms, each row 4 intervals; all of them in -o json"),
            "{text}"
        );
        let table = text.split("csv-intervals):\n").nth(1).unwrap();
        assert_eq!(table.lines().count(), 26, "{table}");
        assert!(table
            .lines()
            .nth(2)
            .unwrap()
            .trim_start()
            .starts_with("1.00s"));
    }
}
