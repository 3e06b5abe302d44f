//! `vastar serve --llm`: the raw Server-Sent Events the built-in target streams, read over a
//! TCP socket with each event's arrival time, so the known TTFT, ITL and token counts are
//! recovered from the wire; then a load run of the flat form against it, and the count of
//! events `vastar serve --llm` prints when interrupted.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::Value;
use vastar::serve::{Background, LlmConfig, ServeConfig};

use crate::support::run_json;

/// The simulated model on a free loopback port.
fn llm_target(ttft_ms: u64, itl_ms: u64, tokens: u64, jitter_pct: f64) -> Background {
    let llm = LlmConfig {
        ttft: Duration::from_millis(ttft_ms),
        itl: Duration::from_millis(itl_ms),
        tokens,
        jitter_pct,
    };
    let config = ServeConfig {
        llm: Some(llm),
        ..ServeConfig::default()
    };
    Background::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config, 1)
        .expect("start the built-in target with --llm")
}

/// One answer as read off the wire: its head, and every event (or the plain body) with
/// the time it was complete, counted from the moment the request was written.
#[derive(Debug)]
struct Answer {
    head: String,
    events: Vec<(Duration, String)>,
}

impl Answer {
    /// Every event's `data:` payload.
    fn data(&self) -> Vec<&str> {
        let events = self.events.iter().map(|(_, e)| e.as_str());
        events
            .map(|e| e.strip_prefix("data: ").unwrap_or(e))
            .collect()
    }

    fn json(&self) -> Vec<Value> {
        let data = self.data();
        let json = data.iter().filter(|d| **d != "[DONE]");
        json.map(|d| serde_json::from_str(d).expect("event data is JSON"))
            .collect()
    }

