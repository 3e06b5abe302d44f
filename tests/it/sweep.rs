//! `vastar sweep` through the real binary, against the built-in target's capacity model
//! (`max_inflight` K, `delay` D: throughput saturates near K/D, latency grows past c = K).
//! Levels are a fraction of a second, so bands are generous but still meaningful.
//!
//! - [`curve`]: the sweet spot, refine, repeats, score mode and the disqualification gates.
//! - [`paired`]: paired mode, live and from a cached reference.
//! - [`find_max`]: the capacity search, by c and by rate.
//! - [`process`]: one process, many levels: Ctrl-C, flat threads and memory, many sockets.

mod curve;
mod find_max;
mod paired;
mod process;

use crate::support::sweep::Sweep;
use crate::support::{run, Run};

/// Runs `vastar sweep FLAGS URL` and requires exit `code`.
pub fn sweep(flags: &str, url: &str, code: i32) -> Run {
    run(&format!("sweep {flags}"), &[url]).expect_code(code)
}

/// Runs `vastar sweep -o json FLAGS URL`, requires exit `code`, returns the validated result.
pub fn sweep_json(flags: &str, url: &str, code: i32) -> Sweep {
    let run = sweep(&format!("-o json {flags}"), url, code);
    Sweep::parse(&run.stdout)
}
