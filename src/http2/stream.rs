//! One stream slot on a shared HTTP/2 connection: one request at a time, as the engine's
//! [`Conn`] wants.

use std::future::poll_fn;
use std::rc::Rc;

use bytes::Bytes;
use h2::client::SendRequest;
use h2::Reason;
use tokio::time::Instant;

use super::pool::Group;
use super::request::Template;
use crate::stream::{Framing, PayloadSink, StreamObserver};
use crate::transport::rotation::Rotation;
use crate::transport::{classify_io, Conn, ErrorKind, Exchange, Failure, Redirect, Scope};

/// A slot's handle on its group's connection; dropping it frees the seat.
pub struct H2Stream {
    pub(super) send: SendRequest<Bytes>,
    pub(super) template: Rc<Template>,
    /// The worker's bodies and turn counter: each request sends the next.
    pub(super) bodies: Rotation<Bytes>,
    pub(super) group: Rc<Group>,
    pub(super) epoch: u64,
    /// Measures each response as a stream (`--stream-metrics`): DATA frames are its
    /// payload, each stamped when it arrived. `None` keeps the plain path.
    pub(super) observer: Option<Box<StreamObserver>>,
}

impl Drop for H2Stream {
    fn drop(&mut self) {
        self.group.leave();
    }
}

impl H2Stream {
    /// Sends the request and reads the whole response, or fails as h2 says.
    async fn run(&mut self, start: Instant) -> Result<Exchange, h2::Error> {
        // Waits while the server's MAX_CONCURRENT_STREAMS are all in use.
        poll_fn(|cx| self.send.poll_ready(cx)).await?;
        let body = self.bodies.next().clone();
        let (response, mut tx) = self
            .send
            .send_request(self.template.request(), body.is_empty())?;
        if !body.is_empty() {
            // h2 buffers what the peer's window does not yet allow.
            tx.send_data(body, true)?;
        }
        let written = Instant::now();
        if let Some(observer) = &mut self.observer {
            observer.begin(start);
        }
        let response = response.await?;
        let first = Instant::now();
        let status = response.status().as_u16();
        if let Some(observer) = &mut self.observer {
            observer.read_at(first);
            let content_type = response.headers().get(http::header::CONTENT_TYPE);
            let framing =
                content_type.map_or(Framing::Other, |v| Framing::of_content_type(v.as_bytes()));
            observer.head(status, framing);
        }
        let mut body = response.into_body();
        let mut bytes = 0u64;
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            if let Some(observer) = &mut self.observer {
                observer.read_at(Instant::now());
                observer.payload(&chunk);
            }
            // Returning the window at once keeps large responses streaming.
            let _ = body.flow_control().release_capacity(chunk.len());
        }
        let finished = Instant::now();
        if let Some(observer) = &mut self.observer {
            observer.finish(finished);
        }
        Ok(Exchange {
            status,
            body_bytes: bytes,
            write: written - start,
            wait: first - written,
            read: finished - first,
            reusable: true,
            finished,
            redirect: Redirect::None,
        })
    }
}

impl Conn for H2Stream {
    /// Redirects are not followed over HTTP/2: a 3xx is the final response.
    type Followup = ();

    async fn exchange(&mut self, start: Instant, _: Option<&()>) -> Result<Exchange, Failure> {
        let failure = match self.run(start).await {
            Ok(exchange) => return Ok(exchange),
            Err(e) => {
                if e.is_go_away() && e.is_remote() {
                    self.group.saw_goaway(self.epoch);
                }
                failure(&e)
            }
        };
        if failure.scope == Scope::Connection {
            self.group.kill(self.epoch);
        }
        Err(failure)
    }

    fn take_followup(&mut self) -> Option<()> {
        None
    }
}

/// What an h2 error took down: a stream reset (`RST_STREAM`) only its stream; a GOAWAY, an
/// I/O error or a protocol error the connection. A stream the server refused unprocessed
/// (`REFUSED_STREAM`, or past a graceful GOAWAY) is safe to retry once, on a fresh stream.
fn failure(error: &h2::Error) -> Failure {
    let refused = error.reason() == Some(Reason::REFUSED_STREAM);
    if error.is_reset() {
        return Failure {
            kind: ErrorKind::ResetStream,
            scope: Scope::Stream,
            stale: refused,
        };
    }
    let kind = match error.get_io() {
        Some(io) => classify_io(io),
        None if error.is_go_away() => ErrorKind::Reset,
        None => ErrorKind::Malformed,
    };
    Failure {
        kind,
        scope: Scope::Connection,
        stale: error.is_go_away() && error.reason() == Some(Reason::NO_ERROR),
    }
}
