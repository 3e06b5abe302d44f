//! One WebSocket session: the engine's connection whose exchanges are messages.
//!
//! An exchange sends the session's next message; with `--echo` it also waits for the reply
//! (the latency sample). Between sends the session keeps reading ([`Conn::idle`]): acks
//! are timed as they arrive, pings are answered (tungstenite queues the pong and flushes
//! it on the next read), and a close or a broken frame ends the session.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use super::acks;
use super::plan::WsPlan;
use super::sent::SentFrames;
use super::stats::WsStats;
use crate::transport::{classify_io, Conn, ErrorKind, Exchange, Failure, Redirect, Scope};

/// The status an exchange reports: every message travels over a switched (101) connection.
pub const SWITCHED: u16 = 101;

/// Close code of a normal closure: a server ending a session this way is not an error.
const NORMAL_CLOSURE: u16 = 1000;

/// How long the closing handshake may take at the end of a run before the session is
/// simply dropped.
const CLOSE_WAIT: Duration = Duration::from_millis(50);

/// Close code recorded when a close frame carries none (RFC 6455's "no status received").
const NO_STATUS: u16 = 1005;

/// An upgraded session.
pub struct WsConn<S> {
    ws: WebSocketStream<S>,
    plan: Arc<WsPlan>,
    stats: Rc<RefCell<WsStats>>,
    /// Index of the next message in `plan.messages`.
    turn: usize,
    /// When this session sent its first message: where its warm-up starts.
    first_send: Option<Instant>,
    /// Send instants of the frames acks may name (only with `--ack-field`).
    sent: SentFrames,
    /// One past the newest frame any ack named: frames from here on are unanswered.
    answered: u64,
}

/// How a session ended while reading.
enum Ended {
    /// The server sent a close frame with this code.
    Closed(u16),
    /// The connection or its framing broke.
    Broken(ErrorKind),
}

impl Ended {
    fn kind(&self) -> ErrorKind {
        match self {
            Ended::Closed(_) => ErrorKind::WsClosed,
            Ended::Broken(kind) => *kind,
        }
    }
}

