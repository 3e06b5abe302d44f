//! The text report's Streaming section (`--stream-metrics`): TTFT, TPOT, ITL and E2E
//! percentiles, tokens and their source, throughput, stream errors, and one Insight line
//! on how much of a response's time is the wait for its first token.

use std::io::{self, Write};

use super::super::color::Painter;
use super::super::format::{latency, percent};
use super::super::insight::Health;
use super::super::model::{Latency, Quantile, Report};
use super::section;

/// The percentiles shown per metric.
const SHOWN: [Quantile; 5] = [
    Quantile::P50,
    Quantile::P90,
    Quantile::P95,
    Quantile::P99,
    Quantile::P99_9,
];

/// Writes the Streaming section, or nothing when stream metrics were off.
pub(super) fn section_of(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    let Some(s) = &report.stream else {
        return Ok(());
    };
    section(out, p, "Streaming:")?;
    writeln!(
        out,
        "  Responses:    {} streamed, {} events ({} content)",
        s.responses, s.events, s.content_events
    )?;
    writeln!(
        out,
        "  {:<12}{:>10}{:>10}{:>10}{:>10}{:>10}  (ms)",
        "", "p50", "p90", "p95", "p99", "p99.9"
    )?;
    row(out, "TTFT", s.ttft.as_ref())?;
    row(out, "TPOT", s.tpot.as_ref())?;
    row(out, "ITL", s.itl.as_ref())?;
    row(out, "E2E", s.e2e.as_ref())?;
    let source = s.token_source.unwrap_or("none");
    writeln!(
        out,
        "  Tokens:       {} output ({:.1} per response, from {source})",
        s.output_tokens, s.tokens_per_response
    )?;
    writeln!(
        out,
        "  Throughput:   {:.2} tokens/s, goodput {:.2} req/s",
        s.tokens_per_s, s.goodput_rps
    )?;
    let e = &s.errors;
    if e.total() > 0 {
        let text = format!(
            "{} without [DONE], {} with an error event, {} not streaming",
            e.missing_done, e.error_event, e.not_streaming
        );
        writeln!(out, "  Errors:       {}", p.health(Health::Bad, &text))?;
    }
    if let Some(share) = s.ttft_share {
        let reading = if share >= 0.5 {
            "the wait for the first token dominates (prefill, queueing)"
        } else {
            "generation after the first token dominates"
        };
        writeln!(
            out,
            "  Insight:      TTFT is {} of E2E at the median: {reading}",
            percent(share)
        )?;
    }
    writeln!(
        out,
        "  Definitions:  TTFT first content event; ITL every gap between content events \
         (pooled); TPOT (E2E-TTFT)/(tokens-1); E2E write to last byte"
    )
}

/// One metric's percentiles, or `n/a` when it was not measured.
fn row(out: &mut impl Write, name: &str, l: Option<&Latency>) -> io::Result<()> {
    write!(out, "  {:<12}", format!("{name}:"))?;
    match l {
        Some(l) => {
            for q in SHOWN {
                write!(out, "{:>10}", latency(l.at(q)))?;
            }
            writeln!(out)
        }
        None => writeln!(out, "{:>10}", "n/a"),
    }
}
