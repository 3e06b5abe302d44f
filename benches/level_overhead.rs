//! What one sweep level costs besides its measured time: connecting c sockets, starting the
//! workers, joining them and closing the sockets, against the built-in target on loopback.
//!
//! Run with `cargo bench --bench level_overhead`. Each level sends one request per
//! connection, so the measured phase is tiny and the wall time of `engine::run_at` minus the
//! measured `elapsed` is the set-up and teardown a sweep pays per level. The name is resolved
//! once, the open-file limit raised once and connections closed with a reset, as
//! `vastar sweep` does. Prints a table (median
//! and worst of `ROUNDS` levels per c) for BENCHMARK.md; this is a measurement, not a test.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use vastar::config::{RunConfig, StopAt};
use vastar::connector;
use vastar::engine::{self, fdlimit, Progress};
use vastar::serve::{Background, ServeConfig};
use vastar::url::Target;

/// Levels measured per concurrency.
const ROUNDS: usize = 15;
/// The concurrencies of the table.
const LEVELS: [usize; 4] = [10, 100, 1000, 4000];

fn main() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let server = Background::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        ServeConfig::default(),
        threads,
    )
    .expect("start the built-in target");
    let target = Target::parse(&format!("http://{}/", server.addr())).expect("valid URL");
    let largest = LEVELS[LEVELS.len() - 1];
    let probe = RunConfig::get(target.clone(), StopAt::Requests(1), 1);
    let addrs = engine::resolve(&probe).expect("loopback resolves");
    let workers = RunConfig::workers_for(largest, engine::available_cpus());
    fdlimit::ensure(largest, workers).expect("open-file limit for the largest level");
    println!("| c | set-up + teardown, median | worst of {ROUNDS} | measured phase, median |");
    println!("|---:|---:|---:|---:|");
    for c in LEVELS {
        let mut config = RunConfig::get(target.clone(), StopAt::Requests(c as u64), c);
        // As in a sweep: connections close with a reset and leave no TIME_WAIT behind.
        config.reset_on_close = true;
        let mut overhead = Vec::new();
        let mut measured = Vec::new();
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let result = connector::run_at(&config, &addrs, &Progress::default()).expect("a run");
            let wall = started.elapsed();
            assert_eq!(result.responses(), c as u64, "every request answered");
            overhead.push(wall.saturating_sub(result.elapsed));
            measured.push(result.elapsed);
        }
        overhead.sort();
        measured.sort();
        println!(
            "| {c} | {} | {} | {} |",
            ms(overhead[ROUNDS / 2]),
            ms(overhead[ROUNDS - 1]),
            ms(measured[ROUNDS / 2])
        );
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}
