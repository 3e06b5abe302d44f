//! Fault injection: vastar against targets that misbehave on purpose ([`FaultServer`]).
//!
//! A load generator is pointed at systems under stress; it must be the one thing in the room
//! that does not break, and its numbers must stay true when the target misbehaves. Every run
//! here goes through [`run_against`], which checks what must hold whatever the server does:
//! - no panic, no hang: the run exits 0 within its `-n`/`-z` and timeout bounds and prints a
//!   report that validates against the schema;
//! - every request is accounted once: responses plus each error class equal the requests;
//! - peak memory (the child's `ru_maxrss`) stays under [`RSS_LIMIT_KIB`].
//!
//! Each test then asserts the exact error class where the behaviour is deterministic.
//! Topics:
//! - [`framing`]: garbage heads, lying Content-Lengths, broken chunked bodies.
//! - [`transport`]: closing, resetting, dripping, not reading, endless and huge bodies.
//! - [`sync`]: keep-alive connections are dropped, never reused, once out of sync.
//! - [`process`]: file-descriptor exhaustion and Ctrl-C.
//! - [`corpus`]: the fuzz corpus replayed through the fuzz targets' checks.
//!
//! Timing assertions are lower bounds, or generous upper bounds whose point is "no hang".

pub(crate) mod child;
mod corpus;
mod framing;
mod process;
mod sync;
mod transport;

use std::time::Duration;

use crate::support::faulty::FaultServer;
use crate::support::report::Report;
use child::Finished;

/// Peak RSS any run may reach, whatever the server sends (a healthy run needs about 7 MiB;
/// one with an 8 MiB request body holds it twice, as the body and as the encoded request,
/// beside the debug binary's own pages, which reached 32 MiB once WebSocket sessions were
/// built in). Unbounded growth blows far past it.
pub const RSS_LIMIT_KIB: u64 = 40 * 1024;

/// Upper bound on any run here; far above what any test needs, it only catches hangs.
pub const HANG_LIMIT: Duration = Duration::from_secs(30);

/// Runs `vastar -o json FLAGS URL` against `server` and checks the invariants every run must
/// keep (see the module docs). Returns the report and the finished process.
pub fn run_against(server: &FaultServer, flags: &str) -> (Report, Finished) {
    let finished = child::spawn_measured(&format!("-o json {flags}"), &[&server.url()])
        .finish(HANG_LIMIT)
        .expect_code(0);
    // Per-request failures are data in the report, never a panic or a flood on stderr.
    assert!(finished.stderr.is_empty(), "stderr: {}", finished.stderr);
    let report = finished.report();
    assert_accounted(&report);
    if let Some(n) = report.params.requests {
        assert_eq!(
            report.summary.requests, n,
            "an -n run accounts for exactly n requests"
        );
    }
    assert_bounded_memory(&finished);
    (report, finished)
}

/// Every request is a response or exactly one error, and the summary says so.
pub fn assert_accounted(report: &Report) {
    let errors: u64 = report.errors.values().sum();
    let responses: u64 = report.status_codes.values().sum();
    let s = &report.summary;
    assert_eq!(s.requests, s.successful + errors + s.cut_off, "{report:#?}");
    assert!(
        s.cut_off == 0 || report.interrupted,
        "cut off, not interrupted: {report:#?}"
    );
    assert_eq!(s.failed, errors, "{report:#?}");
    assert_eq!(s.successful, responses, "{report:#?}");
}

/// The child's peak RSS stayed under [`RSS_LIMIT_KIB`].
pub fn assert_bounded_memory(finished: &Finished) {
    let rss = finished.max_rss_kib.expect("the peak RSS was measured");
    assert!(
        rss > 0 && rss < RSS_LIMIT_KIB,
        "peak RSS {rss} KiB, limit {RSS_LIMIT_KIB} KiB"
    );
}

/// The report's errors are exactly `expected` (error key, count), nothing else.
pub fn assert_errors(report: &Report, expected: &[(&str, u64)]) {
    let got: Vec<(&str, u64)> = report
        .errors
        .iter()
        .map(|(k, &v)| (k.as_str(), v))
        .collect();
    let mut want = expected.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "{report:#?}");
}
