//! The load engine: `run_with(connector, config) -> RunResult`.
//!
//! The engine is a library function with no global state, so `demo`, `sweep` and tests call
//! it many times in one process. It imports no protocol: the caller picks a
//! [`Connector`](crate::transport::Connector) by scheme and protocol (`crate::connector`). Shape: resolve once, spread `c` connection slots over
//! `clamp(c/128, 1, cpus*2)` worker threads, pre-connect everything, then measure. Each
//! worker drives its slots in one `FuturesUnordered` loop and records into its own
//! histogram; the histograms are merged once at the end.

mod alarm;
pub mod arrivals;
pub mod cancel;
pub mod fdlimit;
pub mod intervals;
pub mod pacing;
pub mod progress;
mod random;
mod recorder;
pub mod result;
#[cfg(test)]
mod seam_tests;
mod slot;
mod start_line;
pub mod timer;
#[cfg(target_os = "linux")]
mod timerfd;
mod worker;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;
use tokio::sync::Semaphore;

use crate::config::{RunConfig, StopAt};
use crate::transport::{tcp, Connector};
pub use cancel::Cancel;
pub use progress::Progress;
use result::{RunResult, SignedDuration};
use worker::{Setup, WorkerOutput, PRECONNECT_PARALLELISM};

/// Why a run could not produce any measurement.
#[derive(Debug, Error)]
pub enum EngineError {
    /// The host name did not resolve.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        host: String,
        source: std::io::Error,
    },
    /// Not a single connection could be opened.
    #[error("{0}")]
    Unreachable(String),
    /// The protocol could not be set up (a TLS configuration), so nothing was tried.
    #[error("{0}")]
    Setup(String),
    /// The process may not open enough sockets for the run.
    #[error("{0}")]
    TooFewDescriptors(#[from] fdlimit::TooFewDescriptors),
}

/// Resolves the address a run connects to once, so that every run (and every level of a
/// sweep) connects to the same addresses without a DNS query of its own. Through a proxy,
/// only the proxy's name is resolved: the proxy resolves the target.
pub fn resolve(config: &RunConfig) -> Result<Vec<SocketAddr>, EngineError> {
    let (peer, role) = match &config.proxy {
        Some(proxy) => (proxy, "proxy "),
        None => (&config.target, ""),
    };
    tcp::resolve(&peer.host, peer.port).map_err(|source| EngineError::Resolve {
        host: format!("{role}{}", peer.host),
        source,
    })
}

/// Runs a load test over any transport. `make` builds each worker's connector on that
/// worker's thread, so a connector may keep per-worker state (an HTTP/2 connection that its
/// streams share) without locks or `Send`; what every worker shares (a TLS session cache)
/// sits behind an `Arc` in the factory. The caller has made sure the open-file limit fits
/// (see [`fdlimit::ensure`]).
pub fn run_with<F, C>(
    make: &F,
    config: &RunConfig,
    progress: &Progress,
) -> Result<RunResult, EngineError>
where
    F: Fn() -> C + Sync,
    C: Connector,
{
    let workers = config.workers(available_cpus());
    let setup = Setup {
        config,
        progress,
        arrivals: arrivals::Arrivals::of(config),
        permits: Semaphore::new(PRECONNECT_PARALLELISM),
        start_line: start_line::StartLine::new(),
        opened: AtomicU64::new(0),
        abort: AtomicBool::new(false),
        start: OnceLock::new(),
        last_connect_error: Mutex::new(None),
    };
    let (log_writer, mut logs) = match &config.request_log {
        Some(log) => {
            let (writer, ends) = log.start(workers);
            (Some(writer), ends.into_iter().map(Some).collect())
        }
        None => (None, Vec::new()),
    };
    let (outputs, started, started_at) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|i| {
                // `--streams` slots per connection: `-c × M` requests in flight.
                let slots = worker::Slots {
                    first: (0..i).map(|j| share(config.concurrency, workers, j)).sum(),
                    count: share(config.concurrency, workers, i) * config.streams.max(1),
                };
                let setup = &setup;
                let log = logs.get_mut(i).and_then(Option::take);
                scope.spawn(move || worker::run(make, slots, setup, log))
            })
            .collect();
        setup.start_line.wait_for(workers);
        // A run the user cancelled during set-up is reported (empty), not an error.
        if setup.opened.load(Relaxed) == 0 && !progress.is_cancelled() {
            setup.abort.store(true, Relaxed);
        } else if let Some(at) = config.start_at {
            wait_until(at, progress);
        }
        let started = *setup.start.get_or_init(Instant::now);
        let started_at = SystemTime::now();
        setup.start_line.release();
        let outputs: Vec<_> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
        (outputs, started, started_at)
    });
    // Every worker's end of the log is dropped with its thread: the rows are all queued.
    if let Some(writer) = log_writer {
        writer.finish();
    }
    if setup.abort.load(Relaxed) {
        let message = setup
            .last_connect_error
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        return Err(EngineError::Unreachable(
            message.unwrap_or_else(|| "no connection could be opened".into()),
        ));
    }
    let (elapsed, sending) = windows(config, started, &outputs, progress.is_cancelled());
    let mut result = RunResult::empty(elapsed);
    result.params = result::Params::of(config);
    result.started_at = started_at;
    result.start_skew = config.start_at.map(|at| skew(started_at, at));
    result.sending = sending;
    result.interrupted = progress.is_cancelled();
    result.intervals = config.interval.map(intervals::Intervals::new);
    for output in outputs {
        output.recorder.merge_into(&mut result);
    }
    Ok(result)
}

