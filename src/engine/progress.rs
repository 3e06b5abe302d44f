//! Shared run state: the request budget, live progress, and the way to stop.
//!
//! This is the only state workers share. It is a handful of atomics, so a progress bar or a
//! signal handler on another thread can watch and stop a run without touching the hot path.
//! The counters belong to one run; the [`Cancel`] token may be shared by many (a sweep).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use super::cancel::Cancel;

/// Progress and stop control of one run, shared by workers and observers.
#[derive(Debug, Default)]
pub struct Progress {
    issued: AtomicU64,
    completed: AtomicU64,
    cancel: Arc<Cancel>,
}

impl Progress {
    /// Fresh counters for one run, stopped by `cancel` (which may outlive the run).
    pub fn new(cancel: Arc<Cancel>) -> Progress {
        Progress {
            issued: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            cancel,
        }
    }

    /// Requests finished so far (responses and errors).
    pub fn completed(&self) -> u64 {
        self.completed.load(Relaxed)
    }

    /// Asks the run (and every other run sharing its token) to stop.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Whether the run's token was cancelled.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves when the run is cancelled.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
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

    /// Requests claimed or schedule slots taken so far (may exceed the `-n` limit: claims
    /// past it are refused).
    pub(crate) fn issued(&self) -> u64 {
        self.issued.load(Relaxed)
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
