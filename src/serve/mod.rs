//! The built-in target server behind `vastar serve`, `vastar demo` and the integration tests.
//!
//! It exists so a benchmark or a test always has a fast, well-behaved, local HTTP/1.1 server
//! to point at, with no external tool to install. It is deliberately minimal: every request
//! (any method, any target) gets the same prebuilt `200 OK`, so the server is never the
//! bottleneck and its behaviour is easy to reason about.
//!
//! Invariants:
//! - HTTP/1.1 connections are kept alive unless the client sends `Connection: close`;
//!   HTTP/1.0 ones are closed after the response unless it sends `Connection: keep-alive`.
//!   Pipelined requests are answered in order.
//! - Request bodies framed by `Content-Length` are read and discarded with bounded memory.
//!   Bodies with `Transfer-Encoding` (e.g. chunked) get `501` and the connection is closed;
//!   malformed heads get `400`, heads over 64 KiB get `431`, both closing the connection.
//! - In `chunked` mode, HTTP/1.1 clients get `Transfer-Encoding: chunked` bodies split into
//!   at least two chunks of at most 8 KiB; HTTP/1.0 clients still get `Content-Length`.
//! - [`ServeStats::requests`] is incremented before the response is written, so a client
//!   that has read a response also observes it counted.
//! - With `max_inflight` (the capacity model), at most that many requests are in service at
//!   once, server-wide; the others wait in FIFO order for a slot before their delay starts.
//! - Accept errors (e.g. out of file descriptors) never stop the server: it backs off
//!   briefly and accepts again. No client input can make it panic.
//!
//! - With `llm` (`--llm`), every HTTP/1.1 request is answered as an OpenAI-style chat
//!   completion, streamed with a known timing (see [`llm`]); request bodies up to 1 MiB are
//!   kept for it instead of discarded.
//! - With `ws` (`--ws`, `--ws-batch`), every connection must be a WebSocket upgrade (any
//!   path), served as [`ws`] says; plain HTTP requests get `426` and the connection closes.
//!
//! Layout: `request` parses heads, `response` holds the response policy and prebuilt
//! bytes, `conn` drives one connection, `llm` answers chat completions, `ws` serves WebSocket sessions, `background` runs
//! a server on its own runtime.

use std::future::Future;
use std::io;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

mod background;
mod conn;
mod h2;
mod llm;
mod request;
mod response;
#[cfg(test)]
mod tests;
pub mod tls;
mod ws;

pub use background::Background;
pub use llm::LlmConfig;
pub use ws::WsMode;

/// What the server answers; fixed for the server's lifetime so responses can be prebuilt.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Response body size in bytes (filled with repeated `Hello, World!`).
    pub body_size: usize,
    /// Time to wait before answering each request, to simulate a slow backend.
    pub delay: Option<Duration>,
    /// Send bodies with `Transfer-Encoding: chunked` (to HTTP/1.1 clients) instead of
    /// `Content-Length`, so clients exercise their chunked decoder.
    pub chunked: bool,
    /// Freeze the whole server periodically, like a stop-the-world GC pause, so tests can
    /// show what closed-loop measurement hides (coordinated omission).
    pub stall: Option<Stall>,
    /// The capacity model: at most this many requests are in service (in their `delay`) at
    /// once and the rest queue, so throughput saturates near `max_inflight / delay` and a
    /// concurrency sweep finds its knee near `c = max_inflight`. `None`: no limit.
    pub max_inflight: Option<usize>,
    /// Serve HTTPS with this configuration (`vastar serve --tls`); `None`: plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Speak HTTP/2 (`vastar serve --http2`): prior-knowledge h2c over TCP; with `tls`, h2
    /// when ALPN picks it and HTTP/1.1 otherwise.
    pub http2: bool,
    /// Answer every request as an OpenAI-style chat completion with this timing
    /// (`vastar serve --llm`), streamed as Server-Sent Events when the request asks for it.
    /// HTTP/1.1 (and TLS) only; the body, delay, chunking and capacity settings do not
    /// apply. `None`: the plain `200 OK` server.
    pub llm: Option<LlmConfig>,
    /// Serve WebSocket sessions instead of HTTP requests (`vastar serve --ws`, `--ws-batch`),
    /// over TCP or, with `tls`, TLS. The body, delay, chunking, capacity, HTTP/2 and LLM
    /// settings do not apply. `None`: HTTP.
    pub ws: Option<WsMode>,
}

/// A periodic server-wide freeze: every `every`-th request starts a pause of `duration`
/// during which no request (on any connection) is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    pub every: u64,
    pub duration: Duration,
}

