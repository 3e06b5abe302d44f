//! What `vastar merge` costs: 100 results of 1 M requests each, read, merged and reported.
//!
//! Run with `cargo bench --bench merge`. Writes 100 JSON results (each a real report of a
//! synthetic run: 1 M latencies spread over 50 us .. 2 s, a few statuses and errors, phase
//! stats) into a temporary directory, then times the real binary, `vastar merge -o json`, on
//! all of them (median of `ROUNDS`). The bar is one second; this is a measurement
//! for BENCHMARK.md, not a test.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, UNIX_EPOCH};

use vastar::engine::result::{new_latency_histogram, ErrorKind, RunResult};
use vastar::report::json;
use vastar::report::model::{Report, ReportOptions};
use vastar::results::params::Params;

const FILES: usize = 100;
const REQUESTS_PER_FILE: u64 = 1_000_000;
const ROUNDS: usize = 5;

fn main() {
    let dir = std::env::temp_dir().join(format!("vastar-merge-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let files: Vec<PathBuf> = (0..FILES).map(|i| write_result(&dir, i)).collect();
    let bytes: u64 = files
        .iter()
        .map(|f| f.metadata().map_or(0, |m| m.len()))
        .sum();
    let binary = env!("CARGO_BIN_EXE_vastar");
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            let out = Command::new(binary)
                .args(["merge", "-o", "json"])
                .args(&files)
                .output()
                .expect("run vastar merge");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let took = started.elapsed();
            let merged: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            assert_eq!(
                merged["summary"]["requests"],
                FILES as u64 * REQUESTS_PER_FILE
            );
            took
        })
        .collect();
    times.sort();
    println!(
        "| results merged | requests | input | vastar merge -o json, median of {ROUNDS} | worst |"
    );
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {FILES} | {} M | {:.1} MB | {:.0} ms | {:.0} ms |",
        FILES as u64 * REQUESTS_PER_FILE / 1_000_000,
        bytes as f64 / 1e6,
        times[ROUNDS / 2].as_secs_f64() * 1e3,
        times[ROUNDS - 1].as_secs_f64() * 1e3,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One synthetic part of the test, as `vastar -o json` would have written it.
fn write_result(dir: &std::path::Path, i: usize) -> PathBuf {
    let mut r = RunResult::empty(Duration::from_secs(60));
    r.started_at =
        UNIX_EPOCH + Duration::from_secs(1_796_050_800) + Duration::from_millis(i as u64);
    r.params = Params {
        url: "http://target:8080/".into(),
        method: "GET".into(),
        concurrency: 50,
        duration: Some(Duration::from_secs(60)),
        ..Params::default()
    };
    let mut hist = new_latency_histogram();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ i as u64;
    for _ in 0..REQUESTS_PER_FILE {
        // xorshift: a log-uniform spread from 50 us to about 2 s, so many buckets are used.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let exponent = (x >> 11) as f64 / (1u64 << 53) as f64 * 15.3;
        vastar::engine::result::record_latency(&mut hist, (50_000.0 * exponent.exp2()) as u64);
    }
    r.latency_ns = hist;
    r.status_codes.insert(200, REQUESTS_PER_FILE - 1_000);
    r.status_codes.insert(503, 900);
    r.errors.insert(ErrorKind::Timeout, 100);
    r.body_bytes = REQUESTS_PER_FILE * 512;
    let report = Report::new(&r, &ReportOptions::default());
    let mut out = Vec::new();
    json::render(&report, &mut out).expect("render");
    let path = dir.join(format!("part-{i}.json"));
    std::fs::write(&path, out).expect("write a result");
    path
}
