//! One connection slot: the loop that keeps one connection busy.
//!
//! A slot asks its pacer when to send, claims a request from the run's budget, makes sure it
//! has a live connection, runs one exchange (and the redirects it follows) under the
//! request's deadline, and records what happened. Every claimed request ends as exactly one
//! response or one error, or, when a signal interrupts the run, is counted as cut off by the
//! worker.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::{Duration, Instant};

use super::pacing::{Budget, Due, Pacer, Pacing};
use super::recorder::Recorder;
use super::result::{ErrorKind, RedirectStats};
use super::timer::Deadline;
use crate::config::RunConfig;
use crate::request_log::{Outcome, Record, WorkerLog};
use crate::transport::{classify_connect, Conn, Connector, Exchange, Failure, Redirect, Scope};

/// What every slot of one worker shares. Lives on the worker's thread only.
pub(crate) struct SlotContext<'a, C> {
    pub connector: &'a C,
    pub config: &'a RunConfig,
    pub budget: Budget<'a>,
    pub pacing: Pacing,
    pub recorder: &'a RefCell<Recorder>,
    /// This worker's end of `--log-requests`; `None` when the run logs no requests.
    pub log: Option<&'a RefCell<WorkerLog>>,
    /// Requests claimed but not yet finished: what a cancellation counts as cut off.
    pub in_flight: Cell<u64>,
    /// When this worker last sent a request: where its sending window ends.
    pub last_send: Cell<Option<Instant>>,
}

impl<C: Connector> SlotContext<'_, C> {
    /// The instant a request sent at `sent` gives up, and the error it then counts as.
    fn limit(&self, sent: Instant) -> Option<(Instant, ErrorKind)> {
        let timeout = self.config.timeout.map(|t| (sent + t, ErrorKind::Timeout));
        let drain = self
            .budget
            .deadline()
            .map(|d| (d + self.config.drain_cap, ErrorKind::Aborted));
        match (timeout, drain) {
            (Some(t), Some(d)) => Some(if t.0 <= d.0 { t } else { d }),
            (t, d) => t.or(d),
        }
    }

    /// The request log's record of a request released as `due` that ended as `outcome`. An
    /// error's end is read from the clock here, off the path of runs that log nothing.
    fn record(&self, connection: u64, due: &Due, outcome: &Result<Exchange, Failure>) -> Record {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // Where the latency starts, as in `one_request`.
        let from = due.intended.min(due.released);
        let (end, outcome, body_bytes) = match outcome {
            Ok(exchange) => (
                exchange.finished,
                Outcome::Status(exchange.status),
                exchange.body_bytes,
            ),
            Err(failure) => (Instant::now(), Outcome::Error(failure.kind), 0),
        };
        Record {
            start_ns: ns(from.saturating_duration_since(self.budget.start)),
            latency_ns: ns(end.saturating_duration_since(from)),
            service_ns: ns(end.saturating_duration_since(due.released)),
            body_bytes,
            connection,
            outcome,
        }
    }
}

/// Drives one connection slot until the run's budget or time is used up. `connection` is
/// the slot's id in the request log (see [`crate::request_log`]); the slot starts `offset`
/// after the run (`--ramp`).
///
/// An `async move` block rather than an `async fn`: an async fn keeps its arguments twice in
/// its state (as passed, and moved into its body), and this state is every slot's memory.
/// With [`one_request`] written the same way, an HTTP/1.1 connection's slot went from 1 168
/// to 848 bytes (`-Zprint-type-sizes`), an HTTP/2 stream's shed 200 of its 1 240.
#[allow(clippy::manual_async_fn)] // On purpose: see above.
pub(crate) fn drive<'c, 's, C: Connector>(
    mut conn: Option<C::Conn>,
    ctx: &'c SlotContext<'s, C>,
    connection: u64,
    offset: Duration,
) -> impl Future<Output = ()> + use<'c, 's, C> {
    async move {
        let mut pacer = Pacer::new(ctx.pacing).starting_after(offset);
        let mut deadline = Deadline::default();
        let mut connect_failures = 0u32;
        let scheduled = ctx.pacing.scheduled();
        while let Some(due) = next_due(&mut pacer, &mut conn, ctx).await {
            // A send the alarm released a little early (its kernel lead) still ends the
            // sending window at its due time, so an on-schedule run never seems faster than
            // its rate.
            ctx.last_send.set(Some(due.released.max(due.intended)));
            if scheduled {
                ctx.recorder.borrow_mut().scheduled_send(&due);
            }
            ctx.in_flight.set(ctx.in_flight.get() + 1);
            let outcome = one_request(&mut conn, ctx, &mut deadline, due, connection).await;
            ctx.in_flight.set(ctx.in_flight.get() - 1);
            ctx.budget.progress.finished_one();
            connect_failures = match outcome {
                Err(ErrorKind::Connect | ErrorKind::ConnectTimeout) => connect_failures + 1,
                _ => 0,
            };
            if connect_failures > 0 && !ctx.budget.spent() {
                // A refused connect fails in microseconds; back off so a dead server is not
                // hammered in a busy loop (and `-z` runs do not count millions of errors).
                // Not after the run's last request: the pause would only stretch its
                // measured time.
                let pause = Duration::from_millis(5 << connect_failures.min(4));
                tokio::time::sleep(pause).await;
            }
            // The clock is read only off the fast path: a response carries its finish time.
            pacer.freed(outcome.unwrap_or_else(|_| Instant::now()));
        }
        if let Some(live) = conn.as_mut() {
            live.finish().await;
        }
    }
}

