//! A per-worker alarm that releases open-loop sends on time, to within microseconds.
//!
//! tokio's timer has millisecond ticks: a send due at 10.3 ms wakes at 11 ms or later, and
//! since open-loop latency counts from the due time, that delay would be reported as the
//! server's. So the alarm sleeps until shortly before the earliest due send, then yields to
//! the runtime in a loop (which keeps polling sockets meanwhile) until the instant passes,
//! and wakes every slot whose send is due. On Linux it sleeps on a kernel high-resolution
//! timer ([`TimerFd`]) armed [`KERNEL_LEAD`] before the instant, the thread's usual wake-up
//! time, and releases the sends due within that lead: no yield loop at all. Elsewhere (or if
//! no timerfd can be made) it sleeps on tokio's timer until [`SPIN_WINDOW`] before the
//! instant and yields in a loop from there, which costs up to a core at high rates.
//!
//! One alarm serves all slots of a worker: waiting connections only sit in its queue, so a
//! worker arms one timer (or yields in one loop) at a time however many connections it
//! drives. Measured at `--rate 2000` against a loopback nginx on a loaded 2-core VM, three
//! alternating runs: generator CPU 58-63 us per request (a 75 us lead plus a yield loop for
//! the rest: 90-93 us; oha -q 2000: 70 us), send lateness p90 41-79 us, latency p50 equal
//! or lower; a yield loop alone gets 1 us lateness for a whole core.
//!
//! Invariant: a slot has at most one entry at a time, so a queue sized to the worker's slots
//! up front never grows on the hot path.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::time::{sleep_until, Duration, Instant, Sleep};

#[cfg(target_os = "linux")]
use super::timerfd::TimerFd;

/// Without a kernel timer: how long before a due instant the alarm stops trusting tokio's
/// timer and yields in a loop. tokio rounds a sleep up to its next millisecond tick, and the
/// OS adds its own slack, so the coarse sleep ends about 1.25 to 0.2 ms before the instant.
pub(crate) const SPIN_WINDOW: Duration = Duration::from_micros(1250);

/// With a kernel timer: how long before a due instant it is armed, and how early a send may
/// then leave. A sleeping thread takes some 30-50 us to run again after its timer fires
/// (more in a VM), so arming this much early lands most sends within microseconds of their
/// instant without a yield loop: a spinning thread costs a core at high rates and, on a busy
/// machine, is preempted for whole time slices (milliseconds of lateness), while a
/// sleeping one is woken first. A send released early is timed from when it actually left,
/// never from its later due instant, so it cannot flatter the latency.
#[cfg(target_os = "linux")]
pub(crate) const KERNEL_LEAD: Duration = Duration::from_micros(50);

/// How the alarm waits for the earliest due send.
enum Clock {
    /// A kernel high-resolution timer armed for the instant itself; the thread sleeps.
    #[cfg(target_os = "linux")]
    Kernel(TimerFd),
    /// tokio's timer until [`SPIN_WINDOW`] before the instant, then a yield loop.
    Spin,
    /// tokio's timer only: for tests under a paused clock, where yielding never lets the
    /// clock advance.
    #[cfg(test)]
    Coarse,
}

/// What [`Alarm::rest`] waits for, besides a new earliest send.
enum Wake {
    Never,
    Tokio(Instant),
    /// The armed [`Clock::Kernel`] timer.
    #[cfg(target_os = "linux")]
    Kernel,
}

/// The precise waker of one worker's open-loop sends. Lives on the worker's thread only.
pub(crate) struct Alarm {
    clock: Clock,
    /// Sends waiting for their instant, earliest first, with the slot to wake. The id tells
    /// apart slots waiting for the same instant (every session of a cadence).
    waiting: RefCell<VecDeque<(Instant, u64, Waker)>>,
    /// The id of the next queued send.
    next_id: Cell<u64>,
    /// Set when a new send became the earliest, so the alarm re-plans its sleep.
    changed: Cell<bool>,
    /// The task that runs [`Alarm::run`], woken when `changed` is set.
    runner: RefCell<Option<Waker>>,
}

impl Alarm {
    /// The most precise alarm available for a worker with `slots` connections. Must be
    /// called inside the worker's runtime (the kernel timer registers with it).
    pub(crate) fn new(slots: usize) -> Alarm {
        #[cfg(target_os = "linux")]
        if let Ok(timer) = TimerFd::new() {
            return Alarm::with_clock(slots, Clock::Kernel(timer));
        }
        Alarm::spinning(slots)
    }

    /// An alarm on tokio's timer plus a yield loop; costs nothing until used, so closed-loop
    /// workers get this one.
    pub(crate) fn spinning(slots: usize) -> Alarm {
        Alarm::with_clock(slots, Clock::Spin)
    }

