//! A fault-injection server: a target that misbehaves on purpose, per connection or per
//! request, in the ways real servers under stress do.
//!
//! A test hands the server a plan, `Fn(At) -> Fault`, asked once per request slot of every
//! connection (`At` says which connection and which request on it), so one server can be
//! healthy on most requests and broken on a chosen few. [`Fault`] lists the misbehaviours:
//! closing or resetting mid-response, garbage and oversized heads, lying `Content-Length`s,
//! broken or endless chunked bodies, dripping bytes, not reading, and unsolicited answers.
//!
//! Invariants:
//! - Everything received is recorded (connections, every request), and so is every request
//!   that arrives on a connection the server had already desynchronised ([`Fault::poisons`]):
//!   a client that keeps reading stale bytes shows up in [`FaultServer::stale_reuses`].
//! - Dropping the server stops it and joins every thread: the accept loop is non-blocking,
//!   reads and pauses wake every [`POLL`] to check the stop flag, and writes give up after
//!   [`WRITE_LIMIT`] without progress.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

mod conn;

use conn::{Conn, Readiness};

use super::request::Request;
use super::script::ok_response;

/// How often blocked reads, pauses and the accept loop re-check the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// Writes that make no progress for this long give up.
const WRITE_LIMIT: Duration = Duration::from_secs(2);

/// One piece of an endless or huge body: large enough to stream fast.
const PIECE: usize = 64 * 1024;

/// What the server does with one request slot of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `200 OK` with body `ok`; the connection stays open.
    Ok,
    /// Read the request, then close without sending a byte.
    CloseBeforeStatus,
    /// Read the request, send half a response head, then reset the connection (RST).
    ResetMidHead,
    /// Read the request, send a head declaring 1000 bytes and 500 of them, then reset.
    ResetMidBody,
    /// Read the request, answer with these bytes, and keep the connection open: whatever
    /// the client sends on it afterwards is a stale reuse.
    Raw(Vec<u8>),
    /// Read the request, answer with these bytes, then close.
    RawThenClose(Vec<u8>),
    /// Like [`Fault::Raw`], but the bytes go out one per write, this long apart.
    RawSlowly(Vec<u8>, Duration),
    /// Read the request, answer with a head whose one header line is this many bytes long.
    HugeHeader(u64),
    /// Read the request, answer `200 OK` with a body of this many bytes at full speed.
    BigBody(u64),
    /// Read the request, answer with a chunked body that never ends.
    EndlessChunked,
    /// Read the request, answer `200 OK` one byte per pause.
    Drip(Duration),
    /// Never read the request and never answer; hold the connection until the server stops.
    NeverRead,
    /// Stop reading for this long (like a `SIGSTOP`ped server), then answer normally.
    StopReading(Duration),
    /// Answer normally, then after this delay send a second response nobody asked for
    /// (with zero delay, in the same write).
    ExtraResponse(Duration),
    /// Answer normally, then close the connection if no request arrives within this time.
    CloseIdleAfter(Duration),
}

/// The status of the response sent for a request on a desynchronised connection, and of
/// unsolicited responses: never a status the tests expect to see counted.
pub const STALE_STATUS: u16 = 599;

impl Fault {
    /// Does this fault leave the connection out of sync (or dead) for the client?
    pub fn poisons(&self) -> bool {
        !matches!(
            self,
            Fault::Ok
                | Fault::BigBody(_)
                | Fault::Drip(_)
                | Fault::StopReading(_)
                | Fault::CloseIdleAfter(_)
        )
    }
}

/// Which request slot a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    /// Index of the accepted connection (0 for the first).
    pub conn: u64,
    /// Index of the request on that connection (0 for its first).
    pub request: u64,
}

/// The test's plan: the fault for each request slot.
type Plan = dyn Fn(At) -> Fault + Send + Sync + 'static;

/// State shared by the server handle, its accept loop and every connection thread.
#[derive(Default)]
struct Shared {
    /// Set on drop: every loop that sees it ends.
    stop: AtomicBool,
    /// Connections accepted so far; also the next connection's index.
    connections: AtomicU64,
    /// Requests that arrived on a connection after a fault that poisoned it.
    stale_reuses: AtomicU64,
    /// Every complete request read, in arrival order.
    requests: Mutex<Vec<Request>>,
}

/// A running fault-injection server; dropping it stops it and joins its threads.
pub struct FaultServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// Starts a server on a free port of `127.0.0.1` that follows `plan` for every request.
    pub fn start(plan: impl Fn(At) -> Fault + Send + Sync + 'static) -> FaultServer {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a fault server on 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("local address of a bound listener");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let shared = Arc::new(Shared::default());
        let plan: Arc<Plan> = Arc::new(plan);
        let loop_shared = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name(format!("fault-accept-{}", addr.port()))
            .spawn(move || accept_loop(&listener, &loop_shared, &plan))
            .expect("spawn the accept thread");
        FaultServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// A server that applies `fault` to every request.
    pub fn always(fault: Fault) -> FaultServer {
        FaultServer::start(move |_| fault.clone())
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(SeqCst)
    }

    /// Requests that arrived on connections the server had already desynchronised.
    pub fn stale_reuses(&self) -> u64 {
        self.shared.stale_reuses.load(SeqCst)
    }

    /// A copy of every complete request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }
}

