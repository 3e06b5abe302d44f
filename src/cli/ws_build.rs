//! Validates the flags of `vastar ws` into a [`RunConfig`] whose `ws` describes the
//! sessions.

use std::time::Duration;

use bytes::Bytes;

use super::build::UsageError;
use super::build::{
    check_gates, checked_value, parse_header, slo_gates, timeout, tls_settings, usage,
};
use super::ws::{WsArgs, WsSendArgs};
use super::TlsArgs;
use crate::config::{RunConfig, StopAt, WsCadence, WsConfig};
use crate::http1::request::HeaderList;
use crate::url::Target;
use crate::ws::acks::MAX_FIELDS;

/// How long `vastar ws` runs without -z or -n.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// The message sent without --send or --send-file.
const DEFAULT_MESSAGE: &str = "hello";

/// Headers the upgrade sets itself: a user value would break the handshake.
const UPGRADE_HEADERS: [&str; 4] = [
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
];

/// Gate and report names a field may not take: they name other distributions.
const RESERVED_NAMES: [&str; 2] = ["latency", "upgrade"];

/// Validates `vastar ws`'s flags.
pub fn ws_config(args: &WsArgs) -> Result<RunConfig, UsageError> {
    let stop = match (args.messages, args.duration) {
        (Some(0), _) => return Err(usage("-n must be at least 1")),
        (Some(n), _) => StopAt::Requests(n),
        (None, d) => StopAt::Duration(d.unwrap_or(DEFAULT_DURATION)),
    };
    if args.sessions == 0 {
        return Err(usage("-c must be at least 1"));
    }
    let connection = Connection {
        url: &args.url,
        headers: &args.headers,
        timeout_s: args.timeout,
        cpus: args.cpus,
        tls: &args.tls,
    };
    let mut config = ws_run(&connection, &args.send, stop)?;
    config.concurrency = match stop {
        StopAt::Requests(n) => args.sessions.min(usize::try_from(n).unwrap_or(usize::MAX)),
        StopAt::Duration(_) => args.sessions,
    };
    config.slo = slo_gates(args.slo.as_deref())?;
    check_gates(&config, &config.slo)?;
    Ok(config)
}

/// How sessions connect: the flags `vastar ws` and `vastar sweep` share.
pub struct Connection<'a> {
    pub url: &'a str,
    /// `-H` values.
    pub headers: &'a [String],
    /// `-t` in seconds (0: none).
    pub timeout_s: f64,
    /// `--cpus`.
    pub cpus: Option<usize>,
    pub tls: &'a TlsArgs,
}

/// A one-session run of `send` over `connection` that stops at `stop`; callers set the
/// sessions and the gates.
pub fn ws_run(
    connection: &Connection<'_>,
    send: &WsSendArgs,
    stop: StopAt,
) -> Result<RunConfig, UsageError> {
    let target = Target::parse_ws(connection.url).map_err(|e| usage(e.to_string()))?;
    if connection.cpus == Some(0) {
        return Err(usage("--cpus must be at least 1"));
    }
    let mut config = RunConfig::get(target, stop, 1);
    config.timeout = timeout(connection.timeout_s)?;
    if let Some(t) = config.timeout {
        config.connect_timeout = config.connect_timeout.min(t);
        config.drain_cap = config.drain_cap.min(t);
    }
    config.redirect_limit = 0;
    config.max_workers = connection.cpus;
    config.tls = tls_settings(connection.tls, config.target.scheme)?;
    upgrade_headers(&mut config, connection.headers)?;
    config.ws = Some(sessions_config(send, stop)?);
    Ok(config)
}

