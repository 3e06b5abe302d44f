//! Validated, typed run configuration: what the engine needs and nothing of how it was asked.
//!
//! The CLI turns flags into these structs (see `cli.rs`); tests, `demo` and `sweep` build them
//! directly. Everything here is already checked, so the engine never re-validates input.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::request_log::RequestLog;
use crate::segment::Segment;
use crate::slo::Gate;
use crate::url::{Scheme, Target};

/// When a run stops issuing new requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopAt {
    /// After exactly this many requests have been attempted across all connections.
    Requests(u64),
    /// When this much time has passed since the first request.
    Duration(Duration),
}

/// How an open-loop run (`--rate`) spaces its requests in time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Arrival {
    /// `--arrival constant`: request *i* is due at `i / rate`, an even beat (wrk2, vegeta).
    #[default]
    Constant,
    /// `--arrival poisson`: independent gaps with mean `1 / rate`, gamma-distributed with
    /// shape `burstiness` (1: exponential gaps, a Poisson process; below 1 burstier, above 1
    /// more even, as vLLM's benchmark defines it), drawn from a PRNG seeded with `seed` so
    /// the same seed repeats the same schedule.
    Poisson { burstiness: f64, seed: u64 },
}

/// The seed of `--arrival poisson` when `--seed` is not given: fixed, so two runs with the
/// same flags send on the same schedule.
pub const DEFAULT_SEED: u64 = 0;

/// The request every connection sends, before it is encoded to bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// Upper-case HTTP method token.
    pub method: String,
    /// Who the request is for: HTTP/1.1 writes it as `Host`, HTTP/2 as `:authority`, so it
    /// is kept apart from `headers` (the URL's authority, or `--host`/`-H Host:`).
    pub authority: String,
    /// Final header list, already deduplicated (case-insensitive, last one given wins).
    /// Protocol-neutral: no `Host`, and no `Connection: close` (HTTP/1.1 encoding adds it
    /// when keep-alive is off; HTTP/2 forbids connection headers).
    pub headers: Vec<(String, String)>,
    /// Request body; empty means none.
    pub body: Bytes,
    /// Further bodies that take turns with `body` (`ai-bench --prompts`): each worker sends
    /// `body`, `extra_bodies[0]`, ... round robin over its requests. Empty for every other
    /// run (one body for all). Redirects re-send `body`.
    pub extra_bodies: Vec<Bytes>,
}

impl RequestSpec {
    /// Every body that takes turns, `body` first: one request is prebuilt per body.
    pub fn bodies(&self) -> impl Iterator<Item = &Bytes> {
        std::iter::once(&self.body).chain(&self.extra_bodies)
    }

    /// This request with `body` alone: the spec one prebuilt request is encoded from.
    pub fn with_body(&self, body: &Bytes) -> RequestSpec {
        RequestSpec {
            body: body.clone(),
            extra_bodies: Vec::new(),
            ..self.clone()
        }
    }
}

/// How `https://` connections verify the server and identify the client: the PEM files
/// contents as the CLI read them (so a missing file is a usage error, not a run error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// Extra trusted roots (`--cacert`), PEM, added to the system's roots.
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Skip certificate verification (`-k`).
    pub insecure: bool,
    /// Client certificate chain and its private key (`--cert`, `--key`), PEM, for mTLS.
    pub identity_pem: Option<(Vec<u8>, Vec<u8>)>,
}

