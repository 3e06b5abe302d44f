//! A server on its own runtime, for callers that are not (or must not be) inside one:
//! `vastar demo` benchmarks it from the same process, tests start one per test.
//!
//! Invariant: the runtime is created, run and dropped on one dedicated thread, so dropping a
//! [`Background`] from anywhere (even inside another runtime) never panics; it signals
//! shutdown and joins that thread, which in turn joins the runtime's workers.

use std::io;
use std::net::SocketAddr;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::{serve, ServeConfig, ServeStats};

/// A running server in background threads; dropping it shuts it down and joins the threads.
#[derive(Debug)]
pub struct Background {
    addr: SocketAddr,
    stats: Arc<ServeStats>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Binds `addr` (port 0 picks a free port) and serves on a multi-thread runtime with
    /// `threads` workers (at least one) plus one thread that accepts.
    ///
    /// Returns once the server is accepting, so a client may connect immediately.
    pub fn start(addr: SocketAddr, config: ServeConfig, threads: usize) -> io::Result<Background> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        deepen_backlog(&std_listener)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let stats = Arc::new(ServeStats::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<io::Result<()>>();
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("vastar-serve".into())
            .spawn(move || {
                let ready = Ready(ready_tx);
                run(std_listener, config, threads, thread_stats, stopped, ready);
            })?;
        let server = Background {
            addr,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        };
        // On error, dropping `server` joins the thread, which has already given up.
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(server),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::other("server thread exited before accepting")),
        }
    }

    /// The bound address, with port 0 resolved: where clients should connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Live counters; clone the `Arc` to keep reading them after the server is gone.
    pub fn stats(&self) -> &Arc<ServeStats> {
        &self.stats
    }
}

/// Pending connections the kernel may queue before the server accepts them. The standard
/// library listens with 128, so a client opening a few hundred connections at once (a sweep
/// level, vastar's own pre-connect) overflowed the queue, and each dropped SYN cost a
/// one-second retransmission. The kernel caps this at `net.core.somaxconn`.
const BACKLOG: i32 = 4096;

/// Listens again with [`BACKLOG`]: on Linux (and the BSDs) `listen` on a listening socket
/// only changes its backlog.
fn deepen_backlog(listener: &std::net::TcpListener) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: listen only reads the descriptor and the integer; the listener owns the fd.
    if unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Tells [`Background::start`] whether the server thread got going.
struct Ready(mpsc::Sender<io::Result<()>>);

impl Ready {
    fn send(&self, result: io::Result<()>) {
        // The receiver only disappears if `start` itself is gone; nothing to report to.
        let _ = self.0.send(result);
    }
}

/// Body of the server thread: owns the runtime from creation to drop.
fn run(
    listener: std::net::TcpListener,
    config: ServeConfig,
    threads: usize,
    stats: Arc<ServeStats>,
    stopped: oneshot::Receiver<()>,
    ready: Ready,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name("vastar-serve-worker")
        .enable_io()
        .enable_time()
        .build();
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => return ready.send(Err(e)),
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => return ready.send(Err(e)),
        };
        ready.send(Ok(()));
        // A dropped sender (a `Background` that vanished without `Drop`) also means stop.
        let shutdown = async move { drop(stopped.await) };
        // `serve` has no fatal errors today; should one appear, the server just stops.
        let _ = serve(listener, config, stats, shutdown).await;
    });
    // Dropping `runtime` here, outside any async context, joins its worker threads.
}

impl Drop for Background {
    /// Stops accepting, aborts open connections, and joins every server thread.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panicked server thread has nothing left to clean up; don't panic in drop.
            let _ = thread.join();
        }
    }
}
