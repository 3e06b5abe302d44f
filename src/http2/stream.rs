//! One stream slot on a shared HTTP/2 connection: one request at a time, as the engine's
//! [`Conn`] wants.

use std::future::poll_fn;
use std::rc::Rc;

use bytes::Bytes;
use h2::client::{ResponseFuture, SendRequest};
use h2::{Reason, RecvStream};
use http::Response;
use tokio::time::Instant;

use super::pool::Group;
use super::redirect::{judge, Followup};
use super::request::Template;
use crate::redirect::{Next, Rules};
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
    /// How to follow redirects; `None` when they are off.
    pub(super) redirects: Option<Rc<Rules>>,
    /// The request the last response redirected to, until the engine takes it.
    pub(super) followup: Option<Box<Followup>>,
}

impl Drop for H2Stream {
    fn drop(&mut self) {
        self.group.leave();
    }
}

impl H2Stream {
    /// Sends the run's request, or `followup` when given, and reads the whole response, or
    /// fails as h2 says.
    ///
    /// Its state is part of every stream slot's memory (50 000 of them at 500 × 100), so the
    /// request and the response head are handled in plain functions ([`Self::send`],
    /// [`Self::head`]): held here, they would be kept across the awaits (a local that was
    /// ever borrowed keeps its room in an async fn's state), 180 of this future's 384 bytes.
    async fn run(
        &mut self,
        start: Instant,
        followup: Option<&Followup>,
    ) -> Result<Exchange, h2::Error> {
        // Waits while the server's MAX_CONCURRENT_STREAMS are all in use.
        poll_fn(|cx| self.send.poll_ready(cx)).await?;
        let response = self.send(followup)?;
        let written = Instant::now();
        if let Some(observer) = &mut self.observer {
            observer.begin(start);
        }
        let response = response.await?;
        let first = Instant::now();
        let (status, redirect, body) = self.head(followup, response, first);
        let bytes = self.read_body(body).await?;
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
            redirect,
        })
    }

    /// Hands the request (and its body, if any) to h2, which queues it for the connection's
    /// driver to write; the response to come.
    fn send(&mut self, followup: Option<&Followup>) -> Result<ResponseFuture, h2::Error> {
        let (head, body) = match followup {
            None => (self.template.request(), self.bodies.next().clone()),
            Some(followup) => followup.request(),
        };
        let (response, mut tx) = self.send.send_request(head, body.is_empty())?;
        if !body.is_empty() {
            // h2 buffers what the peer's window does not yet allow; dropping the handle
            // after the last data does not reset the stream.
            tx.send_data(body, true)?;
        }
        Ok(response)
    }

    /// Reads a response head that arrived at `first`: its status, whether it redirects, and
    /// its body to read.
    fn head(
        &mut self,
        followup: Option<&Followup>,
        response: Response<RecvStream>,
        first: Instant,
    ) -> (u16, Redirect, RecvStream) {
        let status = response.status().as_u16();
        let redirect = self.judge_redirect(followup, &response);
        if let Some(observer) = &mut self.observer {
            observer.read_at(first);
            let content_type = response.headers().get(http::header::CONTENT_TYPE);
            let framing =
                content_type.map_or(Framing::Other, |v| Framing::of_content_type(v.as_bytes()));
            observer.head(status, framing);
        }
        (status, redirect, response.into_body())
    }

    /// Reads a response body to its end, returning the window as it goes; its length.
    async fn read_body(&mut self, mut body: RecvStream) -> Result<u64, h2::Error> {
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
        Ok(bytes)
    }

    /// Judges a response head, a reply to `followup` (or to the run's request): for a
    /// same-origin redirect, keeps the request that follows it for the engine to take.
    fn judge_redirect(
        &mut self,
        followup: Option<&Followup>,
        response: &Response<RecvStream>,
    ) -> Redirect {
        let Some(rules) = &self.redirects else {
            return Redirect::None;
        };
        match judge(rules, followup, response.status(), response.headers()) {
            Next::Follow(followup) => {
                self.followup = Some(followup);
                Redirect::Follow
            }
            Next::OtherOrigin => Redirect::OtherOrigin,
            Next::Final => Redirect::None,
        }
    }
}

impl Conn for H2Stream {
    type Followup = Followup;

    async fn exchange(
        &mut self,
        start: Instant,
        followup: Option<&Followup>,
    ) -> Result<Exchange, Failure> {
        // A follow-up not taken (the redirect limit reached) is dropped with the next send.
        self.followup = None;
        let failure = match self.run(start, followup).await {
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

    fn take_followup(&mut self) -> Option<Followup> {
        self.followup.take().map(|next| *next)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RequestSpec;
    use crate::url::Target;

    /// The exchange's state is part of every stream slot's memory (c × M of them), so what
    /// it keeps across its awaits must stay small: 384 bytes when it held the response head,
    /// the request body and the send handle while reading the body; 200 without them.
    #[tokio::test]
    async fn the_exchange_keeps_little_across_its_awaits() {
        let (io, _server) = tokio::io::duplex(1 << 16);
        let (send, _connection) = h2::client::Builder::new()
            .handshake::<_, Bytes>(io)
            .await
            .unwrap();
        let target = Target::parse("http://example.test/").unwrap();
        let spec = RequestSpec {
            method: "GET".into(),
            authority: "example.test".into(),
            headers: Vec::new(),
            body: Bytes::new(),
            extra_bodies: Vec::new(),
        };
        let mut stream = H2Stream {
            send,
            template: Rc::new(Template::of(&target, &spec).unwrap()),
            bodies: Rotation::new(Bytes::new(), std::iter::empty()),
            group: Rc::default(),
            epoch: 0,
            observer: None,
            redirects: None,
            followup: None,
        };
        let size = std::mem::size_of_val(&stream.run(Instant::now(), None));
        assert!(size <= 256, "H2Stream::run holds {size} bytes");
    }
}
