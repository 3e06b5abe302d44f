//! Results as data: what a run measured, in a form that outlives the process.
//!
//! A [`RunResult`](crate::engine::result::RunResult) serializes into the JSON report's
//! `result` object (exact counters, the wall-clock window, and every distribution as a
//! standard HdrHistogram), reads back, and merges with the results of other processes, so a
//! fleet of generators reports exactly what one process would have printed for the union.

pub mod file;
pub mod hdr;
pub mod intervals;
pub mod merge;
pub mod params;
pub mod stream;
pub mod wire;
pub mod ws;

#[cfg(test)]
mod tests;
