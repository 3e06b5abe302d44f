//! One HTTP/1.1 connection: write the prebuilt request (the worker's next one, when several
//! take turns), parse the response as it arrives.
//!
//! Reads go into a 64 KiB scratch buffer owned by the worker thread, not by the connection:
//! the parser keeps only its small state, so an idle connection costs a socket and a few
//! dozen bytes, and 10 000 connections fit in a few megabytes. The scratch buffer is borrowed
//! only inside a synchronous poll, never across an `.await`, so connections of one worker can
//! share it safely.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

use super::redirect::{Followup, RedirectPolicy};
use super::response::{Progress, ResponseParser};
use crate::redirect::Next;
use crate::stream::StreamObserver;
use crate::transport::rotation::Rotation;
use crate::transport::{classify_io, Conn, ErrorKind, Exchange, Failure, Redirect, Scope};

const SCRATCH_SIZE: usize = 64 * 1024;

/// Reads one connection makes in one poll before it lets the others run (1 MiB of body).
/// The worker runs without tokio's cooperative budget, so a server streaming faster than
/// we read must not be able to hold the thread, nor delay a deadline check.
const READS_PER_POLL: usize = 16;

thread_local! {
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH_SIZE].into_boxed_slice());
}

/// An HTTP/1.1 client connection over any byte stream (TCP now, TLS later).
pub struct Http1Conn<T> {
    io: T,
    parser: ResponseParser,
    /// The prebuilt request(s); the worker's turn counter picks each exchange's.
    requests: Rotation<Bytes>,
    head_request: bool,
    served: u64,
    /// How to follow redirects; `None` when they are off.
    redirects: Option<Arc<RedirectPolicy>>,
    /// The request the last response redirected to, until the engine takes it.
    followup: Option<Box<Followup>>,
    /// Measures streamed responses (`--stream-metrics`); `None` keeps the plain path.
    stream: Option<Box<StreamObserver>>,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Http1Conn<T> {
    /// Wraps an open stream that will send `requests` (one `Bytes`, or several that take
    /// turns; HEAD requests when `head_request`).
    pub fn new(io: T, requests: impl Into<Rotation<Bytes>>, head_request: bool) -> Self {
        Http1Conn {
            io,
            parser: ResponseParser::new(),
            requests: requests.into(),
            head_request,
            served: 0,
            redirects: None,
            followup: None,
            stream: None,
        }
    }

    /// Measures every response as a stream with `observer` (`None`: not at all).
    pub fn with_stream(mut self, observer: Option<StreamObserver>) -> Self {
        if observer.is_some() {
            self.parser = ResponseParser::new().with_framing();
        }
        self.stream = observer.map(Box::new);
        self
    }

    /// Follows redirects as `policy` says (`None`: redirect responses are final).
    pub fn with_redirects(mut self, policy: Option<Arc<RedirectPolicy>>) -> Self {
        self.redirects = policy;
        self
    }

    /// Judges the response just parsed, a reply to `followup` (or to the run's request):
    /// for a same-origin redirect, builds the request that follows it.
    fn judge_redirect(&mut self, followup: Option<&Followup>) -> Redirect {
        let (Some(policy), Some(status), Some(location)) = (
            self.redirects.as_deref(),
            self.parser.status(),
            self.parser.location(),
        ) else {
            return Redirect::None;
        };
        match policy.next(followup, status, location) {
            Next::Follow(next) => {
                self.followup = Some(next);
                Redirect::Follow
            }
            Next::OtherOrigin => Redirect::OtherOrigin,
            Next::Final => Redirect::None,
        }
    }

    fn fail(&self, kind: ErrorKind) -> Failure {
        // One request at a time: whatever failed, the connection's framing is lost with it.
        Failure {
            kind,
            scope: Scope::Connection,
            stale: self.served > 0 && !self.parser.received_any(),
        }
    }

    /// Whether bytes or an EOF already wait on this idle connection: the server answered
    /// something nobody asked for, or closed it. Either way the next response read here would
    /// not belong to the next request. Never waits; costs no syscall when tokio already knows
    /// the socket is drained (the usual case after a complete response).
    fn idle_input_pending(&mut self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        SCRATCH.with(|cell| {
            let mut buf = cell.borrow_mut();
            let mut read_buf = ReadBuf::new(&mut buf[..]);
            Pin::new(&mut self.io)
                .poll_read(&mut cx, &mut read_buf)
                .is_ready()
        })
    }

    /// Reads until the response is complete; returns when it completed and whether bytes
    /// beyond the response arrived (`true`: the server answered something we did not ask, so
    /// the connection is out of sync).
    fn poll_response(
        &mut self,
        cx: &mut Context<'_>,
        first_byte: &mut Option<Instant>,
    ) -> Poll<Result<(Instant, bool), Failure>> {
        SCRATCH.with(|cell| {
            let mut buf = cell.borrow_mut();
            for _ in 0..READS_PER_POLL {
                let mut read_buf = ReadBuf::new(&mut buf[..]);
                if let Err(e) = ready!(Pin::new(&mut self.io).poll_read(cx, &mut read_buf)) {
                    return Poll::Ready(Err(self.fail(classify_io(&e))));
                }
                let n = read_buf.filled().len();
                if n == 0 {
                    return Poll::Ready(match self.parser.finish_on_eof() {
                        Ok(()) => Ok((Instant::now(), false)),
                        Err(_) => Err(self.fail(ErrorKind::Eof)),
                    });
                }
                // The clock is read once per response in the usual case: a response that
                // arrives in one read completes at the instant its first byte arrived.
                let first_read = first_byte.is_none().then(Instant::now);
                if first_read.is_some() {
                    *first_byte = first_read;
                }
                let fed = match &mut self.stream {
                    None => self.parser.feed(&buf[..n]),
                    Some(observer) => {
                        feed_observed(&mut self.parser, observer, &buf[..n], first_read)
                    }
                };
                match fed {
                    Ok(Progress::Partial) => continue,
                    Ok(Progress::Complete { consumed }) => {
                        let done = first_read.unwrap_or_else(Instant::now);
                        return Poll::Ready(Ok((done, consumed < n)));
                    }
                    Err(_) => return Poll::Ready(Err(self.fail(ErrorKind::Malformed))),
                }
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Conn for Http1Conn<T> {
    type Followup = Followup;

    async fn exchange(
        &mut self,
        start: Instant,
        followup: Option<&Followup>,
    ) -> Result<Exchange, Failure> {
        self.parser
            .start(followup.map_or(self.head_request, Followup::is_head));
        self.followup = None;
        if self.served > 0 && self.idle_input_pending() {
            // Replaced (and retried) by the caller before anything is written: `stale`.
            return Err(self.fail(ErrorKind::Eof));
        }
        let request = match followup {
            Some(f) => &f.request,
            None => self.requests.next(),
        };
        if let Err(e) = self.io.write_all(request).await {
            return Err(self.fail(classify_write(&e)));
        }
        let written = Instant::now();
        if let Some(observer) = &mut self.stream {
            observer.begin(start);
        }
        let mut first_byte = None;
        let (done, unsolicited) = poll_fn(|cx| self.poll_response(cx, &mut first_byte)).await?;
        if let Some(observer) = &mut self.stream {
            observer.finish(done);
        }
        let first_byte = first_byte.unwrap_or(done);
        let Some(status) = self.parser.status() else {
            return Err(self.fail(ErrorKind::Malformed));
        };
        self.served += 1;
        let redirect = match self.redirects {
            Some(_) => self.judge_redirect(followup),
            None => Redirect::None,
        };
        Ok(Exchange {
            status,
            body_bytes: self.parser.body_bytes(),
            write: written - start,
            wait: first_byte - written,
            read: done - first_byte,
            reusable: self.parser.keep_alive() && !unsolicited,
            finished: done,
            redirect,
        })
    }

    fn take_followup(&mut self) -> Option<Followup> {
        self.followup.take().map(|next| *next)
    }
}

/// Feeds one read to the parser with the stream observer as its sink, stamping the read
/// (`first_read` when it is the response's first, so both agree). Kept out of line so that
/// with stream metrics off `poll_response` compiles as it did without them.
#[inline(never)]
fn feed_observed(
    parser: &mut ResponseParser,
    observer: &mut StreamObserver,
    input: &[u8],
    first_read: Option<Instant>,
) -> Result<Progress, super::response::ParseError> {
    observer.read_at(first_read.unwrap_or_else(Instant::now));
    parser.feed_with(input, observer)
}

/// A write that fails because the peer is gone is a reset, whatever the OS calls it.
fn classify_write(error: &io::Error) -> ErrorKind {
    match classify_io(error) {
        ErrorKind::Io if error.kind() == io::ErrorKind::WriteZero => ErrorKind::Reset,
        kind => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    /// A server that streams a chunked body forever and never makes a read wait.
    struct Endless {
        head_sent: bool,
        reads: usize,
    }

    impl AsyncRead for Endless {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            self.reads += 1;
            if !std::mem::replace(&mut self.head_sent, true) {
                buf.put_slice(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            }
            while buf.remaining() >= 6 {
                buf.put_slice(b"1\r\na\r\n");
            }
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Endless {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            b: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(b.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_server_that_never_stops_sending_cannot_hold_the_thread() {
        let endless = Endless {
            head_sent: false,
            reads: 0,
        };
        let mut conn = Http1Conn::new(
            endless,
            Bytes::from_static(b"GET / HTTP/1.1\r\n\r\n"),
            false,
        );
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Arc::clone(&wakes).into();
        let mut cx = Context::from_waker(&waker);
        let start = Instant::now();
        {
            let mut exchange = std::pin::pin!(conn.exchange(start, None));
            assert!(exchange.as_mut().poll(&mut cx).is_pending());
            assert!(exchange.as_mut().poll(&mut cx).is_pending());
        }
        // Each poll stopped after its share of reads and asked to be polled again.
        assert_eq!(conn.io.reads, 2 * READS_PER_POLL);
        assert_eq!(wakes.0.load(Ordering::Relaxed), 2);
    }
}