/// Waits for the pacer's next send while the connection does its idle duty (see
/// [`Conn::idle`]). A connection lost meanwhile is dropped, and the wait goes on: the send
/// reconnects. The pacer's wait is never cancelled, so no claimed request is lost.
async fn next_due<C: Connector>(
    pacer: &mut Pacer,
    conn: &mut Option<C::Conn>,
    ctx: &SlotContext<'_, C>,
) -> Option<Due> {
    let next = pacer.next(&ctx.budget);
    tokio::pin!(next);
    if let Some(live) = conn.as_mut() {
        tokio::select! {
            biased;
            due = &mut next => return due,
            _lost = live.idle() => {}
        }
        *conn = None;
    }
    next.await
}

/// Runs one request, released as `due` on the slot whose log id is `connection`, to
/// completion or failure and records it. Returns when the response finished, or the error.
/// An `async move` block for the reason given at [`drive`].
#[allow(clippy::manual_async_fn)] // On purpose: see above.
fn one_request<'a, 'c, 's, 'd, C: Connector>(
    conn: &'a mut Option<C::Conn>,
    ctx: &'c SlotContext<'s, C>,
    deadline: &'d mut Deadline,
    due: Due,
    connection: u64,
) -> impl Future<Output = Result<Instant, ErrorKind>> + use<'a, 'c, 's, 'd, C> {
    async move {
        let limit = ctx.limit(due.released);
        // Outside the limited future, so hops followed before a failure or timeout still
        // count.
        let mut redirects = RedirectStats::default();
        let attempt = attempt(conn, ctx, due.released, &mut redirects);
        let outcome = match with_limit(attempt, limit.map(|l| l.0), deadline).await {
            Some(outcome) => outcome,
            // A response cut off mid-way leaves the connection's framing unknown.
            None => Err(Failure {
                kind: limit.map_or(ErrorKind::Timeout, |l| l.1),
                scope: Scope::Connection,
                stale: false,
            }),
        };
        settle(conn, ctx, &due, connection, &redirects, outcome)
    }
}

/// Records how the request released as `due` ended, and drops a connection that may not
/// carry another one.
fn settle<C: Connector>(
    conn: &mut Option<C::Conn>,
    ctx: &SlotContext<'_, C>,
    due: &Due,
    connection: u64,
    redirects: &RedirectStats,
    outcome: Result<Exchange, Failure>,
) -> Result<Instant, ErrorKind> {
    if let Some(log) = ctx.log {
        log.borrow_mut().push(ctx.record(connection, due, &outcome));
    }
    let mut recorder = ctx.recorder.borrow_mut();
    if redirects.any() {
        recorder.redirects.merge(redirects);
    }
    let sent = due.released;
    match outcome {
        Ok(exchange) => {
            let done = exchange.finished;
            // A send the alarm released a little early is timed from when it left.
            recorder.response(&exchange, done - due.intended.min(sent), done - sent);
            if !exchange.reusable || !ctx.config.keepalive {
                *conn = None;
            }
            Ok(done)
        }
        Err(failure) => {
            // A failed connection is never reused: it may hold stale bytes. A failed stream
            // (HTTP/2) leaves its connection to the other streams.
            if failure.scope == Scope::Connection {
                *conn = None;
            }
            recorder.error(failure.kind);
            Err(failure.kind)
        }
    }
}

/// Runs one request: its exchange, then any redirects it follows (counted in `stats`). One
/// request is one latency sample from the first send to the last byte of the final response.
async fn attempt<C: Connector>(
    conn: &mut Option<C::Conn>,
    ctx: &SlotContext<'_, C>,
    sent: Instant,
    stats: &mut RedirectStats,
) -> Result<Exchange, Failure> {
    let first = exchange(conn, ctx, sent, None).await?;
    if first.redirect == Redirect::None {
        return Ok(first);
    }
    // Boxed: redirects are rare, and inline their state would enlarge every slot.
    Box::pin(follow(conn, ctx, first, stats)).await
}

