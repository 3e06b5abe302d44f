//! `vastar serve --ws-batch D`: the protocol of the speech-to-text report without its model.
//!
//! Each session numbers the data frames it receives from 0 and, on a timer of period `D`
//! started at its upgrade, answers the frames received since its previous answer with one
//! text message `{"oldest_frame_seq":o,"newest_frame_seq":n,"frames":k}`. A client that sends
//! a frame every few milliseconds therefore sees the oldest frame of each answer acknowledged
//! about `D` + RTT after it was sent and the newest about one RTT after: two known latencies
//! for `vastar ws --ack-field` to recover.
//!
//! Invariants:
//! - Frames are counted per session, in arrival order; answers cover consecutive, disjoint
//!   ranges of them, so every frame is acknowledged exactly once (o = previous n + 1).
//! - A tick with no frame received since the previous answer sends nothing; ticks missed
//!   while the server was busy are skipped, not sent in a burst, so the phase stays put.
//! - Nothing is echoed.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::serve::ServeStats;

/// Runs one batch session until the client closes or leaves, or an error ends it.
pub(super) async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    mut ws: WebSocketStream<S>,
    every: Duration,
    stats: &ServeStats,
) {
    let mut batch = Batch::default();
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            // Reading is cancel-safe: tungstenite keeps partial frames in its own state.
            message = ws.next() => match message {
                Some(Ok(m)) if m.is_text() || m.is_binary() => {
                    batch.push();
                    stats.ws_received.fetch_add(1, Relaxed);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            _ = ticks.tick() => {
                let Some(answer) = batch.take() else { continue };
                if ws.send(Message::text(answer)).await.is_err() {
                    return;
                }
                stats.ws_sent.fetch_add(1, Relaxed);
            }
        }
    }
}

/// One session's count of frames received and how many of them await an answer.
#[derive(Debug, Default)]
struct Batch {
    /// Frames received so far; the next one's sequence number.
    received: u64,
    /// Of those, the most recent ones not answered yet.
    pending: u64,
}

impl Batch {
    /// Counts one received data frame.
    fn push(&mut self) {
        self.received += 1;
        self.pending += 1;
    }

    /// The answer covering the pending frames, if any, which are then answered.
    fn take(&mut self) -> Option<String> {
        if self.pending == 0 {
            return None;
        }
        let newest = self.received - 1;
        let answer = answer(newest + 1 - self.pending, newest, self.pending);
        self.pending = 0;
        Some(answer)
    }
}

/// Longest answer: the keys and punctuation (51 bytes) plus three 20-digit numbers.
const ANSWER_MAX: usize = 51 + 3 * 20;

/// `{"oldest_frame_seq":o,"newest_frame_seq":n,"frames":k}`, written digit by digit into
/// one allocation of [`ANSWER_MAX`] bytes (the message must own its payload anyway).
fn answer(oldest: u64, newest: u64, frames: u64) -> String {
    let mut out = String::with_capacity(ANSWER_MAX);
    out.push_str("{\"oldest_frame_seq\":");
    push_decimal(&mut out, oldest);
    out.push_str(",\"newest_frame_seq\":");
    push_decimal(&mut out, newest);
    out.push_str(",\"frames\":");
    push_decimal(&mut out, frames);
    out.push('}');
    out
}

/// Appends `n` in decimal, built in a stack buffer from the last digit up.
fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // `n % 10` is below 10, so the cast is exact.
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_json_with_the_three_counts() {
        assert_eq!(
            answer(0, 4, 5),
            r#"{"oldest_frame_seq":0,"newest_frame_seq":4,"frames":5}"#
        );
        let max = answer(u64::MAX, u64::MAX, u64::MAX);
        assert_eq!(max.len(), ANSWER_MAX);
        let parsed: serde_json::Value = serde_json::from_str(&max).unwrap();
        assert_eq!(parsed["frames"].as_u64(), Some(u64::MAX));
        for n in [0, 9, 10, 99, 100, 12345, u64::MAX / 3] {
            let mut out = String::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn each_answer_covers_the_frames_since_the_previous_one() {
        let mut batch = Batch::default();
        assert_eq!(batch.take(), None);
        (0..5).for_each(|_| batch.push());
        assert_eq!(batch.take().unwrap(), answer(0, 4, 5));
        assert_eq!(batch.take(), None);
        (0..3).for_each(|_| batch.push());
        assert_eq!(batch.take().unwrap(), answer(5, 7, 3));
        batch.push();
        assert_eq!(batch.take().unwrap(), answer(8, 8, 1));
    }
}
