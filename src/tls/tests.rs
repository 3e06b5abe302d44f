//! The record layer against rustls' own server (through tokio-rustls, as `vastar serve --tls`
//! runs it) on loopback: both versions, records split and joined, key updates either way,
//! session resumption, and how the stream ends.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{HandshakeKind, ServerConfig, SupportedProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::stream::TlsStream;
use super::{client_config, TlsClient, TlsDial};
use crate::config::TlsSettings;
use crate::transport::tcp::TcpDial;
use crate::transport::Dial;

/// What the test server does with a connection once its handshake is done.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Echoes every read back until the client closes, then closes with a close_notify.
    Echo,
    /// Like `Echo`, but asks for a key update (and updates its own) after the first read.
    UpdateKeys,
    /// Echoes the first read, then closes the socket without a close_notify.
    Truncate,
}

/// A server for `localhost` speaking only `version`; each handshake's kind goes to the
/// receiver. Returns its address and the certificate to trust.
async fn server(
    version: &'static SupportedProtocolVersion,
    behaviour: Behaviour,
) -> (
    SocketAddr,
    String,
    mpsc::UnboundedReceiver<Option<HandshakeKind>>,
) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (kinds, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let _ = kinds.send(tls.get_ref().1.handshake_kind());
            tokio::spawn(serve(tls, behaviour));
        }
    });
    (addr, cert.pem(), received)
}

async fn serve(
    mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    behaviour: Behaviour,
) {
    let mut buf = vec![0; 64 * 1024];
    let mut first = true;
    loop {
        let n = match tls.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if first && matches!(behaviour, Behaviour::UpdateKeys) {
            tls.get_mut().1.refresh_traffic_keys().unwrap();
        }
        if tls.write_all(&buf[..n]).await.is_err() {
            return;
        }
        if first && matches!(behaviour, Behaviour::Truncate) {
            let _ = tls.flush().await;
            return;
        }
        first = false;
    }
    let _ = tls.shutdown().await;
}

/// A dialer trusting `cert_pem`, for `localhost` at `addr`.
fn dialer(addr: SocketAddr, cert_pem: &str) -> TlsDial {
    let settings = TlsSettings {
        extra_roots_pem: Some(cert_pem.as_bytes().to_vec()),
        insecure: false,
        identity_pem: None,
    };
    let client = TlsClient::new(client_config(&settings).unwrap(), "localhost").unwrap();
    TlsDial::new(TcpDial::new(vec![addr], Duration::from_secs(5)), client)
}

/// Writes `message` and reads its echo back whole.
async fn round_trip(stream: &mut TlsStream, message: &[u8]) {
    stream.write_all(message).await.unwrap();
    let mut echoed = vec![0; message.len()];
    stream.read_exact(&mut echoed).await.unwrap();
    assert!(echoed == message, "the echo differs");
}

/// A message longer than several records, with bytes that show misplaced slices.
fn large() -> Vec<u8> {
    (0..100_000u32).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn both_versions_carry_small_and_multi_record_messages_and_end_on_close_notify() {
    for (version, name) in [
        (&rustls::version::TLS13, "TLSv1.3"),
        (&rustls::version::TLS12, "TLSv1.2"),
    ] {
        let (addr, cert, _) = server(version, Behaviour::Echo).await;
        let dial = dialer(addr, &cert);
        let dialed = dial.dial().await.unwrap();
        assert!(dialed.handshake.is_some());
        let mut stream = dialed.stream;
        round_trip(&mut stream, b"GET / HTTP/1.1\r\n\r\n").await;
        round_trip(&mut stream, &large()).await;
        round_trip(&mut stream, b"again").await;
        assert_eq!(dial.client.version(), Some(name));
        stream.shutdown().await.unwrap();
        let mut rest = Vec::new();
        assert_eq!(stream.read_to_end(&mut rest).await.unwrap(), 0, "{name}");
    }
}

#[tokio::test]
async fn a_key_update_the_server_asks_for_is_answered_and_both_sides_switch_keys() {
    let (addr, cert, _) = server(&rustls::version::TLS13, Behaviour::UpdateKeys).await;
    let mut stream = dialer(addr, &cert).dial().await.unwrap().stream;
    round_trip(&mut stream, b"first").await;
    // The server now reads with the keys our answer switched to, and writes with its new ones.
    round_trip(&mut stream, &large()).await;
    round_trip(&mut stream, b"third").await;
}

#[tokio::test]
async fn the_client_updates_its_keys_at_the_suites_limit() {
    let (addr, cert, _) = server(&rustls::version::TLS13, Behaviour::Echo).await;
    let mut stream = dialer(addr, &cert).dial().await.unwrap().stream;
    stream.set_tx_limit(3);
    for i in 0..10u8 {
        round_trip(&mut stream, &[i; 100]).await;
    }
}

#[tokio::test]
async fn a_tls_1_2_connection_at_its_limit_ends_with_an_error() {
    let (addr, cert, _) = server(&rustls::version::TLS12, Behaviour::Echo).await;
    let mut stream = dialer(addr, &cert).dial().await.unwrap().stream;
    // The Finished message took sequence number 0.
    stream.set_tx_limit(3);
    round_trip(&mut stream, b"one").await;
    let refused = stream.write_all(b"two").await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn a_close_without_close_notify_is_an_unexpected_eof() {
    let (addr, cert, _) = server(&rustls::version::TLS13, Behaviour::Truncate).await;
    let mut stream = dialer(addr, &cert).dial().await.unwrap().stream;
    round_trip(&mut stream, b"only").await;
    let mut rest = Vec::new();
    let error = stream.read_to_end(&mut rest).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn tickets_received_after_the_handshake_resume_the_next_connection() {
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let (addr, cert, mut kinds) = server(version, Behaviour::Echo).await;
        let dial = dialer(addr, &cert);
        for _ in 0..3 {
            let mut stream = dial.dial().await.unwrap().stream;
            round_trip(&mut stream, b"hello").await;
            stream.shutdown().await.unwrap();
        }
        let kinds: Vec<_> = (0..3).map(|_| kinds.try_recv().unwrap()).collect();
        assert_eq!(kinds[0], Some(HandshakeKind::Full));
        assert_eq!(kinds[1..], [Some(HandshakeKind::Resumed); 2]);
    }
}