impl Drop for FaultServer {
    /// Stops accepting, wakes every connection thread and joins them all.
    fn drop(&mut self) {
        self.shared.stop.store(true, SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Accepts until stopped, one thread per connection; joins them all before returning.
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, plan: &Arc<Plan>) {
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stop.load(SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let id = shared.connections.fetch_add(1, SeqCst);
                let Ok(mut conn) = Conn::new(stream, id, Arc::clone(shared)) else {
                    continue;
                };
                let plan = Arc::clone(plan);
                threads.push(std::thread::spawn(move || serve(&mut conn, &*plan)));
                threads.retain(|t| !t.is_finished());
            }
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    for thread in threads {
        let _ = thread.join();
    }
}

/// Serves one connection: asks the plan for each request slot until the connection ends.
/// After a poisoning fault, every further request is recorded as a stale reuse.
fn serve(conn: &mut Conn, plan: &Plan) {
    for request in 0.. {
        let fault = plan(At {
            conn: conn.id,
            request,
        });
        if !apply(conn, &fault) {
            return;
        }
        if fault.poisons() {
            while conn.read_request().is_some() {
                conn.shared.stale_reuses.fetch_add(1, SeqCst);
                if !conn.send(&status_response(STALE_STATUS)) {
                    return;
                }
            }
            return;
        }
    }
}

/// Applies one fault; `false` once the connection is over.
fn apply(conn: &mut Conn, fault: &Fault) -> bool {
    match fault {
        Fault::NeverRead => {
            while conn.pause(POLL) {}
            return false;
        }
        Fault::StopReading(pause) if !conn.pause(*pause) => return false,
        _ => {}
    }
    if conn.read_request().is_none() {
        return false;
    }
    answer(conn, fault)
}

/// Answers the request just read according to `fault`; `false` once the connection is over.
fn answer(conn: &mut Conn, fault: &Fault) -> bool {
    let ok = ok_response(b"ok");
    match fault {
        Fault::Ok | Fault::NeverRead | Fault::StopReading(_) => conn.send(&ok),
        Fault::CloseBeforeStatus => false,
        Fault::ResetMidHead => {
            conn.send(&ok[..ok.len() / 2]);
            conn.reset();
            false
        }
        Fault::ResetMidBody => {
            let mut head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
            head.resize(head.len() + 500, b'b');
            conn.send(&head);
            conn.reset();
            false
        }
        Fault::Raw(bytes) => conn.send(bytes),
        Fault::RawSlowly(bytes, pause) => conn.send_bytewise(bytes, *pause),
        Fault::RawThenClose(bytes) => {
            conn.send(bytes);
            false
        }
        Fault::HugeHeader(len) => send_huge_header(conn, *len),
        Fault::BigBody(len) => send_big_body(conn, *len),
        Fault::EndlessChunked => send_endless_chunked(conn),
        Fault::Drip(pause) => conn.send_bytewise(&ok, *pause),
        Fault::ExtraResponse(delay) => send_with_extra(conn, &ok, *delay),
        Fault::CloseIdleAfter(idle) => conn.send(&ok) && conn.await_data(*idle) == Readiness::Data,
    }
}

/// A head with one `X-Big` header line of `len` bytes, then a 2-byte body.
fn send_huge_header(conn: &mut Conn, len: u64) -> bool {
    conn.send(b"HTTP/1.1 200 OK\r\nX-Big: ")
        && send_filler(conn, len)
        && conn.send(b"\r\nContent-Length: 2\r\n\r\nok")
}

/// `200 OK` with a `len`-byte body.
fn send_big_body(conn: &mut Conn, len: u64) -> bool {
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
    conn.send(head.as_bytes()) && send_filler(conn, len)
}

/// `len` letters, streamed in [`PIECE`]-sized writes.
fn send_filler(conn: &mut Conn, len: u64) -> bool {
    let piece = [b'z'; PIECE];
    let mut left = len;
    while left > 0 {
        let n = left.min(PIECE as u64);
        if !conn.send(&piece[..n as usize]) {
            return false;
        }
        left -= n;
    }
    true
}

/// A chunked body of 64 KiB chunks that never ends: streams until the client goes away.
fn send_endless_chunked(conn: &mut Conn) -> bool {
    let chunk = [
        format!("{PIECE:x}\r\n").as_bytes(),
        &vec![b'c'; PIECE],
        b"\r\n",
    ]
    .concat();
    let mut ok = conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    while ok {
        ok = conn.send(&chunk);
    }
    false
}

/// The answer, then an unsolicited [`STALE_STATUS`] response `delay` later (same write if 0).
fn send_with_extra(conn: &mut Conn, answer: &[u8], delay: Duration) -> bool {
    let extra = status_response(STALE_STATUS);
    if delay.is_zero() {
        return conn.send(&[answer, &extra].concat());
    }
    conn.send(answer) && conn.pause(delay) && conn.send(&extra)
}

/// A bodiless response with this status.
fn status_response(status: u16) -> Vec<u8> {
    format!("HTTP/1.1 {status} Fault\r\nContent-Length: 0\r\n\r\n").into_bytes()
}
