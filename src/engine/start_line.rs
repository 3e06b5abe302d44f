//! The start line between the coordinating thread and the workers' runtimes.
//!
//! A `std::sync::Barrier` would block a worker's thread while it waits, and with it every
//! other task on that worker's runtime (a TLS or HTTP/2 connection's driver). Here workers
//! arrive without blocking and await the release; only the coordinator, which runs no
//! runtime, blocks.

use std::sync::{Condvar, Mutex};

use tokio::sync::watch;

/// Workers arrive when pre-connected; the coordinator waits for all, then releases them.
pub(crate) struct StartLine {
    arrived: Mutex<usize>,
    all_arrived: Condvar,
    go: watch::Sender<bool>,
}

impl StartLine {
    /// A start line nobody has reached yet.
    pub fn new() -> StartLine {
        StartLine {
            arrived: Mutex::new(0),
            all_arrived: Condvar::new(),
            go: watch::channel(false).0,
        }
    }

    /// A worker is ready (or gave up); never blocks.
    pub fn arrive(&self) {
        *self.arrived.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.all_arrived.notify_all();
    }

    /// Blocks the coordinator until `workers` have arrived.
    pub fn wait_for(&self, workers: usize) {
        let arrived = self.arrived.lock().unwrap_or_else(|p| p.into_inner());
        let _all = self
            .all_arrived
            .wait_while(arrived, |n| *n < workers)
            .unwrap_or_else(|p| p.into_inner());
    }

    /// Lets every worker start.
    pub fn release(&self) {
        self.go.send_replace(true);
    }

    /// Resolves once [`StartLine::release`] was called (at once if it already was), while
    /// the worker's runtime goes on running its other tasks.
    pub async fn released(&self) {
        let mut go = self.go.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = go.wait_for(|go| *go).await;
    }
}

#[cfg(test)]
mod tests {
    use super::StartLine;

    #[test]
    fn workers_start_only_after_the_release_and_their_runtimes_keep_running() {
        let line = StartLine::new();
        std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let other = tokio::spawn(async { 7 });
                    line.arrive();
                    // Another task finishes while this one waits for the release.
                    let seven = other.await.unwrap();
                    line.released().await;
                    seven
                })
            });
            line.wait_for(1);
            line.release();
            assert_eq!(worker.join().unwrap(), 7);
        });
        // Late arrivals pass a released line at once.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(line.released());
    }
}