/// One load run, fully described.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Where to send requests.
    pub target: Target,
    /// What to send.
    pub request: RequestSpec,
    /// When to stop.
    pub stop: StopAt,
    /// Number of connections kept busy (already clamped to `-n`).
    pub concurrency: usize,
    /// Per-connection rate limit in requests per second (hey's `-q`).
    pub qps_per_connection: Option<f64>,
    /// Open-loop arrival rate in requests per second across the run (`--rate`); latency is
    /// then measured from each request's scheduled send time.
    pub rate: Option<f64>,
    /// How `rate`'s requests are spaced (constant unless `--arrival poisson`).
    pub arrival: Arrival,
    /// Correct `-q` runs for coordinated omission (HdrHistogram's expected-interval
    /// correction).
    pub latency_correction: bool,
    /// Per-request timeout; `None` waits forever.
    pub timeout: Option<Duration>,
    /// Time allowed for one TCP connect.
    pub connect_timeout: Duration,
    /// Reuse connections across requests (HTTP/1.1 keep-alive).
    pub keepalive: bool,
    /// Whether `Accept-Encoding: gzip` is sent (recorded for the report).
    pub compression: bool,
    /// Upper bound on the time `-z` runs wait for in-flight requests after the deadline.
    pub drain_cap: Duration,
    /// `--slo` gates the run is checked against; empty when none were given.
    pub slo: Vec<Gate>,
    /// Redirects followed per request at most (`--redirect`, hey's and oha's default 10);
    /// 0 turns following off.
    pub redirect_limit: u32,
    /// Cap on worker threads (hey's `-cpus`); `None` leaves the choice to [`Self::workers`].
    pub max_workers: Option<usize>,
    /// Certificate verification and client identity for `https://` targets.
    pub tls: TlsSettings,
    /// Requests in flight per connection (`--streams`, at least 1): HTTP/2 streams
    /// multiplexed on one connection, so `concurrency × streams` requests are in flight.
    /// Always 1 over HTTP/1.1, which carries one request at a time.
    pub streams: usize,
    /// Speak HTTP/2 (`--http2`): ALPN `h2` over TLS, prior-knowledge h2c over TCP.
    pub http2: bool,
    /// HTTP proxy every request goes through (`-x`): connects go to its address, and request
    /// lines use the absolute form, or a CONNECT tunnel carries the connection to the target
    /// (see [`proxy_tunnels`]). `None` connects to the target directly.
    pub proxy: Option<Target>,
    /// Close connections with a reset (`SO_LINGER` 0) so they leave no TIME_WAIT behind.
    /// Set by `sweep`, whose levels open and close thousands of sockets in a row; a single
    /// run closes politely.
    pub reset_on_close: bool,
    /// Slice the run into intervals of this length (`--interval`) and report each one:
    /// a time series that shows a ramp, a stall or a warm-up. `None`: the summary only.
    pub interval: Option<Duration>,
    /// `--segment i/N`: this process runs share `i` of a test split over N processes (`-n`,
    /// `-c` and `--rate` are already this share); recorded so the parts merge as one test.
    pub segment: Option<Segment>,
    /// `--start-at`: the wall-clock instant the measured run starts (after pre-connecting),
    /// so N processes on N machines start together.
    pub start_at: Option<SystemTime>,
    /// Where every request is logged as one CSV row (`--log-requests`); `None` logs nothing
    /// and costs the hot path one predictable branch.
    pub request_log: Option<RequestLog>,
    /// Measure every response as a stream (`--stream-metrics`, implied by `ai-bench`):
    /// SSE / NDJSON events, TTFT, ITL, TPOT, output tokens (see `crate::stream`), over
    /// HTTP/1.1 and HTTP/2.
    pub stream_metrics: bool,
    /// `vastar ws`: every connection upgrades to a WebSocket session and its "requests" are
    /// the messages it sends (see `crate::ws`); `None` for HTTP runs.
    pub ws: Option<WsConfig>,
}

/// When a WebSocket session sends its next message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsCadence {
    /// `--echo`: the next message as soon as the reply to the previous one is in (closed
    /// loop); latency is send to reply.
    Echo,
    /// `--every D`: message k of a session is due at the session's start + k·D, whatever
    /// the server does (open loop per session); a late send is recorded as late, and the
    /// schedule is never shifted.
    Every(Duration),
}

/// What the WebSocket sessions of a `vastar ws` run send, when, and how they are judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsConfig {
    /// The messages a session sends in turn, cycling: `--send`, or `--send-file` whole or
    /// as `--frame-size` slices. Never empty; text messages are valid UTF-8.
    pub messages: Vec<Bytes>,
    /// Binary frames (`--binary`) instead of text frames.
    pub binary: bool,
    pub cadence: WsCadence,
    /// `--ack-field` names: each received JSON message's field of that name is the 0-based
    /// sequence number of a frame it answers, and gets a latency distribution of its own.
    pub ack_fields: Vec<String>,
    /// The first part of every session whose messages are measured but reported apart
    /// (`--warmup`); zero for none.
    pub warmup: Duration,
    /// Session starts are spread evenly over this (`--ramp`): session i of c sends its
    /// first message at the run's start + i·ramp/c. Zero starts them together.
    pub ramp: Duration,
}