    /// Arrival times of the content events (those carrying a token).
    fn token_times(&self) -> Vec<Duration> {
        let tokens = self
            .events
            .iter()
            .filter(|(_, e)| e.contains(r#""content":"#));
        tokens.map(|(t, _)| *t).collect()
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the target");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

fn post(conn: &mut TcpStream, body: &str) -> Instant {
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(request.as_bytes())
        .expect("send the request");
    Instant::now()
}

/// Reads one answer: a chunked event stream event by event, or a `Content-Length` body.
fn read_answer(conn: &mut TcpStream, sent: Instant) -> Answer {
    let mut wire = Wire {
        conn,
        buf: Vec::new(),
        sent,
    };
    let head = String::from_utf8(wire.take_through(b"\r\n\r\n")).unwrap();
    let mut events = Vec::new();
    if let Some(len) = content_length(&head) {
        let body = wire.take(len);
        events.push((sent.elapsed(), String::from_utf8(body).unwrap()));
        return Answer { head, events };
    }
    assert!(head.contains("Transfer-Encoding: chunked\r\n"), "{head}");
    loop {
        let size_line = String::from_utf8(wire.take_through(b"\r\n")).unwrap();
        let size = usize::from_str_radix(size_line.trim_end(), 16).expect("hex chunk size");
        let chunk = wire.take(size + 2);
        if size == 0 {
            return Answer { head, events };
        }
        let text = String::from_utf8(chunk[..size].to_vec()).unwrap();
        let event = text
            .strip_suffix("\n\n")
            .expect("one whole event per chunk");
        assert!(
            event.starts_with("data: ") && !event.contains('\n'),
            "{text:?}"
        );
        events.push((wire.sent.elapsed(), event.to_owned()));
    }
}

fn content_length(head: &str) -> Option<usize> {
    let line = head.lines().find(|l| l.starts_with("Content-Length: "))?;
    line["Content-Length: ".len()..].parse().ok()
}

/// A socket read into a buffer, taken from the front.
struct Wire<'a> {
    conn: &'a mut TcpStream,
    buf: Vec<u8>,
    sent: Instant,
}

impl Wire<'_> {
    fn fill(&mut self) {
        let mut chunk = [0; 16 * 1024];
        let n = self.conn.read(&mut chunk).expect("read the answer");
        assert!(n > 0, "the target closed mid-answer");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            self.fill();
        }
        self.buf.drain(..n).collect()
    }

    fn take_through(&mut self, end: &[u8]) -> Vec<u8> {
        loop {
            if let Some(i) = self.buf.windows(end.len()).position(|w| w == end) {
                return self.take(i + end.len());
            }
            self.fill();
        }
    }
}

fn ask(addr: SocketAddr, body: &str) -> Answer {
    let mut conn = connect(addr);
    let sent = post(&mut conn, body);
    read_answer(&mut conn, sent)
}

const STREAM: &str = r#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;

#[test]
fn a_stream_is_a_role_chunk_exactly_n_tokens_a_stop_and_done() {
    let server = llm_target(5, 1, 7, 0.0);
    let answer = ask(server.addr(), STREAM);
    assert!(
        answer.head.starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        answer.head
    );
    assert!(answer.head.contains("Content-Type: text/event-stream\r\n"));
    let json = answer.json();
    assert_eq!(json.len(), 9, "role, 7 tokens, stop: {:?}", answer.data());
    let role = &json[0]["choices"][0];
    assert_eq!(
        role["delta"],
        serde_json::json!({"role": "assistant"}),
        "role only"
    );
    for token in &json[1..8] {
        assert_eq!(token["object"], "chat.completion.chunk");
        assert_eq!(token["model"], "m");
        assert_eq!(token["choices"][0]["delta"]["content"], "tok ");
        assert!(token["choices"][0]["finish_reason"].is_null());
    }
    assert_eq!(json[8]["choices"][0]["finish_reason"], "stop");
    assert!(
        json.iter().all(|e| e.get("usage").is_none()),
        "usage unasked"
    );
    assert_eq!(answer.data().last(), Some(&"[DONE]"));
    assert_eq!(answer.token_times().len(), 7);
}

#[test]
fn the_usage_chunk_comes_only_when_asked_and_counts_the_tokens() {
    let server = llm_target(1, 1, 4, 0.0);
    let body = r#"{"stream":true,"stream_options":{"include_usage":true},
                   "messages":[{"role":"user","content":"three word prompt"}]}"#;
    let answer = ask(server.addr(), body);
    let json = answer.json();
    let usage = json.last().expect("events");
    assert_eq!(usage["choices"], serde_json::json!([]));
    assert_eq!(
        usage["usage"],
        serde_json::json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7})
    );
    assert_eq!(answer.data().last(), Some(&"[DONE]"));
    assert_eq!(json.iter().filter(|e| e.get("usage").is_some()).count(), 1);
}

