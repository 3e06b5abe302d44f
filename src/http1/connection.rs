//! One HTTP/1.1 connection: write the prebuilt request, parse the response as it arrives.
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
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

use super::response::{Progress, ResponseParser};
use crate::engine::result::ErrorKind;
use crate::engine::transport::{classify_io, Conn, Exchange, Failure};

const SCRATCH_SIZE: usize = 64 * 1024;

thread_local! {
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH_SIZE].into_boxed_slice());
}

/// An HTTP/1.1 client connection over any byte stream (TCP now, TLS later).
pub struct Http1Conn<T> {
    io: T,
    parser: ResponseParser,
    request: Bytes,
    head_request: bool,
    served: u64,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Http1Conn<T> {
    /// Wraps an open stream that will send `request` (a HEAD request when `head_request`).
    pub fn new(io: T, request: Bytes, head_request: bool) -> Self {
        Http1Conn {
            io,
            parser: ResponseParser::new(),
            request,
            head_request,
            served: 0,
        }
    }

    fn fail(&self, kind: ErrorKind) -> Failure {
        Failure {
            kind,
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
            loop {
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
                match self.parser.feed(&buf[..n]) {
                    Ok(Progress::Partial) => continue,
                    Ok(Progress::Complete { consumed }) => {
                        let done = first_read.unwrap_or_else(Instant::now);
                        return Poll::Ready(Ok((done, consumed < n)));
                    }
                    Err(_) => return Poll::Ready(Err(self.fail(ErrorKind::Malformed))),
                }
            }
        })
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Conn for Http1Conn<T> {
    async fn exchange(&mut self, start: Instant) -> Result<Exchange, Failure> {
        self.parser.start(self.head_request);
        if self.served > 0 && self.idle_input_pending() {
            // Replaced (and retried) by the caller before anything is written: `stale`.
            return Err(self.fail(ErrorKind::Eof));
        }
        if let Err(e) = self.io.write_all(&self.request).await {
            return Err(self.fail(classify_write(&e)));
        }
        let written = Instant::now();
        let mut first_byte = None;
        let (done, unsolicited) = poll_fn(|cx| self.poll_response(cx, &mut first_byte)).await?;
        let first_byte = first_byte.unwrap_or(done);
        let Some(status) = self.parser.status() else {
            return Err(self.fail(ErrorKind::Malformed));
        };
        self.served += 1;
        Ok(Exchange {
            status,
            body_bytes: self.parser.body_bytes(),
            write: written - start,
            wait: first_byte - written,
            read: done - first_byte,
            reusable: self.parser.keep_alive() && !unsolicited,
            finished: done,
        })
    }
}

/// A write that fails because the peer is gone is a reset, whatever the OS calls it.
fn classify_write(error: &io::Error) -> ErrorKind {
    match classify_io(error) {
        ErrorKind::Io if error.kind() == io::ErrorKind::WriteZero => ErrorKind::Reset,
        kind => kind,
    }
}
