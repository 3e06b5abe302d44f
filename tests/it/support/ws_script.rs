//! A scripted raw-TCP WebSocket server: each test decides, frame by frame and byte by byte,
//! what a `vastar ws` session gets.
//!
//! The upgrade is answered per connection as the test says ([`Upgrade`]: a correct 101, a
//! 101 with a wrong `Sec-WebSocket-Accept`, or a refusal status), then the test's script runs
//! with a [`WsPeer`] that reads the client's (masked) frames and writes arbitrary raw server
//! frames: split across writes, fragmented into continuation frames, interleaved with pings,
//! followed by a close with a chosen code, or nothing at all (a stall).
//!
//! Invariants:
//! - Everything received is recorded per connection: the upgrade request and every frame,
//!   unmasked, with its mask bit. Tests assert on what reached the server (data frames,
//!   pongs, the client's close), not on what the client claims.
//! - A close frame from the client is answered with a close and ends the script's reads; a
//!   ping is answered with a pong, as RFC 6455 asks of any endpoint.
//! - Dropping a [`WsServer`] stops it and joins every thread: reads wake every [`POLL`] to
//!   check the stop flag and writes give up after [`WRITE_LIMIT`], as in [`super::script`].

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::request::{self, is_transient, Request};

mod codec;

pub use codec::{close_frame, decode, frame, op, text, Frame};

/// How often blocked reads and the accept loop re-check the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// Writes that make no progress for this long give up.
const WRITE_LIMIT: Duration = Duration::from_secs(5);

/// How long [`WsPeer::close`] waits for the client's closing handshake.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// How the server answers a connection's upgrade request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upgrade {
    /// `101 Switching Protocols` with the `Sec-WebSocket-Accept` the client's key calls for.
    Accept,
    /// `101` with an accept value derived from another key: the client must refuse it.
    WrongKey,
    /// This status (e.g. 403) with an empty body, then close.
    Refuse(u16),
}

/// What one connection received.
#[derive(Debug, Clone, Default)]
pub struct ConnLog {
    /// The upgrade request; `None` if the client sent no complete head.
    pub upgrade: Option<Request>,
    /// Every frame after the upgrade, in arrival order.
    pub frames: Vec<Frame>,
}

impl ConnLog {
    /// The data frames (text, binary, continuation).
    pub fn data(&self) -> impl Iterator<Item = &Frame> {
        self.frames.iter().filter(|f| f.is_data())
    }

    /// Payloads of the pongs received.
    pub fn pongs(&self) -> Vec<Vec<u8>> {
        self.frames
            .iter()
            .filter(|f| f.opcode == op::PONG)
            .map(|f| f.payload.clone())
            .collect()
    }
}

/// A connection's script, run after a successful 101.
type Script = dyn Fn(&mut WsPeer) + Send + Sync + 'static;

/// How the upgrade of connection N (0-based) is answered.
type UpgradePlan = dyn Fn(u64) -> Upgrade + Send + Sync + 'static;

/// State shared by the server handle, its accept loop and every connection thread.
#[derive(Default)]
struct Shared {
    /// Set on drop: every loop that sees it ends.
    stop: AtomicBool,
    /// Connections accepted so far; also the next connection's index.
    connections: AtomicU64,
    /// One log per accepted connection, indexed by connection.
    logs: Mutex<Vec<ConnLog>>,
}

impl Shared {
    fn log(&self, conn: u64, record: impl FnOnce(&mut ConnLog)) {
        let mut logs = self.logs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(log) = usize::try_from(conn).ok().and_then(|i| logs.get_mut(i)) {
            record(log);
        }
    }
}

/// A running scripted WebSocket server; dropping it stops it and joins its threads.
pub struct WsServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl WsServer {
    /// Accepts every upgrade and runs `script` on each connection.
    pub fn start(script: impl Fn(&mut WsPeer) + Send + Sync + 'static) -> WsServer {
        WsServer::with_upgrades(|_| Upgrade::Accept, script)
    }

    /// Answers connection N's upgrade with `plan(N)`, then runs `script` on those accepted.
    pub fn with_upgrades(
        plan: impl Fn(u64) -> Upgrade + Send + Sync + 'static,
        script: impl Fn(&mut WsPeer) + Send + Sync + 'static,
    ) -> WsServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address of a listener");
        let shared = Arc::new(Shared::default());
        let plan: Arc<UpgradePlan> = Arc::new(plan);
        let script: Arc<Script> = Arc::new(script);
        let loop_shared = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name(format!("ws-accept-{}", addr.port()))
            .spawn(move || accept_loop(&listener, &loop_shared, &plan, &script))
            .expect("spawn the accept loop");
        WsServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `ws://ADDR/`.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(SeqCst)
    }

    /// A copy of what every connection received so far, indexed by connection.
    pub fn logs(&self) -> Vec<ConnLog> {
        self.shared
            .logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Data frames received over all connections.
    pub fn data_frames(&self) -> usize {
        self.logs().iter().map(|log| log.data().count()).sum()
    }
}

