//! `vastar serve --ws`: the built-in WebSocket target, so `vastar ws` (and its tests and demo)
//! always has a fast, well-behaved server to measure against with nothing installed.
//!
//! Every connection must be a WebSocket upgrade (any path): the server speaks nothing else
//! in this mode. Two behaviours, fixed for the server's lifetime ([`WsMode`]):
//! - echo: every data message goes straight back, text as text, binary as binary;
//! - batch (`--ws-batch D`): the speech-to-text protocol without its model (see [`batch`]).
//!
//! Invariants:
//! - A request that is not an upgrade (no `Connection: Upgrade` / `Upgrade: websocket`) gets
//!   `426 Upgrade Required`; any other failed upgrade (bad method, version or key, malformed
//!   head) gets `400`; both close the connection and count in [`ServeStats::rejected`]. A
//!   client that leaves before a whole request, or has not sent one within
//!   [`HANDSHAKE_TIMEOUT`], is dropped.
//! - Client pings are answered and a client's close is answered with a close before the
//!   connection ends (tungstenite does both as it reads); the server sends no pings itself.
//! - An echo costs no allocation of ours: the received payload (`Bytes` split off
//!   tungstenite's read buffer) is the one sent back.
//! - Any protocol error or I/O error simply ends the session; nothing here panics on client
//!   input.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::WebSocketStream;

use super::{ServeStats, Shared};

mod batch;
#[cfg(test)]
mod tests;

/// What a WebSocket session of `vastar serve --ws` does with the data messages it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsMode {
    /// Send each one straight back (`--ws`): the target of `vastar ws --echo`.
    Echo,
    /// Answer the frames received since the previous answer with one JSON text message every
    /// `Duration` (`--ws-batch D`), never echoing: the target of `vastar ws --every ...
    /// --ack-field oldest_frame_seq --ack-field newest_frame_seq`.
    Batch(Duration),
}

/// How long a client may take to send its upgrade request before it is dropped, so a
/// connection that never speaks does not hold a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes tungstenite reads from the socket at a time, per session. Its default (128 KiB,
/// allocated up front) would cost 128 MB for the 1,000 sessions of a benchmark; the frames
/// such a run sends are well under this, and larger messages still arrive in several reads.
const READ_BUFFER: usize = 8 * 1024;

/// The answer to a request that is not a WebSocket upgrade.
const UPGRADE_REQUIRED: &[u8] = b"HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n\
Connection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n";

/// The answer to an upgrade request that is malformed or that tungstenite refuses.
const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\
Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n";

/// Serves one accepted connection (TCP, or TLS over it): the upgrade, then the session in
/// the server's [`WsMode`] until the client closes or leaves, or an error ends it.
pub(super) async fn handle<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, shared: Arc<Shared>) {
    let Some(mode) = shared.ws else { return };
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let accept = tokio_tungstenite::accept_async_with_config(&mut stream, Some(config));
    let ws = match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(err)) => return refuse(&mut stream, &err, &shared.stats).await,
        Err(_) => return,
    };
    shared.stats.ws_sessions.fetch_add(1, Relaxed);
    match mode {
        WsMode::Echo => echo(ws, &shared.stats).await,
        WsMode::Batch(every) => batch::run(ws, every, &shared.stats).await,
    }
}

/// Answers a failed upgrade with its status (see the module invariants) and closes. An I/O
/// error, or the client's end of stream before a whole request (a port probe), gets nothing
/// and is not counted: the client is gone or broken.
async fn refuse<S: AsyncWrite + Unpin>(stream: &mut S, err: &WsError, stats: &ServeStats) {
    let response = match err {
        WsError::Io(_) | WsError::Protocol(ProtocolError::HandshakeIncomplete) => return,
        WsError::Protocol(
            ProtocolError::MissingConnectionUpgradeHeader
            | ProtocolError::MissingUpgradeWebSocketHeader,
        ) => UPGRADE_REQUIRED,
        _ => BAD_REQUEST,
    };
    stats.rejected.fetch_add(1, Relaxed);
    // The connection closes either way; a client that left just misses the status.
    if stream.write_all(response).await.is_ok() {
        let _ = stream.shutdown().await;
    }
}

/// The echo session: each text or binary message is sent back as received. Pings, pongs and
/// the close handshake are tungstenite's; the loop ends when the stream does.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut ws: WebSocketStream<S>, stats: &ServeStats) {
    while let Some(Ok(message)) = ws.next().await {
        if !(message.is_text() || message.is_binary()) {
            continue;
        }
        stats.ws_received.fetch_add(1, Relaxed);
        if ws.send(message).await.is_err() {
            return;
        }
        stats.ws_sent.fetch_add(1, Relaxed);
    }
}
