//! `vastar ws`: WebSocket sessions through the real binary, against the scripted raw-TCP
//! WebSocket server ([`WsServer`]) and the built-in target (`vastar serve --ws`).
//!
//! Reports are read as plain JSON (`serde_json::Value`) and validated against the schema;
//! the assertions name the `ws` object's keys (`ws.sessions.opened`, `ws.acks.NAME.p50`, ...)
//! as a user's script would.
//! Topics:
//! - [`latency`]: the echo round trip and each `--ack-field` distribution mapped to the right
//!   frames, measured against a server whose delays the test knows.
//! - [`wire`]: frames split across reads, fragmented messages, pings, close codes, stalls.
//! - [`upgrade`]: what the upgrade request carries; refused upgrades and bad accept keys.
//! - [`gates`]: exact message counts, `--slo` gates and bad input, with their exit codes.
//! - [`builtin`]: `vastar serve --ws` (echo and `--ws-batch`) and `vastar demo --ws`.
//!
//! Timing assertions are lower bounds the server's own delays impose, and upper bounds
//! generous enough for a loaded 2-core machine yet tighter than the mistake they catch
//! (an ack mapped to the wrong frame is off by a whole send interval).

mod builtin;
mod gates;
mod latency;
mod upgrade;
mod wire;

use serde_json::Value;

use crate::support::report::one_valid_document;
use crate::support::{run, Run};

/// `vastar ws FLAGS URL` (flags split on whitespace).
fn ws(flags: &str, url: &str) -> Run {
    run(&format!("ws {flags}"), &[url])
}

/// `vastar ws -o json FLAGS URL`: requires exit 0 and returns the validated report.
fn ws_json(flags: &str, url: &str) -> Value {
    json(&ws(&format!("-o json {flags}"), url).success())
}

/// Stdout of a `-o json` run: exactly one JSON document, valid against the schema.
fn json(run: &Run) -> Value {
    one_valid_document(&run.stdout)
}

/// The count at JSON pointer `path` (`/ws/messages/sent`); panics with the report if absent.
fn count(report: &Value, path: &str) -> u64 {
    report
        .pointer(path)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no count at {path} in {report:#}"))
}

/// The milliseconds at JSON pointer `path` (`/ws/latency_ms/p50`); panics if absent or null.
fn ms(report: &Value, path: &str) -> f64 {
    report
        .pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no milliseconds at {path} in {report:#}"))
}

/// How many failures of kind `kind` the run counted: `ws.errors` holds them all, failed
/// sends (the top-level `errors`) and failures met between sends alike.
fn errors_of(report: &Value, kind: &str) -> u64 {
    report["ws"]["errors"][kind].as_u64().unwrap_or(0)
}

/// Every failure the run counted, by kind (`ws.errors`).
fn all_errors(report: &Value) -> Vec<(String, u64)> {
    let kinds = report["ws"]["errors"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    kinds
        .into_iter()
        .map(|(k, v)| (k, v.as_u64().unwrap_or(0)))
        .collect()
}

/// Asserts that `value` lies in `range`, naming `what` and the report otherwise.
fn assert_within(what: &str, value: f64, range: std::ops::Range<f64>, report: &Value) {
    assert!(
        range.contains(&value),
        "{what} = {value}, expected {range:?}; ws: {:#}",
        report["ws"]
    );
}

/// Asserts the run ended with `code`, printed nothing on stdout and one line on stderr,
/// and returns that line.
fn one_error_line(run: Run, code: i32) -> String {
    let run = run.expect_code(code);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout_text());
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr: {}", run.stderr);
    assert!(lines[0].starts_with("vastar: error: "), "{}", lines[0]);
    lines[0].to_string()
}