    /// An alarm on tokio's timer only, for tests under a paused clock.
    #[cfg(test)]
    pub(crate) fn coarse(slots: usize) -> Alarm {
        Alarm::with_clock(slots, Clock::Coarse)
    }

    fn with_clock(slots: usize, clock: Clock) -> Alarm {
        Alarm {
            clock,
            waiting: RefCell::new(VecDeque::with_capacity(slots)),
            next_id: Cell::new(0),
            changed: Cell::new(false),
            runner: RefCell::new(None),
        }
    }

    /// Resolves once `at` has passed, woken by this alarm. [`Alarm::run`] must be polled by
    /// the same worker meanwhile.
    pub(crate) fn until(&self, at: Instant) -> Until<'_> {
        Until {
            alarm: self,
            at,
            queued: None,
        }
    }

    /// Drives the alarm; never finishes (run it beside the slots and drop it with them).
    pub(crate) async fn run(&self) {
        let mut timer = Box::pin(sleep_until(Instant::now()));
        loop {
            let now = Instant::now();
            let Some(at) = self.release(now + self.early()) else {
                self.rest(Wake::Never, &mut timer).await;
                continue;
            };
            match &self.clock {
                #[cfg(test)]
                Clock::Coarse => self.rest(Wake::Tokio(at), &mut timer).await,
                #[cfg(target_os = "linux")]
                Clock::Kernel(kernel) if kernel.set(at - KERNEL_LEAD).is_ok() => {
                    self.rest(Wake::Kernel, &mut timer).await;
                }
                _ if at <= now + SPIN_WINDOW => tokio::task::yield_now().await,
                _ => self.rest(Wake::Tokio(at - SPIN_WINDOW), &mut timer).await,
            }
        }
    }

    /// How early a send may leave: [`KERNEL_LEAD`] with the kernel timer, none otherwise.
    fn early(&self) -> Duration {
        match self.clock {
            #[cfg(target_os = "linux")]
            Clock::Kernel(_) => KERNEL_LEAD,
            _ => Duration::ZERO,
        }
    }

    /// Wakes every send due by `now`; returns the next due instant, if any.
    fn release(&self, now: Instant) -> Option<Instant> {
        let mut waiting = self.waiting.borrow_mut();
        while let Some((at, _, _)) = waiting.front() {
            if *at > now {
                return Some(*at);
            }
            if let Some((_, _, waker)) = waiting.pop_front() {
                waker.wake();
            }
        }
        None
    }

    /// Waits for `wake`, or until a new earliest send arrives.
    async fn rest(&self, wake: Wake, timer: &mut Pin<Box<Sleep>>) {
        if let Wake::Tokio(at) = wake {
            if timer.deadline() != at {
                timer.as_mut().reset(at);
            }
        }
        poll_fn(|cx| {
            if self.changed.replace(false) {
                return Poll::Ready(());
            }
            let woke = match &wake {
                Wake::Never => false,
                Wake::Tokio(_) => timer.as_mut().poll(cx).is_ready(),
                // An error reading the timer ends the wait: the loop re-plans and re-arms.
                #[cfg(target_os = "linux")]
                Wake::Kernel => match &self.clock {
                    Clock::Kernel(kernel) => kernel.poll_expired(cx).is_ready(),
                    _ => true,
                },
            };
            if woke {
                return Poll::Ready(());
            }
            let mut runner = self.runner.borrow_mut();
            if !runner.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *runner = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await;
    }

    /// Queues a send due at `at`, keeping the queue in due order, and returns its id.
    /// Within a worker, sends arrive in due order (tickets are taken in order), so this is
    /// a push at the back.
    fn push(&self, at: Instant, waker: &Waker) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let mut waiting = self.waiting.borrow_mut();
        let pos = waiting
            .iter()
            .rposition(|(t, _, _)| *t <= at)
            .map_or(0, |i| i + 1);
        waiting.insert(pos, (at, id, waker.clone()));
        if pos == 0 {
            self.changed.set(true);
            if let Some(runner) = self.runner.borrow().as_ref() {
                runner.wake_by_ref();
            }
        }
        id
    }

    /// Points the entry `id` (due at `at`) to a new waker (a future moved between tasks).
    fn rewake(&self, at: Instant, id: u64, waker: &Waker) {
        let mut waiting = self.waiting.borrow_mut();
        let entry = waiting.iter_mut().find(|(t, i, _)| *t == at && *i == id);
        if let Some((_, _, w)) = entry {
            if !w.will_wake(waker) {
                *w = waker.clone();
            }
        }
    }
}

/// Resolves once an instant has passed; see [`Alarm::until`]. Dropped while queued, it
/// leaves an entry whose wake-up is a no-op.
pub(crate) struct Until<'a> {
    alarm: &'a Alarm,
    at: Instant,
    /// The id of this wait's queue entry, once queued.
    queued: Option<u64>,
}

