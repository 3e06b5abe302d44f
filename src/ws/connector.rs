//! Opens WebSocket sessions: dials (TCP or TLS), then upgrades over HTTP/1.1.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::sync::Arc;

use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::Error as WsError;

use super::conn::WsConn;
use super::plan::WsPlan;
use super::stats::WsStats;
use crate::transport::{Connected, Connector, Dial, ErrorKind, Refused};

/// Opens sessions for one worker; its sessions record into one [`WsStats`].
pub struct WsConnector<D> {
    dial: D,
    plan: Arc<WsPlan>,
    stats: Rc<RefCell<WsStats>>,
}

impl<D: Dial> WsConnector<D> {
    /// A connector whose sessions, opened by `dial`, follow `plan`.
    pub fn new(dial: D, plan: Arc<WsPlan>) -> Self {
        let stats = WsStats::new(plan.ack_fields.clone());
        WsConnector {
            dial,
            plan,
            stats: Rc::new(RefCell::new(stats)),
        }
    }

    /// The upgrade over a dialed stream, within the plan's time limit.
    async fn upgrade(&self, stream: D::Stream) -> io::Result<WsConn<D::Stream>> {
        let request = self.plan.request().map_err(io::Error::other)?;
        let config = Some(self.plan.socket_config());
        let handshake = tokio_tungstenite::client_async_with_config(request, stream, config);
        let outcome = tokio::time::timeout(self.plan.upgrade_timeout, handshake).await;
        match outcome {
            Ok(Ok((ws, _response))) => Ok(WsConn::new(
                ws,
                Arc::clone(&self.plan),
                Rc::clone(&self.stats),
            )),
            Ok(Err(e)) => Err(self.refused(e)),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the WebSocket upgrade timed out",
            )),
        }
    }

    /// Why an upgrade failed, counted and worded for the user.
    fn refused(&self, error: WsError) -> io::Error {
        match error {
            WsError::Http(response) => {
                let status = response.status();
                let mut stats = self.stats.borrow_mut();
                *stats.upgrade_statuses.entry(status.as_u16()).or_insert(0) += 1;
                Refused::into_io(
                    ErrorKind::WsUpgrade,
                    format!("WebSocket upgrade refused: {status}"),
                )
            }
            WsError::Protocol(
                e @ (ProtocolError::SecWebSocketAcceptKeyMismatch
                | ProtocolError::MissingConnectionUpgradeHeader
                | ProtocolError::MissingUpgradeWebSocketHeader),
            ) => Refused::into_io(
                ErrorKind::WsBadAccept,
                format!("WebSocket upgrade answered wrongly: {e}"),
            ),
            WsError::Io(e) => e,
            other => Refused::into_io(
                ErrorKind::WsProtocol,
                format!("WebSocket upgrade failed: {other}"),
            ),
        }
    }
}

impl<D: Dial> Connector for WsConnector<D> {
    type Conn = WsConn<D::Stream>;

    async fn connect(&self) -> io::Result<Connected<Self::Conn>> {
        let dialed = self.dial.dial().await;
        let started = Instant::now();
        let outcome = match dialed {
            Ok(dialed) => self
                .upgrade(dialed.stream)
                .await
                .map(|conn| (conn, dialed.handshake)),
            Err(e) => Err(e),
        };
        let mut stats = self.stats.borrow_mut();
        match outcome {
            Ok((conn, handshake)) => {
                stats.sessions.opened += 1;
                let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                crate::engine::result::record_latency(&mut stats.upgrade_ns, ns.max(1));
                Ok(Connected {
                    conn,
                    handshake,
                    opened: true,
                })
            }
            Err(e) => {
                stats.sessions.failed += 1;
                Err(e)
            }
        }
    }

    fn take_ws_stats(&self) -> Option<WsStats> {
        let fresh = WsStats::new(self.plan.ack_fields.clone());
        Some(self.stats.replace(fresh))
    }
}