#[test]
fn max_tokens_lowers_the_count_but_never_raises_it() {
    let server = llm_target(1, 1, 6, 0.0);
    let with = |max: u64| {
        let body = format!(r#"{{"stream":true,"max_tokens":{max}}}"#);
        ask(server.addr(), &body).token_times().len()
    };
    assert_eq!(with(2), 2);
    assert_eq!(with(50), 6);
    let plain = ask(server.addr(), r#"{"max_completion_tokens":3}"#);
    let doc: Value = serde_json::from_str(&plain.events[0].1).unwrap();
    assert_eq!(doc["usage"]["completion_tokens"], 3);
}

#[test]
fn without_stream_true_the_answer_is_one_json_completion_after_the_last_token() {
    let server = llm_target(30, 10, 5, 0.0);
    for body in [r#"{"stream":false,"model":"x"}"#, r#"{"model":"x"}"#] {
        let answer = ask(server.addr(), body);
        assert!(answer.head.contains("Content-Type: application/json\r\n"));
        let (arrived, body) = &answer.events[0];
        let doc: Value = serde_json::from_str(body).expect("one JSON document");
        assert_eq!(doc["object"], "chat.completion");
        assert_eq!(doc["model"], "x");
        assert_eq!(doc["choices"][0]["message"]["content"], "tok ".repeat(5));
        assert_eq!(doc["usage"]["completion_tokens"], 5);
        // TTFT + 4 ITL = 70 ms, never earlier.
        assert!(*arrived >= Duration::from_millis(70), "{arrived:?}");
        assert!(*arrived < Duration::from_millis(500), "{arrived:?}");
    }
}

#[test]
fn streams_follow_each_other_on_one_kept_alive_connection() {
    let server = llm_target(1, 1, 3, 0.0);
    let mut conn = connect(server.addr());
    for _ in 0..3 {
        let sent = post(&mut conn, STREAM);
        assert_eq!(read_answer(&mut conn, sent).token_times().len(), 3);
    }
    let stats = server.stats();
    assert_eq!(
        stats.connections.load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert_eq!(stats.requests.load(std::sync::atomic::Ordering::Relaxed), 3);
    // Role, 3 tokens, stop and [DONE] per stream.
    assert_eq!(
        stats.events.load(std::sync::atomic::Ordering::Relaxed),
        3 * 6
    );
}

/// The known timing is recovered from arrival times: events are never early (the schedule
/// is a floor); over eight streams the best TTFT is within 5 ms (it includes the request's
/// way in; a loaded machine only ever adds to it, so the minimum is its systematic part),
/// the median ITL and the median of the streams' mean ITLs within 1 ms. So scheduling
/// hiccups of a loaded machine cannot fail the test, while a timer that drifts, rounds badly
/// or is off by a token does.
/// How long after the server received a request the test may read its send instant.
const WRITE_RETURN_SLACK: Duration = Duration::from_micros(500);

#[test]
fn ttft_and_itl_are_recovered_from_the_wire() {
    let (ttft, itl, tokens) = (Duration::from_millis(40), Duration::from_millis(10), 20);
    let server = llm_target(40, 10, tokens, 0.0);
    let mut conn = connect(server.addr());
    let (mut ttfts, mut gaps, mut means) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..8 {
        let sent = post(&mut conn, STREAM);
        let times = read_answer(&mut conn, sent).token_times();
        assert_eq!(times.len(), tokens as usize);
        for (k, at) in times.iter().enumerate() {
            // `sent` is read after write() returns, which can trail the server's receipt
            // (its schedule's start) by a fraction of a millisecond on a busy machine.
            let due = (ttft + itl * k as u32).saturating_sub(WRITE_RETURN_SLACK);
            assert!(*at >= due, "token {k} arrived at {at:?}, before {due:?}");
        }
        ttfts.push(times[0]);
        gaps.extend(times.windows(2).map(|w| w[1] - w[0]));
        means.push((times[times.len() - 1] - times[0]) / (tokens as u32 - 1));
    }
    let best = ttfts.iter().min().copied().unwrap_or_default();
    assert!(best < ttft + Duration::from_millis(5), "TTFT {ttfts:?}");
    let itl_seen = median(&mut gaps);
    // Medians over 8 answers: a loaded machine delays single tokens, not the middle one by
    // more than a couple of ms, while a wrong ITL (another token's gap) is off by 10.
    assert!(
        itl_seen.abs_diff(itl) < Duration::from_millis(2),
        "ITL {itl_seen:?}"
    );
    let mean_seen = median(&mut means);
    assert!(
        mean_seen.abs_diff(itl) < Duration::from_millis(2),
        "means {means:?}"
    );
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[test]
fn jitter_spreads_the_gaps_around_the_itl() {
    let server = llm_target(10, 10, 41, 40.0);
    let times = ask(server.addr(), STREAM).token_times();
    let mut gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    // Uniform in 6..14 ms: forty gaps all within 9..11 ms would be a one-in-10^19 draw.
    assert!(
        gaps.iter().any(|g| *g < Duration::from_millis(9)),
        "{gaps:?}"
    );
    assert!(
        gaps.iter().any(|g| *g > Duration::from_millis(11)),
        "{gaps:?}"
    );
    // The median of forty draws stays near the middle of the band (a stalled server sends
    // the events it owes back to back, so a loaded machine shortens a few gaps).
    let middle = median(&mut gaps);
    let band = Duration::from_millis(7)..Duration::from_millis(13);
    assert!(band.contains(&middle), "median ITL {middle:?}");
}

#[test]
fn the_flat_form_streams_from_the_target_at_a_hundred_connections() {
    let server = llm_target(20, 5, 10, 0.0);
    let url = format!("http://{}/v1/chat/completions", server.addr());
    let report = run_json(
        "-n 300 -c 100 -t 10 -m POST -T application/json -d",
        &[STREAM, &url],
    );
    assert_eq!(report.summary.successful, 300);
    // Every response was the whole stream: 12 events, ids differing by a few digits only.
    let one = ask(server.addr(), STREAM);
    let wire: usize = one.events.iter().map(|(_, e)| e.len() + "\n\n".len()).sum();
    let per_request = report.summary.size_per_request as usize;
    assert!(
        per_request.abs_diff(wire) < 50,
        "{per_request} B vs {wire} B"
    );
    // TTFT + 9 ITL = 65 ms per stream; far below that, the stream was not waited for.
    let p50 = report.latency_ms["p50"].as_f64().unwrap_or(0.0);
    assert!(p50 >= 65.0, "{:?}", report.latency_ms);
}

/// `vastar serve --llm` says on Ctrl-C how many events it wrote: what benchmarks divide a
/// client's CPU time by (benches/llm_peers.py).
#[test]
fn serve_llm_reports_the_events_it_sent_when_interrupted() {
    let addr = crate::support::unused_local_addr().to_string();
    let flags = "serve --llm --tokens 3 --ttft 1ms --itl 1ms --threads 1 --addr";
    let server = crate::faults::child::spawn(flags, &[&addr]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.catches(libc::SIGINT) {
        assert!(
            Instant::now() < deadline,
            "serve never installed its Ctrl-C handler"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let url = format!("http://{addr}/v1/chat/completions");
    let body = r#"{"stream":true,"stream_options":{"include_usage":true}}"#;
    let report = run_json("-n 2 -c 1 -t 5 -m POST -d", &[body, &url]);
    assert_eq!(report.summary.successful, 2);
    server.signal(libc::SIGINT);
    let finished = server.finish(Duration::from_secs(10));
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    // Role, 3 tokens, stop, usage and [DONE], twice.
    let last = finished.stderr.lines().last().unwrap_or_default();
    assert_eq!(last, "vastar serve: 2 requests, 14 events sent");
}

/// The whole loop: `vastar ai-bench` against the simulated model recovers the TTFT, ITL and
/// token count the target was told to produce (the issue's "within 1 ms / exactly"; the
/// medians get a little more room, for a loaded test machine's scheduling).
#[test]
fn ai_bench_recovers_the_targets_ttft_itl_and_tokens() {
    let server = llm_target(60, 15, 12, 0.0);
    let url = format!("http://{}/v1/chat/completions", server.addr());
    let report = crate::support::run(
        "ai-bench -o json -n 40 -c 4 --model sim --prompt hello",
        &[&url],
    )
    .success()
    .report();
    let stream = report.stream.expect("ai-bench measures streams");
    assert_eq!(stream.responses, 40);
    assert_eq!(stream.output_tokens.total, 40 * 12, "{stream:?}");
    assert_eq!(stream.output_tokens.source.as_deref(), Some("usage"));
    assert_eq!(stream.content_events, 40 * 12);
    assert_eq!(stream.errors.missing_done + stream.errors.not_streaming, 0);
    let p50 = |m: &std::collections::BTreeMap<String, Option<f64>>| m["p50"].expect("measured");
    let (ttft, itl) = (p50(&stream.ttft_ms), p50(&stream.itl_ms));
    // Never early (the target sleeps on one schedule), and late by less than 1 ms at the
    // median on an idle machine; 3 ms of room here.
    assert!((60.0..63.0).contains(&ttft), "TTFT p50 {ttft} ms");
    assert!((14.0..17.0).contains(&itl), "ITL p50 {itl} ms");
    let tpot = p50(&stream.tpot_ms);
    assert!((14.5..16.5).contains(&tpot), "TPOT p50 {tpot} ms");
}
