//! Stopping runs early, apart from any one run's counters.
//!
//! A signal stops whatever is being measured: one run of the flat form, or every remaining
//! level of a sweep. So the token is created once per process and shared by every run's
//! [`Progress`](super::Progress), while each run gets fresh counters.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use tokio::sync::Notify;

/// A one-way switch: once cancelled, every run sharing it stops and stays stopped.
#[derive(Debug, Default)]
pub struct Cancel {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancel {
    /// Asks every run sharing this token to stop: no new requests are sent and in-flight
    /// ones are abandoned (and counted as cut off).
    pub fn cancel(&self) {
        self.cancelled.store(true, Relaxed);
        self.notify.notify_waiters();
    }

    /// Whether [`Cancel::cancel`] was called.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Relaxed)
    }

    /// Resolves when the token is cancelled (at once if it already was).
    pub async fn cancelled(&self) {
        let notified = self.notify.notified();
        if !self.is_cancelled() {
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancelled_resolves_before_and_after_the_cancel() {
        let cancel = std::sync::Arc::new(Cancel::default());
        let waiter = {
            let cancel = std::sync::Arc::clone(&cancel);
            tokio::spawn(async move { cancel.cancelled().await })
        };
        tokio::task::yield_now().await;
        cancel.cancel();
        waiter.await.unwrap();
        cancel.cancelled().await;
        assert!(cancel.is_cancelled());
    }
}
