//! The command line: clap types and value parsers only.
//!
//! Flags parse into these structs and nothing more; [`build`] turns them into a validated
//! [`RunConfig`](crate::config::RunConfig). The flat form (`vastar [OPTIONS] <URL>`) stays
//! compatible with hey and vastar 0.x callers; subcommands sit beside it.

pub mod ai_bench;
pub mod ai_bench_build;
pub mod arrival;
pub mod build;
pub mod hey;
pub mod merge;
pub mod prompts;
pub mod serve;
pub mod serve_build;
pub mod sweep;
pub mod sweep_build;
mod values;
pub mod ws;
pub mod ws_build;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use ai_bench::AiBenchArgs;
pub use arrival::{ArrivalArgs, ArrivalKind};
pub use merge::MergeArgs;
pub use serve::{DemoArgs, ServeArgs};
pub use sweep::SweepArgs;
pub use values::*;
pub use ws::{WsArgs, WsSendArgs};

use crate::segment::Segment;

/// Exit codes, shown in `--help` and README.md. Scripts and CI depend on them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    the run completed (whatever the server answered) and every --slo gate passed
  1    an --slo gate failed (the full report is still printed)
  2    bad usage or bad input (bad URL, bad flag value, unreadable -D file)
  3    nothing could be measured (no connection could be opened, too few file
       descriptors) or the report (or the --log-requests file) could not be written
  130  interrupted by Ctrl-C (SIGINT); the report of what was measured is still
       printed, with requests cut off in flight counted apart from failures
  143  stopped by SIGTERM (CI cancellation, timeout, docker stop); reported as for 130";

#[derive(Debug, Parser)]
#[command(
    name = "vastar",
    version,
    about = "A fast, lean, honest HTTP load generator.",
    long_about = "A fast, lean, honest HTTP load generator: sends HTTP/1.1 requests over c \
                  connections and reports latency percentiles, an insight on the tail, a \
                  histogram, status codes and phase timings. hey's command lines work as \
                  they are: its single-dash flags (-disable-keepalive, -disable-compression, \
                  -disable-redirects, -host, -cpus) keep hey's meaning, and -h2 and -o csv \
                  are refused (exit 2) rather than run differently.",
    after_help = EXIT_CODES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the built-in HTTP/1.1 target server (for calibration and tests).
    Serve(ServeArgs),
    /// Start the built-in target on a free loopback port and benchmark it.
    Demo(DemoArgs),
    /// Run many levels in one process: find the concurrency sweet spot, a gateway's
    /// overhead (--vs), or the highest load that passes an SLO (--find-max).
    Sweep(Box<SweepArgs>),
    /// Combine the JSON results of several processes (`-o json` files) into the report
    /// one process would have printed for all their requests.
    Merge(MergeArgs),
    /// Load-test an OpenAI-compatible chat-completions endpoint with streaming requests
    /// built from --model and --prompt/--prompts; every flag of the flat form applies.
    AiBench(Box<AiBenchArgs>),
    /// Load-test a WebSocket endpoint: c sessions sending messages on a cadence (--every)
    /// or as echoes (--echo), with latency per message and per acked frame (--ack-field).
    Ws(Box<WsArgs>),
}

