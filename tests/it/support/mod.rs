//! Shared test support: servers to point vastar at, and helpers to run the binary.
//!
//! - [`script`]: a raw TCP server whose every byte a test scripts, recording what it received.
//! - [`request`]: the requests such a server recorded.
//! - [`cmd`]: the `vastar` binary run with a test-side timeout.
//! - [`report`]: the JSON report parsed into test-side types and checked against the schema.
//! - [`sweep`]: the same for `vastar sweep`'s JSON document.
//! - [`tls`]: an HTTPS server with throwaway certificates (a private CA made in the test).
//! - [`connect_proxy`]: an HTTP CONNECT proxy that counts its tunnels and records its requests.
//! - [`ws_script`]: a raw TCP WebSocket server whose every frame a test scripts.
//!
//! For well-behaved load the tests use the crate's own built-in target ([`builtin_target`]),
//! whose counters say how many connections and requests really arrived.

pub mod cmd;
pub mod connect_proxy;
pub mod faulty;
pub mod h2;
pub mod report;
pub mod request;
pub mod script;
pub mod sweep;
pub mod tls;
pub mod ws_script;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use vastar::serve::{Background, ServeConfig};

pub use cmd::{run, run_cmd, run_json, vastar, Run};
pub use script::{answer_ok, ok_response, unused_local_addr, Peer, ScriptServer};

/// The built-in target (`Hello, World!`, 13 bytes, `Content-Length`) on a free port of
/// `127.0.0.1`, with one server thread; dropping it stops it.
pub fn builtin_target() -> Background {
    Background::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        ServeConfig::default(),
        1,
    )
    .expect("start the built-in target on 127.0.0.1:0")
}

/// The built-in target speaking HTTP/2 with `body_size`-byte answers: h2c, or with `tls`
/// ALPN h2 behind a throwaway self-signed certificate (naming `tls`'s host, or the default
/// names when empty), whose PEM file for `--cacert` comes with it.
pub fn builtin_h2(body_size: usize, tls: Option<&str>) -> (Background, Option<String>) {
    let cert = tls.map(|name| {
        let name = (!name.is_empty()).then_some(name);
        vastar::serve::tls::self_signed(name).expect("a throwaway certificate")
    });
    let config = ServeConfig {
        body_size,
        http2: true,
        tls: cert.as_ref().map(|c| c.config.clone()),
        ..ServeConfig::default()
    };
    let server = Background::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config, 1)
        .expect("start the built-in target");
    let pem = cert.map(|c| {
        let name = format!("h2-{}.pem", server.addr().port());
        scratch_file(&name, c.cert_pem.as_bytes())
            .to_string_lossy()
            .into_owned()
    });
    (server, pem)
}

/// The built-in target's capacity model (`--max-inflight K --delay D`) on a free port of
/// `127.0.0.1`: throughput saturates near K/D and latency grows past c = K.
pub fn capacity_target(max_inflight: usize, delay: std::time::Duration) -> Background {
    Background::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        ServeConfig {
            delay: Some(delay),
            max_inflight: Some(max_inflight),
            ..ServeConfig::default()
        },
        2,
    )
    .expect("start the built-in target on 127.0.0.1:0")
}

/// `http://ADDR/` for a server address.
pub fn url_of(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// Writes `bytes` to a file named `name` in this test binary's scratch directory, unique per
/// test process, and returns its path.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}
