//! The schedule section of the text report: shown only for open-loop (`--rate`) and
//! corrected (`--latency-correction`) runs, right after the distribution it qualifies.
//! It says what the distribution above measures, whether the schedule was kept, and gives
//! the service time beside it, so queueing behind a slow server is visible at a glance.

use std::io::{self, Write};

use super::super::color::Painter;
use super::super::format::latency;
use super::super::insight::Health;
use super::super::model::{Latency, Quantile, Report};
use super::super::schedule::Schedule;
use crate::config::Arrival;

/// The percentiles shown for the service time and send lateness: enough to compare with the
/// lines above.
const SHOWN: [(Quantile, &str); 4] = [
    (Quantile::P50, "p50"),
    (Quantile::P90, "p90"),
    (Quantile::P99, "p99"),
    (Quantile::P99_9, "p99.9"),
];

/// Writes the section, or nothing for a plain closed-loop run.
pub(super) fn section(report: &Report, p: Painter, out: &mut impl Write) -> io::Result<()> {
    match report.schedule {
        Schedule::ClosedLoop => return Ok(()),
        Schedule::OpenLoop {
            target_rps,
            achieved_rps,
            late_sends,
        } => {
            super::section(out, p, "Open loop:")?;
            let arrival = match report.params.arrival {
                Arrival::Poisson { burstiness, seed } => {
                    format!(" (poisson arrivals, burstiness {burstiness}, seed {seed})")
                }
                Arrival::Constant => String::new(),
            };
            writeln!(
                out,
                "  Target {target_rps:.2} req/s{arrival}, sent {achieved_rps:.2} req/s"
            )?;
            let late = format!("{late_sends} late sends");
            if late_sends > 0 {
                let late = p.health(Health::Bad, &late);
                writeln!(
                    out,
                    "  {late}: due while every connection was busy (raise -c)"
                )?;
            }
            if let Some(lateness) = &report.send_lateness {
                percentiles("Send lateness (actual send after schedule)", lateness, out)?;
            }
            writeln!(
                out,
                "  Response times above count from each request's scheduled send time."
            )?;
        }
        Schedule::Corrected { interval } => {
            super::section(out, p, "Latency correction:")?;
            writeln!(
                out,
                "  Response times above are corrected for coordinated omission: they"
            )?;
            writeln!(
                out,
                "  include the requests a stalled connection did not send every {} ms.",
                latency(interval)
            )?;
        }
    }
    match &report.service {
        Some(service) => percentiles("Service time (from the actual send)", service, out),
        None => Ok(()),
    }
}

/// One line of `label: p50 … ms, p90 … ms, …`.
pub(super) fn percentiles(label: &str, values: &Latency, out: &mut impl Write) -> io::Result<()> {
    let values: Vec<String> = SHOWN
        .iter()
        .map(|(q, name)| format!("{name} {} ms", latency(values.at(*q))))
        .collect();
    writeln!(out, "  {label}: {}", values.join(", "))
}
