//! The leaf seam between the worker loop and the protocols.
//!
//! The worker loop only needs to open a connection and run one request/response exchange on
//! it; how bytes are framed (HTTP/1.1 now, HTTP/2 streams later) and carried (TCP, TLS) sits
//! behind these traits, so new transports do not copy the loop. Protocols implement them and
//! the caller picks one by scheme and protocol (`crate::connector`); this module imports
//! neither the engine nor any protocol. Redirects cross the seam the same way: the protocol
//! judges a response ([`Redirect`]) and builds the follow-up request; the loop only carries
//! it to the next exchange.
//!
//! Invariants a protocol may rely on: each worker has a [`Connector`] of its own, made on its
//! thread for one run, so it may keep per-worker state (an HTTP/2 connection its streams
//! share) in plain cells; what workers share goes behind an `Arc`. Connections and their
//! futures stay on the worker thread that opened them (no `Send` needed); a protocol may
//! spawn a connection's driver task on the current (worker) runtime with `tokio::spawn`: the
//! worker loop yields to the runtime and never blocks its thread while a run is in progress.

mod kind;
pub mod rotation;
pub mod tcp;
pub mod tunnel;

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

pub use kind::ErrorKind;

/// What a response says about redirects, as the protocol judged it: the engine follows
/// without knowing how a `Location` is read or a follow-up request is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Redirect {
    /// Not a redirect, or redirects are off: the response is final.
    #[default]
    None,
    /// A redirect on the same origin; [`Conn::take_followup`] holds the request to send next.
    Follow,
    /// A redirect to another scheme, host or port: not followed, the response is final.
    OtherOrigin,
}

/// What one successful exchange produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    pub status: u16,
    pub body_bytes: u64,
    /// Time to write the request.
    pub write: Duration,
    /// From the end of the write to the first response byte.
    pub wait: Duration,
    /// From the first response byte to the end of the response.
    pub read: Duration,
    /// Whether the connection may carry another request.
    pub reusable: bool,
    /// When the last byte arrived.
    pub finished: Instant,
    /// Whether the response redirects, and where to.
    pub redirect: Redirect,
}

impl Exchange {
    /// One request whose response redirected to `next`: the final response's status and
    /// connection state, with bytes and phase times summed over both hops.
    pub fn then(self, next: Exchange) -> Exchange {
        Exchange {
            body_bytes: self.body_bytes + next.body_bytes,
            write: self.write + next.write,
            wait: self.wait + next.wait,
            read: self.read + next.read,
            ..next
        }
    }
}

/// What a failure took down with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only this request's stream (an HTTP/2 `RST_STREAM`): the connection carries on.
    Stream,
    /// The whole connection (HTTP/1.1 always; an HTTP/2 `GOAWAY` or I/O error): the slot
    /// reconnects once, however many streams the connection carried.
    Connection,
}

/// Why an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    /// Whether the connection survived the failure.
    pub scope: Scope,
    /// The connection had served requests before and failed before any byte of this response
    /// arrived: the server most likely closed an idle keep-alive connection, so the request is
    /// safe to retry once on a fresh connection instead of counting an error.
    pub stale: bool,
}

/// Opens byte streams (TCP, TLS over TCP) for a protocol to speak over.
#[allow(async_fn_in_trait)]
pub trait Dial {
    type Stream: AsyncRead + AsyncWrite + Unpin;
    /// Opens one stream, handshake included, or says why it could not.
    async fn dial(&self) -> io::Result<Dialed<Self::Stream>>;
}

/// A stream fresh from [`Dial::dial`], with what its set-up cost.
pub struct Dialed<S> {
    pub stream: S,
    /// The TLS handshake's share of the set-up; `None` over plain TCP.
    pub handshake: Option<Duration>,
}

/// Opens connections of one kind, for one worker (see the module's invariants).
#[allow(async_fn_in_trait)] // Workers run on current-thread runtimes; no `Send` bound needed.
pub trait Connector {
    type Conn: Conn;
    /// Opens one connection, or says why it could not.
    async fn connect(&self) -> io::Result<Connected<Self::Conn>>;

