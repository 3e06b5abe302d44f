//! `vastar serve --llm`: an OpenAI-compatible chat completion endpoint with a known, exact
//! timing, so streaming metrics (time to first token, inter-token latency) can be checked
//! against ground truth and load-tested offline.
//!
//! Every request (any path, leniently) is a chat completion. The answer, for `n` tokens
//! (`--tokens`, fewer if the request's `max_tokens` says so):
//! - with `"stream": true`: the headers at once; at TTFT the role chunk and the first content
//!   chunk; one content chunk every ITL after it; with the last content chunk the
//!   `finish_reason: "stop"` chunk, the usage chunk (only when the request asks for
//!   `stream_options.include_usage`) and `data: [DONE]`. So end-to-end is
//!   `TTFT + (n - 1) · ITL`, and TPOT = ITL.
//! - otherwise: one `chat.completion` JSON document (with `usage`), sent when the last token
//!   would have been: after the same `TTFT + (n - 1) · ITL`.
//!
//! Invariants: sending an event writes prebuilt bytes (see [`frame`]); event times come from
//! one schedule per request (see [`pace`] for the precision); `--jitter` is seeded per
//! connection, so runs repeat. HTTP/1.0 clients are answered and then the connection closes.

mod ask;
mod frame;
mod pace;
#[cfg(test)]
mod tests;

use std::io;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::{sleep_until, Instant};

use super::request::RequestHead;
use super::ServeStats;
use frame::{Framing, Meta, Streamed};
use pace::Jitter;

/// Request bodies up to this size are kept and read; the rest of a longer one is discarded,
/// and the request gets the defaults of an unreadable body.
pub(super) const MAX_BODY: usize = 1 << 20;

/// The simulated model's timing and length (`vastar serve --llm` flags).
#[derive(Debug, Clone, PartialEq)]
pub struct LlmConfig {
    /// Time to first token: from the request read to the first content chunk.
    pub ttft: Duration,
    /// Inter-token latency: the gap between consecutive content chunks.
    pub itl: Duration,
    /// Content chunks per completion (one token each), unless `max_tokens` asks for fewer.
    pub tokens: u64,
    /// Each gap (TTFT and every ITL) varies uniformly by up to this many percent (0..=100).
    pub jitter_pct: f64,
}

impl Default for LlmConfig {
    /// 100 ms to the first token, then 100 tokens 20 ms apart: a chat answer at 50 tokens/s.
    fn default() -> Self {
        LlmConfig {
            ttft: Duration::from_millis(100),
            itl: Duration::from_millis(20),
            tokens: 100,
            jitter_pct: 0.0,
        }
    }
}

/// What every connection of an `--llm` server shares.
#[derive(Debug)]
pub(super) struct Llm {
    config: LlmConfig,
    /// Connections seen, numbering them for completion ids and jitter seeds.
    connections: AtomicU64,
}

impl Llm {
    /// The shared state of one server; connections are numbered from 0 in accept order.
    pub fn new(config: LlmConfig) -> Llm {
        Llm {
            config,
            connections: AtomicU64::new(0),
        }
    }

    /// The per-connection state of a newly accepted connection.
    pub fn connection(&self) -> ConnLlm {
        let number = self.connections.fetch_add(1, Relaxed);
        ConnLlm {
            number,
            answered: 0,
            jitter: Jitter::new(number, self.config.jitter_pct),
            batch: BytesMut::new(),
        }
    }
}

/// One connection's completion counter, jitter generator and write buffer.
#[derive(Debug)]
pub(super) struct ConnLlm {
    number: u64,
    answered: u64,
    jitter: Jitter,
    /// Reused to join the pieces written together (first and last events).
    batch: BytesMut,
}

impl ConnLlm {
    /// The identity of this connection's next completion, of `tokens` tokens.
    fn meta(&self, ask: &ask::Ask, tokens: u64) -> Meta {
        Meta {
            id: format!("chatcmpl-vastar-{}-{}", self.number, self.answered),
            created: unix_seconds(),
            // A `String` always serializes; the fallback only keeps this free of `unwrap`.
            model_json: serde_json::to_string(&ask.model).unwrap_or_else(|_| "\"\"".into()),
            prompt_tokens: ask.prompt_tokens,
            completion_tokens: tokens,
        }
    }
}

