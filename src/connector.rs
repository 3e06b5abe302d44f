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
use crate::transport::tunnel::TunnelDial;
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
    match tunnel(config, &tcp) {
        Some(tunnel) => run_http(config, tunnel, progress),
        None => run_http(config, tcp, progress),
    }
}

/// The CONNECT tunnel to the target through the `-x` proxy, when the run goes through one
/// (see [`RunConfig::proxy_tunnels`]): every connection then opens its own.
fn tunnel(config: &RunConfig, tcp: &TcpDial) -> Option<TunnelDial> {
    let proxy = config.proxy.as_ref().filter(|_| config.proxy_tunnels())?;
    let authorization = proxy
        .userinfo
        .as_ref()
        .map(|(user, pass)| request::basic_auth(user, pass));
    let target = &config.target;
    Some(TunnelDial::new(
        tcp.clone(),
        &proxy.display,
        &target.host,
        target.port,
        authorization.as_deref(),
    ))
}

/// Runs HTTP over the byte streams `dial` opens (TCP to the target or to a forwarding
/// proxy, or a proxy's tunnel): HTTP/1.1 or HTTP/2, over TLS for `https://`.
fn run_http<D>(config: &RunConfig, dial: D, progress: &Progress) -> Result<RunResult, EngineError>
where
    D: Dial + Clone + Sync + 'static,
    D::Stream: Send,
{
    if config.http2 {
        return run_http2(config, dial, progress);
    }
    let http1 = Http1Plan::of(config);
    match config.target.scheme {
        Scheme::Http => engine::run_with(&|| http1.over(dial.clone()), config, progress),
        Scheme::Https => {
            let client = tls_client(config, None)?;
            let make = || http1.over(tls_over(config, dial.clone(), &client));
            let mut result = engine::run_with(&make, config, progress)?;
            result.tls = client.version();
            Ok(result)
        }
    }
}

/// The TLS client every worker shares for `config`'s target, offering `alpn` when given
/// (HTTP/1.1 otherwise).
fn tls_client(config: &RunConfig, alpn: Option<&[u8]>) -> Result<Arc<TlsClient>, EngineError> {
    let setup = |e: tls::TlsError| EngineError::Setup(e.to_string());
    let mut client_config = tls::client_config(&config.tls).map_err(setup)?;
    if let Some(alpn) = alpn {
        client_config = tls::with_alpn(&client_config, alpn);
    }
    TlsClient::new(client_config, &config.target.host).map_err(setup)
}

/// TLS over `dial`, its handshake bounded by the connect timeout.
fn tls_over<D: Dial>(config: &RunConfig, dial: D, client: &Arc<TlsClient>) -> TlsDial<D> {
    TlsDial::over(dial, config.connect_timeout, client.clone())
}

/// Runs over HTTP/2: h2c over `dial` for `http://`, ALPN h2 over TLS for `https://`.
fn run_http2<D>(config: &RunConfig, dial: D, progress: &Progress) -> Result<RunResult, EngineError>
where
    D: Dial + Clone + Sync + 'static,
    D::Stream: Send,
{
    let http2 = Http2Plan::of(config).map_err(EngineError::Setup)?;
    let mut result = match config.target.scheme {
        Scheme::Http => engine::run_with(&|| http2.over(dial.clone()), config, progress)?,
        Scheme::Https => {
            let client = tls_client(config, Some(tls::ALPN_H2))?;
            let make = || http2.over(tls_over(config, dial.clone(), &client));
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
            let client = tls_client(config, None)?;
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
                Some(_) if !config.proxy_tunnels() => Form::Absolute,
                _ => Form::Origin,
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

/// What every HTTP/2 connection of a run sends and how, prepared once and shared by the
/// workers' connectors (see [`Http1Plan`]).
struct Http2Plan {
    template: Template,
    streams: usize,
    stream: Option<Limits>,
    redirects: Option<Rules>,
}

impl Http2Plan {
    fn of(config: &RunConfig) -> Result<Http2Plan, String> {
        Ok(Http2Plan {
            template: Template::of(&config.target, &config.request)?,
            streams: config.streams,
            stream: config
                .stream_metrics
                .then(|| Limits::from_gates(&config.slo)),
            redirects: (config.redirect_limit > 0)
                .then(|| Rules::new(config.target.clone(), config.request.clone())),
        })
    }

    /// A connector that speaks this plan over `dial` (one per worker).
    fn over<D: Dial + 'static>(&self, dial: D) -> Http2Connector<D>
    where
        D::Stream: Send,
    {
        Http2Connector::new(dial, self.streams, self.template.clone())
            .with_stream(self.stream)
            .with_redirects(self.redirects.clone())
    }
}
