//! The SLO section of the text report, placed right after Summary so the verdict a CI job
//! fails on is on the first screen: one headline, then one aligned line per gate, in the
//! order the gates were given.

use std::io::{self, Write};

use super::super::color::Painter;
use super::super::format::{latency_ms, percent};
use super::super::insight::Health;
use super::super::model::Report;
use crate::slo::{Gate, GateResult, SloOutcome};

/// Writes the section, or nothing when no gate was given.
pub(super) fn section(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let Some(outcome) = &report.slo else {
        return Ok(());
    };
    writeln!(out)?;
    writeln!(out, "{} {}", p.bold("SLO:"), headline(outcome, p))?;
    let conditions: Vec<String> = outcome.gates.iter().map(|g| g.gate.to_string()).collect();
    let width = conditions.iter().map(String::len).max().unwrap_or(0);
    for (result, condition) in outcome.gates.iter().zip(&conditions) {
        let verdict = match result.passed {
            true => p.health(Health::Good, "PASS"),
            false => p.health(Health::Bad, "FAIL"),
        };
        let measured = measured(result, report);
        writeln!(out, "  {verdict}  {condition:<width$}  measured {measured}")?;
    }
    Ok(())
}

/// `all 5 gates passed`, `2 of 5 gates failed`, or `the gate passed` for a single gate.
fn headline(outcome: &SloOutcome, p: Painter) -> String {
    let total = outcome.gates.len();
    let failed = outcome.gates.iter().filter(|g| !g.passed).count();
    let text = match (total, failed) {
        (1, 0) => "the gate passed".to_string(),
        (1, _) => "the gate failed".to_string(),
        (n, 0) => format!("all {n} gates passed"),
        (n, f) => format!("{f} of {n} gates failed"),
    };
    let health = if failed == 0 {
        Health::Good
    } else {
        Health::Bad
    };
    p.health(health, &text)
}

/// The measured value in the gate's unit; for errors, the counts behind the rate too, since a
/// rate alone hides whether one request or a thousand failed.
fn measured(result: &GateResult, report: &Report) -> String {
    let s = &report.summary;
    match (&result.gate, result.measured) {
        (Gate::Latency(_), Some(ms)) => format!("{} ms", latency_ms(ms)),
        (Gate::Latency(_), None) => "n/a (no response)".to_string(),
        (Gate::ErrorRate { .. }, Some(rate)) => match &report.ws {
            Some(ws) => format!(
                "{} ({} errors in {} messages)",
                percent(rate),
                ws.errors_total,
                s.requests
            ),
            None => format!("{} ({} of {} failed)", percent(rate), s.failed, s.requests),
        },
        (Gate::ErrorRate { .. }, None) => "n/a (no request)".to_string(),
        (Gate::MinRps { .. }, Some(rps)) if report.ws.is_some() => format!("{rps:.2} msg/s"),
        (Gate::MinRps { .. }, Some(rps)) => format!("{rps:.2} req/s"),
        (Gate::MinRps { .. }, None) => "n/a".to_string(),
        (Gate::Stream(_), Some(ms)) => format!("{} ms", latency_ms(ms)),
        (Gate::Stream(_), None) => "n/a (no stream data)".to_string(),
        (Gate::MinTokensPerSec { .. }, Some(t)) => format!("{t:.2} tokens/s"),
        (Gate::MinGoodput { .. }, Some(g)) => format!("{g:.2} req/s"),
        (Gate::MinTokensPerSec { .. } | Gate::MinGoodput { .. }, None) => {
            "n/a (no stream metrics)".to_string()
        }
        (Gate::Named(_), Some(ms)) => format!("{} ms", latency_ms(ms)),
        (Gate::Named(_), None) => "n/a (nothing measured)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{golden, rendered, strip_ansi};
    use crate::report::fixtures;
    use crate::report::model::{Report, ReportOptions};

    fn text(report: &Report) -> String {
        String::from_utf8(rendered(report, false)).expect("report is UTF-8")
    }

    #[test]
    fn golden_slo_pass() {
        let report = fixtures::report_slo_pass();
        golden("report_slo_pass.txt", &rendered(&report, false));
        golden("report_slo_pass_color.txt", &rendered(&report, true));
    }

    #[test]
    fn golden_slo_fail() {
        let report = fixtures::report_slo_fail();
        golden("report_slo_fail.txt", &rendered(&report, false));
        golden("report_slo_fail_color.txt", &rendered(&report, true));
    }

    #[test]
    fn color_only_adds_escapes() {
        for report in [fixtures::report_slo_pass(), fixtures::report_slo_fail()] {
            let colored = rendered(&report, true);
            assert_eq!(strip_ansi(&colored), rendered(&report, false));
        }
    }

    #[test]
    fn section_comes_right_after_summary() {
        let text = text(&fixtures::report_slo_fail());
        let slo = text
            .find("\n\nSLO: 3 of 5 gates failed\n")
            .expect("SLO section");
        assert!(text.find("Requests/sec:") < Some(slo));
        assert!(text.find("Response time distribution:") > Some(slo));
    }

    #[test]
    fn no_section_without_gates() {
        assert!(!text(&fixtures::report_basic()).contains("SLO"));
        assert!(!text(&fixtures::report_no_responses()).contains("SLO"));
    }

    #[test]
    fn unmeasurable_gates_say_why() {
        let text = text(&fixtures::report_slo_no_responses());
        assert!(text.contains("SLO: 2 of 3 gates failed\n"), "{text}");
        assert!(
            text.contains("  FAIL  p99 <= 250 ms   measured n/a (no response)\n"),
            "{text}"
        );
        assert!(text.contains("  PASS  errors <= 100%  measured 100.00% (40 of 40 failed)\n"));
        assert!(
            text.contains("  FAIL  rps >= 1        measured 0.00 req/s\n"),
            "{text}"
        );
    }

    #[test]
    fn single_gate_headline() {
        let config = fixtures::config_slo(3000, 50, "rps>=1");
        let report = fixtures::report_of(
            &config,
            &fixtures::result_basic(),
            &ReportOptions::default(),
        );
        assert!(text(&report)
            .contains("SLO: the gate passed\n  PASS  rps >= 1  measured 2400.00 req/s\n"));
    }

    #[test]
    fn histogram_heading_names_the_color_gate_only_for_latency_gates() {
        let heading = |spec: &str| {
            let config = fixtures::config_slo(3000, 50, spec);
            let report =
                fixtures::report_of(&config, &fixtures::result_basic(), &Default::default());
            let text = text(&report);
            let line = text
                .lines()
                .find(|l| l.starts_with("Response time histogram"));
            line.map(str::to_string)
        };
        assert_eq!(
            heading("p50=20ms,p99.9=1s,p99=250ms").as_deref(),
            Some("Response time histogram (log scale, colors: SLO p99.9 <= 1000 ms):")
        );
        assert_eq!(
            heading("errors=1%,rps>=10").as_deref(),
            Some("Response time histogram (log scale):")
        );
    }
}