/// Flags of a load run (the flat form).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Total number of requests to send, across all connections.
    #[arg(short = 'n', value_name = "REQUESTS", default_value_t = 200,
          allow_negative_numbers = true, value_parser = parse_requests)]
    pub requests: u64,
    /// Number of connections kept busy at once (clamped to -n).
    #[arg(short = 'c', value_name = "CONNECTIONS", default_value_t = 50,
          allow_negative_numbers = true, value_parser = parse_connections)]
    pub concurrency: usize,
    /// Run for this long instead of -n requests (e.g. 10s, 1m, 500ms).
    #[arg(short = 'z', value_name = "DURATION", value_parser = parse_duration,
          allow_hyphen_values = true)]
    pub duration: Option<Duration>,
    /// Rate limit per connection, in requests per second (0 = unlimited).
    #[arg(
        short = 'q',
        value_name = "QPS",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub qps: f64,
    /// Open-loop rate: requests per second across all connections, sent on a schedule (an
    /// even beat unless --arrival poisson).
    /// Latency is measured from each request's scheduled time, so server stalls show up in
    /// the percentiles instead of silently lowering the rate (no coordinated omission).
    /// -c caps the requests in flight; if it is too small the report counts late sends.
    #[arg(
        long,
        value_name = "RPS",
        conflicts_with = "qps",
        allow_negative_numbers = true
    )]
    pub rate: Option<f64>,
    #[command(flatten)]
    pub arrival: ArrivalArgs,
    /// With -q: correct latency for coordinated omission (HdrHistogram expected-interval
    /// correction); the uncorrected service time is reported beside it.
    #[arg(long)]
    pub latency_correction: bool,
    #[command(flatten)]
    pub request: RequestArgs,
    /// Output format. csv-intervals prints only the --interval time series, as CSV (a
    /// header, then one row per interval) instead of the report.
    #[arg(short = 'o', value_enum, default_value_t = RunOutput::Text)]
    pub output: RunOutput,
    /// Slice the run into intervals of this length (e.g. 1s, 500ms; at least 10ms) and
    /// report each one: requests, responses, errors, rate and latency percentiles over time,
    /// to see a ramp, a stall or a warm-up. A request counts in the interval in which it
    /// ended. The text report shows a table (at most 30 rows, neighbours grouped), the JSON
    /// an "intervals" array, -o csv-intervals the series alone.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<Duration>,
    /// Number of bars in the latency histogram.
    #[arg(long, value_name = "N", default_value_t = 11,
          allow_negative_numbers = true, value_parser = parse_hist_bins)]
    pub hist_bins: usize,
    /// Spacing of the histogram's bars between the fastest and the slowest response.
    ///
    /// log (default): each bar's upper edge is a constant factor above the previous one.
    /// Latency spreads multiplicatively, so one stalled request stretching the range to a
    /// second cannot squeeze every other response into the first bar; on a narrow range
    /// the bars come out nearly equal anyway. A fixed default (rather than one picked per
    /// run) keeps the histograms of repeated runs comparable.
    /// linear: bars of equal width, as hey draws them.
    #[arg(long, value_enum, value_name = "SCALE", default_value_t = HistScaleArg::Log,
          verbatim_doc_comment)]
    pub hist_scale: HistScaleArg,
    /// When to color the text report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Service-level gates: exit 1 when one fails, e.g. "p99=250ms,errors=0.1%,rps>=5000".
    ///
    /// Comma-separated, any subset, each gate at most once:
    ///   pN=DURATION  the Nth percentile latency is at most DURATION; N from 1 to 99.99
    ///                (p50, p99, p99.9), DURATION in us, ms or s (500us, 1.5ms, 1s)
    ///   errors=RATE  failed requests / requests is at most RATE (0.1% or 0.001)
    ///   rps>=N       at least N responses per second
    /// With --stream-metrics also:
    ///   ttft_pN=DURATION, tpot_pN=, itl_pN=, e2e_pN=   a stream metric's percentile
    ///   tokens_per_s>=N   output tokens per second     goodput>=N   good streams per second
    /// Example: --slo "p50=20ms,p99=250ms,p99.9=1s,errors=0.1%,rps>=5000"
    /// The report shows each gate's verdict, and latency gates color the histogram.
    #[arg(long, value_name = "GATES", verbatim_doc_comment)]
    pub slo: Option<String>,
    /// Measure each response as a stream (Server-Sent Events or NDJSON; HTTP/1.1 or h2).
    ///
    /// Adds a Streaming section (JSON: "stream") with, per response:
    ///   TTFT    time from the request's write to the first content event; an OpenAI
    ///           chunk is content when choices[0].delta.content (or .text) is a non-empty
    ///           string (role-only chunks do not count); for any other stream, every
    ///           non-empty data event except [DONE]
    ///   TTFB    time to the first body byte; TTFE  time to the first event of any kind
    ///   ITL     every gap between consecutive content events, pooled (vLLM's definition)
    ///   TPOT    (E2E - TTFT) / (output tokens - 1), when tokens > 1 (GenAI-Perf's)
    ///   E2E     from the request's write to the last byte
    ///   tokens  the server's usage.completion_tokens when sent, else the content events
    ///   tok/s/req  each response's output tokens over its own E2E, as percentiles
    ///   goodput streamed responses per second that met every per-request latency limit
    ///           of --slo (its pN, ttft_, tpot_, itl_ and e2e_ gates)
    /// Stream errors: an OpenAI-shaped event stream without its final "data: [DONE]", an
    /// error event (event: error, or a top-level "error" in the data), and a response that
    /// is neither text/event-stream nor NDJSON.
    #[arg(long, verbatim_doc_comment)]
    pub stream_metrics: bool,
    /// Run share i of a test split over N processes (0-based), e.g. 0/4 .. 3/4.
    ///
    /// -n, -c and --rate are the whole test's: this process takes segment i of each
    /// (floor(total*(i+1)/N) - floor(total*i/N)), so the N shares add up exactly. Merge the
    /// N JSON results with `vastar merge`.
    #[arg(long, value_name = "i/N", value_parser = parse_segment, verbatim_doc_comment)]
    pub segment: Option<Segment>,
    /// Start the measured run at this wall-clock time, after pre-connecting, so several
    /// processes start together: RFC 3339 (2026-11-30T15:00:00Z, offsets allowed) or Unix
    /// seconds. The JSON records how far from it the run actually started.
    #[arg(long, value_name = "TIME", value_parser = parse_start_at)]
    pub start_at: Option<SystemTime>,
    /// Write one CSV row per request to FILE (created or truncated before the run):
    ///
    ///   start_us,latency_us,status,bytes,error,connection,service_us
    /// start_us    when the request's latency starts, from the run's start (under --rate:
    ///             its scheduled send time), so start_us + latency_us is when it ended
    /// latency_us  what the latency histogram got; for an error, the time to the failure
    /// status      the status code; bytes: body bytes (both empty for an error)
    /// error       the error's key as in -o json's "errors" (empty for a response)
    /// connection  the slot that sent it: worker x 1000000 + slot within the worker
    /// service_us  from the actual send to the end (differs from latency_us under --rate)
    /// Times are whole microseconds. Requests cut off by Ctrl-C get no row. Rows are
    /// buffered and written by a thread of their own, off the requests' path.
    #[arg(long, value_name = "FILE", verbatim_doc_comment)]
    pub log_requests: Option<PathBuf>,
    /// Target URL, e.g. http://127.0.0.1:8080/path
    #[arg(required = true)]
    pub url: Option<String>,
    /// Positional arguments after the URL, kept only so that `build` can refuse them by name
    /// (usually a value with a space that was not quoted) instead of clap's bare
    /// "unexpected argument".
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

