//! `vastar serve --tls`: HTTPS with a throwaway self-signed certificate made at start, so
//! `https://` runs (and their tests) need nothing installed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::{conn, ws, Shared};

/// How long a client may take to finish its handshake before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A self-signed certificate and the server configuration that presents it.
pub struct SelfSigned {
    /// For the server.
    pub config: Arc<ServerConfig>,
    /// The certificate in PEM, for clients' `--cacert`.
    pub cert_pem: String,
}

/// A fresh key and a self-signed certificate for `localhost`, `127.0.0.1` and `::1`
/// (plus `host` when given), offering HTTP/1.1 over ALPN.
pub fn self_signed(host: Option<&str>) -> Result<SelfSigned, String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    names.extend(host.map(str::to_string));
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let params = rcgen::CertificateParams::new(names).map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(SelfSigned {
        config: Arc::new(config),
        cert_pem: cert.pem(),
    })
}

/// Writes `pem` to `vastar-serve-PID.pem` in `dir`, for the user to pass to `--cacert`.
pub fn write_pem(dir: &Path, pem: &str) -> std::io::Result<PathBuf> {
    let path = dir.join(format!("vastar-serve-{}.pem", std::process::id()));
    std::fs::write(&path, pem)?;
    Ok(path)
}

/// The acceptor for `config`, offering h2 before HTTP/1.1 over ALPN when `http2`.
pub(super) fn acceptor(config: Arc<ServerConfig>, http2: bool) -> TlsAcceptor {
    if !http2 {
        return TlsAcceptor::from(config);
    }
    let mut config = (*config).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// Shakes hands, then serves the connection in the protocol ALPN picked (HTTP/1.1 like a
/// plain connection, or h2), or as a WebSocket session with `--ws`; a client that fails or
/// stalls the handshake is dropped.
pub(super) async fn handle(acceptor: TlsAcceptor, stream: TcpStream, shared: Arc<Shared>) {
    if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        if shared.ws.is_some() {
            ws::handle(tls, shared).await;
        } else if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
            super::h2::handle(tls, shared).await;
        } else {
            conn::handle(tls, shared).await;
        }
    }
}
