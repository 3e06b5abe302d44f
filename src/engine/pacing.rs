//! When a connection sends its next request, and whether the run is over.
//!
//! The worker loop is the same for every policy: it asks its `Pacer` for the next request
//! and gets back the instant that request was *meant* to go out. Latency is measured from
//! that instant, so a policy with an arrival schedule (open loop) sees queueing delay that a
//! closed loop hides (coordinated omission).
//! - `Closed`: send as soon as the previous response is in (hey, wrk).
//! - `PerConnection`: hey's `-q`: each connection at most one request per interval, never
//!   bursting to catch up after a slow response.
//! - `OpenLoop`: `--rate`: request *i* of the run is due at `start + i/rate`, whichever
//!   connection is free takes it (like wrk2 and vegeta). When none is free the request waits,
//!   and that wait counts in its latency.

use tokio::time::{sleep_until, Duration, Instant};

use super::progress::Progress;
use crate::config::{RunConfig, StopAt};

/// A pacing policy, shared by all connections of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Send the next request as soon as the previous one is answered.
    Closed,
    /// At most one request per `interval` on each connection.
    PerConnection { interval: Duration },
    /// One request per `interval` across the whole run, on a fixed schedule.
    OpenLoop { interval: Duration },
}

impl Pacing {
    /// The policy a run asks for (`--rate` wins over `-q`; the CLI forbids both).
    pub fn of(config: &RunConfig) -> Pacing {
        let interval = |rate: f64| Duration::from_secs_f64(1.0 / rate);
        match (config.rate, config.qps_per_connection) {
            (Some(rate), _) => Pacing::OpenLoop {
                interval: interval(rate),
            },
            (None, Some(q)) => Pacing::PerConnection {
                interval: interval(q),
            },
            (None, None) => Pacing::Closed,
        }
    }
}

/// The run-wide facts a pacer needs: when the run started and when it ends.
#[derive(Debug, Clone, Copy)]
pub struct Budget<'a> {
    pub stop: StopAt,
    pub start: Instant,
    pub progress: &'a Progress,
}

impl Budget<'_> {
    /// End of a `-z` run.
    pub fn deadline(&self) -> Option<Instant> {
        match self.stop {
            StopAt::Duration(d) => Some(self.start + d),
            StopAt::Requests(_) => None,
        }
    }
}

/// A request the pacer released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// When the request was meant to be sent; latency is measured from here.
    pub intended: Instant,
    /// When the pacer released it (the service time starts here). Equal to `intended` in
    /// closed loops, so the hot path reads the clock once for both.
    pub released: Instant,
    /// The request was already overdue when a connection became free to take it.
    pub late: bool,
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

    /// Waits until this connection's next request is due; `None` once the run is over.
    #[inline]
    pub async fn next(&mut self, budget: &Budget<'_>) -> Option<Due> {
        if budget.progress.is_cancelled() {
            return None;
        }
        match self.pacing {
            Pacing::Closed => closed(budget),
            Pacing::PerConnection { interval } => {
                self.wait_interval(interval).await;
                closed(budget)
            }
            Pacing::OpenLoop { interval } => open_loop(budget, interval).await,
        }
    }

    async fn wait_interval(&mut self, interval: Duration) {
        let now = Instant::now();
        let due = self.next.map_or(now, |n| n.max(now));
        if due > now {
            sleep_until(due).await;
        }
        // Like a ticker that drops missed ticks: a late request does not earn a burst.
        self.next = Some(due + interval);
    }
}

/// Closed loop: the request is due now, if the budget allows one more.
fn closed(budget: &Budget<'_>) -> Option<Due> {
    let now = Instant::now();
    let more = match budget.stop {
        StopAt::Requests(n) => budget.progress.claim(n),
        StopAt::Duration(d) => now < budget.start + d,
    };
    more.then_some(Due {
        intended: now,
        released: now,
        late: false,
    })
}

/// Open loop: take the next slot of the run's arrival schedule and wait for its time.
async fn open_loop(budget: &Budget<'_>, interval: Duration) -> Option<Due> {
    let index = budget.progress.take_ticket();
    if let StopAt::Requests(n) = budget.stop {
        if index >= n {
            return None;
        }
    }
    let offset_ns = u64::try_from(interval.as_nanos() * u128::from(index)).ok()?;
    let intended = budget.start + Duration::from_nanos(offset_ns);
    if budget.deadline().is_some_and(|end| intended >= end) {
        return None;
    }
    let now = Instant::now();
    let late = now > intended;
    if !late {
        sleep_until(intended).await;
    }
    let released = if late { now } else { Instant::now() };
    Some(Due {
        intended,
        released,
        late,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(progress: &Progress, stop: StopAt) -> Budget<'_> {
        Budget {
            stop,
            start: Instant::now(),
            progress,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn per_connection_rate_spaces_requests() {
        let progress = Progress::default();
        let b = budget(&progress, StopAt::Requests(100));
        let mut p = Pacer::new(Pacing::PerConnection {
            interval: Duration::from_millis(100),
        });
        for _ in 0..5 {
            p.next(&b).await.unwrap();
        }
        // Sends at 0, 100, 200, 300, 400 ms.
        assert_eq!(Instant::now() - b.start, Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn late_requests_do_not_burst() {
        let progress = Progress::default();
        let b = budget(&progress, StopAt::Requests(100));
        let mut p = Pacer::new(Pacing::PerConnection {
            interval: Duration::from_millis(100),
        });
        p.next(&b).await.unwrap();
        tokio::time::sleep(Duration::from_millis(550)).await;
        let t1 = Instant::now();
        p.next(&b).await.unwrap(); // overdue: immediately
        p.next(&b).await.unwrap(); // but the next one is a full interval later
        assert_eq!(Instant::now() - t1, Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn closed_loop_stops_after_exactly_n() {
        let progress = Progress::default();
        let b = budget(&progress, StopAt::Requests(3));
        let mut p = Pacer::new(Pacing::Closed);
        let mut sent = 0;
        while p.next(&b).await.is_some() {
            sent += 1;
        }
        assert_eq!((sent, Instant::now()), (3, b.start));
    }

    #[tokio::test(start_paused = true)]
    async fn open_loop_follows_the_schedule_and_flags_overdue_requests() {
        let progress = Progress::default();
        let b = budget(&progress, StopAt::Duration(Duration::from_secs(1)));
        let mut p = Pacer::new(Pacing::OpenLoop {
            interval: Duration::from_millis(250),
        });
        let first = p.next(&b).await.unwrap();
        assert_eq!(
            (first.intended, first.released, first.late),
            (b.start, b.start, false)
        );
        tokio::time::sleep(Duration::from_millis(600)).await; // a slow response
        let second = p.next(&b).await.unwrap();
        assert_eq!(second.intended, b.start + Duration::from_millis(250));
        assert!(second.late, "due at 250 ms, taken at 600 ms");
        let third = p.next(&b).await.unwrap();
        assert_eq!(third.intended, b.start + Duration::from_millis(500));
        let fourth = p.next(&b).await.unwrap();
        assert!(!fourth.late);
        assert_eq!(Instant::now(), b.start + Duration::from_millis(750));
        assert!(
            p.next(&b).await.is_none(),
            "1000 ms is past the 1 s deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_ends_every_policy() {
        let progress = Progress::default();
        progress.cancel();
        let b = budget(&progress, StopAt::Requests(10));
        for pacing in [
            Pacing::Closed,
            Pacing::OpenLoop {
                interval: Duration::from_millis(1),
            },
        ] {
            assert!(Pacer::new(pacing).next(&b).await.is_none());
        }
    }
}