impl Drop for WsServer {
    /// Stops accepting, wakes every connection thread and joins them all.
    fn drop(&mut self) {
        self.shared.stop.store(true, SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            // A panicking script already printed its message; do not panic again in drop.
            let _ = acceptor.join();
        }
    }
}

/// Accepts until stopped, one thread per connection; joins them all before returning.
fn accept_loop(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    plan: &Arc<UpgradePlan>,
    script: &Arc<Script>,
) {
    let mut threads = Vec::new();
    while !shared.stop.load(SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let id = shared.connections.fetch_add(1, SeqCst);
                shared
                    .logs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(ConnLog::default());
                let Ok(mut peer) = WsPeer::new(stream, id, Arc::clone(shared)) else {
                    continue;
                };
                let (plan, script) = (Arc::clone(plan), Arc::clone(script));
                threads.push(std::thread::spawn(move || {
                    if peer.upgrade(plan(id)) {
                        script(&mut peer);
                    }
                }));
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

/// What [`WsPeer::next_frame`] found.
#[derive(Debug)]
pub enum Next {
    Frame(Frame),
    /// The deadline passed before a complete frame arrived.
    Idle,
    /// The client closed (a close frame or end of stream), an I/O error, or server shutdown.
    Gone,
}

/// The server's side of one upgraded connection, handed to the test's script.
pub struct WsPeer {
    stream: TcpStream,
    id: u64,
    /// Bytes read but not yet decoded into frames.
    buf: Vec<u8>,
    shared: Arc<Shared>,
}

impl WsPeer {
    fn new(stream: TcpStream, id: u64, shared: Arc<Shared>) -> io::Result<WsPeer> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(POLL))?;
        stream.set_write_timeout(Some(WRITE_LIMIT))?;
        // Every write should leave as its own segment, or split-frame tests prove nothing.
        stream.set_nodelay(true)?;
        Ok(WsPeer {
            stream,
            id,
            buf: Vec::new(),
            shared,
        })
    }

    /// Reads the upgrade request and answers it as `how` says; `true` when it switched.
    fn upgrade(&mut self, how: Upgrade) -> bool {
        let stop = &self.shared.stop;
        let Some(req) = request::read_request(&mut self.stream, &mut self.buf, self.id, stop)
        else {
            return false;
        };
        self.shared
            .log(self.id, |log| log.upgrade = Some(req.clone()));
        let key = req
            .header_values("sec-websocket-key")
            .pop()
            .unwrap_or_default();
        let accept = match how {
            Upgrade::Accept => derive_accept_key(key.trim().as_bytes()),
            Upgrade::WrongKey => derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            Upgrade::Refuse(status) => {
                let head = format!(
                    "HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                self.send(head.as_bytes());
                return false;
            }
        };
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        self.send(head.as_bytes()) && how == Upgrade::Accept
    }

    /// Writes all of `bytes` and flushes; `false` when the client is gone.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .is_ok()
    }

    /// Writes `bytes` in pieces of at most `piece` bytes, pausing `pause` between writes, so
    /// the client reads frames (and frame headers) split at many points.
    pub fn send_in_pieces(&mut self, bytes: &[u8], piece: usize, pause: Duration) -> bool {
        for chunk in bytes.chunks(piece.max(1)) {
            if self.stopping() || !self.send(chunk) {
                return false;
            }
            std::thread::sleep(pause);
        }
        true
    }

    /// Sends a close frame with `code`, then waits (briefly) for the client's closing
    /// handshake, recording what arrives meanwhile.
    pub fn close(&mut self, code: u16) {
        if self.send(&close_frame(code)) {
            let until = Instant::now() + CLOSE_WAIT;
            while let Next::Frame(_) = self.next_frame(Some(until)) {}
        }
    }

    /// Never answers again: records whatever arrives until the client goes.
    pub fn stall(&mut self) {
        while let Next::Frame(_) = self.next_frame(None) {}
    }

    /// Reads frames until `n` data frames arrived; `false` if the client went first.
    pub fn read_data(&mut self, n: usize) -> bool {
        let mut seen = 0;
        while seen < n {
            match self.next_frame(None) {
                Next::Frame(f) if f.is_data() => seen += 1,
                Next::Frame(_) | Next::Idle => {}
                Next::Gone => return false,
            }
        }
        true
    }

    /// Sends a ping with `payload` and reads until its pong arrives (by `deadline`); data
    /// frames read meanwhile are returned so the script can still answer them.
    pub fn ping(&mut self, payload: &[u8], deadline: Duration) -> Option<Vec<Frame>> {
        if !self.send(&frame(true, op::PING, payload)) {
            return None;
        }
        let until = Instant::now() + deadline;
        let mut data = Vec::new();
        loop {
            match self.next_frame(Some(until)) {
                Next::Frame(f) if f.opcode == op::PONG && f.payload == payload => {
                    return Some(data)
                }
                Next::Frame(f) if f.is_data() => data.push(f),
                Next::Frame(_) => {}
                Next::Idle | Next::Gone => return None,
            }
        }
    }

    /// For every data frame k (0-based on this connection) asks `reply(k, frame)` for the
    /// bytes to answer with (`None`: no answer), and writes them `delay` after the frame
    /// arrived; until the client goes. A writer thread sleeps until each answer is due (a
    /// socket read timeout would round up to the kernel's tick), so reads never wait on
    /// answers and answers leave on time.
    pub fn answer(
        &mut self,
        delay: Duration,
        mut reply: impl FnMut(u64, &Frame) -> Option<Vec<u8>>,
    ) {
        let Ok(stream) = self.stream.try_clone() else {
            return;
        };
        std::thread::scope(|scope| {
            // Owned by this closure: returning drops the sender, which ends the writer
            // before the scope joins it.
            let (due, answers) = mpsc::channel();
            scope.spawn(move || write_when_due(stream, &answers));
            let mut seq = 0;
            loop {
                match self.next_frame(None) {
                    Next::Frame(f) if f.is_data() => {
                        let at = Instant::now() + delay;
                        let sent = reply(seq, &f).is_none_or(|bytes| due.send((at, bytes)).is_ok());
                        if !sent {
                            return;
                        }
                        seq += 1;
                    }
                    Next::Frame(_) | Next::Idle => {}
                    Next::Gone => return,
                }
            }
        });
    }

    /// Echoes every data frame, unmasked and with its opcode, `delay` after it arrived.
    pub fn echo(&mut self, delay: Duration) {
        self.answer(delay, |_, f| Some(frame(true, f.opcode, &f.payload)));
    }

    /// Reads the next complete frame, recording it; `Idle` once `deadline` (if any) passed.
    pub fn next_frame(&mut self, deadline: Option<Instant>) -> Next {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some((frame, used)) = decode(&self.buf) {
                self.buf.drain(..used);
                return self.received(frame);
            }
            let wait = match deadline {
                Some(at) => match at.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.min(POLL),
                    _ => return Next::Idle,
                },
                None => POLL,
            };
            if self.stopping() || self.stream.set_read_timeout(Some(wait)).is_err() {
                return Next::Gone;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Next::Gone,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if is_transient(&e) => {}
                Err(_) => return Next::Gone,
            }
        }
    }

    /// Records `frame` and answers control frames as any endpoint must.
    fn received(&mut self, frame: Frame) -> Next {
        self.shared
            .log(self.id, |log| log.frames.push(frame.clone()));
        match frame.opcode {
            op::CLOSE => {
                let code = frame.payload.get(..2).unwrap_or_default().to_vec();
                self.send(&self::frame(true, op::CLOSE, &code));
                Next::Gone
            }
            op::PING => {
                self.send(&self::frame(true, op::PONG, &frame.payload));
                Next::Frame(frame)
            }
            _ => Next::Frame(frame),
        }
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(SeqCst)
    }
}

