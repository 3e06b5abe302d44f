//! Byte-level tests of the completion's framing, and its schedule under a paused clock.

use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use super::frame::{self, Framing, Meta, Streamed};
use super::{answer, Llm, LlmConfig};
use crate::serve::request::RequestHead;
use crate::serve::ServeStats;

fn meta(tokens: u64) -> Meta {
    Meta {
        id: "chatcmpl-t".into(),
        created: 42,
        model_json: r#""m\"1""#.into(),
        prompt_tokens: 5,
        completion_tokens: tokens,
    }
}

const KEEP: Framing = Framing::Chunked { close: false };

/// Splits a chunked body into its chunks' data, checking the framing and the terminator.
fn dechunk(mut raw: &[u8]) -> Vec<&[u8]> {
    let mut chunks = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("size line");
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).unwrap(), 16);
        let size = size.expect("hex chunk size");
        raw = &raw[line_end + 2..];
        if size == 0 {
            assert_eq!(raw, b"\r\n", "terminator, then nothing");
            return chunks;
        }
        chunks.push(&raw[..size]);
        assert_eq!(&raw[size..size + 2], b"\r\n");
        raw = &raw[size + 2..];
    }
}

/// The `data:` payload of one whole SSE event.
fn data(event: &[u8]) -> &str {
    let text = std::str::from_utf8(event).unwrap();
    let inner = text
        .strip_prefix("data: ")
        .and_then(|t| t.strip_suffix("\n\n"));
    let inner = inner.unwrap_or_else(|| panic!("not one SSE event: {text:?}"));
    assert!(!inner.contains('\n'), "{text:?}");
    inner
}

fn json(event: &[u8]) -> Value {
    serde_json::from_str(data(event)).expect("event data is JSON")
}

