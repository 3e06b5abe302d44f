//! `--log-requests FILE`: one CSV row per request, written off the hot path.
//!
//! The report keeps distributions; some questions need the requests themselves (which
//! connection stalled, what failed when, a percentile recomputed elsewhere). Like hey's
//! `-o csv`, every request becomes a row, but the row is not formatted where the request
//! ends: each worker appends a small `Copy` [`Record`] to a preallocated buffer, hands full
//! buffers to one writer thread and takes an emptied one back ([`buffer`]), so the hot path
//! neither formats nor allocates in the steady state. The writer formats the rows ([`csv`])
//! and writes them through a `BufWriter`.
//!
//! The file (columns in this order; times in whole microseconds, rounded to the nearest):
//! - `start_us`: when the request's latency starts, from the run's measured start: the send
//!   in a closed loop, the scheduled send time in an open loop (`--rate`), so that
//!   `start_us + latency_us` is when it ended.
//! - `latency_us`: the value the latency histogram got for a response. For an error, the
//!   time until the failure (the histogram gets no sample for errors).
//! - `status`: the response's status code; empty for an error.
//! - `bytes`: response body bytes; empty for an error.
//! - `error`: the error kind's key as in the JSON's `errors` (`timeout`, `connect`, ...);
//!   empty for a response.
//! - `connection`: the connection slot that sent the request, unique within the run:
//!   `worker × 1000000 + slot`, slot counted from 0 within the worker. Over HTTP/1.1 a slot
//!   holds one connection at a time (reopened in place if the server closes it, or per
//!   request with `--disable-keepalive`); with `--http2 --streams M` each of a connection's M
//!   streams is a slot of its own.
//! - `service_us`: from the actual send to the end (differs from `latency_us` only under
//!   `--rate`, where `latency_us` also holds the wait for a free connection).
//!
//! Requests cut off in flight by Ctrl-C or SIGTERM have no outcome and get no row, so the
//! rows number `summary.requests - summary.cut_off`. Rows are in the order buffers reach the
//! writer (per worker, by completion), not sorted by `start_us`.

mod buffer;
pub mod csv;

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::transport::ErrorKind;
pub(crate) use buffer::{WorkerLog, Writer};

/// Distance between the connection ids of two workers (see the module docs): a power of ten,
/// so that `worker` and `slot` are readable in the decimal id.
pub const CONNECTION_STRIDE: u64 = 1_000_000;

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A complete response with this status code.
    Status(u16),
    /// No response: this kind of failure.
    Error(ErrorKind),
}

/// One request as the hot path records it: plain numbers, no `String`, so a buffer of them
/// is filled without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// From the run's measured start to where the latency starts, in nanoseconds.
    pub start_ns: u64,
    /// The latency, in nanoseconds, as the histogram got it.
    pub latency_ns: u64,
    /// From the actual send to the end, in nanoseconds.
    pub service_ns: u64,
    /// Response body bytes (0 for an error).
    pub body_bytes: u64,
    /// The slot's connection id (see [`CONNECTION_STRIDE`]).
    pub connection: u64,
    /// Response or failure.
    pub outcome: Outcome,
}

/// An opened request log: the file the CLI created (so an unwritable path is a usage error
/// before any load) and, after the run, whether writing it failed. Cloned along with the
/// run's configuration; every clone is the same log.
#[derive(Debug, Clone)]
pub struct RequestLog {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    file: File,
    /// The first write error, kept for the caller to report once the run is over.
    failure: Mutex<Option<String>>,
}

impl RequestLog {
    /// Creates (or truncates) the log file at `path`. The header row is written with the
    /// first rows, by the run's writer thread.
    pub fn create(path: &Path) -> io::Result<RequestLog> {
        let file = File::create(path)?;
        Ok(RequestLog {
            shared: Arc::new(Shared {
                path: path.to_path_buf(),
                file,
                failure: Mutex::new(None),
            }),
        })
    }

    /// Where the log goes, for messages.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Why writing the log failed (disk full, ...), once the run that wrote it is over;
    /// `None` when every row was written.
    pub fn failure(&self) -> Option<String> {
        self.lock_failure().clone()
    }

    /// Starts the writer thread of one run, and returns it with the ends of its `workers`.
    pub(crate) fn start(&self, workers: usize) -> (Writer, Vec<WorkerLog>) {
        Writer::start(self.clone(), workers)
    }

    fn lock_failure(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.shared
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps the first failure only: later ones follow from it.
    fn fail(&self, error: &io::Error) {
        self.lock_failure().get_or_insert_with(|| error.to_string());
    }

    fn file(&self) -> &File {
        &self.shared.file
    }
}