    /// The stream metrics this worker's connections recorded (`--stream-metrics`), taken
    /// once when the worker is done; `None` when the protocol measures no stream.
    fn take_stream_stats(&self) -> Option<crate::stream::StreamStats> {
        None
    }

    /// The WebSocket session stats this worker's connections recorded (`vastar ws`), taken
    /// once when the worker is done; `None` for every other protocol.
    fn take_ws_stats(&self) -> Option<crate::ws::stats::WsStats> {
        None
    }

    /// How many of this worker's connections the server closed with a `GOAWAY` (HTTP/2),
    /// read once when the worker is done: the engine sees a GOAWAY only as a failed
    /// connection, so the protocol counts it, once per connection.
    fn goaways(&self) -> u64 {
        0
    }
}

/// A connection fresh from [`Connector::connect`], with its TLS handshake time if any.
pub struct Connected<C> {
    pub conn: C,
    /// See [`Dialed::handshake`].
    pub handshake: Option<Duration>,
    /// Whether a connection was opened for it; `false` when it joined one already open (an
    /// HTTP/2 stream slot on a shared connection), which costs no connect to count.
    pub opened: bool,
}

/// One open connection that carries one request at a time.
#[allow(async_fn_in_trait)]
pub trait Conn {
    /// A request a response asked for (a redirect's target), built by the protocol when the
    /// redirect arrives; opaque to the engine, which only carries it to the next exchange
    /// (on this connection, or a new one when this one cannot be reused).
    type Followup;

    /// Sends the run's request, or `followup` when given, and reads the whole response.
    /// `start` is "now" as the caller last read the clock, so the hot path does not read it
    /// again.
    async fn exchange(
        &mut self,
        start: Instant,
        followup: Option<&Self::Followup>,
    ) -> Result<Exchange, Failure>;

    /// The request the last exchange's response redirected to, when it said
    /// [`Redirect::Follow`]; `None` otherwise.
    fn take_followup(&mut self) -> Option<Self::Followup>;

    /// What the connection does while its slot waits for the next send: a WebSocket session
    /// keeps reading (acks, pings, a close) so arrivals are timed when they arrive, not at
    /// the next send. It returns only when the connection is lost, with why; the slot then
    /// drops it and the next send reconnects. Must be cancel-safe: the slot drops it as soon
    /// as a send is due. A request/response protocol has nothing to read between requests.
    async fn idle(&mut self) -> Failure {
        std::future::pending().await
    }

    /// Ends the connection politely once its slot has sent its last request (a WebSocket
    /// close frame), so the server sees a client leaving, not a failure. Best effort and
    /// brief: it must not stretch the run.
    async fn finish(&mut self) {}
}

/// A connect that failed for a reason the protocol names precisely (a WebSocket upgrade
/// refused with a status), carried inside the `io::Error` that [`Connector::connect`]
/// returns so that [`classify_connect`] counts it under its own kind.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub kind: ErrorKind,
    /// One line for the user, e.g. "WebSocket upgrade refused: 403 Forbidden".
    pub message: String,
}

impl Refused {
    /// The `io::Error` a connector returns for this refusal.
    pub fn into_io(kind: ErrorKind, message: String) -> io::Error {
        io::Error::other(Refused { kind, message })
    }
}

/// Classifies an I/O error on an established connection.
pub fn classify_io(error: &io::Error) -> ErrorKind {
    use io::ErrorKind as K;
    match error.kind() {
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => ErrorKind::Reset,
        K::UnexpectedEof => ErrorKind::Eof,
        K::TimedOut => ErrorKind::Timeout,
        _ => ErrorKind::Io,
    }
}

/// Classifies a failed connect.
pub fn classify_connect(error: &io::Error) -> ErrorKind {
    if let Some(refused) = error.get_ref().and_then(|e| e.downcast_ref::<Refused>()) {
        return refused.kind;
    }
    match error.kind() {
        io::ErrorKind::TimedOut => ErrorKind::ConnectTimeout,
        _ => ErrorKind::Connect,
    }
}
