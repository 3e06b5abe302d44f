//! From parsed flags to a validated [`RunConfig`].
//!
//! Every check on user input happens here, so each bad value becomes one clear line (exit 2)
//! instead of a surprise deep in the engine. The only I/O is reading the files named by flags
//! (`-D`, the TLS PEM files) and creating the `--log-requests` file.

use std::time::Duration;

use bytes::Bytes;
use thiserror::Error;

use super::{HistScaleArg, RequestArgs, RunArgs, TlsArgs};
use crate::config::{
    Arrival, RequestSpec, RunConfig, StopAt, TlsSettings, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DRAIN_CAP,
};
use crate::http1::request::HeaderList;
use crate::report::model::{HistScale, ReportOptions};
use crate::slo;
use crate::url::{Scheme, Target};

/// Bad usage or bad input: the message names the flag or value at fault.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Most redirects `--redirect` may follow per request.
const MAX_REDIRECTS: u32 = 100;

/// Shortest `-t` accepted, in seconds (0 still means no timeout).
const MIN_TIMEOUT_S: f64 = 0.001;

pub(super) fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Headers the engine derives itself; letting `-H` override them would desynchronise framing.
const DERIVED_HEADERS: [&str; 2] = ["content-length", "transfer-encoding"];

/// Validates the flags of a load run.
pub fn run_config(args: &RunArgs) -> Result<RunConfig, UsageError> {
    run_config_as(args, args.stream_metrics)
}

/// [`run_config`] for a command that decides itself whether responses are measured as
/// streams (`ai-bench` always does, over HTTP/1.1).
pub fn run_config_as(args: &RunArgs, stream_metrics: bool) -> Result<RunConfig, UsageError> {
    let url = args.url.as_deref().ok_or_else(|| usage("missing URL"))?;
    if let Some(extra) = args.extra.first() {
        return Err(one_url_only(url, extra));
    }
    let stop = match args.duration {
        Some(d) => StopAt::Duration(d),
        None if args.requests == 0 => return Err(usage("-n must be at least 1")),
        None => StopAt::Requests(segment_share(args, "-n", args.requests)?),
    };
    let mut config = request_config(&args.request, url, stop)?;
    if args.concurrency == 0 {
        return Err(usage("-c must be at least 1"));
    }
    let concurrency = segment_share(args, "-c", args.concurrency as u64)?;
    let concurrency = usize::try_from(concurrency).unwrap_or(usize::MAX);
    config.concurrency = match stop {
        StopAt::Requests(n) => concurrency.min(usize::try_from(n).unwrap_or(usize::MAX)),
        StopAt::Duration(_) => concurrency,
    };
    config.segment = args.segment;
    config.start_at = args.start_at;
    if args.qps != 0.0 {
        checked_rate("-q", args.qps)?;
    }
    config.rate = match (args.rate, args.segment) {
        (Some(r), Some(segment)) => Some(positive_rate(segment.share_of_rate(positive_rate(r)?))?),
        (Some(r), None) => Some(positive_rate(r)?),
        (None, _) => None,
    };
    config.arrival = arrival(&args.arrival, config.rate.is_some())?;
    if args.latency_correction && args.qps == 0.0 {
        return Err(usage(
            "--latency-correction needs -q (the expected interval between requests)",
        ));
    }
    if args.hist_bins == 0 || args.hist_bins > 1000 {
        return Err(usage("--hist-bins must be between 1 and 1000"));
    }
    config.qps_per_connection = (args.qps > 0.0).then_some(args.qps);
    config.latency_correction = args.latency_correction;
    config.slo = slo_gates(args.slo.as_deref())?;
    check_gates(&config, &config.slo)?;
    config.interval = interval(args)?;
    config.stream_metrics = stream_metrics;
    check_stream(&config)?;
    // Last: the file is created only once every other flag is known to be good.
    config.request_log = request_log(args, &config)?;
    Ok(config)
}

/// A `--rate` value: a positive, finite number of requests per second.
pub fn positive_rate(r: f64) -> Result<f64, UsageError> {
    checked_rate("--rate", r)
}

/// Fastest rate a schedule can keep: one request per nanosecond, the clock's resolution.
const MAX_RATE: f64 = 1e9;

