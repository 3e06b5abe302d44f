//! What a sweep found, as plain data: the one input of both renderers.

use super::find_max::FindMax;
use super::machine::Machine;
use super::pick::SweetSpot;
use super::point::{Measurement, Point};

/// Everything a sweep (or a capacity search) measured and decided.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepReport {
    pub machine: Machine,
    /// The calibration run; `None` in a capacity search, which has no use for one.
    pub baseline: Option<Measurement>,
    /// Paired mode: the reference's calibration run.
    pub reference_baseline: Option<Measurement>,
    /// Every level measured, ascending by concurrency (coarse and refine merged).
    pub points: Vec<Point>,
    /// `None` when every level was disqualified (or none was measured).
    pub sweet_spot: Option<SweetSpot>,
    /// Facts about how the sweep ran (`repeats=3`, `refine=on`, an early stop...).
    pub notes: Vec<String>,
    /// The capacity search's answer, when `--find-max` was given.
    pub find_max: Option<FindMax>,
    /// Ctrl-C (or SIGTERM) cut the sweep short: the report holds the levels measured
    /// before it; the value is the exit code the signal calls for (130 or 143).
    pub interrupted: Option<i32>,
}

impl SweepReport {
    /// A report with no level in it yet: a sweep interrupted before its calibration, or a
    /// capacity search, which keeps its probes in `find_max` instead.
    pub fn bare(notes: Vec<String>, interrupted: Option<i32>) -> SweepReport {
        SweepReport {
            machine: Machine::detect(),
            baseline: None,
            reference_baseline: None,
            points: Vec::new(),
            sweet_spot: None,
            notes,
            find_max: None,
            interrupted,
        }
    }
}

/// How a sweep ends, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A sweet spot (or a passing level) was found.
    Found,
    /// Every level was disqualified, or even the first probe failed the SLO.
    NoneQualified,
    /// A signal: exit with this code (130 for SIGINT, 143 for SIGTERM).
    Interrupted(i32),
}

impl SweepReport {
    /// The outcome this report stands for.
    pub fn outcome(&self) -> Outcome {
        let found = match &self.find_max {
            Some(search) => search.max_passing.is_some(),
            None => self.sweet_spot.is_some(),
        };
        match (self.interrupted, found) {
            (Some(code), _) => Outcome::Interrupted(code),
            (None, true) => Outcome::Found,
            (None, false) => Outcome::NoneQualified,
        }
    }
}
