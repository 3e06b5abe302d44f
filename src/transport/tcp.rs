//! Name resolution and TCP connects: the bottom of every transport.
//!
//! Names are resolved once per run. A host may resolve to several addresses (`localhost` to
//! `::1` and `127.0.0.1`) of which only one accepts; the dialer remembers which address
//! worked last and tries it first, so only the first connects pay for a dead address.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{Dial, Dialed};

/// Resolves `host:port` once, before the run.
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no addresses found",
        ));
    }
    Ok(addrs)
}

/// Opens TCP connections to one of a set of addresses. Clones (one per worker) share what
/// they learn about which address answers.
#[derive(Clone)]
pub struct TcpDial {
    addrs: Arc<[SocketAddr]>,
    preferred: Arc<AtomicUsize>,
    timeout: Duration,
    /// The addresses are a proxy's: connect errors say so, or users chase the wrong host.
    proxy: bool,
    /// Close with a reset instead of a FIN (`SO_LINGER` 0), see [`TcpDial::reset_on_close`].
    reset_on_close: bool,
}

impl TcpDial {
    /// A dialer for `addrs` that gives each connect `timeout`.
    pub fn new(addrs: Vec<SocketAddr>, timeout: Duration) -> Self {
        TcpDial {
            addrs: addrs.into(),
            preferred: Arc::default(),
            timeout,
            proxy: false,
            reset_on_close: false,
        }
    }

    /// Marks the addresses as an HTTP proxy's, for error messages.
    pub fn via_proxy(mut self, proxy: bool) -> Self {
        self.proxy = proxy;
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

    /// The connect timeout, which later handshakes on the same connection share.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Opens one TCP connection, trying the address that worked last first.
    pub async fn connect(&self) -> io::Result<TcpStream> {
        let first = self.preferred.load(Relaxed);
        let mut last_error = None;
        for i in 0..self.addrs.len() {
            let index = (first + i) % self.addrs.len();
            match self.connect_one(self.addrs[index]).await {
                Ok(stream) => {
                    if index != first {
                        self.preferred.store(index, Relaxed);
                    }
                    return Ok(stream);
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no addresses")))
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

impl Dial for TcpDial {
    type Stream = TcpStream;

    async fn dial(&self) -> io::Result<Dialed<TcpStream>> {
        Ok(Dialed {
            stream: self.connect().await?,
            handshake: None,
        })
    }
}