/// Answers one request (its `body` fully read) on `stream`. `Ok(false)`: the connection
/// must now close.
pub(super) async fn answer<S: AsyncWrite + Unpin>(
    stream: &mut S,
    head: &RequestHead,
    body: &[u8],
    llm: &Llm,
    conn: &mut ConnLlm,
    stats: &ServeStats,
) -> io::Result<bool> {
    let start = Instant::now();
    let ask = ask::parse(body);
    let tokens = ask
        .max_tokens
        .map_or(llm.config.tokens, |m| m.min(llm.config.tokens));
    let framing = match head.http11 {
        true => Framing::Chunked {
            close: !head.wants_keep_alive(),
        },
        false => Framing::UntilClose,
    };
    let meta = conn.meta(&ask, tokens);
    conn.answered += 1;
    // Counted before the write, so a client that has seen the response sees the count.
    stats.requests.fetch_add(1, Relaxed);
    let schedule = Schedule {
        start,
        tokens,
        config: &llm.config,
    };
    if ask.stream {
        let pieces = Streamed::new(&meta, ask.include_usage, framing);
        schedule
            .stream(stream, &pieces, conn, head.is_head, stats)
            .await?;
    } else {
        let (head_bytes, body_bytes) = frame::whole(&meta, framing);
        schedule
            .whole(stream, &head_bytes, &body_bytes, conn, head.is_head)
            .await?;
    }
    Ok(framing == Framing::Chunked { close: false })
}

/// The timing of one completion.
struct Schedule<'a> {
    start: Instant,
    tokens: u64,
    config: &'a LlmConfig,
}

impl Schedule<'_> {
    /// When the last token is due (TTFT, plus an ITL per token after the first).
    fn end(&self, jitter: &mut Jitter) -> Instant {
        let mut at = self.start + jitter.vary(self.config.ttft);
        for _ in 1..self.tokens {
            at += jitter.vary(self.config.itl);
        }
        at
    }

    /// Writes a non-streaming answer when its last token is due (a `HEAD` answer at once).
    async fn whole<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        head: &[u8],
        body: &[u8],
        conn: &mut ConnLlm,
        head_only: bool,
    ) -> io::Result<()> {
        if !head_only {
            sleep_until(self.end(&mut conn.jitter)).await;
        }
        stream.write_all(head).await?;
        if !head_only {
            stream.write_all(body).await?;
        }
        stream.flush().await
    }

    /// Writes the head at once, then every event at its scheduled time.
    async fn stream<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        pieces: &Streamed,
        conn: &mut ConnLlm,
        head_only: bool,
        stats: &ServeStats,
    ) -> io::Result<()> {
        stream.write_all(&pieces.head).await?;
        stream.flush().await?;
        if head_only {
            return Ok(());
        }
        // Without tokens, one write at TTFT still carries the role chunk and the tail.
        let writes = self.tokens.max(1);
        let mut at = self.start + conn.jitter.vary(self.config.ttft);
        for k in 0..writes {
            sleep_until(at).await;
            let (bytes, events) = self.write_of(k, pieces, &mut conn.batch);
            // Counted before the write, like `requests`.
            stats.events.fetch_add(events, Relaxed);
            stream.write_all(bytes).await?;
            // A no-op on TCP; TLS may hold a record back without it.
            stream.flush().await?;
            at += conn.jitter.vary(self.config.itl);
        }
        Ok(())
    }
}

impl Schedule<'_> {
    /// The bytes of write `k` and the events they carry: the first write adds the role
    /// chunk, the last the tail; the others are one prebuilt token, not copied.
    fn write_of<'a>(
        &self,
        k: u64,
        pieces: &'a Streamed,
        batch: &'a mut BytesMut,
    ) -> (&'a [u8], u64) {
        let (first, last) = (k == 0, k + 1 == self.tokens.max(1));
        let tokens = u64::from(self.tokens > 0);
        if !first && !last {
            return (&pieces.content, tokens);
        }
        batch.clear();
        if first {
            batch.extend_from_slice(&pieces.role);
        }
        if tokens > 0 {
            batch.extend_from_slice(&pieces.content);
        }
        if last {
            batch.extend_from_slice(&pieces.tail);
        }
        let extra = u64::from(first) + if last { pieces.tail_events } else { 0 };
        (batch, tokens + extra)
    }
}

/// Seconds since the Unix epoch, for `created` (0 if the clock is before 1970).
fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
