//! Reports: pure functions from a run's result to text or JSON.
//!
//! [`model::Report::new`] computes every number once from a `RunConfig` and a `RunResult`;
//! [`text::render`] and [`json::render`] only format it, so the two reports always agree.
//! Renderers make no I/O decisions: whether to color, and where to write, is the caller's.

pub mod color;
pub mod csv;
pub mod insight;
pub mod intervals;
pub mod json;
pub mod model;
pub mod schedule;
pub mod stream;
pub mod text;

mod bins;
mod format;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod json_tests;
#[cfg(test)]
mod slo_tests;
