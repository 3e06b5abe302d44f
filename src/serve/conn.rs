//! One connection: read requests, discard their bodies, answer them in order.
//!
//! Invariants:
//! - Responses go out in request order; pipelined requests found in one read are answered
//!   with one write, and pending output is always flushed before the task blocks on a read
//!   or a delay, so no response waits on the client's next request.
//! - Memory per connection is bounded: the read buffer holds at most one head
//!   ([`MAX_HEAD`](super::request::MAX_HEAD)) plus one read, request bodies are discarded as they arrive, and pending
//!   output is flushed once it passes [`FLUSH_AT`].
//! - Any I/O error simply ends the connection; nothing here panics on client input.

use std::io;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::llm::{self, ConnLlm};
use super::request::{self, Parsed, RequestHead};
use super::response::{self, Encoded};
use super::Shared;

/// Bytes requested from the socket per read.
const READ_SIZE: usize = 16 * 1024;

/// Pending output above this is written before more requests are answered.
const FLUSH_AT: usize = 64 * 1024;

/// Responses no larger than this are copied into one coalescing buffer; larger ones are
/// queued by reference and written separately.
const COPY_MAX: usize = 16 * 1024;

/// After the final response, how long and how much the server keeps reading (and discarding)
/// before closing, so unread client bytes do not turn the close into a reset that could
/// destroy the response in flight.
const LINGER_TIME: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1024 * 1024;

/// Serves one accepted connection (TCP, or TLS over it) until the client leaves, a response
/// closes it, or an I/O error occurs.
pub(super) async fn handle<S: AsyncRead + AsyncWrite + Unpin>(stream: S, shared: Arc<Shared>) {
    let mut conn = Conn {
        stream,
        buf: BytesMut::with_capacity(READ_SIZE),
        out: Output::default(),
        llm: shared.llm.as_ref().map(llm::Llm::connection),
        body: Vec::new(),
        shared,
    };
    if let Ok(true) = conn.run().await {
        conn.linger().await;
    }
}

/// Per-connection state; `buf` and `out` are reused for the connection's whole life.
struct Conn<S> {
    stream: S,
    buf: BytesMut,
    out: Output,
    /// `--llm` only: this connection's completion state.
    llm: Option<ConnLlm>,
    /// `--llm` only: the current request's body (up to [`llm::MAX_BODY`]), which the
    /// completion depends on; other modes discard bodies without keeping them.
    body: Vec<u8>,
    shared: Arc<Shared>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// The request loop. `Ok(true)`: the server decided to close (linger); `Ok(false)`: the
    /// client went away.
    async fn run(&mut self) -> io::Result<bool> {
        loop {
            match request::parse(&self.buf) {
                Parsed::Partial => {
                    if !self.fill().await? {
                        return Ok(false);
                    }
                }
                Parsed::Complete(head) => {
                    self.buf.advance(head.head_len);
                    if !self.discard_body(&head).await? {
                        return Ok(false);
                    }
                    if !self.answer(&head).await? {
                        return Ok(true);
                    }
                }
                Parsed::Reject(rejection) => {
                    self.shared.stats.rejected.fetch_add(1, Relaxed);
                    self.out.push_static(response::rejection(rejection));
                    self.out.flush(&mut self.stream).await?;
                    return Ok(true);
                }
            }
        }
    }

    /// Flushes pending output, then reads more into `buf`. `Ok(false)` on end of stream.
    async fn fill(&mut self) -> io::Result<bool> {
        self.out.flush(&mut self.stream).await?;
        self.buf.reserve(READ_SIZE);
        Ok(self.stream.read_buf(&mut self.buf).await? > 0)
    }