/// What a received message was, for the exchange waiting on a reply.
enum Received {
    /// A data message (text or binary) of this many bytes.
    Data(usize),
    /// A control frame, handled.
    Control,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsConn<S> {
    /// A session over `ws`, recording into this worker's `stats`.
    pub fn new(ws: WebSocketStream<S>, plan: Arc<WsPlan>, stats: Rc<RefCell<WsStats>>) -> Self {
        WsConn {
            ws,
            plan,
            stats,
            turn: 0,
            first_send: None,
            sent: SentFrames::default(),
            answered: 0,
        }
    }

    /// Whether a message sent at `at` falls in its session's warm-up.
    fn in_warmup(&self, at: Instant) -> bool {
        self.first_send
            .is_some_and(|first| at.saturating_duration_since(first) < self.plan.warmup)
    }

    /// Takes in one read's outcome at `now`: counts it, times acks, and says whether the
    /// session goes on.
    fn receive(
        &mut self,
        read: Option<Result<Message, tungstenite::Error>>,
        now: Instant,
    ) -> Result<Received, Ended> {
        let message = match read {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(Ended::Broken(classify(&e))),
            None => return Err(Ended::Broken(ErrorKind::Eof)),
        };
        let data = match message {
            Message::Text(text) => Bytes::from(text),
            Message::Binary(bytes) => bytes,
            Message::Ping(_) => {
                self.stats.borrow_mut().messages.pings += 1;
                return Ok(Received::Control);
            }
            Message::Pong(_) | Message::Frame(_) => return Ok(Received::Control),
            Message::Close(frame) => {
                let code = frame.map_or(NO_STATUS, |f| u16::from(f.code));
                let mut stats = self.stats.borrow_mut();
                stats.sessions.closed_by_server += 1;
                *stats.close_codes.entry(code).or_insert(0) += 1;
                return Err(Ended::Closed(code));
            }
        };
        self.stats.borrow_mut().messages.received += 1;
        self.on_data(&data, now);
        Ok(Received::Data(data.len()))
    }

    /// A data message: with `--ack-field`, the acks it carries are timed.
    fn on_data(&mut self, payload: &[u8], now: Instant) {
        if self.plan.ack_fields.is_empty() {
            return;
        }
        let mut stats = self.stats.borrow_mut();
        let seqs = match acks::read(payload, &self.plan.ack_fields) {
            Ok(seqs) => seqs,
            Err(kind) => return stats.error(kind),
        };
        let mut oldest = u64::MAX;
        for (i, &seq) in seqs.iter().enumerate() {
            let Some(sent_at) = self.sent.get(seq) else {
                stats.error(ErrorKind::WsUnknownAck);
                continue;
            };
            oldest = oldest.min(seq);
            self.answered = self.answered.max(seq + 1);
            let part = match self.in_warmup(sent_at) {
                true => &mut stats.warmup,
                false => &mut stats.measured,
            };
            record(&mut part.acks_ns[i], now.saturating_duration_since(sent_at));
        }
        if oldest != u64::MAX {
            self.sent.forget_before(oldest);
        }
    }

    /// When the oldest unanswered frame becomes overdue (`-t`), if one is waiting.
    fn overdue_at(&self) -> Option<Instant> {
        let timeout = self.plan.ack_timeout?;
        if self.plan.ack_fields.is_empty() || self.answered >= self.sent.count() {
            return None;
        }
        let oldest = self.sent.get(self.answered)?;
        oldest.checked_add(timeout)
    }

    /// A session that ended: after the server's close frame, sends the close reply
    /// tungstenite queued (RFC 6455 section 5.5.1: an endpoint answers a close with a close)
    /// before the socket is dropped, within [`CLOSE_WAIT`].
    async fn ended(&mut self, ended: Ended) -> Ended {
        if let Ended::Closed(_) = ended {
            let _ = tokio::time::timeout(CLOSE_WAIT, self.ws.flush()).await;
        }
        ended
    }

    /// Reads until every frame sent has been answered (`--ack-field`), or the session
    /// ends; at once without acks.
    async fn drain_acks(&mut self) {
        while !self.plan.ack_fields.is_empty() && self.answered < self.sent.count() {
            let read = self.ws.next().await;
            if let Err(ended) = self.receive(read, Instant::now()) {
                self.ended_between_sends(ended).await;
                return;
            }
        }
    }

    /// A session that ended while no send was waiting on it: no send failed, so what ended
    /// it is counted here, unless the server simply said goodbye. Returns its kind.
    async fn ended_between_sends(&mut self, ended: Ended) -> ErrorKind {
        let ended = self.ended(ended).await;
        if !matches!(ended, Ended::Closed(NORMAL_CLOSURE)) {
            self.stats.borrow_mut().error(ended.kind());
        }
        ended.kind()
    }

    /// Waits for the reply to a message sent at `start` (`--echo`).
    async fn reply(&mut self, start: Instant, written: Instant) -> Result<Exchange, Failure> {
        loop {
            let read = self.ws.next().await;
            let now = Instant::now();
            let received = match self.receive(read, now) {
                Ok(received) => received,
                Err(ended) => return Err(lost(self.ended(ended).await.kind())),
            };
            if let Received::Data(bytes) = received {
                let mut stats = self.stats.borrow_mut();
                let part = match self.in_warmup(start) {
                    true => &mut stats.warmup,
                    false => &mut stats.measured,
                };
                record(&mut part.echo_ns, now.saturating_duration_since(start));
                return Ok(exchange(start, written, now, bytes as u64));
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn for WsConn<S> {
    type Followup = ();

    async fn exchange(&mut self, start: Instant, _: Option<&()>) -> Result<Exchange, Failure> {
        let message = self.plan.messages[self.turn].clone();
        self.turn = (self.turn + 1) % self.plan.messages.len();
        self.first_send.get_or_insert(start);
        if let Err(e) = self.ws.send(message).await {
            return Err(lost(classify(&e)));
        }
        let written = Instant::now();
        {
            let mut stats = self.stats.borrow_mut();
            stats.messages.sent += 1;
            if self.in_warmup(start) {
                stats.warmup_sent += 1;
            }
        }
        if !self.plan.ack_fields.is_empty() {
            self.sent.push(start);
        }
        if self.plan.echo {
            return self.reply(start, written).await;
        }
        Ok(exchange(start, written, written, 0))
    }

    fn take_followup(&mut self) -> Option<()> {
        None
    }

    async fn finish(&mut self) {
        // Frames still unanswered are in flight, as a request is: their acks are awaited,
        // within the run's drain time, before the session closes.
        let drain = self.plan.drain;
        if tokio::time::timeout(drain, self.drain_acks())
            .await
            .is_err()
        {
            return;
        }
        // A normal closure (1000); the server's answer is not waited for.
        let _ = tokio::time::timeout(CLOSE_WAIT, self.ws.close(None)).await;
    }

    async fn idle(&mut self) -> Failure {
        loop {
            let read = match self.overdue_at() {
                Some(at) => match tokio::time::timeout_at(at, self.ws.next()).await {
                    Ok(read) => read,
                    Err(_) => {
                        self.stats.borrow_mut().error(ErrorKind::Timeout);
                        return lost(ErrorKind::Timeout);
                    }
                },
                None => self.ws.next().await,
            };
            if let Err(ended) = self.receive(read, Instant::now()) {
                return lost(self.ended_between_sends(ended).await);
            }
        }
    }
}

/// A failure that takes the session down.
fn lost(kind: ErrorKind) -> Failure {
    Failure {
        kind,
        scope: Scope::Connection,
        stale: false,
    }
}

/// The exchange of a message sent at `start`, written by `written`, answered (or, without
/// `--echo`, done) at `finished`.
fn exchange(start: Instant, written: Instant, finished: Instant, body_bytes: u64) -> Exchange {
    Exchange {
        status: SWITCHED,
        body_bytes,
        write: written.saturating_duration_since(start),
        wait: finished.saturating_duration_since(written),
        read: Duration::ZERO,
        reusable: true,
        finished,
        redirect: Redirect::None,
    }
}

/// The error kind of a broken session.
pub(super) fn classify(error: &tungstenite::Error) -> ErrorKind {
    use tungstenite::Error as E;
    match error {
        E::Io(e) => classify_io(e),
        E::ConnectionClosed | E::AlreadyClosed => ErrorKind::Eof,
        _ => ErrorKind::WsProtocol,
    }
}

fn record(histogram: &mut hdrhistogram::Histogram<u64>, d: Duration) {
    let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
    crate::engine::result::record_latency(histogram, ns);
}