#[test]
fn each_piece_is_one_event_per_chunk_with_the_openai_shape() {
    let s = Streamed::new(&meta(3), true, KEEP);
    let head = std::str::from_utf8(&s.head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"));
    assert!(head.contains("Content-Type: text/event-stream\r\n"));
    assert!(head.contains("Transfer-Encoding: chunked\r\n") && !head.contains("Connection"));

    let role = json(dechunk_one(&s.role));
    assert_eq!(
        role["choices"][0]["delta"],
        serde_json::json!({"role": "assistant"})
    );
    let content = json(dechunk_one(&s.content));
    assert_eq!(content["object"], "chat.completion.chunk");
    assert_eq!(
        (content["id"].as_str(), content["created"].as_u64()),
        (Some("chatcmpl-t"), Some(42))
    );
    assert_eq!(content["model"], "m\"1");
    assert_eq!(content["choices"][0]["delta"]["content"], frame::TOKEN);
    assert!(content["choices"][0]["finish_reason"].is_null());
}

/// The single chunk of a piece that is one chunk without a terminator.
fn dechunk_one(piece: &[u8]) -> &[u8] {
    let mut with_end = piece.to_vec();
    with_end.extend_from_slice(b"0\r\n\r\n");
    let chunks = dechunk(&with_end);
    assert_eq!(chunks.len(), 1);
    let start = piece.len() - 2 - chunks[0].len();
    &piece[start..piece.len() - 2]
}

#[test]
fn the_tail_stops_reports_usage_when_asked_and_ends_the_body() {
    let tail = Streamed::new(&meta(3), true, KEEP).tail;
    let events = dechunk(&tail);
    assert_eq!(events.len(), 3);
    let stop = json(events[0]);
    assert_eq!(stop["choices"][0]["finish_reason"], "stop");
    assert_eq!(stop["choices"][0]["delta"], serde_json::json!({}));
    let usage = json(events[1]);
    assert_eq!(usage["choices"], serde_json::json!([]));
    assert_eq!(
        usage["usage"],
        serde_json::json!({"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8})
    );
    assert_eq!(data(events[2]), "[DONE]");

    let without = Streamed::new(&meta(3), false, KEEP).tail;
    let events = dechunk(&without);
    assert_eq!(events.len(), 2);
    assert_eq!(data(events[1]), "[DONE]");
}

#[test]
fn http10_streams_are_plain_events_closed_by_the_server() {
    let s = Streamed::new(&meta(1), false, Framing::UntilClose);
    let head = std::str::from_utf8(&s.head).unwrap();
    assert!(head.contains("Connection: close\r\n") && !head.contains("chunked"));
    assert_eq!(
        json(&s.content)["choices"][0]["delta"]["content"],
        frame::TOKEN
    );
    assert!(s.tail.ends_with(b"data: [DONE]\n\n"));
}

#[test]
fn the_whole_answer_has_every_token_and_a_matching_length() {
    let (head, body) = frame::whole(&meta(4), Framing::Chunked { close: true });
    let head = std::str::from_utf8(&head).unwrap();
    assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
    assert!(head.contains("Content-Type: application/json\r\nContent-Length"));
    assert!(head.ends_with("Connection: close\r\n\r\n"));
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["object"], "chat.completion");
    assert_eq!(
        doc["choices"][0]["message"]["content"],
        frame::TOKEN.repeat(4)
    );
    assert_eq!(doc["choices"][0]["finish_reason"], "stop");
    assert_eq!(doc["usage"]["total_tokens"], 9);
}

fn request() -> RequestHead {
    RequestHead {
        head_len: 0,
        is_head: false,
        http11: true,
        content_length: 0,
        close: false,
        keep_alive: false,
        expect_continue: false,
    }
}

/// Runs one answer over an in-memory pipe under the paused clock; returns every read's
/// bytes with its (virtual) offset from the start.
async fn timed_answer(config: LlmConfig, body: &str) -> Vec<(Duration, Vec<u8>)> {
    let (mut client, mut server) = tokio::io::duplex(1 << 20);
    let body = body.to_owned();
    let start = Instant::now();
    let task = tokio::spawn(async move {
        let llm = Llm::new(config);
        let mut conn = llm.connection();
        let stats = ServeStats::default();
        let head = request();
        let keep = answer(&mut server, &head, body.as_bytes(), &llm, &mut conn, &stats).await;
        keep.expect("the pipe stays open")
    });
    let mut reads = Vec::new();
    let mut buf = vec![0; 1 << 16];
    while !task.is_finished() || reads.is_empty() {
        tokio::select! {
            n = client.read(&mut buf) => {
                let n = n.unwrap();
                reads.push((start.elapsed(), buf[..n].to_vec()));
            }
            () = tokio::time::sleep(Duration::from_secs(60)) => break,
        }
    }
    assert!(
        task.await.unwrap(),
        "an HTTP/1.1 keep-alive request keeps the connection"
    );
    reads
}

#[tokio::test(start_paused = true)]
async fn events_leave_on_schedule_head_first() {
    let config = LlmConfig {
        ttft: Duration::from_millis(50),
        itl: Duration::from_millis(10),
        tokens: 4,
        jitter_pct: 0.0,
    };
    let reads = timed_answer(config, r#"{"stream":true}"#).await;
    let at: Vec<u64> = reads.iter().map(|(t, _)| t.as_millis() as u64).collect();
    assert_eq!(at, [0, 50, 60, 70, 80]);
    assert!(reads[0].1.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let body: Vec<u8> = reads[1..].iter().flat_map(|(_, b)| b.clone()).collect();
    let events = dechunk(&body);
    // Role, 4 tokens, stop, [DONE]; no usage chunk was asked for.
    assert_eq!(events.len(), 7);
    assert!(json(events[0])["choices"][0]["delta"]["role"] == "assistant");
    let tokens = events
        .iter()
        .filter(|e| data(e).contains(r#""content":"tok ""#));
    assert_eq!(tokens.count(), 4);
    assert_eq!(json(events[5])["choices"][0]["finish_reason"], "stop");
    assert_eq!(data(events[6]), "[DONE]");
}

#[tokio::test(start_paused = true)]
async fn max_tokens_shortens_and_a_plain_request_waits_for_the_last_token() {
    let config = LlmConfig {
        ttft: Duration::from_millis(30),
        itl: Duration::from_millis(20),
        tokens: 10,
        jitter_pct: 0.0,
    };
    let reads = timed_answer(config, r#"{"max_tokens":3}"#).await;
    assert_eq!(reads[0].0, Duration::from_millis(70), "TTFT + 2 ITL");
    let all: Vec<u8> = reads.iter().flat_map(|(_, b)| b.clone()).collect();
    let text = String::from_utf8(all).unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    let doc: Value = serde_json::from_str(body).unwrap();
    assert_eq!(doc["usage"]["completion_tokens"], 3);
}

#[tokio::test(start_paused = true)]
async fn jitter_moves_events_within_their_band() {
    let config = LlmConfig {
        ttft: Duration::from_millis(100),
        itl: Duration::from_millis(100),
        tokens: 20,
        jitter_pct: 20.0,
    };
    let reads = timed_answer(config, r#"{"stream":true}"#).await;
    let at: Vec<Duration> = reads[1..].iter().map(|(t, _)| *t).collect();
    assert_eq!(at.len(), 20);
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    let band = Duration::from_millis(79)..=Duration::from_millis(121);
    assert!(band.contains(&at[0]), "{:?}", at[0]);
    assert!(gaps.iter().all(|g| band.contains(g)), "{gaps:?}");
    assert!(
        gaps.iter().any(|g| *g != Duration::from_millis(100)),
        "{gaps:?}"
    );
}
