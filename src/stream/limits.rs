//! Per-request latency limits that decide whether a streamed response counts toward
//! goodput, taken from the `--slo` gates.
//!
//! A gate bounds a percentile of the run, but goodput is counted per request (as vLLM
//! does): a response is good when its own TTFT, TPOT, E2E and every one of its
//! inter-token gaps are within the tightest limit the gates set for that metric (a plain
//! `pN=` latency gate bounds E2E). With no such gate every successful stream is good.

use std::time::Duration;

use crate::slo::{Gate, StreamMetric};

/// The tightest per-request limit of each stream metric; `None` when no gate bounds it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Time to first token.
    pub ttft: Option<Duration>,
    /// Time per output token.
    pub tpot: Option<Duration>,
    /// Every inter-token gap.
    pub itl: Option<Duration>,
    /// End to end.
    pub e2e: Option<Duration>,
}

impl Limits {
    /// The limits that `gates` set.
    pub fn from_gates(gates: &[Gate]) -> Limits {
        let mut limits = Limits::default();
        let tighten = |slot: &mut Option<Duration>, limit: Duration| {
            *slot = Some(slot.map_or(limit, |l| l.min(limit)));
        };
        for gate in gates {
            match gate {
                Gate::Latency(g) => tighten(&mut limits.e2e, g.limit),
                Gate::Stream(g) => match g.metric {
                    StreamMetric::Ttft => tighten(&mut limits.ttft, g.limit),
                    StreamMetric::Tpot => tighten(&mut limits.tpot, g.limit),
                    StreamMetric::Itl => tighten(&mut limits.itl, g.limit),
                    StreamMetric::E2e => tighten(&mut limits.e2e, g.limit),
                },
                _ => {}
            }
        }
        limits
    }

    /// Whether one response's measurements are within every limit; a bounded metric the
    /// response lacks (no TTFT without content, no TPOT under two tokens) passes only for
    /// TPOT, which is undefined for a one-token answer rather than missed.
    pub fn met(
        &self,
        ttft: Option<Duration>,
        tpot: Option<Duration>,
        max_itl: Duration,
        e2e: Duration,
    ) -> bool {
        let within = |limit: Option<Duration>, value: Option<Duration>| match limit {
            None => true,
            Some(limit) => value.is_some_and(|v| v <= limit),
        };
        within(self.ttft, ttft)
            && (tpot.is_none() || within(self.tpot, tpot))
            && within(self.itl, Some(max_itl))
            && within(self.e2e, Some(e2e))
    }
}