/// The request flags every load-running command shares (the flat form and `sweep`): what
/// to send and how long to wait for it. One struct, so one validation (`build::request_spec`).
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// HTTP method.
    #[arg(short = 'm', value_name = "METHOD", default_value = "GET")]
    pub method: String,
    /// Request body.
    #[arg(short = 'd', value_name = "BODY", conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Request body read from a file.
    #[arg(short = 'D', value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Content-Type header [default when a body is sent: text/html].
    #[arg(short = 'T', value_name = "CONTENT_TYPE")]
    pub content_type: Option<String>,
    /// Extra header "Name: value" (repeatable; overrides -T, -A, -a and defaults; last wins).
    #[arg(short = 'H', value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Per-request timeout in seconds, at least 0.001 (0 = no timeout).
    #[arg(short = 't', value_name = "SECONDS", default_value_t = 20.0,
          allow_negative_numbers = true, value_parser = parse_timeout_s)]
    pub timeout: f64,
    /// Accept header [default: */*].
    #[arg(short = 'A', value_name = "ACCEPT")]
    pub accept: Option<String>,
    /// Basic auth as user:pass (also taken from user:pass@ in the URL).
    #[arg(short = 'a', value_name = "USER:PASS")]
    pub auth: Option<String>,
    /// Open a new connection for every request.
    #[arg(long)]
    pub disable_keepalive: bool,
    /// Do not send "Accept-Encoding: gzip".
    #[arg(long)]
    pub disable_compression: bool,
    /// Do not follow redirects (same as --redirect 0).
    #[arg(long)]
    pub disable_redirects: bool,
    /// Follow up to N redirects (301, 302, 303, 307, 308) per request, like hey and oha;
    /// 0 = off, at most 100. Latency spans every hop. Only redirects to the same scheme,
    /// host and port (or to the --host name) are followed, since connections are opened to
    /// one target; others are recorded as the 3xx they are and counted as cross-host.
    #[arg(long, value_name = "N", default_value_t = 10,
          allow_negative_numbers = true, value_parser = parse_redirects)]
    pub redirect: u32,
    /// Host header to send instead of the URL's host (hey's -host).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// At most N worker threads (hey's -cpus) [default: one per 128 connections, up to two
    /// per CPU].
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_cpus)]
    pub cpus: Option<usize>,
    /// Speak HTTP/2: ALPN h2 over TLS for https://, prior-knowledge h2c for http://. A
    /// server that does not speak it is an error (exit 3), not a fallback to HTTP/1.1.
    #[arg(long)]
    pub http2: bool,
    /// Requests in flight per connection (-c × M in all), like h2load's -m. Needs --http2
    /// (multiplexed streams); over HTTP/1.1 only 1 is accepted [default: 1].
    #[arg(long, value_name = "M", default_value_t = 1,
          allow_negative_numbers = true, value_parser = parse_streams)]
    pub streams: usize,
    /// Send every request through this HTTP proxy, e.g. http://user:pass@127.0.0.1:3128
    /// (an http:// proxy; hey's host:port also works). HTTP/1.1 requests to http:// URLs go
    /// to it in absolute form; https:// and --http2 open a CONNECT tunnel per connection
    /// (TLS verified against the target). user:pass is sent as Proxy-Authorization.
    #[arg(short = 'x', long, value_name = "PROXY_URL")]
    pub proxy: Option<String>,
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// How `https://` (and `wss://`) connections verify the server and identify the client:
/// shared by every command that connects.
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// https://: also trust the CA certificates in this PEM file (besides the system's).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,
    /// https://: do not verify the server's certificate (its name, issuer, expiry); the
    /// traffic is still encrypted. Prints one warning line.
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// https://: client certificate (PEM, chain allowed) for mutual TLS; needs --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
    /// https://: private key (PEM: PKCS#8, PKCS#1 or SEC1) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// `-o` of the flat form: [`Output`]'s formats, plus the time series alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunOutput {
    Text,
    Json,
    /// The --interval time series alone, as CSV, instead of the report.
    CsvIntervals,
}

