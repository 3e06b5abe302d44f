//! When a connection sends its next request, and whether the run is over.
//!
//! The worker loop is the same for every policy: it asks its `Pacer` for the next request
//! and gets back the instant that request was *meant* to go out. Latency is measured from
//! that instant, so a policy with an arrival schedule (open loop) sees queueing delay that a
//! closed loop hides (coordinated omission).
//! - `Closed`: send as soon as the previous response is in (hey, wrk).
//! - `PerConnection`: hey's `-q`: each connection at most one request per interval, never
//!   bursting to catch up after a slow response.
//! - `OpenLoop`: `--rate`: request *i* of the run is due at `start + i/rate` (or at the
//!   *i*-th offset of a seeded random schedule, see `engine::arrivals`), whichever
//!   connection is free takes it (like wrk2 and vegeta). When none is free the request waits,
//!   and that wait counts in its latency. Sends leave on time through the worker's alarm
//!   (`engine::alarm`: microseconds, not tokio's millisecond ticks), since a timer's delay
//!   would otherwise be counted as the server's latency.
//! - `Cadence`: `vastar ws --every D`: each connection (a WebSocket session) on its own
//!   beat, message *k* due at the session's start + *k*·D, released by the same alarm. A
//!   late send is recorded as late; the beat is never shifted to hide it.
//!
//! A pacer may start late: with `--ramp`, slot *i* of *c* starts at the run's start +
//! *i*·ramp/*c* (its offset), so sessions join one by one instead of all at once.

use std::pin::Pin;

use tokio::time::{sleep_until, Duration, Instant, Sleep};

use super::alarm::Alarm;
use super::arrivals::Arrivals;
use super::progress::Progress;
use crate::config::{RunConfig, StopAt, WsCadence, WsConfig};

/// A pacing policy, shared by all connections of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Send the next request as soon as the previous one is answered.
    Closed,
    /// At most one request per `interval` on each connection.
    PerConnection { interval: Duration },
    /// One request per `interval` on average across the whole run, on the run's
    /// [`Arrivals`] schedule.
    OpenLoop { interval: Duration },
    /// Message *k* of each connection due at its start + *k*·`every`.
    Cadence { every: Duration },
}

impl Pacing {
    /// The policy a run asks for (`--rate` wins over `-q`; the CLI forbids both).
    pub fn of(config: &RunConfig) -> Pacing {
        if let Some(WsConfig {
            cadence: WsCadence::Every(every),
            ..
        }) = config.ws
        {
            return Pacing::Cadence { every };
        }
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

    /// Whether sends are released on a schedule, by the worker's alarm: latency then counts
    /// from the scheduled instant, and how late each send left is recorded.
    pub fn scheduled(self) -> bool {
        matches!(self, Pacing::OpenLoop { .. } | Pacing::Cadence { .. })
    }
}

/// The facts a pacer needs: when the run started and when it ends, and the worker's alarm
/// that releases open-loop sends on time.
#[derive(Clone, Copy)]
pub struct Budget<'a> {
    pub stop: StopAt,
    pub start: Instant,
    pub progress: &'a Progress,
    /// When each index of an open-loop schedule is due.
    pub arrivals: &'a Arrivals,
    pub(crate) alarm: &'a Alarm,
}

