//! The WebSocket target over real loopback sockets, driven by tokio-tungstenite's client.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::serve::{Background, ServeConfig, WsMode};

/// Longest a test waits for something that should come.
const PATIENCE: Duration = Duration::from_secs(10);

fn start(mode: WsMode) -> Background {
    let config = ServeConfig {
        ws: Some(mode),
        ..ServeConfig::default()
    };
    Background::start(SocketAddr::from(([127, 0, 0, 1], 0)), config, 1).unwrap()
}

async fn upgrade<S>(stream: S, url: &str) -> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (ws, response) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    assert_eq!(response.status(), 101);
    ws
}

async fn connect(addr: SocketAddr) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    upgrade(tcp, &format!("ws://{addr}/any/path?x=1")).await
}

/// The next text or binary message within `within`, or `None` if none came.
async fn next_data<S>(ws: &mut WebSocketStream<S>, within: Duration) -> Option<Message>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let data = async {
        loop {
            match ws.next().await {
                Some(Ok(m)) if m.is_text() || m.is_binary() => return m,
                Some(Ok(_)) => {}
                other => panic!("session ended: {other:?}"),
            }
        }
    };
    tokio::time::timeout(within, data).await.ok()
}

/// A batch answer as (oldest, newest, frames).
async fn next_answer<S>(ws: &mut WebSocketStream<S>) -> (u64, u64, u64)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let message = next_data(ws, PATIENCE).await.expect("an answer");
    let text = message.to_text().expect("a text answer");
    let json: serde_json::Value = serde_json::from_str(text).expect("JSON");
    let field = |name: &str| {
        json[name]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    let keys = json.as_object().map(|o| o.len());
    assert_eq!(keys, Some(3), "{text}");
    (
        field("oldest_frame_seq"),
        field("newest_frame_seq"),
        field("frames"),
    )
}

fn frame(i: usize) -> Message {
    Message::binary(Bytes::from(vec![i as u8; 640]))
}

#[tokio::test]
async fn echo_sends_text_back_as_text_and_binary_as_binary() {
    let server = start(WsMode::Echo);
    let mut ws = connect(server.addr()).await;
    let big: Vec<u8> = (0..100_000).map(|i| i as u8).collect();
    let messages = [
        Message::text("hello, échos"),
        Message::binary(vec![0u8, 1, 2, 255]),
        Message::binary(Vec::new()),
        Message::text(""),
        Message::binary(big),
    ];
    for message in messages {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(next_data(&mut ws, PATIENCE).await, Some(message));
    }
    let stats = server.stats();
    assert_eq!(stats.ws_sessions.load(Relaxed), 1);
    assert_eq!(stats.ws_received.load(Relaxed), 5);
}

#[tokio::test]
async fn pings_are_answered_and_a_close_is_returned() {
    let server = start(WsMode::Echo);
    let mut ws = connect(server.addr()).await;
    ws.send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    let pong = tokio::time::timeout(PATIENCE, ws.next()).await.unwrap();
    assert_eq!(
        pong.unwrap().unwrap(),
        Message::Pong(Bytes::from_static(b"are you there"))
    );
    let bye = CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    };
    ws.close(Some(bye)).await.unwrap();
    let reply = tokio::time::timeout(PATIENCE, ws.next()).await.unwrap();
    match reply {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected the close returned, got {other:?}"),
    }
}

#[tokio::test]
async fn a_batch_answers_the_frames_since_the_previous_one_once_per_interval() {
    let every = Duration::from_millis(300);
    let server = start(WsMode::Batch(every));
    let dialed = Instant::now();
    let mut ws = connect(server.addr()).await;
    let first_sent = Instant::now();
    for i in 0..5 {
        ws.send(frame(i)).await.unwrap();
    }
    assert_eq!(next_answer(&mut ws).await, (0, 4, 5));
    // The session's timer started at its upgrade, after the dial and before the first frame.
    assert!(dialed.elapsed() >= every, "{:?}", dialed.elapsed());
    let latency = first_sent.elapsed();
    assert!(latency <= every + Duration::from_secs(1), "{latency:?}");
    for i in 5..8 {
        ws.send(frame(i)).await.unwrap();
    }
    assert_eq!(next_answer(&mut ws).await, (5, 7, 3));
    assert!(dialed.elapsed() >= 2 * every, "{:?}", dialed.elapsed());
    // Nothing more was sent, so nothing more is answered.
    assert_eq!(next_data(&mut ws, 3 * every).await, None);
    assert_eq!(server.stats().ws_received.load(Relaxed), 8);
}