/// Follows the redirects that the response `done` starts, up to the run's limit, on the
/// same connection when it may be reused and on a new one otherwise. The engine only carries
/// the protocol's follow-up request from one exchange to the next; what a redirect means on
/// the wire is the protocol's business.
async fn follow<C: Connector>(
    conn: &mut Option<C::Conn>,
    ctx: &SlotContext<'_, C>,
    mut done: Exchange,
    stats: &mut RedirectStats,
) -> Result<Exchange, Failure> {
    loop {
        match done.redirect {
            Redirect::None => break,
            Redirect::OtherOrigin => {
                stats.cross_host += 1;
                break;
            }
            Redirect::Follow if stats.followed >= u64::from(ctx.config.redirect_limit) => {
                stats.limit_reached += 1;
                break;
            }
            Redirect::Follow => {}
        }
        let Some(next) = conn.as_mut().and_then(Conn::take_followup) else {
            break;
        };
        if !done.reusable || !ctx.config.keepalive {
            *conn = None;
        }
        let hop = exchange(conn, ctx, done.finished, Some(&next)).await?;
        stats.followed += 1;
        done = done.then(hop);
    }
    Ok(done)
}

/// Connects if needed and exchanges, retrying once when a reused connection turns out to
/// have been closed by the server while idle.
async fn exchange<C: Connector>(
    conn: &mut Option<C::Conn>,
    ctx: &SlotContext<'_, C>,
    sent: Instant,
    followup: Option<&<C::Conn as Conn>::Followup>,
) -> Result<Exchange, Failure> {
    let mut retried = false;
    loop {
        let (live, start) = match conn {
            Some(live) => (live, sent),
            None => {
                // Boxed: the connect future is large and rarely alive; inline, every idle
                // slot would reserve room for it.
                let opened = Box::pin(open(ctx)).await?;
                (conn.insert(opened), Instant::now())
            }
        };
        match live.exchange(start, followup).await {
            Ok(exchange) => return Ok(exchange),
            Err(failure) if failure.stale && !retried => {
                retried = true;
                *conn = None;
            }
            Err(failure) => return Err(failure),
        }
    }
}

/// Opens a connection during the run, counting it as a reconnect when keep-alive is on
/// (with keep-alive off, a connection per request is the point, not a symptom).
async fn open<C: Connector>(ctx: &SlotContext<'_, C>) -> Result<C::Conn, Failure> {
    let started = Instant::now();
    let result = ctx.connector.connect().await;
    let mut recorder = ctx.recorder.borrow_mut();
    match result {
        // A slot that joined an open (HTTP/2) connection opened nothing: one reconnect per
        // connection, however many of its streams come back.
        Ok(connected) if !connected.opened => Ok(connected.conn),
        Ok(connected) => {
            recorder.connected(started.elapsed(), connected.handshake);
            if ctx.config.keepalive {
                recorder.connections.reconnects += 1;
            }
            Ok(connected.conn)
        }
        Err(e) => Err(Failure {
            kind: classify_connect(&e),
            scope: Scope::Connection,
            stale: false,
        }),
    }
}

pin_project_lite::pin_project! {
    /// `fut` until it finishes or `limit` passes (`None` when the limit passed first).
    ///
    /// A hand-written future rather than an `async fn`: an async fn would keep `fut` twice
    /// in its state (the argument and the pinned local), and that state is part of every
    /// idle connection's memory (it was 232 of a connection's 1 048 bytes).
    struct WithLimit<'d, F> {
        #[pin]
        fut: F,
        limit: Option<Instant>,
        deadline: &'d mut Deadline,
    }
}

/// Runs `fut` until it finishes or `limit` passes (`None` when it passed first).
fn with_limit<F: Future>(
    fut: F,
    limit: Option<Instant>,
    deadline: &mut Deadline,
) -> WithLimit<'_, F> {
    WithLimit {
        fut,
        limit,
        deadline,
    }
}

impl<F: Future> Future for WithLimit<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.fut.poll(cx) {
            return Poll::Ready(Some(output));
        }
        match *this.limit {
            Some(at) => this.deadline.poll_expired(at, cx).map(|()| None),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn with_limit_holds_its_future_once() {
        let mut deadline = Deadline::default();
        let big = [7u8; 512];
        let inner = async move { big.len() };
        let inner_size = std::mem::size_of_val(&inner);
        let limited = with_limit(inner, None, &mut deadline);
        assert!(std::mem::size_of_val(&limited) <= inner_size + 32);
        assert_eq!(limited.await, Some(512));
    }

    #[tokio::test(start_paused = true)]
    async fn with_limit_gives_up_at_the_limit() {
        let mut deadline = Deadline::default();
        let at = Instant::now() + Duration::from_secs(2);
        let never = std::future::pending::<()>();
        assert_eq!(with_limit(never, Some(at), &mut deadline).await, None);
        assert_eq!(Instant::now(), at);
    }
}