/// Slowest rate accepted: one request a day. Slower is certainly a typo, and its interval
/// would not fit the clock.
const MIN_RATE: f64 = 1.0 / 86_400.0;

/// A rate flag (`--rate`, `-q`): requests per second whose interval the schedule can keep.
fn checked_rate(flag: &str, r: f64) -> Result<f64, UsageError> {
    if (MIN_RATE..=MAX_RATE).contains(&r) {
        return Ok(r);
    }
    Err(usage(format!(
        "{flag} must be a number of requests per second between one a day (0.0000116) and \
         1e9, got {r}"
    )))
}

/// Parses `--slo` (none given: no gates).
pub fn slo_gates(spec: Option<&str>) -> Result<Vec<slo::Gate>, UsageError> {
    spec.map_or(Ok(Vec::new()), slo::parse)
        .map_err(|e| usage(e.to_string()))
}

/// Refuses gates `config`'s run cannot measure (exit 2 now rather than a failed gate
/// later): a `NAME_pN` naming no distribution of the run, and `pN` on WebSocket sessions
/// that send on a cadence (only `--echo` measures a round trip).
pub fn check_gates(config: &RunConfig, gates: &[slo::Gate]) -> Result<(), UsageError> {
    let ack_fields = config.ws.as_ref().map(|ws| ws.ack_fields.as_slice());
    let known = slo::distribution_names(ack_fields);
    if let Some(message) = slo::unknown_names(gates, &known) {
        return Err(usage(message));
    }
    let cadence = config
        .ws
        .as_ref()
        .is_some_and(|ws| ws.cadence != crate::config::WsCadence::Echo);
    if let Some(gate) = gates.iter().find(|g| matches!(g, slo::Gate::Latency(_))) {
        if cadence {
            return Err(usage(format!(
                "--slo {}: pN gates judge the echo round trip, which --every does not measure; gate an --ack-field instead (NAME_pN=...)",
                gate.name()
            )));
        }
    }
    Ok(())
}

/// The report's knobs (`--hist-bins`, `--hist-scale`); their ranges are checked by
/// [`run_config`].
pub fn report_options(args: &RunArgs) -> ReportOptions {
    ReportOptions {
        hist_bins: args.hist_bins,
        hist_scale: match args.hist_scale {
            HistScaleArg::Log => HistScale::Log,
            HistScaleArg::Linear => HistScale::Linear,
        },
    }
}

/// A second positional argument: usually a value with a space that was not quoted
/// (`-H Accept: text/html`). URLs are shown without their password.
fn one_url_only(url: &str, extra: &str) -> UsageError {
    let shown = |arg: &str| Target::parse(arg).map_or_else(|_| arg.to_string(), |t| t.display);
    usage(format!(
        "vastar takes one URL, but found a second argument {:?} after {:?}; quote values that contain spaces",
        shown(extra),
        shown(url)
    ))
}