#[tokio::test]
async fn a_batch_session_that_sends_nothing_hears_nothing() {
    let server = start(WsMode::Batch(Duration::from_millis(50)));
    let mut ws = connect(server.addr()).await;
    assert_eq!(next_data(&mut ws, Duration::from_millis(400)).await, None);
    // The session is alive all the same: text frames count too.
    ws.send(Message::text("frame")).await.unwrap();
    assert_eq!(next_answer(&mut ws).await, (0, 0, 1));
}

#[tokio::test]
async fn sessions_number_their_frames_independently() {
    let server = start(WsMode::Batch(Duration::from_millis(500)));
    let mut sessions = Vec::new();
    for _ in 0..20 {
        sessions.push(connect(server.addr()).await);
    }
    // Interleaved: session i sends i + 1 frames, round after round.
    for round in 0..sessions.len() {
        for ws in sessions.iter_mut().skip(round) {
            ws.send(frame(round)).await.unwrap();
        }
    }
    for (i, ws) in sessions.iter_mut().enumerate() {
        let i = i as u64;
        assert_eq!(next_answer(ws).await, (0, i, i + 1), "session {i}");
    }
    assert_eq!(server.stats().ws_sessions.load(Relaxed), 20);
}

/// Writes `raw` on a fresh connection, ends its sending side, and reads until the server
/// closes it.
async fn raw_exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(raw).await.unwrap();
    tcp.shutdown().await.unwrap();
    let mut response = Vec::new();
    let read = tcp.read_to_end(&mut response);
    tokio::time::timeout(PATIENCE, read).await.unwrap().unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn plain_http_and_bad_upgrades_are_refused_and_the_server_lives_on() {
    let server = start(WsMode::Echo);
    let addr = server.addr();
    let plain = raw_exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(plain.starts_with("HTTP/1.1 426 "), "{plain}");
    assert!(plain.contains("Upgrade: websocket\r\n"), "{plain}");
    let no_key = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";
    let no_key = raw_exchange(addr, no_key).await;
    assert!(no_key.starts_with("HTTP/1.1 400 "), "{no_key}");
    let garbage = raw_exchange(addr, b"\x00\x01\x02 nonsense\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
    assert_eq!(raw_exchange(addr, b"").await, "");
    assert_eq!(server.stats().rejected.load(Relaxed), 3);
    let mut ws = connect(addr).await;
    ws.send(Message::text("still here")).await.unwrap();
    let echoed = next_data(&mut ws, PATIENCE).await;
    assert_eq!(echoed, Some(Message::text("still here")));
}

#[tokio::test]
async fn wss_serves_the_same_sessions_over_tls() {
    use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    let cert = crate::serve::tls::self_signed(None).unwrap();
    let config = ServeConfig {
        ws: Some(WsMode::Echo),
        tls: Some(cert.config),
        ..ServeConfig::default()
    };
    let server = Background::start(SocketAddr::from(([127, 0, 0, 1], 0)), config, 1).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    let der = CertificateDer::from_pem_slice(cert.cert_pem.as_bytes()).unwrap();
    roots.add(der).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tls = connector.connect(name, tcp).await.unwrap();
    let mut ws = upgrade(tls, "wss://localhost/").await;
    ws.send(frame(7)).await.unwrap();
    assert_eq!(next_data(&mut ws, PATIENCE).await, Some(frame(7)));
}
