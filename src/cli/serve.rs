//! Flags of `vastar serve` (the built-in target) and `vastar demo` (the target and a run
//! against it in one command).

use std::time::Duration;

use clap::Args;

use super::{parse_connections, parse_duration, ColorChoice, Output};

/// Flags of `vastar serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Response body size in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 13)]
    pub body_size: usize,
    /// Delay before each response (e.g. 5ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub delay: Option<Duration>,
    /// Send bodies with Transfer-Encoding: chunked.
    #[arg(long)]
    pub chunked: bool,
    /// Freeze the whole server every N requests (needs --stall), like a GC pause.
    #[arg(long, value_name = "N", requires = "stall")]
    pub stall_every: Option<u64>,
    /// How long each freeze lasts (e.g. 500ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "stall_every")]
    pub stall: Option<Duration>,
    /// Capacity model: serve at most K requests at once (each taking --delay), queueing the
    /// rest, so throughput saturates near K/delay and latency grows past c = K. A known
    /// target for `vastar sweep` and `--find-max`.
    #[arg(long, value_name = "K")]
    pub max_inflight: Option<usize>,
    /// Serve HTTPS with a throwaway self-signed certificate made at start; its PEM file is
    /// printed, for clients' --cacert.
    #[arg(long)]
    pub tls: bool,
    /// Speak HTTP/2: prior-knowledge h2c over TCP; with --tls, h2 when the client's ALPN
    /// asks for it (HTTP/1.1 otherwise).
    #[arg(long)]
    pub http2: bool,
    /// Server threads [default: number of CPUs].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Simulate an LLM: answer every request (any path; POST /v1/chat/completions is what
    /// clients send) as an OpenAI chat completion. With "stream": true, Server-Sent Events:
    /// headers at once; at --ttft a role chunk and the first content chunk; then one content
    /// chunk every --itl; with the last one a finish_reason "stop" chunk, a usage chunk (if
    /// the request has "stream_options": {"include_usage": true}) and data: [DONE].
    /// Otherwise one JSON completion after the same time. The request's max_tokens lowers
    /// --tokens; its model is echoed. Events are timed from one schedule per request (no
    /// drift), each within about 1 ms of it (the runtime's timer tick).
    #[arg(long, conflicts_with_all = ["http2", "chunked", "delay", "stall_every", "max_inflight", "body_size"])]
    pub llm: bool,
    /// With --llm: time to first token, from the request read to the first content chunk
    /// [default: 100ms].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "llm")]
    pub ttft: Option<Duration>,
    /// With --llm: content chunks (tokens) per completion [default: 100].
    #[arg(long, value_name = "N", requires = "llm")]
    pub tokens: Option<u64>,
    /// With --llm: inter-token latency, the gap between content chunks [default: 20ms].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "llm")]
    pub itl: Option<Duration>,
    /// With --llm: vary every gap (TTFT and each ITL) uniformly by up to ±PCT percent
    /// (0..=100), seeded per connection so runs repeat [default: 0].
    #[arg(
        long,
        value_name = "PCT",
        requires = "llm",
        allow_negative_numbers = true
    )]
    pub jitter: Option<f64>,
    /// Serve WebSocket (ws://, or wss:// with --tls) instead of HTTP: every connection must
    /// be an upgrade (any path), and every text or binary message is echoed as it came. A
    /// plain HTTP request gets 426 Upgrade Required and is closed. Client pings are
    /// answered, closes are returned. The target of `vastar ws --echo`.
    #[arg(long, conflicts_with_all = ["http2", "chunked", "delay", "stall_every", "max_inflight", "body_size", "llm"])]
    pub ws: bool,
    /// WebSocket in batch mode (implies --ws, echoes nothing): each session numbers the frames
    /// it receives from 0 and every DURATION (a timer per session, from its upgrade) sends one
    /// text message {"oldest_frame_seq":o,"newest_frame_seq":n,"frames":k} for the frames
    /// received since its previous answer; nothing when none came. Like a speech-to-text
    /// server: the oldest frame is answered about DURATION + RTT after it was sent, the
    /// newest about one RTT after.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          conflicts_with_all = ["http2", "chunked", "delay", "stall_every", "max_inflight", "body_size", "llm"])]
    pub ws_batch: Option<Duration>,
}

/// Flags of `vastar demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Connections.
    #[arg(short = 'c', default_value_t = 50,
          allow_negative_numbers = true, value_parser = parse_connections)]
    pub concurrency: usize,
    /// How long to run.
    #[arg(short = 'z', value_parser = parse_duration, default_value = "3s",
          allow_hyphen_values = true)]
    pub duration: Duration,
    /// Output format.
    #[arg(short = 'o', value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// When to color the text report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Over HTTPS: the target gets a throwaway self-signed certificate, which the run trusts.
    #[arg(long)]
    pub https: bool,
    /// Over HTTP/2 (h2 by ALPN with --https, h2c without), 10 streams per connection.
    #[arg(long)]
    pub http2: bool,
    /// Against a simulated LLM (`vastar serve --llm --tokens 20`): POSTs streaming OpenAI
    /// chat completion requests.
    #[arg(long, conflicts_with = "http2")]
    pub llm: bool,
    /// WebSocket sessions, shaped like a speech-to-text stream: each sends a 640-byte
    /// binary frame every 20 ms, and the target (`vastar serve --ws-batch 200ms`) acks
    /// them in batches, so the report shows newest- and oldest-frame latencies.
    #[arg(long, conflicts_with_all = ["http2", "llm"])]
    pub ws: bool,
}
