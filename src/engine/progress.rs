//! Shared run state: the request budget, live progress, and cancellation.
//!
//! This is the only state workers share. It is a handful of atomics, so a progress bar or a
//! signal handler on another thread can watch and stop a run without touching the hot path.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use tokio::sync::Notify;

/// Progress and stop control of one run, shared by workers and observers.
#[derive(Debug, Default)]
pub struct Progress {
    issued: AtomicU64,
    completed: AtomicU64,
    cancelled: AtomicBool,
    cancel_notify: Notify,
}

impl Progress {
    /// Requests finished so far (responses and errors).
    pub fn completed(&self) -> u64 {
        self.completed.load(Relaxed)
    }

    /// Asks the run to stop: no new requests are sent and in-flight ones are abandoned.
    pub fn cancel(&self) {
        self.cancelled.store(true, Relaxed);
        self.cancel_notify.notify_waiters();
    }

    /// Whether [`Progress::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Relaxed)
    }

    /// Resolves when the run is cancelled.
    pub async fn cancelled(&self) {
        let notified = self.cancel_notify.notified();
        if !self.is_cancelled() {
            notified.await;
        }
    }

    /// Claims one request of a `-n` budget; `false` once `limit` have been claimed.
    #[inline]
    pub(crate) fn claim(&self, limit: u64) -> bool {
        self.issued.fetch_add(1, Relaxed) < limit
    }

    /// Takes the next index of an open-loop schedule (unbounded; the pacer checks the limit).
    #[inline]
    pub(crate) fn take_ticket(&self) -> u64 {
        self.issued.fetch_add(1, Relaxed)
    }

    #[inline]
    pub(crate) fn finished_one(&self) {
        self.completed.fetch_add(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_exactly_the_limit() {
        let p = Progress::default();
        let granted = (0..10).filter(|_| p.claim(7)).count();
        assert_eq!(granted, 7);
    }
}
