//! Terminal charts of a sweep: a value against concurrency on a log-scaled c axis, like the
//! hand-drawn throughput and p99 curves in users' benchmark reports. Pure: points in, lines
//! out.

/// Plot area width in columns.
const WIDTH: usize = 48;
/// Plot area height in rows.
const HEIGHT: usize = 8;
/// Width of the y-axis labels.
const LABEL: usize = 9;

/// One plotted level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dot {
    /// Concurrency (plotted on a log scale; must be positive).
    pub c: f64,
    pub value: f64,
    /// `●` qualified, `×` disqualified, `◆` the sweet spot.
    pub mark: char,
}

/// The chart's lines: a title, `HEIGHT` rows with the y axis from 0 to the largest value
/// (labelled with `label`), the x axis, and the c labels that fit under it.
pub fn render(title: &str, label: fn(f64) -> String, dots: &[Dot]) -> Vec<String> {
    let dots: Vec<&Dot> = dots
        .iter()
        .filter(|d| d.c > 0.0 && d.value.is_finite())
        .collect();
    if dots.is_empty() {
        return Vec::new();
    }
    let top = dots.iter().map(|d| d.value).fold(0.0, f64::max);
    let (lo, hi) = dots.iter().fold((f64::MAX, f64::MIN), |(lo, hi), d| {
        (lo.min(d.c.ln()), hi.max(d.c.ln()))
    });
    let column = |c: f64| match hi > lo {
        true => ((c.ln() - lo) / (hi - lo) * (WIDTH - 1) as f64).round() as usize,
        false => 0,
    };
    let mut grid = vec![vec![' '; WIDTH]; HEIGHT];
    for d in &dots {
        let row = match top > 0.0 {
            true => ((d.value / top) * (HEIGHT - 1) as f64).round() as usize,
            false => 0,
        };
        grid[HEIGHT - 1 - row.min(HEIGHT - 1)][column(d.c)] = d.mark;
    }
    let mut lines = vec![title.to_string()];
    for (i, row) in grid.iter().enumerate() {
        let text = match i {
            0 => label(top),
            _ if i == HEIGHT - 1 => label(0.0),
            _ => String::new(),
        };
        let axis = if text.is_empty() { '│' } else { '┤' };
        let plot: String = row.iter().collect();
        lines.push(format!("{text:>LABEL$} {axis}{}", plot.trim_end()));
    }
    lines.push(format!("{:>LABEL$} └{}", "", "─".repeat(WIDTH)));
    lines.push(format!(
        "{:>LABEL$}  {}   (c, log scale)",
        "",
        x_labels(&dots, column)
    ));
    lines
}

/// The c of each dot under its column, skipping labels that would overlap.
fn x_labels(dots: &[&Dot], column: impl Fn(f64) -> usize) -> String {
    let mut row = String::new();
    let mut sorted: Vec<f64> = dots.iter().map(|d| d.c).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    for c in sorted {
        let col = column(c);
        let label = format!("{c:.0}");
        let used = row.chars().count();
        if col >= used + usize::from(used > 0) {
            row.push_str(&" ".repeat(col - used));
            row.push_str(&label);
        }
    }
    row
}

/// A number in at most five characters, for axis labels: `950`, `12.3k`, `1.2M`.
pub fn compact(x: f64) -> String {
    match x {
        0.0 => "0".to_string(),
        _ if x >= 1e6 => format!("{:.1}M", x / 1e6),
        _ if x >= 1e4 => format!("{:.0}k", x / 1e3),
        _ if x >= 1e3 => format!("{:.1}k", x / 1e3),
        _ if x >= 10.0 => format!("{x:.0}"),
        _ => format!("{x:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(c: f64, value: f64) -> Dot {
        Dot {
            c,
            value,
            mark: '●',
        }
    }

    #[test]
    fn log_scaled_columns_and_value_rows() {
        let lines = render(
            "rps",
            compact,
            &[dot(1.0, 100.0), dot(10.0, 50.0), dot(100.0, 0.0)],
        );
        assert_eq!(lines.len(), 1 + HEIGHT + 2);
        // Top row: the largest value at the left end, labelled with it.
        assert_eq!(lines[1], format!("{:>LABEL$} ┤●", "100"));
        // c=10 sits halfway across (log scale), at half height (row 3.5 rounds to 4 of 7).
        let mid = &lines[1 + (HEIGHT - 1 - 4)];
        assert_eq!(mid.chars().position(|ch| ch == '●'), Some(LABEL + 2 + 24));
        assert!(
            lines[HEIGHT].ends_with('●'),
            "c=100 at value 0: bottom right"
        );
        let labels = lines.last().unwrap();
        assert!(labels.contains("1") && labels.contains("10") && labels.contains("100"));
    }

    #[test]
    fn overlapping_labels_are_skipped_and_empty_input_draws_nothing() {
        let lines = render(
            "p99",
            compact,
            &[dot(100.0, 1.0), dot(101.0, 2.0), dot(1000.0, 3.0)],
        );
        let labels = lines.last().unwrap();
        assert!(
            labels.contains("100 ") && !labels.contains("101"),
            "{labels}"
        );
        assert!(render("x", compact, &[]).is_empty());
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(1234.0), "1.2k");
        assert_eq!(compact(38200.0), "38k");
        assert_eq!(compact(2.5e6), "2.5M");
        assert_eq!(compact(0.31), "0.31");
    }
}
