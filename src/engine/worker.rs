//! A worker: one OS thread with its own single-threaded runtime, driving many connections.
//!
//! Workers share nothing on the hot path, so they need no `Send` futures, no locks and no
//! work stealing: a worker's slots, recorder and scratch buffer all live on its thread. The
//! run is phased by a start line: every worker pre-connects, the coordinator checks that at
//! least one connection opened, then all start measuring at once.
//!
//! Invariant: the worker's loop is not the only task on its runtime. A protocol may spawn a
//! connection's driver task (TLS, HTTP/2) there, so the loop never blocks its thread once the
//! runtime runs (the start line is awaited, not a blocking barrier), and it returns `Pending`
//! to the runtime often enough for those tasks to run (see [`measure`]).

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::alarm::Alarm;
use super::arrivals::Arrivals;
use super::intervals::IntervalRecorder;
use super::pacing::{Budget, Pacing};
use super::progress::Progress;
use super::recorder::Recorder;
use super::slot::{self, SlotContext};
use super::start_line::StartLine;
use crate::config::{RunConfig, StopAt};
use crate::request_log::{WorkerLog, CONNECTION_STRIDE};
use crate::transport::Connector;

/// Pre-connect attempts per connection before it is left to connect lazily during the run.
const PRECONNECT_ATTEMPTS: u32 = 3;

/// Connects in flight at once during pre-connect, across all workers: enough to open
/// thousands of connections quickly without overflowing the server's accept backlog.
pub(crate) const PRECONNECT_PARALLELISM: usize = 256;

/// What the coordinator and its workers share for the set-up phase.
pub(crate) struct Setup<'a> {
    pub config: &'a RunConfig,
    pub progress: &'a Progress,
    /// The run's arrival schedule, one for all workers.
    pub arrivals: Arrivals,
    pub permits: Semaphore,
    /// Where workers wait, pre-connected, for the coordinator's go.
    pub start_line: StartLine,
    pub opened: AtomicU64,
    pub abort: AtomicBool,
    /// When measuring starts, common to all workers so that `-z` deadlines and open-loop
    /// schedules agree; set by the coordinator before it releases the `go` barrier.
    pub start: OnceLock<std::time::Instant>,
    pub last_connect_error: Mutex<Option<String>>,
}

/// What one worker hands back.
pub(crate) struct WorkerOutput {
    pub recorder: Recorder,
    /// When its last request ended (response, failure or cancellation).
    pub finished: std::time::Instant,
    /// When it sent its last request; `None` if it sent none.
    pub last_send: Option<std::time::Instant>,
}

/// When a worker's measured phase ended, as seen from inside its runtime.
#[derive(Default)]
struct Ends {
    finished: Option<Instant>,
    last_send: Option<Instant>,
}

/// Runs one worker thread's share (`slots` connections) of the run, over a connector of its
/// own made by `make`.
///
/// `log` is this worker's end of `--log-requests`, if on; dropped when the worker ends, which
/// hands its last rows to the writer.
pub(crate) fn run<C: Connector>(
    make: &impl Fn() -> C,
    slots: Slots,
    setup: &Setup<'_>,
    log: Option<WorkerLog>,
) -> WorkerOutput {
    let connector = make();
    let recorder = RefCell::new(Recorder::new(
        Pacing::of(setup.config),
        setup.config.latency_correction,
    ));
    let log = log.map(RefCell::new);
    let worker = Worker {
        slots,
        recorder: &recorder,
        log: log.as_ref(),
    };
    let ends = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(drive(&connector, setup, &worker)),
        Err(e) => {
            // Still arrive, or the coordinator would wait forever.
            *setup
                .last_connect_error
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            setup.start_line.arrive();
            Ends::default()
        }
    };
    WorkerOutput {
        recorder: {
            let mut recorder = recorder.into_inner();
            recorder.stream = connector.take_stream_stats();
            recorder.ws = connector.take_ws_stats();
            recorder.connections.goaways = connector.goaways();
            recorder
        },
        finished: ends
            .finished
            .map_or_else(std::time::Instant::now, Instant::into_std),
        last_send: ends.last_send.map(Instant::into_std),
    }
}

/// Which of the run's slots a worker drives: `count` of them, numbered from `first` in the
/// run (what `--ramp` spaces the starts by).
#[derive(Clone, Copy)]
pub(crate) struct Slots {
    pub first: usize,
    pub count: usize,
}

/// What one worker owns for its measured phase, apart from what all workers share.
struct Worker<'a> {
    slots: Slots,
    recorder: &'a RefCell<Recorder>,
    log: Option<&'a RefCell<WorkerLog>>,
}

