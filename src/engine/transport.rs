//! The seam between the worker loop and a protocol.
//!
//! The worker loop only needs to open a connection and run one request/response exchange on
//! it; how bytes are framed (HTTP/1.1 now, HTTP/2 streams later) and carried (TCP now, TLS
//! later) sits behind these two traits, so new transports do not copy the loop. Redirects
//! cross the seam the same way: the protocol judges a response ([`Redirect`]) and builds the
//! follow-up request; the loop only carries it to the next exchange.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use super::result::ErrorKind;

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

/// Why an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    /// The connection had served requests before and failed before any byte of this response
    /// arrived: the server most likely closed an idle keep-alive connection, so the request is
    /// safe to retry once on a fresh connection instead of counting an error.
    pub stale: bool,
}

/// Opens connections of one kind.
#[allow(async_fn_in_trait)] // Workers run on current-thread runtimes; no `Send` bound needed.
pub trait Connector {
    type Conn: Conn;
    /// Opens one connection, or says why it could not.
    async fn connect(&self) -> io::Result<Self::Conn>;
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
    match error.kind() {
        io::ErrorKind::TimedOut => ErrorKind::ConnectTimeout,
        _ => ErrorKind::Connect,
    }
}
