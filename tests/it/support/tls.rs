//! A local HTTPS server with throwaway certificates made in the test (rcgen): a private CA,
//! server certificates it signs (valid, expired, for another name), client certificates for
//! mTLS, and a server that stops answering mid-handshake.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{HandshakeKind, RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use super::scratch_file;

/// A private certificate authority whose PEM a test hands to `--cacert`.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, in PEM.
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Ca {
    /// A fresh CA named `name`.
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        params.distinguished_name = dn;
        let key = KeyPair::generate().expect("CA key");
        Ca {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    /// The CA certificate written to a scratch file, for `--cacert`.
    pub fn pem_file(&self, name: &str) -> PathBuf {
        scratch_file(name, self.issuer.pem().as_bytes())
    }

    /// A certificate for `names` (DNS names or IP addresses) signed by this CA; `expired`
    /// makes one whose validity ended in 2001.
    pub fn issue(&self, names: &[&str], expired: bool) -> Identity {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }
}

/// A self-signed server certificate that also says it is a CA, as `openssl req -x509`
/// makes them (the loopback nginx of the benchmarks has one).
pub fn self_signed_ca_leaf(names: &[&str]) -> Identity {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("certificate");
    Identity {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// What the server does with each connection.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Shake hands and answer every request `200 ok`.
    Serve,
    /// Serve the first `n` connections, then read the client's hello and never answer.
    HangAfter(u64),
    /// Serve like [`Behaviour::Serve`], speaking TLS 1.2 only.
    Tls12Only,
}

/// An HTTPS/1.1 server on `127.0.0.1:0`, one thread per connection; lives until the test
/// process ends.
pub struct TlsServer {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    resumed: Arc<AtomicU64>,
    /// Every request head received, in order.
    heads: Arc<Mutex<Vec<String>>>,
}

impl TlsServer {
    /// Serves with `identity`; with `client_ca`, requires a client certificate it signed.
    pub fn start(identity: &Identity, client_ca: Option<&Ca>, behaviour: Behaviour) -> TlsServer {
        let chain = CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("server chain");
        let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).expect("key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone());
        let builder = match behaviour {
            Behaviour::Tls12Only => builder.with_protocol_versions(&[&rustls::version::TLS12]),
            _ => builder.with_safe_default_protocol_versions(),
        }
        .expect("versions");
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca.der()).expect("client CA");
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = Arc::new(builder.with_single_cert(chain, key).expect("server config"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let server = TlsServer {
            addr: listener.local_addr().expect("addr"),
            requests: Arc::default(),
            connections: Arc::default(),
            resumed: Arc::default(),
            heads: Arc::default(),
        };
        let (requests, connections) = (server.requests.clone(), server.connections.clone());
        let (resumed, heads) = (server.resumed.clone(), server.heads.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let n = connections.fetch_add(1, Relaxed);
                let (config, requests) = (config.clone(), requests.clone());
                let (resumed, heads) = (resumed.clone(), heads.clone());
                std::thread::spawn(move || match behaviour {
                    Behaviour::HangAfter(k) if n >= k => hang(stream),
                    _ => serve(stream, config, &requests, &resumed, &heads),
                });
            }
        });
        server
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("https://{}/", self.addr)
    }

    /// Connections whose handshake resumed an earlier session.
    pub fn resumed(&self) -> u64 {
        self.resumed.load(Relaxed)
    }

    /// The request heads received so far (request line and headers, CRLF-separated).
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Relaxed)
    }
}

/// Reads whatever the client sends and never answers, until it gives up.
fn hang(mut stream: TcpStream) {
    let _ = std::io::copy(&mut stream, &mut std::io::sink());
}

/// Answers each request head with `200 ok` until the client closes or asks to.
fn serve(
    stream: TcpStream,
    config: Arc<ServerConfig>,
    requests: &AtomicU64,
    resumed: &AtomicU64,
    heads: &Mutex<Vec<String>>,
) {
    let Ok(conn) = ServerConnection::new(config) else {
        return;
    };
    let mut tls = BufReader::new(StreamOwned::new(conn, stream));
    let mut first = true;
    loop {
        let mut close = false;
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match tls.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => close |= line.eq_ignore_ascii_case("connection: close\r\n"),
            }
            head.push_str(&line);
        }
        heads.lock().unwrap().push(head);
        requests.fetch_add(1, Relaxed);
        if std::mem::take(&mut first)
            && tls.get_ref().conn.handshake_kind() == Some(HandshakeKind::Resumed)
        {
            resumed.fetch_add(1, Relaxed);
        }
        let response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        if tls.get_mut().write_all(response).is_err() || close {
            tls.get_mut().conn.send_close_notify();
            let _ = tls.get_mut().flush();
            let _ = tls.get_mut().read(&mut [0; 1]);
            return;
        }
    }
}