/// Sleeps until the wall-clock instant `at` (`--start-at`), waking early for a cancel. The
/// last stretch is one short sleep, which the kernel ends within tens of microseconds.
fn wait_until(at: SystemTime, progress: &Progress) {
    const CHECK_CANCEL_EVERY: Duration = Duration::from_millis(50);
    while !progress.is_cancelled() {
        let Ok(left) = at.duration_since(SystemTime::now()) else {
            return;
        };
        std::thread::sleep(left.min(CHECK_CANCEL_EVERY));
    }
}

/// How far the actual start was from the one asked for: positive when late.
fn skew(started: SystemTime, asked: SystemTime) -> SignedDuration {
    match started.duration_since(asked) {
        Ok(late) => SignedDuration::late(late),
        Err(early) => SignedDuration::early(early.duration()),
    }
}

/// CPUs this process may use, the input of [`RunConfig::workers`].
pub fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The measured window (start to the last response or failure, drain included, so every
/// counted response is inside it) and the sending window (start to the last send).
fn windows(
    config: &RunConfig,
    started: Instant,
    outputs: &[WorkerOutput],
    cancelled: bool,
) -> (Duration, Duration) {
    let finished = outputs.iter().map(|o| o.finished).max().unwrap_or(started);
    let mut elapsed = finished.saturating_duration_since(started);
    if let StopAt::Duration(d) = config.stop {
        // A `-z` run that was not interrupted lasted at least `-z`, even if its last request
        // (open loop, low rate) ended earlier; in-flight requests are abandoned at the drain
        // cap, so anything after that is teardown.
        let floor = if cancelled { Duration::ZERO } else { d };
        elapsed = elapsed.clamp(floor, d + config.drain_cap);
    }
    let elapsed = elapsed.max(Duration::from_nanos(1));
    let last_send = outputs.iter().filter_map(|o| o.last_send).max();
    let sending = last_send.map_or(Duration::ZERO, |t| t.saturating_duration_since(started));
    (elapsed, sending.min(elapsed))
}

/// Slots of worker `i` when `total` slots are spread over `workers` as evenly as possible.
fn share(total: usize, workers: usize, i: usize) -> usize {
    total / workers + usize::from(i < total % workers)
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_add_up_and_differ_by_at_most_one() {
        for (total, workers) in [(50, 1), (500, 3), (10_000, 4), (7, 4)] {
            let shares: Vec<_> = (0..workers).map(|i| share(total, workers, i)).collect();
            assert_eq!(shares.iter().sum::<usize>(), total);
            assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1);
        }
    }
}
