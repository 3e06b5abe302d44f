//! The redirects line of the text report's Summary: shown only when a redirect was seen,
//! because a target that redirects is measured hop by hop, and that must be visible.

use std::io::{self, Write};

use super::super::model::Report;

/// Writes `  Redirects:    N followed[, M stopped at the limit (L)][, K to another host]`
/// as the last Summary line, or nothing when no response redirected.
pub(super) fn line(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let r = &report.redirects;
    if !r.any() {
        return Ok(());
    }
    write!(out, "  Redirects:    {} followed", r.followed)?;
    if r.limit_reached > 0 {
        let limit = report.params.redirect_limit;
        write!(out, ", {} stopped at the limit ({limit})", r.limit_reached)?;
    }
    if r.cross_host > 0 {
        write!(out, ", {} to another host (not followed)", r.cross_host)?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::rendered;
    use crate::report::fixtures;

    #[test]
    fn redirects_get_a_summary_line_only_when_seen() {
        let plain = String::from_utf8(rendered(&fixtures::report_basic(), false)).unwrap();
        assert!(!plain.contains("Redirects"));
        let mut report = fixtures::report_basic();
        report.redirects = crate::engine::result::RedirectStats {
            followed: 30,
            limit_reached: 2,
            cross_host: 1,
        };
        let text = String::from_utf8(rendered(&report, false)).unwrap();
        let line = text.lines().find(|l| l.contains("Redirects")).unwrap();
        assert_eq!(
            line,
            "  Redirects:    30 followed, 2 stopped at the limit (10), \
         1 to another host (not followed)"
        );
        let summary = text.split("\n\n").next().unwrap();
        assert!(summary.contains(line), "not in Summary:\n{text}");
    }
}