/// Writes each answer once it is due, in order, until the reader hangs up or a write fails.
fn write_when_due(mut stream: TcpStream, answers: &mpsc::Receiver<(Instant, Vec<u8>)>) {
    while let Ok((at, bytes)) = answers.recv() {
        if let Some(left) = at.checked_duration_since(Instant::now()) {
            std::thread::sleep(left);
        }
        if stream.write_all(&bytes).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tungstenite_client_gets_its_echo_and_refuses_a_wrong_accept_key() {
        use tokio_tungstenite::tungstenite::{client::client, Message};
        let plan = |conn| match conn {
            0 => Upgrade::Accept,
            _ => Upgrade::WrongKey,
        };
        let server = WsServer::with_upgrades(plan, |peer| peer.echo(Duration::ZERO));
        let stream = TcpStream::connect(server.addr).expect("connect");
        let (mut ws, response) = client(server.url(), stream).expect("upgrade");
        assert_eq!(response.status(), 101);
        ws.send(Message::text("hi")).expect("send");
        assert_eq!(ws.read().expect("echo"), Message::text("hi"));
        let stream = TcpStream::connect(server.addr).expect("connect");
        assert!(
            client(server.url(), stream).is_err(),
            "a wrong key accepted"
        );
        let frames = &server.logs()[0].frames;
        assert_eq!(frames[0].payload, b"hi");
        assert!(frames[0].masked && frames[0].opcode == op::TEXT);
    }
}
