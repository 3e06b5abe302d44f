//! Picks the connector a run needs, by scheme and protocol, and runs the engine with it.
//!
//! This is the one place that knows every protocol: the engine drives any
//! [`Connector`](crate::transport::Connector), and each protocol only knows its own wire.
//! Each choice is a separate monomorphised engine, so the hot path never branches on the
//! protocol.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use crate::config::{RunConfig, WsConfig};
use crate::engine::result::{RunResult, HTTP2, WEBSOCKET};
use crate::engine::{self, fdlimit, EngineError, Progress};
use crate::http1::connector::Http1Connector;
use crate::http1::redirect::RedirectPolicy;
use crate::http1::request::{self, Form, Wire};
use crate::http2::request::Template;
use crate::http2::Http2Connector;
use crate::redirect::Rules;
use crate::stream::Limits;
use crate::tls::{self, TlsClient, TlsDial};
use crate::transport::rotation::Rotation;
use crate::transport::tcp::TcpDial;
use crate::transport::Dial;
use crate::url::Scheme;
use crate::ws::connector::WsConnector;
use crate::ws::plan::WsPlan;

/// Runs one load test and returns what it measured: raises the open-file limit, resolves the
/// target and runs. A process that measures many runs (a sweep) does the first two once and
/// calls [`run_at`] per run instead. `progress` lets another thread watch and cancel it.
pub fn run(config: &RunConfig, progress: &Progress) -> Result<RunResult, EngineError> {
    fdlimit::ensure(config.concurrency, config.workers(engine::available_cpus()))?;
    let addrs = engine::resolve(config)?;
    run_at(config, &addrs, progress)
}

/// Runs one load test against addresses from [`engine::resolve`]. The caller has made sure
/// the open-file limit fits (see [`fdlimit::ensure`]).
pub fn run_at(
    config: &RunConfig,
    addrs: &[SocketAddr],
    progress: &Progress,
) -> Result<RunResult, EngineError> {
    let tcp = TcpDial::new(addrs.to_vec(), config.connect_timeout)
        .via_proxy(config.proxy.is_some())
        .reset_on_close(config.reset_on_close);
    if let Some(ws) = &config.ws {
        return run_ws(config, ws, tcp, progress);
    }
    if config.http2 {
        return run_http2(config, tcp, progress);
    }
    let http1 = Http1Plan::of(config);
    match config.target.scheme {
        Scheme::Http => engine::run_with(&|| http1.over(tcp.clone()), config, progress),
        Scheme::Https => {
            let setup = |e: tls::TlsError| EngineError::Setup(e.to_string());
            let client_config = tls::client_config(&config.tls).map_err(setup)?;
            let client = TlsClient::new(client_config, &config.target.host).map_err(setup)?;
            let make = || http1.over(TlsDial::new(tcp.clone(), client.clone()));
            let mut result = engine::run_with(&make, config, progress)?;
            result.tls = client.version();
            Ok(result)
        }
    }
}

/// Runs over HTTP/2: h2c over `tcp` for `http://`, ALPN h2 over TLS for `https://`.
fn run_http2(
    config: &RunConfig,
    tcp: TcpDial,
    progress: &Progress,
) -> Result<RunResult, EngineError> {
    let setup = |e: String| EngineError::Setup(e);
    let template = Template::of(&config.target, &config.request).map_err(setup)?;
    let streams = config.streams;
    let limits = config
        .stream_metrics
        .then(|| Limits::from_gates(&config.slo));
    let rules = (config.redirect_limit > 0)
        .then(|| Rules::new(config.target.clone(), config.request.clone()));
    let mut result = match config.target.scheme {
        Scheme::Http => {
            let make = || {
                Http2Connector::new(tcp.clone(), streams, template.clone())
                    .with_stream(limits)
                    .with_redirects(rules.clone())
            };
            engine::run_with(&make, config, progress)?
        }
        Scheme::Https => {
            let client_config =
                tls::client_config(&config.tls).map_err(|e| setup(e.to_string()))?;
            let client_config = tls::with_alpn(&client_config, tls::ALPN_H2);
            let client = TlsClient::new(client_config, &config.target.host)
                .map_err(|e| setup(e.to_string()))?;
            let make = || {
                let dial = TlsDial::new(tcp.clone(), client.clone());
                Http2Connector::new(dial, streams, template.clone())
                    .with_stream(limits)
                    .with_redirects(rules.clone())
            };
            let mut result = engine::run_with(&make, config, progress)?;
            result.tls = client.version();
            result
        }
    };
    result.protocol = HTTP2;
    Ok(result)
}

/// Runs WebSocket sessions (`vastar ws`), upgraded over TCP for `ws://` and over TLS for `wss://`
/// (ALPN `http/1.1`, TLS's default here: the upgrade is an HTTP/1.1 request).
fn run_ws(
    config: &RunConfig,
    ws: &WsConfig,
    tcp: TcpDial,
    progress: &Progress,
) -> Result<RunResult, EngineError> {
    let plan = Arc::new(WsPlan::of(config, ws).map_err(|e| EngineError::Setup(e.to_string()))?);
    let mut result = match config.target.scheme {
        Scheme::Http => engine::run_with(
            &|| WsConnector::new(tcp.clone(), plan.clone()),
            config,
            progress,
        )?,
        Scheme::Https => {
            let setup = |e: tls::TlsError| EngineError::Setup(e.to_string());
            let client_config = tls::client_config(&config.tls).map_err(setup)?;
            let client = TlsClient::new(client_config, &config.target.host).map_err(setup)?;
            let make = || WsConnector::new(TlsDial::new(tcp.clone(), client.clone()), plan.clone());
            let mut result = engine::run_with(&make, config, progress)?;
            result.tls = client.version();
            result
        }
    };
    result.protocol = WEBSOCKET;
    Ok(result)
}

/// What every HTTP/1.1 connection of a run sends, prepared once and shared by the workers'
/// connectors: the request encoded once (once per body when several take turns), redirects
/// as the run asks.
struct Http1Plan {
    requests: Vec<Bytes>,
    head_request: bool,
    redirects: Option<Arc<RedirectPolicy>>,
    /// Goodput limits when stream metrics are on.
    stream: Option<Limits>,
}

impl Http1Plan {
    fn of(config: &RunConfig) -> Http1Plan {
        let wire = Wire {
            form: match config.proxy {
                Some(_) => Form::Absolute,
                None => Form::Origin,
            },
            close: !config.keepalive,
        };
        Http1Plan {
            requests: config
                .request
                .bodies()
                .map(|body| {
                    request::encode_with(&config.target, &config.request.with_body(body), wire)
                })
                .collect(),
            head_request: config.request.method == "HEAD",
            redirects: (config.redirect_limit > 0).then(|| {
                Arc::new(RedirectPolicy::new(
                    config.target.clone(),
                    config.request.clone(),
                    wire,
                ))
            }),
            stream: config
                .stream_metrics
                .then(|| Limits::from_gates(&config.slo)),
        }
    }

    /// A connector that speaks this plan over `dial`, with a turn counter of its own (one
    /// connector per worker).
    fn over<D: Dial>(&self, dial: D) -> Http1Connector<D> {
        let requests = Rotation::new(self.requests[0].clone(), self.requests[1..].to_vec());
        Http1Connector::new(dial, requests, self.head_request)
            .with_redirects(self.redirects.clone())
            .with_stream(self.stream)
    }
}
