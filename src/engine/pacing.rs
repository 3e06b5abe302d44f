//! When a connection sends its next request.
//!
//! The worker loop is the same for every pacing policy; it only asks its `Pacer` to wait.
//! Closed-loop runs send as soon as the previous response is in; `-q` (hey's semantics)
//! spaces each connection's requests by `1/q`, never bursting to catch up after a slow
//! response. Open-loop arrival schedules plug in here as further variants.

use tokio::time::{sleep_until, Duration, Instant};

/// A pacing policy, shared by all connections of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Send the next request as soon as the previous one is answered.
    Closed,
    /// At most one request per `interval` on each connection.
    PerConnection { interval: Duration },
}

impl Pacing {
    /// The policy for an optional per-connection rate (requests per second).
    pub fn from_qps(qps_per_connection: Option<f64>) -> Pacing {
        match qps_per_connection {
            Some(q) if q > 0.0 && q.is_finite() => Pacing::PerConnection {
                interval: Duration::from_secs_f64(1.0 / q),
            },
            _ => Pacing::Closed,
        }
    }
}

/// One connection's view of the policy.
pub struct Pacer {
    pacing: Pacing,
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer whose first request is due immediately.
    pub fn new(pacing: Pacing) -> Pacer {
        Pacer { pacing, next: None }
    }

    /// Waits until the next request is due.
    #[inline]
    pub async fn wait(&mut self) {
        let Pacing::PerConnection { interval } = self.pacing else {
            return;
        };
        let now = Instant::now();
        let due = self.next.map_or(now, |n| n.max(now));
        if due > now {
            sleep_until(due).await;
        }
        // Like a ticker that drops missed ticks: a late request does not earn a burst.
        self.next = Some(due + interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn per_connection_rate_spaces_requests() {
        let mut p = Pacer::new(Pacing::from_qps(Some(10.0)));
        let t0 = Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        // Sends at 0, 100, 200, 300, 400 ms.
        assert_eq!(Instant::now() - t0, Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn late_requests_do_not_burst() {
        let mut p = Pacer::new(Pacing::from_qps(Some(10.0)));
        p.wait().await;
        tokio::time::sleep(Duration::from_millis(550)).await;
        let t1 = Instant::now();
        p.wait().await; // overdue: immediately
        p.wait().await; // but the next one is a full interval later
        assert_eq!(Instant::now() - t1, Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn closed_loop_never_waits() {
        let mut p = Pacer::new(Pacing::from_qps(None));
        let t0 = Instant::now();
        p.wait().await;
        p.wait().await;
        assert_eq!(Instant::now(), t0);
    }
}