/// The shared builder behind every command that sends load (the flat form and `sweep`):
/// validates the URL and the [`RequestArgs`] and returns a closed-loop, one-connection run
/// that stops at `stop`; callers then set concurrency, pacing and gates.
pub fn request_config(
    args: &RequestArgs,
    url: &str,
    stop: StopAt,
) -> Result<RunConfig, UsageError> {
    let target = Target::parse(url).map_err(|e| usage(e.to_string()))?;
    let timeout = timeout(args.timeout)?;
    // A redirect loop must end; more hops than this is a loop, not a site layout.
    if args.redirect > MAX_REDIRECTS {
        return Err(usage(format!(
            "--redirect must be at most {MAX_REDIRECTS}, got {}",
            args.redirect
        )));
    }
    if args.streams == 0 {
        return Err(usage("--streams must be at least 1"));
    }
    // More than one request in flight per connection is HTTP/2's multiplexing; HTTP/1.1
    // pipelining is not offered (servers and proxies mishandle it).
    if args.streams > 1 && !args.http2 {
        return Err(usage(format!(
            "--streams {} needs HTTP/2: add --http2, or use -c for more requests in flight",
            args.streams
        )));
    }
    if args.cpus == Some(0) {
        return Err(usage("--cpus must be at least 1"));
    }
    let proxy = proxy(args)?;
    // A connection per request would defeat what HTTP/2 is measured for, and its streams
    // share connections the slots do not own.
    if args.http2 && args.disable_keepalive {
        return Err(usage(
            "--http2 with --disable-keepalive is not supported: HTTP/2 streams share connections",
        ));
    }
    // Through a tunnel the proxy's credentials go on the CONNECT, never to the target.
    let forwarding = proxy
        .as_ref()
        .filter(|_| !crate::config::proxy_tunnels(target.scheme, args.http2));
    let request = request_spec(args, &target, forwarding)?;
    let tls = tls_settings(&args.tls, target.scheme)?;
    Ok(RunConfig {
        target,
        request,
        stop,
        concurrency: 1,
        qps_per_connection: None,
        rate: None,
        arrival: Arrival::Constant,
        latency_correction: false,
        timeout,
        connect_timeout: timeout
            .map_or(DEFAULT_CONNECT_TIMEOUT, |t| t.min(DEFAULT_CONNECT_TIMEOUT)),
        keepalive: !args.disable_keepalive,
        compression: !args.disable_compression,
        drain_cap: timeout.map_or(DEFAULT_DRAIN_CAP, |t| t.min(DEFAULT_DRAIN_CAP)),
        slo: Vec::new(),
        redirect_limit: if args.disable_redirects {
            0
        } else {
            args.redirect
        },
        max_workers: args.cpus,
        streams: args.streams,
        http2: args.http2,
        tls,
        proxy,
        reset_on_close: false,
        interval: None,
        segment: None,
        start_at: None,
        request_log: None,
        stream_metrics: false,
        ws: None,
    })
}

/// `-t SECONDS`: `None` for 0 (no timeout).
pub(super) fn timeout(seconds: f64) -> Result<Option<Duration>, UsageError> {
    if !(seconds >= 0.0 && seconds.is_finite() && seconds < 1e9) {
        return Err(usage(format!(
            "-t must be a non-negative number of seconds, got {seconds}"
        )));
    }
    // A timeout shorter than a loopback round trip fails every request at once, in a loop
    // that measures nothing: certainly a typo (say, milliseconds given as seconds).
    if seconds > 0.0 && seconds < MIN_TIMEOUT_S {
        return Err(usage(format!(
            "-t {seconds} is below 1 ms; give seconds (e.g. -t 0.5), or 0 for no timeout"
        )));
    }
    Ok((seconds > 0.0).then(|| Duration::from_secs_f64(seconds)))
}

/// `--cacert`, `-k`, `--cert`/`--key`: the files read here (missing or unreadable is a usage
/// error) and, for an `https://` target, checked by building the client configuration once.
pub fn tls_settings(args: &TlsArgs, scheme: Scheme) -> Result<TlsSettings, UsageError> {
    let read = |flag: &str, path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| usage(format!("cannot read {flag} {}: {e}", path.display())))
    };
    let settings = TlsSettings {
        extra_roots_pem: args
            .cacert
            .as_deref()
            .map(|p| read("--cacert", p))
            .transpose()?,
        insecure: args.insecure,
        identity_pem: match (&args.cert, &args.key) {
            (Some(cert), Some(key)) => Some((read("--cert", cert)?, read("--key", key)?)),
            _ => None,
        },
    };
    if scheme == Scheme::Https {
        crate::tls::client_config(&settings).map_err(|e| usage(e.to_string()))?;
    }
    Ok(settings)
}

/// The `-x` proxy: an http:// URL, or hey's bare `host:port`.
fn proxy(args: &RequestArgs) -> Result<Option<Target>, UsageError> {
    let Some(raw) = args.proxy.as_deref() else {
        return Ok(None);
    };
    let url = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    };
    let proxy = Target::parse(&url).map_err(|e| usage(format!("-x: {e}")))?;
    if proxy.scheme == Scheme::Https {
        return Err(usage(format!(
            "-x: only http:// proxies are supported, got {}",
            proxy.display
        )));
    }
    Ok(Some(proxy))
}

