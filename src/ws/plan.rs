//! What every session of a run sends, prepared once and shared by the workers' connectors.

use std::time::Duration;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, Request};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::config::{RunConfig, WsCadence, WsConfig};

/// Bytes each session reads at a time. tungstenite's default of 128 KiB is what a
/// session's idle memory would be (128 MB for 1000 sessions), and it clears the whole
/// buffer on every read; acks and echoes are small, and a larger message just takes more
/// reads.
const READ_BUFFER: usize = 8 * 1024;

/// The messages, the upgrade request and the judging rules of a run's sessions.
#[derive(Debug)]
pub struct WsPlan {
    /// Sent in turn by each session; cloning one shares its payload (no copy).
    pub messages: Vec<Message>,
    /// `--echo`: each send waits for its reply, and the pair is the latency sample.
    pub echo: bool,
    /// `--ack-field` names.
    pub ack_fields: Vec<String>,
    /// The first part of each session, reported apart (`--warmup`).
    pub warmup: Duration,
    /// How long a sent frame may wait for an ack before the session counts as stalled
    /// (`-t`); `None` waits forever.
    pub ack_timeout: Option<Duration>,
    /// The upgrade's time limit: the connect timeout covers the whole handshake.
    pub upgrade_timeout: Duration,
    /// How long a session that sent its last frame waits for the acks still on their way
    /// (the run's drain time, as for requests in flight).
    pub drain: Duration,
    /// The URL the upgrade asks for, and the headers it adds (`-H`, `User-Agent`).
    uri: String,
    headers: Vec<(String, String)>,
}

/// Why a run's messages cannot be built (checked by the CLI first, so only a config made
/// in code can hit it).
#[derive(Debug, thiserror::Error)]
#[error("text messages must be valid UTF-8 (send binary frames with --binary)")]
pub struct NotUtf8;

impl WsPlan {
    /// The plan of `config`'s sessions (`config.ws` describes them).
    pub fn of(config: &RunConfig, ws: &WsConfig) -> Result<WsPlan, NotUtf8> {
        let messages = ws
            .messages
            .iter()
            .map(|payload| message(payload, ws.binary))
            .collect::<Result<_, _>>()?;
        let scheme = match config.target.scheme {
            crate::url::Scheme::Http => "ws",
            crate::url::Scheme::Https => "wss",
        };
        Ok(WsPlan {
            messages,
            echo: ws.cadence == WsCadence::Echo,
            ack_fields: ws.ack_fields.clone(),
            warmup: ws.warmup,
            ack_timeout: config.timeout,
            upgrade_timeout: config.connect_timeout,
            drain: config.drain_cap,
            uri: format!(
                "{scheme}://{}{}",
                config.request.authority, config.target.path_and_query
            ),
            headers: config.request.headers.clone(),
        })
    }

    /// The upgrade request of one session (a fresh `Sec-WebSocket-Key` each time).
    pub fn request(&self) -> Result<Request<()>, String> {
        let mut request = self
            .uri
            .as_str()
            .into_client_request()
            .map_err(|e| e.to_string())?;
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            headers.insert(name, value);
        }
        Ok(request)
    }

    /// The framing limits of every session: tungstenite's defaults (64 MiB messages at
    /// most), with a read buffer of [`READ_BUFFER`] instead of 128 KiB.
    pub fn socket_config(&self) -> WebSocketConfig {
        WebSocketConfig::default().read_buffer_size(READ_BUFFER)
    }
}

fn message(payload: &Bytes, binary: bool) -> Result<Message, NotUtf8> {
    if binary {
        return Ok(Message::Binary(payload.clone()));
    }
    Utf8Bytes::try_from(payload.clone())
        .map(Message::Text)
        .map_err(|_| NotUtf8)
}