impl Default for ServeConfig {
    /// `Hello, World!` (13 bytes), immediately, with `Content-Length`: the classic baseline.
    fn default() -> Self {
        ServeConfig {
            body_size: 13,
            delay: None,
            chunked: false,
            stall: None,
            max_inflight: None,
            tls: None,
            http2: false,
            llm: None,
            ws: None,
        }
    }
}

/// Counters a test or the demo can read while the server runs (all `Relaxed`).
#[derive(Debug, Default)]
pub struct ServeStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Requests answered with `200 OK`.
    pub requests: AtomicU64,
    /// Requests refused with `400`, `431` or `501` (with `ws`: upgrades refused with `400`
    /// or `426`).
    pub rejected: AtomicU64,
    /// `--llm`: Server-Sent Events written (role, tokens, stop, usage and `[DONE]` each
    /// count one), so a benchmark can divide a client's CPU time by the events it received.
    pub events: AtomicU64,
    /// `--ws`: WebSocket upgrades accepted (sessions opened).
    pub ws_sessions: AtomicU64,
    /// `--ws`: data (text or binary) messages received, over all sessions.
    pub ws_received: AtomicU64,
    /// `--ws`: data messages sent (echoes, or `--ws-batch` answers), over all sessions.
    pub ws_sent: AtomicU64,
}

/// What every connection task of one server shares.
#[derive(Debug)]
struct Shared {
    responder: response::Responder,
    stats: Arc<ServeStats>,
    /// Service slots of the capacity model ([`ServeConfig::max_inflight`]); a request holds
    /// a permit while it is being served, waiting for one when all are taken.
    inflight: Option<tokio::sync::Semaphore>,
    /// The body HTTP/2 streams get (HTTP/1.1's is prebuilt in `responder`).
    h2_body: bytes::Bytes,
    /// `--delay`, for HTTP/2 streams.
    delay: Option<Duration>,
    /// `--llm`: the completion model every HTTP/1.1 connection answers with.
    llm: Option<llm::Llm>,
    /// `--ws`: every connection is a WebSocket session in this mode.
    ws: Option<WsMode>,
}

/// Serves on `listener` until `shutdown` resolves. Runs on the caller's tokio runtime.
///
/// Each connection is its own task. When `shutdown` resolves the listener is dropped and all
/// open connections are aborted (in-flight responses are abandoned) before this returns.
/// Accept errors are never fatal, so this currently always returns `Ok`.
pub async fn serve(
    listener: TcpListener,
    config: ServeConfig,
    stats: Arc<ServeStats>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let shared = Arc::new(Shared {
        responder: response::Responder::new(&config),
        stats,
        inflight: config.max_inflight.map(tokio::sync::Semaphore::new),
        h2_body: response::body(config.body_size),
        delay: config.delay,
        llm: config.llm.clone().map(llm::Llm::new),
        ws: config.ws,
    });
    let acceptor = config.tls.clone().map(|c| tls::acceptor(c, config.http2));
    let mut conns = JoinSet::new();
    let mut backoff = Backoff::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            // Reap finished connections so the set does not grow without bound.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff.reset();
                    shared.stats.connections.fetch_add(1, Relaxed);
                    // Small responses must not wait for Nagle; failure only costs latency.
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    match &acceptor {
                        None if config.ws.is_some() => conns.spawn(ws::handle(stream, shared)),
                        None if config.http2 => conns.spawn(h2::handle(stream, shared)),
                        None => conns.spawn(conn::handle(stream, shared)),
                        Some(tls) => conns.spawn(tls::handle(tls.clone(), stream, shared)),
                    };
                }
                Err(e) => backoff.wait(&e).await,
            },
        }
    }
    drop(listener);
    conns.shutdown().await;
    Ok(())
}

/// Growing pause after accept errors that signal resource exhaustion (EMFILE, ENOBUFS...):
/// retrying at once would spin; waiting lets other connections close and free resources.
#[derive(Debug, Default)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const MIN: Duration = Duration::from_millis(1);
    const MAX: Duration = Duration::from_millis(100);

    fn reset(&mut self) {
        self.next = Duration::ZERO;
    }

    /// Sleeps as [`Backoff::pause`] says.
    async fn wait(&mut self, err: &io::Error) {
        if let Some(pause) = self.pause(err) {
            tokio::time::sleep(pause).await;
        }
    }

    /// The pause before the next accept: none for errors about one aborted connection,
    /// else doubling from [`Backoff::MIN`] up to [`Backoff::MAX`] until an accept succeeds.
    fn pause(&mut self, err: &io::Error) -> Option<Duration> {
        use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted, WouldBlock};
        if matches!(
            err.kind(),
            ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
        ) {
            return None;
        }
        self.next = (self.next * 2).clamp(Self::MIN, Self::MAX);
        Some(self.next)
    }
}
