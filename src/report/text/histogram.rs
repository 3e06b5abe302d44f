//! The histogram section of the text report: one bar per bin, its heading naming the scale
//! (log or linear) and, with `--slo` latency gates, the gate that sets the colors.

use std::io::{self, Write};

use super::super::color::Painter;
use super::super::format::latency;
use super::super::model::Report;

/// Width of the longest histogram bar, in characters.
const BAR_WIDTH: u128 = 40;

/// One bar per bin, labelled with its upper edge, scaled so the fullest bin is `BAR_WIDTH`
/// wide; the heading names the spacing of the edges (log or linear scale). A non-empty bin
/// always gets at least one block: a handful of stalls in the tail is exactly what the reader
/// must not miss.
pub(super) fn section(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let scale = format!("{} scale", report.histogram_scale.key());
    let title = match report.colors_from {
        Some(gate) => format!(
            "Response time histogram ({scale}, colors: SLO {}):",
            crate::slo::Gate::Latency(gate)
        ),
        None => format!("Response time histogram ({scale}):"),
    };
    super::section(out, p, &title)?;
    let labels: Vec<String> = report.histogram.iter().map(|b| latency(b.high)).collect();
    let counts: Vec<String> = report
        .histogram
        .iter()
        .map(|b| format!("[{}]", b.count))
        .collect();
    let label_width = labels.iter().map(String::len).max().unwrap_or(0);
    let count_width = counts.iter().map(String::len).max().unwrap_or(0);
    let fullest = report
        .histogram
        .iter()
        .map(|b| b.count)
        .max()
        .map_or(1, |n| u128::from(n).max(1));
    for ((bin, label), count) in report.histogram.iter().zip(&labels).zip(&counts) {
        let blocks = match bin.count {
            0 => 0,
            n => ((u128::from(n) * BAR_WIDTH + fullest / 2) / fullest).max(1),
        };
        let line = format!("  {label:>label_width$} ms {count:<count_width$}");
        match blocks {
            0 => writeln!(out, "{}", line.trim_end())?,
            n => {
                let bar = p.level(bin.level, &"█".repeat(n as usize));
                writeln!(out, "{line}  {bar}")?
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{golden, rendered};
    use crate::report::fixtures;
    use crate::report::model::{HistScale, Report};

    /// The bar counts of the text histogram under `heading`.
    fn text_counts(report: &Report, heading: &str) -> Vec<u64> {
        let text = String::from_utf8(rendered(report, false)).expect("report is UTF-8");
        let hist = text
            .split(&format!("{heading}\n"))
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .unwrap_or_else(|| panic!("no {heading:?} in:\n{text}"));
        hist.lines()
            .filter_map(|l| l.split('[').nth(1)?.split(']').next()?.parse::<u64>().ok())
            .collect()
    }

    #[test]
    fn histogram_counts_add_up_in_text() {
        let report = fixtures::report_basic();
        let counts = text_counts(&report, "Response time histogram (log scale):");
        assert_eq!(counts.iter().sum::<u64>(), report.summary.successful);
        let linear = fixtures::report_outlier(HistScale::Linear);
        let counts = text_counts(&linear, "Response time histogram (linear scale):");
        assert_eq!(counts.iter().sum::<u64>(), linear.summary.successful);
    }

    #[test]
    fn golden_outlier_log_scale() {
        let report = fixtures::report_outlier(HistScale::Log);
        golden("report_outlier_log.txt", &rendered(&report, false));
        // The point of the log scale: the bulk keeps its shape over several bars, where the
        // linear scale has one bar and the outliers far away.
        let counts = text_counts(&report, "Response time histogram (log scale):");
        assert!(
            counts.iter().filter(|&&n| n >= 50).count() >= 3,
            "{counts:?}"
        );
        let linear = text_counts(
            &fixtures::report_outlier(HistScale::Linear),
            "Response time histogram (linear scale):",
        );
        assert!(
            linear[0] * 100 > report.summary.successful * 99,
            "{linear:?}"
        );
    }
}