/// `-H` on the upgrade request: `Host` becomes the authority asked for, the handshake's
/// own headers are refused.
fn upgrade_headers(config: &mut RunConfig, raw: &[String]) -> Result<(), UsageError> {
    let mut headers = HeaderList::default();
    headers.set("Host", &config.target.authority);
    headers.set("User-Agent", concat!("vastar/", env!("CARGO_PKG_VERSION")));
    if let Some((user, pass)) = &config.target.userinfo {
        headers.set(
            "Authorization",
            &crate::http1::request::basic_auth(user, pass),
        );
    }
    for raw in raw {
        let (name, value) = parse_header(raw)?;
        if UPGRADE_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            return Err(usage(format!(
                "-H {name} is not allowed: the WebSocket upgrade sets it"
            )));
        }
        headers.set(name, checked_value("-H", value)?);
    }
    if let Some(host) = headers.remove("Host") {
        config.request.authority = host;
    }
    config.request.headers = headers.into_vec();
    Ok(())
}

/// What each session sends and when (shared with `vastar sweep` over a `ws://` URL).
pub fn sessions_config(args: &WsSendArgs, stop: StopAt) -> Result<WsConfig, UsageError> {
    let messages = messages(args)?;
    let ack_fields = ack_fields(&args.ack_fields)?;
    let warmup = args.warmup.unwrap_or_default();
    let ramp = args.ramp.unwrap_or_default();
    if let StopAt::Duration(d) = stop {
        if warmup >= d {
            return Err(usage(format!(
                "--warmup {warmup:?} leaves nothing to measure in a {d:?} run; make -z longer"
            )));
        }
        if ramp >= d {
            return Err(usage(format!(
                "--ramp {ramp:?} would start the last sessions after the {d:?} run ends"
            )));
        }
    }
    Ok(WsConfig {
        messages,
        binary: args.binary,
        cadence: args.every.map_or(WsCadence::Echo, WsCadence::Every),
        ack_fields,
        warmup,
        ramp,
    })
}

/// `--send`, or `--send-file` whole or in `--frame-size` slices; text must be UTF-8.
fn messages(args: &WsSendArgs) -> Result<Vec<Bytes>, UsageError> {
    let messages = match (&args.send, &args.send_file) {
        (Some(text), _) => vec![Bytes::from(text.clone().into_bytes())],
        (None, Some(path)) => {
            let bytes = std::fs::read(path)
                .map_err(|e| usage(format!("cannot read --send-file {}: {e}", path.display())))?;
            if bytes.is_empty() {
                return Err(usage(format!("--send-file {} is empty", path.display())));
            }
            slices(Bytes::from(bytes), args.frame_size)?
        }
        (None, None) => vec![Bytes::from_static(DEFAULT_MESSAGE.as_bytes())],
    };
    if !args.binary {
        if let Some(k) = messages
            .iter()
            .position(|m| std::str::from_utf8(m).is_err())
        {
            return Err(usage(format!(
                "message {k} is not valid UTF-8, so it cannot be sent as text: add --binary"
            )));
        }
    }
    Ok(messages)
}

/// `file` as one message, or as consecutive `size`-byte slices (sharing the file's bytes).
fn slices(file: Bytes, size: Option<usize>) -> Result<Vec<Bytes>, UsageError> {
    match size {
        None => Ok(vec![file]),
        Some(0) => Err(usage("--frame-size must be at least 1 byte")),
        Some(n) => Ok((0..file.len())
            .step_by(n)
            .map(|at| file.slice(at..(at + n).min(file.len())))
            .collect()),
    }
}

/// `--ack-field` names: distinct, not a reserved name, at most [`MAX_FIELDS`].
fn ack_fields(fields: &[String]) -> Result<Vec<String>, UsageError> {
    if fields.len() > MAX_FIELDS {
        return Err(usage(format!("at most {MAX_FIELDS} --ack-field names")));
    }
    for (i, field) in fields.iter().enumerate() {
        if field.is_empty() || field.contains([',', '=']) {
            return Err(usage(format!(
                "--ack-field {field:?}: a field name, without ',' or '='"
            )));
        }
        if RESERVED_NAMES.contains(&field.as_str()) {
            return Err(usage(format!(
                "--ack-field {field:?} is reserved (it names another distribution)"
            )));
        }
        if fields[..i].contains(field) {
            return Err(usage(format!("--ack-field {field:?} given twice")));
        }
    }
    Ok(fields.to_vec())
}

#[cfg(test)]
mod tests;
