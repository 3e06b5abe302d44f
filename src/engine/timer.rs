//! A per-connection deadline that costs almost nothing per request.
//!
//! Arming a tokio timer for every request (insert and remove in the timer wheel) is measurable
//! at 100k requests/s. Deadlines on one connection only move forward, so the timer is armed
//! lazily: it keeps an older, earlier deadline, and only when that fires early is it moved to
//! the current one. A connection thus touches the timer wheel about once per timeout period.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::time::{sleep_until, Duration, Instant, Sleep};

/// A reusable timer for "has this request's deadline passed?".
pub struct Deadline {
    sleep: Pin<Box<Sleep>>,
}

impl Default for Deadline {
    fn default() -> Self {
        // About 30 years: effectively never, and far from Instant overflow.
        let never = Instant::now() + Duration::from_secs(86400 * 365 * 30);
        Deadline {
            sleep: Box::pin(sleep_until(never)),
        }
    }
}

impl Deadline {
    /// Ready once `at` has passed; registers a wake-up otherwise.
    pub fn poll_expired(&mut self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        if self.sleep.deadline() > at {
            self.sleep.as_mut().reset(at);
        }
        loop {
            ready!(self.sleep.as_mut().poll(cx));
            if Instant::now() >= at {
                return Poll::Ready(());
            }
            self.sleep.as_mut().reset(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    #[tokio::test(start_paused = true)]
    async fn fires_at_the_latest_deadline_not_an_older_one() {
        let mut d = Deadline::default();
        let t0 = Instant::now();
        // First request arms at t0+1s; a later request moves the deadline to t0+3s.
        poll_fn(|cx| {
            assert!(d.poll_expired(t0 + Duration::from_secs(1), cx).is_pending());
            Poll::Ready(())
        })
        .await;
        poll_fn(|cx| d.poll_expired(t0 + Duration::from_secs(3), cx)).await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_deadline_rearms_the_timer() {
        let mut d = Deadline::default();
        let t0 = Instant::now();
        poll_fn(|cx| {
            assert!(d
                .poll_expired(t0 + Duration::from_secs(10), cx)
                .is_pending());
            Poll::Ready(())
        })
        .await;
        poll_fn(|cx| d.poll_expired(t0 + Duration::from_secs(2), cx)).await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(2));
    }
}