async fn drive<C: Connector>(connector: &C, setup: &Setup<'_>, worker: &Worker<'_>) -> Ends {
    let Worker {
        slots,
        recorder,
        log,
    } = *worker;
    // Ctrl-C must not wait for connects that hang (up to 3 x the connect timeout).
    let conns = tokio::select! {
        conns = preconnect(connector, slots.count, setup, recorder) => conns,
        () = setup.progress.cancelled() => Vec::new(),
    };
    // Awaited, not blocking: connection drivers on this runtime keep running meanwhile.
    setup.start_line.arrive();
    setup.start_line.released().await;
    if setup.abort.load(Relaxed) {
        return Ends::default();
    }
    let Some(&start) = setup.start.get() else {
        return Ends::default();
    };
    if let Some(length) = setup.config.interval {
        let expected = match setup.config.stop {
            StopAt::Duration(d) => Some(d + setup.config.drain_cap),
            StopAt::Requests(_) => None,
        };
        let intervals = IntervalRecorder::new(Instant::from_std(start), length, expected);
        recorder.borrow_mut().track_intervals(intervals);
    }
    let pacing = Pacing::of(setup.config);
    let alarm = if pacing.scheduled() {
        Alarm::new(slots.count)
    } else {
        Alarm::spinning(0)
    };
    let ctx = SlotContext {
        connector,
        config: setup.config,
        budget: Budget {
            stop: setup.config.stop,
            start: Instant::from_std(start),
            progress: setup.progress,
            arrivals: &setup.arrivals,
            alarm: &alarm,
        },
        pacing,
        recorder,
        log,
        in_flight: Cell::new(0),
        last_send: Cell::new(None),
    };
    measure(conns, &ctx, slots.first).await;
    Ends {
        finished: Some(Instant::now()),
        last_send: ctx.last_send.get(),
    }
}

/// The measured phase: drives every slot (and, for scheduled sends, the alarm that
/// releases them) until the budget is used up or the run is cancelled.
async fn measure<C: Connector>(
    conns: Vec<Option<C::Conn>>,
    ctx: &SlotContext<'_, C>,
    first_slot: usize,
) {
    // Request log ids: `worker × CONNECTION_STRIDE + slot` (see `request_log`).
    let first_id = ctx
        .log
        .map_or(0, |log| log.borrow().worker() as u64 * CONNECTION_STRIDE);
    let ramp = ctx.config.ramp();
    let sessions = u32::try_from(ctx.config.concurrency.max(1)).unwrap_or(u32::MAX);
    let mut slots: FuturesUnordered<_> = (first_id..)
        .zip(conns)
        .enumerate()
        .map(|(i, (id, c))| {
            // Slot i of c starts at i·ramp/c (`--ramp`); this worker's slots follow the
            // ones of the workers before it.
            let index = u32::try_from(first_slot + i).unwrap_or(u32::MAX);
            let offset = ramp.checked_mul(index).map_or(ramp, |d| d / sessions);
            slot::drive(c, ctx, id, offset)
        })
        .collect();
    // Unconstrained: tokio's cooperative budget (128 I/O operations per task poll) is meant
    // to keep one task from starving others, but with thousands of connections in this one
    // task the budget ran out on every poll and every later connection's read came back
    // Pending and re-woken: up to 4x the user CPU per request at c = 10000. Fairness between
    // connections is FuturesUnordered's job (each poll visits each ready connection at most
    // once, then it yields), and a connection yields on its own after a bounded number of
    // reads (see `Http1Conn`). Other tasks on this runtime (connection drivers) still run:
    // this task returns Pending whenever FuturesUnordered yields or nothing is ready.
    let all = tokio::task::unconstrained(async {
        let all = async { while slots.next().await.is_some() {} };
        if ctx.pacing.scheduled() {
            // The alarm is polled first, so the slots it wakes are polled in the same pass.
            tokio::select! {
                biased;
                () = ctx.budget.alarm.run() => {}
                () = all => {}
            }
        } else {
            all.await;
        }
    });
    tokio::select! {
        () = all => {}
        _ = ctx.budget.progress.cancelled() => {
            // Requests abandoned by a cancel were claimed, so they must be counted, but the
            // server did not fail them: they are cut off, not errors.
            ctx.recorder.borrow_mut().cut_off(ctx.in_flight.get());
        }
    }
}

/// Opens this worker's connections, retrying each a few times; failures are left as `None`
/// and connect lazily during the run, so the run keeps its full concurrency.
async fn preconnect<C: Connector>(
    connector: &C,
    slots: usize,
    setup: &Setup<'_>,
    recorder: &RefCell<Recorder>,
) -> Vec<Option<C::Conn>> {
    let one = || async {
        for attempt in 1..=PRECONNECT_ATTEMPTS {
            let permit = setup.permits.acquire().await;
            let started = Instant::now();
            let result = connector.connect().await;
            drop(permit);
            match result {
                Ok(connected) => {
                    if connected.opened {
                        recorder
                            .borrow_mut()
                            .connected(started.elapsed(), connected.handshake);
                        setup.opened.fetch_add(1, Relaxed);
                    }
                    return Some(connected.conn);
                }
                Err(e) => {
                    *setup
                        .last_connect_error
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    if attempt < PRECONNECT_ATTEMPTS {
                        recorder.borrow_mut().connections.preconnect_retries += 1;
                        tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                    }
                }
            }
        }
        None
    };
    futures_util::future::join_all((0..slots).map(|_| one())).await
}
