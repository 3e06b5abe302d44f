//! The flags of `vastar ws`: clap types only; `ws_build` validates them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{parse_connections, parse_duration, parse_requests, ColorChoice, Output, TlsArgs};

/// What `vastar ws` measures and how it ends, shown under its `--help`.
pub const WS_HELP: &str = "\
Each of the -c sessions is one WebSocket connection (the HTTP/1.1 upgrade's time is the
\"upgrade\" distribution). Sessions are opened before the clock starts; one that the
server closes or breaks is reopened at its next send and counted.

Latency:
  --echo        from each message's send to the next data message received (the reply)
  --ack-field   from the send of the frame each received JSON message names in that
                field (0-based, counting the session's frames) to the message's arrival
With --every, frame k of a session is due at its start + k*D; how late each send left is
the \"send lateness\" distribution (a generator that cannot keep the cadence shows it).

Gates (--slo, comma-separated): pN=D (the echo round trip), NAME_pN=D for each
--ack-field NAME (newest_frame_seq_p50=200ms), upgrade_pN=D, errors=RATE (every failure,
sent or received, over messages attempted: 0.001% = 1 in 100,000), rps>=N.

Exit codes:
  0    the run completed and every --slo gate passed
  1    an --slo gate failed (the full report is still printed)
  2    bad usage or bad input (bad URL, bad flag value, unreadable --send-file)
  3    nothing could be measured (no session could be opened) or the report could not
       be written
  130  interrupted by Ctrl-C; 143 by SIGTERM (what was measured is still reported)";

/// Flags of `vastar ws`.
#[derive(Debug, Args)]
#[command(after_help = WS_HELP)]
pub struct WsArgs {
    /// WebSocket sessions open at once.
    #[arg(short = 'c', value_name = "SESSIONS", default_value_t = 10,
          allow_negative_numbers = true, value_parser = parse_connections)]
    pub sessions: usize,
    /// Run for this long (e.g. 30s, 2m) [default: 10s unless -n is given].
    #[arg(short = 'z', value_name = "DURATION", value_parser = parse_duration,
          conflicts_with = "messages", allow_hyphen_values = true)]
    pub duration: Option<Duration>,
    /// Send exactly this many messages in all, across sessions, then stop.
    #[arg(short = 'n', value_name = "MESSAGES", allow_negative_numbers = true,
          value_parser = parse_requests)]
    pub messages: Option<u64>,
    #[command(flatten)]
    pub send: WsSendArgs,
    /// Extra header "Name: value" on the upgrade request (repeatable; last wins), e.g.
    /// Authorization, Origin or Sec-WebSocket-Protocol.
    #[arg(short = 'H', value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Seconds a reply (--echo) or an ack (--ack-field) may take before the session counts
    /// as timed out and is reopened; 0 = wait forever. Also bounds the upgrade.
    #[arg(short = 't', value_name = "SECONDS", default_value_t = 20.0,
          allow_negative_numbers = true, value_parser = super::parse_timeout_s)]
    pub timeout: f64,
    /// At most N worker threads [default: one per 128 sessions, up to two per CPU].
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = super::parse_cpus)]
    pub cpus: Option<usize>,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Service-level gates: exit 1 when one fails (see below), e.g.
    /// "newest_frame_seq_p50=200ms,oldest_frame_seq_p95=1650ms,errors=0.001%".
    #[arg(long, value_name = "GATES")]
    pub slo: Option<String>,
    /// Output format on stdout.
    #[arg(short = 'o', value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// When to color the text report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Target URL, e.g. ws://127.0.0.1:8080/stream or wss://host/ws
    pub url: String,
}

/// What each session sends and when, shared by `vastar ws` and `vastar sweep` over a
/// `ws://` URL.
#[derive(Debug, Args, Default)]
pub struct WsSendArgs {
    /// The message each session sends, as text [default: "hello"].
    #[arg(long, value_name = "TEXT", conflicts_with = "send_file")]
    pub send: Option<String>,
    /// Send this file's bytes: whole as one message, or with --frame-size as consecutive
    /// slices of N bytes (the last one shorter), one per message, cycling.
    #[arg(long, value_name = "FILE")]
    pub send_file: Option<PathBuf>,
    /// With --send-file: slice the file into messages of this many bytes.
    #[arg(long, value_name = "BYTES", requires = "send_file")]
    pub frame_size: Option<usize>,
    /// Send binary frames instead of text frames (text must be valid UTF-8).
    #[arg(long)]
    pub binary: bool,
    /// Open loop per session: message k is due at the session's start + k*DURATION
    /// (e.g. 20ms = 50 messages a second), whatever the server answers.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          conflicts_with = "echo")]
    pub every: Option<Duration>,
    /// Closed loop: send the next message as soon as the reply to the previous one
    /// arrives; latency is the round trip. The default without --every.
    #[arg(long)]
    pub echo: bool,
    /// A field of the server's JSON messages that names (0-based) a frame it answers;
    /// each field gets its own latency distribution (repeatable, at most 8).
    #[arg(long = "ack-field", value_name = "NAME")]
    pub ack_fields: Vec<String>,
    /// The first DURATION of every session is measured but reported apart, not in the
    /// statistics or the gates.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Spread the sessions' starts evenly over DURATION: session i of c starts at
    /// i*DURATION/c.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub ramp: Option<Duration>,
}
