//! Name resolution and TCP connects.
//!
//! Names are resolved once per run. A host may resolve to several addresses (`localhost` to
//! `::1` and `127.0.0.1`) of which only one accepts; the connector remembers which address
//! worked last and tries it first, so only the first connects pay for a dead address.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpStream;

use super::transport::Connector;
use crate::http1::connection::Http1Conn;
use crate::http1::redirect::RedirectPolicy;
use crate::url::Target;

/// Resolves the target's host once, before the run.
pub fn resolve(target: &Target) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()?
        .collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no addresses found",
        ));
    }
    Ok(addrs)
}

/// Opens plain-TCP HTTP/1.1 connections.
pub struct TcpConnector {
    addrs: Vec<SocketAddr>,
    preferred: AtomicUsize,
    timeout: Duration,
    request: Bytes,
    head_request: bool,
    redirects: Option<Arc<RedirectPolicy>>,
    /// The addresses are a proxy's: connect errors say so, or users chase the wrong host.
    proxy: bool,
    /// Close with a reset instead of a FIN (`SO_LINGER` 0), see [`TcpConnector::reset_on_close`].
    reset_on_close: bool,
}

impl TcpConnector {
    /// A connector for `addrs` that sends `request` on every connection.
    pub fn new(
        addrs: Vec<SocketAddr>,
        timeout: Duration,
        request: Bytes,
        head_request: bool,
    ) -> Self {
        TcpConnector {
            addrs,
            preferred: AtomicUsize::new(0),
            reset_on_close: false,
            timeout,
            request,
            head_request,
            redirects: None,
            proxy: false,
        }
    }

    /// Marks the addresses as an HTTP proxy's, for error messages.
    pub fn via_proxy(mut self, proxy: bool) -> Self {
        self.proxy = proxy;
        self
    }

    /// Connections that follow redirects as `policy` says (`None`: not at all).
    pub fn with_redirects(mut self, policy: Option<RedirectPolicy>) -> Self {
        self.redirects = policy.map(Arc::new);
        self
    }

    /// Closes every connection with a reset (`SO_LINGER` 0) instead of a FIN, so a closed
    /// socket leaves no TIME_WAIT entry holding its ephemeral port for a minute: a sweep
    /// closes up to c sockets per level, and thousands per minute against one address would
    /// otherwise run out of ports.
    pub fn reset_on_close(mut self, on: bool) -> Self {
        self.reset_on_close = on;
        self
    }

    async fn connect_one(&self, addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = match tokio::time::timeout(self.timeout, TcpStream::connect(addr)).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")),
        }
        .map_err(|e| {
            let message = if self.proxy {
                format!("cannot connect to proxy {addr}: {e}")
            } else {
                format!("connect to {addr}: {e}")
            };
            io::Error::new(e.kind(), message)
        })?;
        // Requests are single writes; Nagle would only add latency.
        stream.set_nodelay(true)?;
        if self.reset_on_close {
            stream.set_zero_linger()?;
        }
        Ok(stream)
    }
}

impl Connector for TcpConnector {
    type Conn = Http1Conn<TcpStream>;

    async fn connect(&self) -> io::Result<Self::Conn> {
        let first = self.preferred.load(Relaxed);
        let mut last_error = None;
        for i in 0..self.addrs.len() {
            let index = (first + i) % self.addrs.len();
            match self.connect_one(self.addrs[index]).await {
                Ok(stream) => {
                    if index != first {
                        self.preferred.store(index, Relaxed);
                    }
                    let conn = Http1Conn::new(stream, self.request.clone(), self.head_request);
                    return Ok(conn.with_redirects(self.redirects.clone()));
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no addresses")))
    }
}