impl RunConfig {
    /// A keep-alive `GET` of `target` with no header but `Host`, no compression and the
    /// CLI's default timeouts (20 s per request). What `demo` runs, and the starting point
    /// of tests that drive the engine or the reports directly.
    pub fn get(target: Target, stop: StopAt, concurrency: usize) -> RunConfig {
        RunConfig {
            request: RequestSpec {
                method: "GET".into(),
                authority: target.authority.clone(),
                headers: Vec::new(),
                body: Bytes::new(),
                extra_bodies: Vec::new(),
            },
            target,
            stop,
            concurrency,
            qps_per_connection: None,
            rate: None,
            arrival: Arrival::Constant,
            latency_correction: false,
            timeout: Some(Duration::from_secs(20)),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            keepalive: true,
            compression: false,
            drain_cap: DEFAULT_DRAIN_CAP,
            slo: Vec::new(),
            redirect_limit: DEFAULT_REDIRECT_LIMIT,
            max_workers: None,
            tls: TlsSettings::default(),
            streams: 1,
            http2: false,
            proxy: None,
            reset_on_close: false,
            interval: None,
            segment: None,
            start_at: None,
            request_log: None,
            stream_metrics: false,
            ws: None,
        }
    }

    /// Worker count for this run: one per 128 connections, at least one, at most two per CPU
    /// or `max_workers` when set. Few workers with many connections each keeps scheduler
    /// overhead flat as `c` grows.
    pub fn workers(&self, cpus: usize) -> usize {
        let natural = RunConfig::workers_for(self.concurrency, cpus);
        self.max_workers
            .map_or(natural, |cap| natural.min(cap.max(1)))
    }

    /// What one request of the run is called in a progress bar: a WebSocket run's
    /// requests are the messages its sessions send.
    pub fn unit(&self) -> &'static str {
        match self.ws {
            Some(_) => "messages",
            None => "requests",
        }
    }

    /// Whether the `-x` proxy is reached through CONNECT tunnels rather than sent
    /// absolute-form requests: see [`proxy_tunnels`].
    pub fn proxy_tunnels(&self) -> bool {
        self.proxy.is_some() && proxy_tunnels(self.target.scheme, self.http2)
    }

    /// How long the slots' starts are spread over (`vastar ws --ramp`); zero for others.
    pub fn ramp(&self) -> Duration {
        self.ws.as_ref().map_or(Duration::ZERO, |ws| ws.ramp)
    }

    /// [`RunConfig::workers`] for `concurrency` connections, for callers that size the
    /// process before any config exists (the open-file limit for a sweep's largest level).
    pub fn workers_for(concurrency: usize, cpus: usize) -> usize {
        (concurrency / 128)
            .clamp(1, cpus.max(1) * 2)
            .min(concurrency.max(1))
    }
}

/// Redirects followed per request unless told otherwise, as hey and oha do.
pub const DEFAULT_REDIRECT_LIMIT: u32 = 10;

/// Default time `-z` runs let in-flight requests finish after the deadline.
pub const DEFAULT_DRAIN_CAP: Duration = Duration::from_secs(2);

/// Default time allowed for one TCP connect.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a proxy is asked for a CONNECT tunnel to the target instead of sent absolute-form
/// requests: for `https://`, whose TLS runs end to end with the target (the proxy must not
/// see it), and for HTTP/2, whose requests have no absolute form for a proxy to forward.
/// Plain HTTP/1.1 keeps hey's absolute form (one request per request, no tunnel).
pub fn proxy_tunnels(scheme: Scheme, http2: bool) -> bool {
    scheme == Scheme::Https || http2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_workers_caps_the_worker_count() {
        let target = Target::parse("http://h/").unwrap();
        let mut config = RunConfig::get(target, StopAt::Requests(10_000), 10_000);
        assert_eq!(config.workers(4), 8);
        config.max_workers = Some(3);
        assert_eq!(config.workers(4), 3);
        config.max_workers = Some(1);
        assert_eq!(config.workers(64), 1);
    }
}
