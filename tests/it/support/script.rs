//! A scripted raw TCP server: each test decides, byte by byte, what the client gets.
//!
//! The built-in `vastar serve` target is well behaved by design; these servers are not. Each
//! accepted connection runs the test's handler on its own thread with a [`Peer`] that can read
//! requests, write arbitrary bytes (split, slowed down, framed wrongly), stall or close.
//!
//! Invariants:
//! - Everything received is recorded (accepted connections, every parsed request with its
//!   body), so tests assert on what reached the server, not on what the client claims.
//! - Dropping a [`ScriptServer`] stops it and joins every thread it started: the accept loop
//!   is non-blocking and re-checks a stop flag, and every blocking read on a [`Peer`] wakes at
//!   least every [`POLL`] to do the same. Handlers must only block through [`Peer`] methods
//!   (or briefly), so no test leaks a thread that blocks forever.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::request::{self, Request};

/// How often blocked reads and the accept loop re-check the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// Writes that make no progress for this long give up, so a handler never blocks on a client
/// that stopped reading.
const WRITE_LIMIT: Duration = Duration::from_secs(5);

/// What a handler does with one accepted connection.
type Handler = dyn Fn(&mut Peer) + Send + Sync + 'static;

/// State shared by the server handle, its accept loop and every connection thread.
#[derive(Default)]
struct Shared {
    /// Set on drop: every loop that sees it ends.
    stop: AtomicBool,
    /// Connections accepted so far; also the next connection's index.
    connections: AtomicU64,
    /// Every complete request read by any connection, in arrival order.
    requests: Mutex<Vec<Request>>,
}

/// A running scripted server; dropping it stops it and joins its threads.
pub struct ScriptServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl ScriptServer {
    /// Starts a server on a free port of `127.0.0.1` that runs `handler` for each connection.
    pub fn start(handler: impl Fn(&mut Peer) + Send + Sync + 'static) -> ScriptServer {
        let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        ScriptServer::bind(loopback, handler).expect("bind a scripted server on 127.0.0.1:0")
    }

    /// Starts a server on `addr` (port 0 picks a free port); fails if it cannot bind.
    pub fn bind(
        addr: SocketAddr,
        handler: impl Fn(&mut Peer) + Send + Sync + 'static,
    ) -> io::Result<ScriptServer> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let loop_shared = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name(format!("script-accept-{}", addr.port()))
            .spawn(move || accept_loop(&listener, &loop_shared, &handler))?;
        Ok(ScriptServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The bound address, with port 0 resolved.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` followed by `path_and_query` (IPv6 addresses come bracketed).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(SeqCst)
    }

    /// A copy of every complete request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for ScriptServer {
    /// Stops accepting, wakes every connection thread and joins them all.
    fn drop(&mut self) {
        self.shared.stop.store(true, SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            // A panicking handler already printed its message; do not panic again in drop.
            let _ = acceptor.join();
        }
    }
}

/// Accepts until stopped, one thread per connection; joins them all before returning.
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, handler: &Arc<Handler>) {
    let mut threads = Vec::new();
    while !shared.stop.load(SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let id = shared.connections.fetch_add(1, SeqCst);
                let Ok(mut peer) = Peer::new(stream, id, Arc::clone(shared)) else {
                    continue;
                };
                let handler = Arc::clone(handler);
                threads.push(std::thread::spawn(move || handler(&mut peer)));
                threads.retain(|t: &JoinHandle<()>| !t.is_finished());
            }
            // Nothing to accept (or a transient error): look again shortly.
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    for thread in threads {
        let _ = thread.join();
    }
}

/// The server's side of one accepted connection, handed to the test's handler.
pub struct Peer {
    stream: TcpStream,
    id: u64,
    /// Bytes read but not yet consumed as a request.
    buf: Vec<u8>,
    shared: Arc<Shared>,
}

impl Peer {
    fn new(stream: TcpStream, id: u64, shared: Arc<Shared>) -> io::Result<Peer> {
        // Accepted sockets inherit non-blocking mode on some platforms; reads here block
        // with a timeout instead, so they can notice the stop flag.
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(POLL))?;
        stream.set_write_timeout(Some(WRITE_LIMIT))?;
        // Every `send` should leave as its own segment, or byte-by-byte tests prove nothing.
        stream.set_nodelay(true)?;
        Ok(Peer {
            stream,
            id,
            buf: Vec::new(),
            shared,
        })
    }

    /// Reads the next complete request (head and `Content-Length` body) and records it.
    /// `None` when the client closed, on an I/O error, a malformed head, or server shutdown.
    pub fn read_request(&mut self) -> Option<Request> {
        let request =
            request::read_request(&mut self.stream, &mut self.buf, self.id, &self.shared.stop)?;
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request.clone());
        Some(request)
    }

    /// Writes all of `bytes` and flushes; `false` when the client is gone.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .is_ok()
    }

    /// Writes `bytes` one byte per `write` call, flushing and pausing `pause` after each, so
    /// the client sees the response split at every possible point.
    pub fn send_bytewise(&mut self, bytes: &[u8], pause: Duration) -> bool {
        for byte in bytes {
            if !self.send(std::slice::from_ref(byte)) || self.stopping() {
                return false;
            }
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        true
    }

    /// Never answers: records whatever requests arrive until the client closes or the server
    /// stops. This is a stalled backend.
    pub fn read_until_closed(&mut self) {
        while self.read_request().is_some() {}
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(SeqCst)
    }
}

/// `200 OK` with `body` framed by `Content-Length`.
pub fn ok_response(body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// A well-behaved keep-alive handler: answers every request with `200 OK` and body `ok`,
/// and closes after a request that says `Connection: close`.
pub fn answer_ok(peer: &mut Peer) {
    while let Some(request) = peer.read_request() {
        if !peer.send(&ok_response(b"ok")) || request.wants_close() {
            return;
        }
    }
}

/// An address on `127.0.0.1` where nothing listens: a port the OS just handed out and took
/// back. Connects to it are refused until someone binds it again.
pub fn unused_local_addr() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("local address of a bound listener")
}
