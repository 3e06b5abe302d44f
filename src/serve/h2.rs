//! HTTP/2 connections of `vastar serve --http2`: prior-knowledge h2c over TCP, or `h2` when
//! TLS's ALPN picked it. Every stream gets the same `200 OK` with the configured body (and
//! `--delay`); request bodies are read and discarded. `--chunked`, `--stall` and
//! `--max-inflight` are HTTP/1.1 behaviours and do not apply here.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{Request, Response};
use tokio::io::{AsyncRead, AsyncWrite};

use super::Shared;

/// Flow-control windows: large, so big request bodies stream without waiting.
const WINDOW: u32 = 16 << 20;

/// Streams a client may open at once on one connection (what nginx allows by default is
/// 128; more lets `--streams` up to this run without queueing at the server).
const MAX_STREAMS: u32 = 1024;

/// Serves one HTTP/2 connection until the client goes away or breaks the protocol.
pub(super) async fn handle<S>(stream: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = h2::server::Builder::new()
        .initial_window_size(WINDOW)
        .initial_connection_window_size(WINDOW)
        .max_concurrent_streams(MAX_STREAMS)
        .handshake::<_, Bytes>(stream)
        .await;
    let Ok(mut conn) = handshake else {
        return;
    };
    while let Some(Ok((request, respond))) = conn.accept().await {
        tokio::spawn(answer(request, respond, Arc::clone(&shared)));
    }
}

/// Reads one request's body, waits `--delay`, counts it and answers.
async fn answer(
    request: Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    shared: Arc<Shared>,
) {
    let mut body = request.into_body();
    while let Some(Ok(chunk)) = body.data().await {
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    if let Some(delay) = shared.delay {
        tokio::time::sleep(delay).await;
    }
    shared.stats.requests.fetch_add(1, Relaxed);
    let payload = shared.h2_body.clone();
    let response = Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .header("content-length", payload.len())
        .body(());
    let Ok(response) = response else {
        return;
    };
    let end = payload.is_empty();
    if let Ok(mut send) = respond.send_response(response, end) {
        if !end {
            let _ = send.send_data(payload, true);
        }
    }
}
