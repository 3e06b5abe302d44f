//! Record buffers between the workers and the log's one writer thread.
//!
//! Each worker fills a preallocated `Vec<Record>`; when it is full, the worker sends it to
//! the writer and continues in an empty one, which the writer sent back earlier. A worker
//! makes at most [`BUFFERS_PER_WORKER`] buffers, so once those exist the log allocates
//! nothing: the channels are bounded (array-backed), and a buffer only moves. If the writer
//! falls behind on all of a worker's buffers, that worker waits for one to come back rather
//! than grow without bound (a row is ~40 bytes, so only a very slow disk makes it wait).
//!
//! Invariant: the writer returns every buffer it receives, emptied, even after a write error,
//! so a worker never waits for a buffer that will not come back. If the writer thread is
//! gone, the workers' return channels are closed and they stop waiting.

use std::io::{BufWriter, Write};
use std::mem;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use super::{csv, Record, RequestLog};

/// Records per buffer: large enough that hand-overs are rare (one per 4096 requests), small
/// enough that a worker's buffers stay under a megabyte.
const RECORDS_PER_BUFFER: usize = 4096;

/// Buffers one worker may have at once (filling, queued, being written).
const BUFFERS_PER_WORKER: usize = 4;

/// Size of the writer's `BufWriter`.
const WRITE_BUFFER_BYTES: usize = 1 << 16;

/// A full buffer, and the index of the worker it goes back to.
type Batch = (usize, Vec<Record>);

/// One run's writer thread. Finish it after every [`WorkerLog`] is dropped.
pub(crate) struct Writer {
    thread: Option<JoinHandle<()>>,
}

/// One worker's end of the log: lives on the worker's thread.
pub(crate) struct WorkerLog {
    worker: usize,
    records: Vec<Record>,
    batches: SyncSender<Batch>,
    emptied: Receiver<Vec<Record>>,
    /// Buffers this worker has made so far, at most [`BUFFERS_PER_WORKER`].
    made: usize,
}

impl Writer {
    /// Starts the writer of `log` for `workers` workers, and returns their ends.
    pub(crate) fn start(log: RequestLog, workers: usize) -> (Writer, Vec<WorkerLog>) {
        // Room for every buffer of every worker: a hand-over never blocks.
        let (batches, incoming) = sync_channel(workers * BUFFERS_PER_WORKER);
        let (backs, ends): (Vec<_>, Vec<_>) = (0..workers)
            .map(|worker| {
                let (back, emptied) = sync_channel(BUFFERS_PER_WORKER);
                let end = WorkerLog {
                    worker,
                    records: Vec::with_capacity(RECORDS_PER_BUFFER),
                    batches: batches.clone(),
                    emptied,
                    made: 1,
                };
                (back, end)
            })
            .unzip();
        let failed = log.clone();
        let thread = std::thread::Builder::new()
            .name("vastar-log".into())
            .spawn(move || write(&log, &incoming, &backs))
            .map_err(|e| failed.fail(&e))
            .ok();
        (Writer { thread }, ends)
    }

    /// Waits until every row is written (or writing failed, recorded in the log).
    pub(crate) fn finish(self) {
        if let Some(thread) = self.thread {
            let _ = thread.join();
        }
    }
}

/// The writer thread: the header, then every batch's rows, until every worker is done. After
/// the first error nothing more is written, but buffers still go back.
fn write(log: &RequestLog, incoming: &Receiver<Batch>, backs: &[SyncSender<Vec<Record>>]) {
    let mut out = BufWriter::with_capacity(WRITE_BUFFER_BYTES, log.file());
    let mut written = csv::write_header(&mut out);
    for (worker, mut records) in incoming {
        if written.is_ok() {
            written = records.iter().try_for_each(|r| csv::write_row(&mut out, r));
        }
        records.clear();
        if let Some(back) = backs.get(worker) {
            let _ = back.try_send(records);
        }
    }
    if let Err(e) = written.and_then(|()| out.flush()) {
        log.fail(&e);
    }
}

impl WorkerLog {
    /// Appends one request's record; hands the buffer over when it is full.
    #[inline]
    pub(crate) fn push(&mut self, record: Record) {
        self.records.push(record);
        if self.records.len() == self.records.capacity() {
            self.hand_over();
        }
    }

    /// The index of this worker, the high part of its connection ids.
    pub(crate) fn worker(&self) -> usize {
        self.worker
    }

    #[cold]
    fn hand_over(&mut self) {
        let next = self.empty_buffer();
        let full = mem::replace(&mut self.records, next);
        // An error means the writer thread is gone (its failure is recorded): rows are lost.
        let _ = self.batches.send((self.worker, full));
    }

    /// A buffer the writer emptied, else a new one while this worker may make more, else
    /// the next one the writer empties.
    fn empty_buffer(&mut self) -> Vec<Record> {
        if let Ok(buffer) = self.emptied.try_recv() {
            return buffer;
        }
        if self.made < BUFFERS_PER_WORKER {
            self.made += 1;
            return Vec::with_capacity(RECORDS_PER_BUFFER);
        }
        self.emptied
            .recv()
            .unwrap_or_else(|_| Vec::with_capacity(RECORDS_PER_BUFFER))
    }
}

impl Drop for WorkerLog {
    /// The worker is done: its last, partly filled buffer goes to the writer.
    fn drop(&mut self) {
        if !self.records.is_empty() {
            let _ = self
                .batches
                .send((self.worker, mem::take(&mut self.records)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request_log::Outcome;

    fn record(i: u64) -> Record {
        Record {
            start_ns: i * 1000,
            latency_ns: 2000,
            service_ns: 2000,
            body_bytes: 13,
            connection: i % 7,
            outcome: Outcome::Status(200),
        }
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("vastar-{}-{name}.csv", std::process::id()))
    }

    #[test]
    fn every_record_of_every_worker_becomes_one_row_after_the_header() {
        let path = scratch("buffers");
        let log = RequestLog::create(&path).unwrap();
        let (writer, ends) = Writer::start(log.clone(), 3);
        let per_worker = RECORDS_PER_BUFFER as u64 * BUFFERS_PER_WORKER as u64 * 2 + 17;
        std::thread::scope(|scope| {
            for mut end in ends {
                scope.spawn(move || (0..per_worker).for_each(|i| end.push(record(i))));
            }
        });
        writer.finish();
        assert_eq!(log.failure(), None);
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(csv::HEADER.trim_end()));
        assert_eq!(lines.count() as u64, 3 * per_worker);
    }

    #[test]
    fn a_full_disk_is_recorded_once_and_the_workers_still_finish() {
        let Ok(log) = RequestLog::create(std::path::Path::new("/dev/full")) else {
            return; // No /dev/full on this system.
        };
        let (writer, ends) = Writer::start(log.clone(), 2);
        for mut end in ends {
            (0..RECORDS_PER_BUFFER as u64 * 10).for_each(|i| end.push(record(i)));
        }
        writer.finish();
        let failure = log.failure().expect("writing to /dev/full fails");
        assert!(failure.contains("space"), "{failure}");
    }
}
