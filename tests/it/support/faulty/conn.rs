//! The server's side of one accepted connection: blocking reads and writes on short
//! timeouts, so every wait notices within [`POLL`] that the server is stopping.

use std::io::{self, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{lock, Shared, POLL, WRITE_LIMIT};
use crate::support::request::{is_transient, read_request, Request};

/// What arrived on an idle connection within a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Readiness {
    /// Bytes of a next request.
    Data,
    /// The client closed (or the server is stopping).
    Closed,
    /// Nothing: the connection stayed idle.
    Idle,
}

/// The server's side of one accepted connection.
pub(super) struct Conn {
    stream: TcpStream,
    pub(super) id: u64,
    /// Bytes read but not yet consumed as a request.
    buf: Vec<u8>,
    pub(super) shared: Arc<Shared>,
}

impl Conn {
    pub(super) fn new(stream: TcpStream, id: u64, shared: Arc<Shared>) -> io::Result<Conn> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(POLL))?;
        stream.set_write_timeout(Some(WRITE_LIMIT))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            id,
            buf: Vec::new(),
            shared,
        })
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(SeqCst)
    }

    /// Reads and records the next request (head and `Content-Length` body); `None` when the
    /// client closed, on an error or a malformed head, or when the server stops.
    pub(super) fn read_request(&mut self) -> Option<Request> {
        let request = read_request(&mut self.stream, &mut self.buf, self.id, &self.shared.stop)?;
        lock(&self.shared.requests).push(request.clone());
        Some(request)
    }

    /// Waits up to `within` for the client to send more; never consumes anything.
    pub(super) fn await_data(&mut self, within: Duration) -> Readiness {
        let deadline = Instant::now() + within;
        while self.buf.is_empty() {
            if self.stopping() {
                return Readiness::Closed;
            }
            if Instant::now() >= deadline {
                return Readiness::Idle;
            }
            match self.stream.peek(&mut [0u8; 1]) {
                Ok(0) => return Readiness::Closed,
                Ok(_) => return Readiness::Data,
                Err(e) if is_transient(&e) => {}
                Err(_) => return Readiness::Closed,
            }
        }
        Readiness::Data
    }

    /// Writes all of `bytes`; `false` when the client is gone or stopped reading.
    pub(super) fn send(&mut self, bytes: &[u8]) -> bool {
        !self.stopping() && self.stream.write_all(bytes).is_ok()
    }

    /// Writes `bytes` one byte per write, pausing `pause` after each.
    pub(super) fn send_bytewise(&mut self, bytes: &[u8], pause: Duration) -> bool {
        bytes
            .iter()
            .all(|b| self.send(std::slice::from_ref(b)) && self.pause(pause))
    }

    /// Sleeps for `d` in short steps; `false` if the server is stopping.
    pub(super) fn pause(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while !self.stopping() {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(POLL));
        }
        false
    }

    /// Makes the coming close send a TCP reset instead of a FIN (`SO_LINGER` of zero).
    pub(super) fn reset(&mut self) {
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: setsockopt reads `linger` (of the size passed) and touches nothing else.
        unsafe {
            libc::setsockopt(
                self.stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                std::ptr::from_ref(&linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    }
}
