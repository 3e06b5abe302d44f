//! TLS over TCP with rustls: the [`Dial`] behind `https://`, over a direct TCP connection or
//! a `-x` proxy's CONNECT tunnel (any [`Dial`] underneath).
//!
//! The client configuration is built once per run and shared by every worker: its session
//! cache is what lets `--disable-keepalive` resume sessions instead of paying a full
//! handshake per request, as browsers and other clients do. The handshake is its own phase
//! ([`Dialed::handshake`]), bounded by the connect timeout like the TCP connect before it.
//!
//! rustls shakes hands; once it is done, records are sealed and opened by a record layer of
//! our own ([`stream`]), so that requests allocate nothing after the handshake.

mod handshake;
mod record;
pub mod stream;
#[cfg(test)]
mod tests;
mod verify;

use std::io;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::client::danger::ServerCertVerifier;
use rustls::client::{VerifierBuilderError, WebPkiServerVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use thiserror::Error;

use crate::config::TlsSettings;
use crate::transport::tcp::TcpDial;
use crate::transport::{Dial, Dialed};
use stream::TlsStream;
use verify::{NoVerification, Verification};

/// Why the TLS settings cannot make a client configuration.
#[derive(Debug, Error)]
pub enum TlsError {
    #[error("--cacert holds no PEM certificate")]
    NoRoots,
    #[error("--cacert: {0}")]
    BadRoots(String),
    #[error("--cert/--key: {0}")]
    BadIdentity(String),
    #[error("no trusted root certificates: the system has none (install ca-certificates) and no --cacert was given")]
    NoTrust,
    #[error("TLS set-up: {0}")]
    Setup(String),
}

/// The ALPN protocol offered: HTTP/1.1, so a server that also speaks h2 answers in HTTP/1.1.
const ALPN_HTTP1: &[u8] = b"http/1.1";

/// The ALPN protocol offered under `--http2`: h2 alone, so a server without HTTP/2 refuses
/// the handshake or answers without ALPN instead of silently falling back to HTTP/1.1.
pub const ALPN_H2: &[u8] = b"h2";

/// `config` offering `alpn` instead of HTTP/1.1.
pub fn with_alpn(config: &ClientConfig, alpn: &[u8]) -> Arc<ClientConfig> {
    let mut config = config.clone();
    config.alpn_protocols = vec![alpn.to_vec()];
    Arc::new(config)
}

/// The client configuration for `settings`: system roots plus `--cacert`, or no
/// verification with `-k`; a client certificate for mTLS when given.
pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = Arc::new(crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier(settings, provider)?);
    let mut config = match &settings.identity_pem {
        Some((cert, key)) => {
            let (chain, key) = identity(cert, key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TlsError::BadIdentity(e.to_string()))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![ALPN_HTTP1.to_vec()];
    // The traffic keys go to our record layer once the handshake is done (`stream`).
    config.enable_secret_extraction = true;
    Ok(Arc::new(config))
}

/// How the server's certificate is judged: not at all with `-k`, else WebPKI against the
/// system's roots and `--cacert` (see [`Verification`]).
fn verifier(
    settings: &TlsSettings,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, TlsError> {
    if settings.insecure {
        return Ok(Arc::new(NoVerification(provider)));
    }
    let given = match settings.extra_roots_pem.as_deref() {
        Some(pem) => given_roots(pem)?,
        None => Vec::new(),
    };
    let webpki = WebPkiServerVerifier::builder_with_provider(roots(&given)?.into(), provider)
        .build()
        .map_err(|e| match e {
            VerifierBuilderError::NoRootAnchors => TlsError::NoTrust,
            e => TlsError::Setup(e.to_string()),
        })?;
    Ok(Arc::new(Verification { webpki, given }))
}

/// The `--cert` chain and the `--key` key.
fn identity(
    cert: &[u8],
    key: &[u8],
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadIdentity(format!("certificate: {e}")))?;
    if chain.is_empty() {
        return Err(TlsError::BadIdentity("no PEM certificate in --cert".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| TlsError::BadIdentity(format!("private key: {e}")))?;
    Ok((chain, key))
}

/// The certificates of a `--cacert` file; at least one.
fn given_roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let given = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadRoots(e.to_string()))?;
    if given.is_empty() {
        return Err(TlsError::NoRoots);
    }
    Ok(given)
}

/// The system's roots (read once per process) plus the `--cacert` ones.
fn roots(given: &[CertificateDer<'static>]) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(system_roots().iter().cloned());
    for cert in given {
        store
            .add(cert.clone())
            .map_err(|e| TlsError::BadRoots(e.to_string()))?;
    }
    Ok(store)
}

/// The platform's trusted roots; a sweep builds a configuration per level, the store is read
/// once. Unreadable entries are skipped, as every client does.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// What every worker's TLS connections share: the configuration (and its session cache),
/// the server name, and the version the first handshake agreed on.
pub struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    version: OnceLock<&'static str>,
}

impl TlsClient {
    /// Handshakes as `config` says, naming `host` in SNI (none for an IP address) and
    /// checking the certificate against it.
    pub fn new(config: Arc<ClientConfig>, host: &str) -> Result<Arc<Self>, TlsError> {
        let server_name = ServerName::try_from(host.to_string())
            .map_err(|e| TlsError::Setup(format!("{host}: {e}")))?;
        Ok(Arc::new(TlsClient {
            config,
            server_name,
            version: OnceLock::new(),
        }))
    }

    /// The TLS version spoken (`TLSv1.3`), once a handshake succeeded.
    pub fn version(&self) -> Option<&'static str> {
        self.version.get().copied()
    }

    fn host(&self) -> String {
        self.server_name.to_str().into_owned()
    }
}

/// Opens TLS connections over the streams `inner` opens (TCP, or a proxy's tunnel): one per
/// worker, sharing a [`TlsClient`].
pub struct TlsDial<D = TcpDial> {
    inner: D,
    /// The handshake's bound: the connect timeout, as for the connect before it.
    timeout: Duration,
    client: Arc<TlsClient>,
}

impl TlsDial {
    /// A dialer that connects with `tcp` and then shakes hands as `client` says.
    pub fn new(tcp: TcpDial, client: Arc<TlsClient>) -> Self {
        let timeout = tcp.timeout();
        TlsDial::over(tcp, timeout, client)
    }
}

impl<D: Dial> TlsDial<D> {
    /// A dialer that opens a stream with `inner` and then shakes hands as `client` says,
    /// within `timeout`. The server is named and verified as `client` says whatever `inner`
    /// connects to: through a proxy's tunnel, that is the target, not the proxy.
    pub fn over(inner: D, timeout: Duration, client: Arc<TlsClient>) -> Self {
        TlsDial {
            inner,
            timeout,
            client,
        }
    }
}

impl<D: Dial> Dial for TlsDial<D> {
    type Stream = TlsStream<D::Stream>;

    async fn dial(&self) -> io::Result<Dialed<Self::Stream>> {
        let inner = self.inner.dial().await?.stream;
        let started = Instant::now();
        let client = &self.client;
        let handshake =
            handshake::connect(client.config.clone(), client.server_name.clone(), inner);
        let stream = match tokio::time::timeout(self.timeout, handshake).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                let message = format!("TLS handshake with {}: {}", client.host(), reason(&e));
                return Err(io::Error::new(e.kind(), message));
            }
            Err(_) => {
                let message = format!("TLS handshake with {} timed out", client.host());
                return Err(io::Error::new(io::ErrorKind::TimedOut, message));
            }
        };
        let took = started.elapsed();
        client
            .version
            .get_or_init(|| version_name(stream.protocol_version()));
        Ok(Dialed {
            stream,
            handshake: Some(took),
        })
    }
}

/// A handshake failure in words a user can act on.
fn reason(error: &io::Error) -> String {
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        return error.to_string();
    };
    match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => "certificate signed by an unknown authority \
                (self-signed or a private CA: give --cacert FILE, or -k to skip verification)"
                .into(),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "certificate expired (-k skips verification)".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "certificate is not valid for this host name (-k skips verification)".into()
            }
            other => format!("invalid certificate ({other:?}; -k skips verification)"),
        },
        rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol) => {
            "the server refused every protocol offered over ALPN (h2 under --http2)".into()
        }
        rustls::Error::AlertReceived(alert) => {
            format!("the server refused the handshake (alert: {alert:?})")
        }
        other => other.to_string(),
    }
}

/// The name reports use for a TLS version.
fn version_name(version: rustls::ProtocolVersion) -> &'static str {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
        _ => "TLS",
    }
}