impl From<Output> for RunOutput {
    fn from(output: Output) -> RunOutput {
        match output {
            Output::Text => RunOutput::Text,
            Output::Json => RunOutput::Json,
        }
    }
}

/// `--hist-scale`; [`build`] maps it to the report's own type, which knows nothing of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistScaleArg {
    Log,
    Linear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("abc").is_err());
    }

    #[test]
    fn counts_and_seconds_name_the_flag_and_the_fix() {
        assert_eq!(parse_requests("10"), Ok(10));
        assert_eq!(parse_connections("3"), Ok(3));
        assert_eq!(parse_timeout_s("1.5"), Ok(1.5));
        assert_eq!(parse_timeout_s("-1"), Ok(-1.0));
        let message = parse_requests("-5").unwrap_err().0;
        assert!(message.starts_with("-n takes a count"), "{message}");
        assert!(message.contains("positive") && message.contains("\"-5\""));
        assert!(parse_connections("-5").unwrap_err().0.starts_with("-c "));
        assert!(parse_connections("2.5")
            .unwrap_err()
            .0
            .contains("whole number"));
        assert_eq!(
            parse_timeout_s("1s").unwrap_err().0,
            "-t takes seconds as a number (e.g. -t 1.5, or 0 for no timeout), got \"1s\""
        );
    }
}