    /// Reads and drops the request body (keeping it in `--llm` mode). `Ok(false)` if the
    /// client left before sending it.
    async fn discard_body(&mut self, head: &RequestHead) -> io::Result<bool> {
        let mut left = head.content_length;
        let mut need_continue = head.expect_continue && head.http11;
        self.body.clear();
        loop {
            let take = usize::try_from(left).map_or(self.buf.len(), |l| l.min(self.buf.len()));
            if self.llm.is_some() {
                let room = llm::MAX_BODY.saturating_sub(self.body.len());
                self.body.extend_from_slice(&self.buf[..take.min(room)]);
            }
            self.buf.advance(take);
            left -= take as u64;
            if left == 0 {
                return Ok(true);
            }
            if std::mem::take(&mut need_continue) {
                self.out.push_static(response::CONTINUE);
            }
            if !self.fill().await? {
                return Ok(false);
            }
        }
    }

    /// Answers one request per the policy. `Ok(false)` when the connection must now close.
    async fn answer(&mut self, head: &RequestHead) -> io::Result<bool> {
        if let (Some(model), Some(state)) = (&self.shared.llm, &mut self.llm) {
            self.out.flush(&mut self.stream).await?;
            let stats = &self.shared.stats;
            return llm::answer(&mut self.stream, head, &self.body, model, state, stats).await;
        }
        let reply = self.shared.responder.reply(head);
        if reply.delay.is_some() || self.shared.inflight.is_some() {
            self.out.flush(&mut self.stream).await?;
        }
        // Held until the response is queued: the request's time "in service".
        let _slot = match &self.shared.inflight {
            // The semaphore is never closed, so acquiring only fails if it were.
            Some(slots) => Some(slots.acquire().await.map_err(io::Error::other)?),
            None => None,
        };
        if let Some(delay) = reply.delay {
            tokio::time::sleep(delay).await;
        }
        self.out.push(reply.response);
        // Counted before the write, so a client that has seen the response sees the count.
        self.shared.stats.requests.fetch_add(1, Relaxed);
        if reply.close || self.out.len >= FLUSH_AT {
            self.out.flush(&mut self.stream).await?;
        }
        Ok(!reply.close)
    }

    /// Half-closes, then drains what the client still sends for a bounded time, so the
    /// final response is not lost to a reset.
    async fn linger(&mut self) {
        if self.stream.shutdown().await.is_err() {
            return;
        }
        let drain = async {
            let mut drained = 0;
            while drained < LINGER_BYTES {
                self.buf.clear();
                self.buf.reserve(READ_SIZE);
                match self.stream.read_buf(&mut self.buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    }
}

/// Responses waiting to be written, in order.
#[derive(Default)]
struct Output {
    /// Small responses copied back to back; written first if `queue` is empty.
    small: BytesMut,
    /// Everything in order when a large response is pending (`small` is moved in first).
    queue: Vec<Bytes>,
    /// Total pending bytes.
    len: usize,
}

impl Output {
    fn push(&mut self, response: &Encoded) {
        for part in [&response.head, &response.body] {
            if part.len() <= COPY_MAX {
                self.small.extend_from_slice(part);
            } else {
                if !self.small.is_empty() {
                    self.queue.push(self.small.split().freeze());
                }
                self.queue.push(part.clone());
            }
            self.len += part.len();
        }
    }

    fn push_static(&mut self, bytes: &'static [u8]) {
        self.push(&Encoded {
            head: Bytes::from_static(bytes),
            body: Bytes::new(),
        });
    }

    /// Writes everything pending. The common case (only small responses) is one write
    /// from a reused buffer, without allocating.
    async fn flush(&mut self, stream: &mut (impl AsyncWrite + Unpin)) -> io::Result<()> {
        if !self.queue.is_empty() {
            if !self.small.is_empty() {
                self.queue.push(self.small.split().freeze());
            }
            for part in self.queue.drain(..) {
                stream.write_all(&part).await?;
            }
        } else if !self.small.is_empty() {
            stream.write_all(&self.small).await?;
            self.small.clear();
        }
        self.len = 0;
        Ok(())
    }
}