/// The request every connection sends; `proxy` is a proxy that forwards absolute-form
/// requests (its credentials become a `Proxy-Authorization` header), `None` without one or
/// through a tunnel.
fn request_spec(
    args: &RequestArgs,
    target: &Target,
    proxy: Option<&Target>,
) -> Result<RequestSpec, UsageError> {
    let method = args.method.to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(usage(format!("invalid method {:?}", args.method)));
    }
    let body = body(args)?;
    let mut headers = HeaderList::default();
    match args.host.as_deref() {
        Some("") => return Err(usage("--host must not be empty")),
        Some(host) => headers.set("Host", checked_value("--host", host)?),
        None => headers.set("Host", &target.authority),
    }
    headers.set("User-Agent", concat!("vastar/", env!("CARGO_PKG_VERSION")));
    headers.set("Accept", "*/*");
    if !args.disable_compression {
        headers.set("Accept-Encoding", "gzip");
    }
    if let Some(ct) = &args.content_type {
        headers.set("Content-Type", checked_value("-T", ct)?);
    } else if !body.is_empty() {
        headers.set("Content-Type", "text/html");
    }
    if let Some(accept) = &args.accept {
        headers.set("Accept", checked_value("-A", accept)?);
    }
    if let Some((user, pass)) = credentials(args, target)? {
        let value = crate::http1::request::basic_auth(&user, &pass);
        headers.set("Authorization", &value);
    }
    if let Some((user, pass)) = proxy.and_then(|p| p.userinfo.as_ref()) {
        let value = crate::http1::request::basic_auth(user, pass);
        headers.set("Proxy-Authorization", &value);
    }
    for raw in &args.headers {
        let (name, value) = parse_header(raw)?;
        headers.set(name, value);
    }
    // Kept apart from the headers: HTTP/1.1 writes it as `Host`, HTTP/2 as `:authority`.
    let authority = headers
        .remove("Host")
        .unwrap_or_else(|| target.authority.clone());
    Ok(RequestSpec {
        method,
        authority,
        headers: headers.into_vec(),
        body,
        extra_bodies: Vec::new(),
    })
}

fn body(args: &RequestArgs) -> Result<Bytes, UsageError> {
    match (&args.body, &args.body_file) {
        (Some(d), _) => Ok(Bytes::from(d.clone().into_bytes())),
        (None, Some(path)) => std::fs::read(path)
            .map(Bytes::from)
            .map_err(|e| usage(format!("cannot read -D file {}: {e}", path.display()))),
        (None, None) => Ok(Bytes::new()),
    }
}

fn credentials(
    args: &RequestArgs,
    target: &Target,
) -> Result<Option<(String, String)>, UsageError> {
    match &args.auth {
        Some(auth) => {
            let (user, pass) = auth
                .split_once(':')
                .ok_or_else(|| usage("-a must be user:pass"))?;
            checked_value("-a", auth)?;
            Ok(Some((user.to_string(), pass.to_string())))
        }
        None => Ok(target.userinfo.clone()),
    }
}

/// Splits `Name: value`, rejecting what would corrupt the request on the wire. Messages
/// never quote a header value: it may be a token or a password.
pub(super) fn parse_header(raw: &str) -> Result<(&str, &str), UsageError> {
    let Some((name, value)) = raw.split_once(':') else {
        return Err(usage(
            "invalid -H value: expected \"Name: value\" (no ':' found)",
        ));
    };
    let bad = || {
        usage(format!(
            "invalid -H header name {:?}: expected \"Name: value\"",
            name.trim()
        ))
    };
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(bad());
    }
    if DERIVED_HEADERS.iter().any(|d| name.eq_ignore_ascii_case(d)) {
        return Err(usage(format!(
            "-H {name} is not allowed: vastar derives it from the body"
        )));
    }
    Ok((name, checked_value("-H", value)?))
}

/// Header values may not contain line breaks (that would inject headers) or other controls.
/// The value itself is not quoted in the message: it may be a secret.
pub(super) fn checked_value<'a>(flag: &str, value: &'a str) -> Result<&'a str, UsageError> {
    if value.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f) {
        return Err(usage(format!(
            "invalid {flag} value: control characters are not allowed"
        )));
    }
    Ok(value)
}

/// RFC 9110 token characters (method and header names).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

mod arrival;
mod recording;

pub use recording::check_stream;
use recording::{interval, request_log, segment_share};
#[cfg(test)]
mod tests;

pub use arrival::arrival;