impl Future for Until<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() + self.alarm.early() >= self.at {
            return Poll::Ready(());
        }
        match self.queued {
            Some(id) => self.alarm.rewake(self.at, id, cx.waker()),
            None => self.queued = Some(self.alarm.push(self.at, cx.waker())),
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `fut` with `alarm` driven beside it.
    async fn with_alarm<F: Future>(alarm: &Alarm, fut: F) -> F::Output {
        tokio::select! {
            biased;
            () = alarm.run() => unreachable!("the alarm never finishes"),
            out = fut => out,
        }
    }

    // Under a paused clock tokio's timer still fires on its millisecond ticks, so these
    // tests use whole milliseconds; sub-millisecond precision is tested on the real clock.
    #[tokio::test(start_paused = true)]
    async fn wakes_at_the_instant_under_a_paused_clock() {
        let alarm = Alarm::coarse(4);
        let at = Instant::now() + Duration::from_millis(10);
        with_alarm(&alarm, alarm.until(at)).await;
        assert_eq!(Instant::now(), at);
    }

    #[tokio::test(start_paused = true)]
    async fn many_waiters_are_woken_in_due_order() {
        let alarm = Alarm::coarse(4);
        let t0 = Instant::now();
        let order = RefCell::new(Vec::new());
        let wait = |ms: u64| {
            let order = &order;
            let until = alarm.until(t0 + Duration::from_millis(ms));
            async move {
                until.await;
                order.borrow_mut().push((ms, Instant::now() - t0));
            }
        };
        // Out of order on purpose: an earlier send queued later goes to the front.
        with_alarm(&alarm, async {
            tokio::join!(wait(7), wait(2), wait(15), wait(2));
        })
        .await;
        let woken: Vec<_> = order.into_inner();
        let ms = |d: Duration| d.as_millis() as u64;
        assert_eq!(
            woken.iter().map(|&(w, at)| (w, ms(at))).collect::<Vec<_>>(),
            vec![(2, 2), (2, 2), (7, 7), (15, 15)]
        );
    }

    /// Slots of a cadence wait for the same instant, and each is polled again while it
    /// waits (its session's reads wake it): each must keep its own wake-up.
    #[tokio::test(start_paused = true)]
    async fn waiters_of_one_instant_polled_again_each_wake() {
        use futures_util::stream::{FuturesUnordered, StreamExt};
        let alarm = Alarm::coarse(4);
        let at = Instant::now() + Duration::from_millis(5);
        let mut slots: FuturesUnordered<_> = (0..3)
            .map(|i| {
                let mut until = Box::pin(alarm.until(at));
                async move {
                    // A first poll queues it; a second one (a spurious wake) re-polls it.
                    std::future::poll_fn(|cx| {
                        let _ = until.as_mut().poll(cx);
                        Poll::Ready(())
                    })
                    .await;
                    until.await;
                    i
                }
            })
            .collect();
        let woken = with_alarm(&alarm, async {
            let mut woken = Vec::new();
            while let Some(i) = slots.next().await {
                woken.push(i);
            }
            woken
        })
        .await;
        assert_eq!(woken.len(), 3);
        assert_eq!(Instant::now(), at);
    }

    /// The best of three medians of 21 waits off tokio's millisecond grid: what the alarm
    /// can do, not how busy the machine running the tests happened to be.
    async fn median_lateness(alarm: &Alarm) -> Duration {
        let mut best = Duration::MAX;
        for _ in 0..3 {
            best = best.min(one_median_lateness(alarm).await);
        }
        best
    }

    async fn one_median_lateness(alarm: &Alarm) -> Duration {
        let mut late = Vec::new();
        for i in 1..=21u64 {
            // Off the millisecond grid on purpose: tokio's timer alone rounds these up to its
            // next tick, about 0.5 ms late on average.
            let at = Instant::now() + Duration::from_micros(1_000 + 137 * i);
            with_alarm(alarm, alarm.until(at)).await;
            let now = Instant::now();
            assert!(
                now + alarm.early() >= at,
                "released before its lead: {at:?} {now:?}"
            );
            late.push(now.saturating_duration_since(at));
        }
        late.sort();
        // The median, not the worst: a loaded machine may preempt the thread now and then.
        late[10]
    }

    #[tokio::test]
    async fn the_precise_alarm_is_well_under_a_millisecond_late() {
        let late = median_lateness(&Alarm::new(1)).await;
        assert!(
            late < Duration::from_micros(400),
            "median lateness {late:?}"
        );
    }

    #[tokio::test]
    async fn the_spinning_alarm_is_well_under_a_millisecond_late() {
        let late = median_lateness(&Alarm::spinning(1)).await;
        assert!(
            late < Duration::from_micros(400),
            "median lateness {late:?}"
        );
    }
}