impl Budget<'_> {
    /// End of a `-z` run.
    pub fn deadline(&self) -> Option<Instant> {
        match self.stop {
            StopAt::Duration(d) => Some(self.start + d),
            StopAt::Requests(_) => None,
        }
    }

    /// Whether no further request will be released: the `-n` budget is claimed, the `-z`
    /// deadline passed, or the run was cancelled. For pauses that would only delay the end.
    pub fn spent(&self) -> bool {
        self.progress.is_cancelled()
            || match self.stop {
                StopAt::Requests(n) => self.progress.issued() >= n,
                StopAt::Duration(d) => Instant::now() >= self.start + d,
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
    /// Open loop: the connection that took the request became free (finished its previous
    /// request, or the run started) only after the request was due, i.e. it was due while
    /// every connection was busy. Never set by timer or start-up delays.
    pub late: bool,
}

/// One connection's view of the policy.
pub struct Pacer {
    pacing: Pacing,
    next: Option<Instant>,
    /// When the connection finished its previous request; `None` before the first one (it was
    /// free from the run's start).
    free_since: Option<Instant>,
    /// One timer for `-q` waits, created on first use and re-armed for every wait: no timer
    /// entry per request, and the (large) timer lives on the heap instead of in every idle slot's
    /// future.
    timer: Option<Pin<Box<Sleep>>>,
    /// How long after the run's start this connection starts (`--ramp`).
    offset: Duration,
    /// Cadence: messages this connection was released so far (the *k* of the next one).
    released: u32,
}

impl Pacer {
    /// A pacer whose first request is due immediately.
    pub fn new(pacing: Pacing) -> Pacer {
        Pacer {
            pacing,
            next: None,
            free_since: None,
            timer: None,
            offset: Duration::ZERO,
            released: 0,
        }
    }

    /// This pacer, starting `offset` after the run's start instead of at it (`--ramp`).
    pub fn starting_after(mut self, offset: Duration) -> Pacer {
        self.offset = offset;
        self
    }

    /// Notes that the connection finished its request at `at` and is free for the next one.
    #[inline]
    pub fn freed(&mut self, at: Instant) {
        self.free_since = Some(at);
    }

    async fn sleep_until(&mut self, at: Instant) {
        let timer = self.timer.get_or_insert_with(|| Box::pin(sleep_until(at)));
        timer.as_mut().reset(at);
        timer.as_mut().await;
    }

    /// Waits until this connection's next request is due; `None` once the run is over.
    #[inline]
    pub async fn next(&mut self, budget: &Budget<'_>) -> Option<Due> {
        if budget.progress.is_cancelled() {
            return None;
        }
        if self.offset > Duration::ZERO && self.released == 0 && self.free_since.is_none() {
            self.ramp_up(budget).await?;
        }
        match self.pacing {
            Pacing::Closed => closed(budget),
            Pacing::PerConnection { interval } => {
                self.wait_interval(interval).await;
                closed(budget)
            }
            Pacing::OpenLoop { interval } => self.open_loop(budget, interval).await,
            Pacing::Cadence { every } => self.cadence(budget, every).await,
        }
    }

    /// Waits for this connection's start (`--ramp`); `None` when the run ends first.
    async fn ramp_up(&mut self, budget: &Budget<'_>) -> Option<()> {
        let at = budget.start.checked_add(self.offset)?;
        if budget.deadline().is_some_and(|end| at >= end) {
            return None;
        }
        if matches!(self.pacing, Pacing::Cadence { .. }) {
            // The cadence counts from here itself, and waits with the alarm's precision.
            return Some(());
        }
        self.sleep_until(at).await;
        Some(())
    }

    /// Cadence: message `released` of this connection is due at its start + released·every.
    async fn cadence(&mut self, budget: &Budget<'_>, every: Duration) -> Option<Due> {
        let intended = budget
            .start
            .checked_add(self.offset)?
            .checked_add(every.checked_mul(self.released)?)?;
        if budget.deadline().is_some_and(|end| intended >= end) {
            return None;
        }
        if let StopAt::Requests(n) = budget.stop {
            if !budget.progress.claim(n) {
                return None;
            }
        }
        self.released += 1;
        // Still busy with the previous message when this one was due.
        let late = self.free_since.is_some_and(|free| free > intended);
        let mut released = Instant::now();
        if released < intended {
            budget.alarm.until(intended).await;
            released = Instant::now();
        }
        Some(Due {
            intended,
            released,
            late,
        })
    }

    /// Open loop: take the next slot of the run's arrival schedule and wait for its time.
    async fn open_loop(&mut self, budget: &Budget<'_>, interval: Duration) -> Option<Due> {
        let (index, offset) = budget.arrivals.take(budget.progress, interval);
        if let StopAt::Requests(n) = budget.stop {
            if index >= n {
                return None;
            }
        }
        let intended = budget.start.checked_add(offset?)?;
        if budget.deadline().is_some_and(|end| intended >= end) {
            return None;
        }
        let late = self.free_since.unwrap_or(budget.start) > intended;
        let mut released = Instant::now();
        if released < intended {
            budget.alarm.until(intended).await;
            released = Instant::now();
        }
        Some(Due {
            intended,
            released,
            late,
        })
    }

    async fn wait_interval(&mut self, interval: Duration) {
        let now = Instant::now();
        let due = self.next.map_or(now, |n| n.max(now));
        if due > now {
            self.sleep_until(due).await;
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

#[cfg(test)]
mod tests;
