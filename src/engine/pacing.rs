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

use std::pin::Pin;

use tokio::time::{sleep_until, Duration, Instant, Sleep};

use super::alarm::Alarm;
use super::arrivals::Arrivals;
use super::progress::Progress;
use crate::config::{RunConfig, StopAt};

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
}

impl Pacer {
    /// A pacer whose first request is due immediately.
    pub fn new(pacing: Pacing) -> Pacer {
        Pacer {
            pacing,
            next: None,
            free_since: None,
            timer: None,
        }
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
        match self.pacing {
            Pacing::Closed => closed(budget),
            Pacing::PerConnection { interval } => {
                self.wait_interval(interval).await;
                closed(budget)
            }
            Pacing::OpenLoop { interval } => self.open_loop(budget, interval).await,
        }
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
mod tests {
    use super::*;
    use crate::engine::arrivals::CONSTANT;

    /// A budget starting now, with an alarm that uses tokio's (paused) timer only.
    fn budget<'a>(progress: &'a Progress, alarm: &'a Alarm, stop: StopAt) -> Budget<'a> {
        Budget {
            stop,
            start: Instant::now(),
            progress,
            arrivals: &CONSTANT,
            alarm,
        }
    }

    fn paused_alarm() -> Alarm {
        Alarm::coarse(8)
    }

    /// The pacer's next request, with the worker's alarm driven beside it.
    async fn next(p: &mut Pacer, b: &Budget<'_>) -> Option<Due> {
        tokio::select! {
            biased;
            () = b.alarm.run() => unreachable!("the alarm never finishes"),
            due = p.next(b) => due,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn per_connection_rate_spaces_requests() {
        let progress = Progress::default();
        let alarm = paused_alarm();
        let b = budget(&progress, &alarm, StopAt::Requests(100));
        let mut p = Pacer::new(Pacing::PerConnection {
            interval: Duration::from_millis(100),
        });
        for _ in 0..5 {
            next(&mut p, &b).await.unwrap();
        }
        // Sends at 0, 100, 200, 300, 400 ms.
        assert_eq!(Instant::now() - b.start, Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn late_requests_do_not_burst() {
        let progress = Progress::default();
        let alarm = paused_alarm();
        let b = budget(&progress, &alarm, StopAt::Requests(100));
        let mut p = Pacer::new(Pacing::PerConnection {
            interval: Duration::from_millis(100),
        });
        next(&mut p, &b).await.unwrap();
        tokio::time::sleep(Duration::from_millis(550)).await;
        let t1 = Instant::now();
        next(&mut p, &b).await.unwrap(); // overdue: immediately
        next(&mut p, &b).await.unwrap(); // but the next one is a full interval later
        assert_eq!(Instant::now() - t1, Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn closed_loop_stops_after_exactly_n() {
        let progress = Progress::default();
        let alarm = paused_alarm();
        let b = budget(&progress, &alarm, StopAt::Requests(3));
        let mut p = Pacer::new(Pacing::Closed);
        let mut sent = 0;
        while next(&mut p, &b).await.is_some() {
            sent += 1;
        }
        assert_eq!((sent, Instant::now()), (3, b.start));
    }

    #[tokio::test(start_paused = true)]
    async fn open_loop_follows_the_schedule_and_flags_requests_due_while_busy() {
        let progress = Progress::default();
        let alarm = paused_alarm();
        let b = budget(&progress, &alarm, StopAt::Duration(Duration::from_secs(1)));
        let mut p = Pacer::new(Pacing::OpenLoop {
            interval: Duration::from_millis(250),
        });
        let first = next(&mut p, &b).await.unwrap();
        assert_eq!(
            (first.intended, first.released, first.late),
            (b.start, b.start, false)
        );
        tokio::time::sleep(Duration::from_millis(600)).await; // a slow response
        p.freed(Instant::now());
        let second = next(&mut p, &b).await.unwrap();
        assert_eq!(second.intended, b.start + Duration::from_millis(250));
        assert!(second.late, "due at 250 ms, connection free at 600 ms");
        assert_eq!(
            second.released - second.intended,
            Duration::from_millis(350)
        );
        p.freed(Instant::now());
        let third = next(&mut p, &b).await.unwrap();
        assert_eq!(third.intended, b.start + Duration::from_millis(500));
        assert!(
            third.late,
            "due at 500 ms, still busy with the second until 600 ms"
        );
        p.freed(Instant::now());
        let fourth = next(&mut p, &b).await.unwrap();
        assert!(!fourth.late);
        assert_eq!(fourth.released, b.start + Duration::from_millis(750));
        assert!(
            next(&mut p, &b).await.is_none(),
            "1000 ms is past the 1 s deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_start_is_not_a_late_send() {
        // Like `--rate 100000 -n 10 -c 10`: every ticket is due within 100 us of the start,
        // and the connections only begin some time after it. They were free all along, so
        // nothing is late; the start-up delay shows as send lateness instead.
        let progress = Progress::default();
        let alarm = paused_alarm();
        let b = budget(&progress, &alarm, StopAt::Requests(10));
        tokio::time::advance(Duration::from_millis(2)).await;
        let mut pacers: Vec<_> = (0..10)
            .map(|_| {
                Pacer::new(Pacing::OpenLoop {
                    interval: Duration::from_micros(10),
                })
            })
            .collect();
        for p in &mut pacers {
            let due = next(p, &b).await.unwrap();
            assert!(!due.late, "{due:?}");
            assert!(due.released - due.intended >= Duration::from_micros(1_900));
        }
        assert!(next(&mut pacers[0], &b).await.is_none(), "-n 10 is used up");
    }

    #[tokio::test(start_paused = true)]
    async fn idle_connections_are_never_late() {
        // Like `--rate 100 -c 5` against an instant server: each connection is free long
        // before its next ticket is due.
        let progress = Progress::default();
        let alarm = paused_alarm();
        let b = budget(&progress, &alarm, StopAt::Duration(Duration::from_secs(2)));
        let interval = Duration::from_millis(10);
        let mut pacers: Vec<_> = (0..5)
            .map(|_| Pacer::new(Pacing::OpenLoop { interval }))
            .collect();
        let mut sent = 0;
        'run: loop {
            for p in &mut pacers {
                let Some(due) = next(p, &b).await else {
                    break 'run;
                };
                assert!(!due.late && due.released == due.intended, "{due:?}");
                p.freed(Instant::now() + Duration::from_micros(50));
                sent += 1;
            }
        }
        assert_eq!(sent, 200);
    }

    /// The intended send offsets (ms) of a `--rate 1000 --arrival poisson --seed seed`
    /// run of `n` requests over three connections, as the pacers hand them out.
    async fn poisson_schedule(seed: u64, n: u64) -> Vec<u128> {
        let mut config = RunConfig::get(
            crate::url::Target::parse("http://h/").unwrap(),
            StopAt::Requests(n),
            3,
        );
        config.rate = Some(1000.0);
        config.arrival = crate::config::Arrival::Poisson {
            burstiness: 1.0,
            seed,
        };
        let arrivals = Arrivals::of(&config);
        let progress = Progress::default();
        let alarm = paused_alarm();
        let b = Budget {
            arrivals: &arrivals,
            ..budget(&progress, &alarm, config.stop)
        };
        let mut pacers: Vec<_> = (0..3).map(|_| Pacer::new(Pacing::of(&config))).collect();
        let mut offsets = Vec::new();
        'run: loop {
            for p in &mut pacers {
                let Some(due) = next(p, &b).await else {
                    break 'run;
                };
                offsets.push((due.intended - b.start).as_micros());
            }
        }
        offsets
    }

    #[tokio::test(start_paused = true)]
    async fn a_poisson_schedule_keeps_the_rate_and_repeats_with_its_seed() {
        let first = poisson_schedule(11, 2000).await;
        assert_eq!(first.len(), 2000);
        assert!(first.windows(2).all(|w| w[0] <= w[1]), "taken in order");
        assert_eq!(first, poisson_schedule(11, 2000).await);
        assert_ne!(first, poisson_schedule(12, 2000).await);
        // 2000 requests at 1000/s: about 2 s (a Poisson count's sd is ~2.2% here).
        let span_s = first[1999] as f64 / 1e6;
        assert!((1.8..2.2).contains(&span_s), "{span_s}");
        let gaps: Vec<u128> = first.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().any(|&g| g > 3000) && gaps.iter().any(|&g| g < 100));
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_ends_every_policy() {
        let progress = Progress::default();
        let alarm = paused_alarm();
        progress.cancel();
        let b = budget(&progress, &alarm, StopAt::Requests(10));
        for pacing in [
            Pacing::Closed,
            Pacing::OpenLoop {
                interval: Duration::from_millis(1),
            },
        ] {
            assert!(next(&mut Pacer::new(pacing), &b).await.is_none());
        }
    }
}
