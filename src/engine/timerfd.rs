//! A microsecond timer for a tokio worker: a Linux `timerfd` registered with the runtime.
//!
//! tokio's own timer has millisecond ticks. A `timerfd` is a kernel high-resolution timer
//! that makes a file descriptor readable when it expires, so the worker's `epoll_wait`
//! returns within microseconds of the instant while the thread sleeps instead of spinning.
//! A sleeping thread is also what the scheduler wakes first on a busy machine, where a
//! spinning one is preempted for whole time slices.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::time::{Duration, Instant};

/// One re-armable one-shot timer.
pub(crate) struct TimerFd {
    fd: AsyncFd<OwnedFd>,
}

impl TimerFd {
    /// A disarmed timer on the monotonic clock (the clock of `Instant`). Needs a tokio
    /// runtime with I/O enabled.
    pub(crate) fn new() -> io::Result<TimerFd> {
        let flags = libc::TFD_NONBLOCK | libc::TFD_CLOEXEC;
        // SAFETY: plain system call; the result is checked before use.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, flags) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a freshly created descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: the `OwnedFd` is moved into the `AsyncFd`, so the descriptor stays open and
        // the same for the `AsyncFd`'s whole life.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        Ok(TimerFd { fd })
    }

    /// Arms the timer to expire at `at` (at once if it has passed), replacing any earlier
    /// setting and discarding an expiry not yet seen.
    pub(crate) fn set(&self, at: Instant) -> io::Result<()> {
        // Relative: `Instant` does not expose its clock value. Zero would disarm the timer.
        let after = at
            .saturating_duration_since(Instant::now())
            .max(Duration::from_nanos(1));
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let spec = libc::itimerspec {
            it_interval: zero,
            it_value: libc::timespec {
                tv_sec: libc::time_t::try_from(after.as_secs()).unwrap_or(libc::time_t::MAX),
                tv_nsec: after.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: `spec` is a valid itimerspec and the old value is not asked for.
        let rc =
            unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Ready once the armed instant has passed.
    pub(crate) fn poll_expired(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let read = guard.try_io(|fd| {
                let mut expirations = [0u8; 8];
                // SAFETY: reads at most 8 bytes into an 8-byte buffer.
                let n = unsafe { libc::read(fd.as_raw_fd(), expirations.as_mut_ptr().cast(), 8) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
            match read {
                Ok(result) => return Poll::Ready(result),
                // Not expired (readiness was stale, e.g. from before a re-arm): wait again.
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn expires_within_a_fraction_of_a_millisecond() {
        // The best of three medians: the timer's precision, not the machine's load.
        let mut best = Duration::MAX;
        for _ in 0..3 {
            best = best.min(median_lateness().await);
        }
        assert!(
            best < Duration::from_micros(400),
            "median lateness {best:?}"
        );
    }

    async fn median_lateness() -> Duration {
        let timer = TimerFd::new().expect("timerfd");
        let mut late = Vec::new();
        for i in 1..=21u64 {
            let at = Instant::now() + Duration::from_micros(300 + 137 * i);
            timer.set(at).expect("arm");
            std::future::poll_fn(|cx| timer.poll_expired(cx))
                .await
                .expect("expire");
            late.push(Instant::now() - at);
            assert!(Instant::now() >= at);
        }
        late.sort();
        late[10]
    }

    #[tokio::test]
    async fn re_arming_replaces_the_earlier_instant() {
        let timer = TimerFd::new().expect("timerfd");
        let start = Instant::now();
        timer.set(start + Duration::from_millis(1)).expect("arm");
        let later = start + Duration::from_millis(30);
        timer.set(later).expect("re-arm");
        std::future::poll_fn(|cx| timer.poll_expired(cx))
            .await
            .expect("expire");
        assert!(Instant::now() >= later);
    }
}
