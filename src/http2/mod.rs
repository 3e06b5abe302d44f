//! HTTP/2 (`--http2`) through the h2 crate: prior-knowledge h2c over TCP, `h2` by ALPN over TLS.
//!
//! One h2 connection carries `--streams M` stream slots: the engine runs `c × M` slots, and a
//! worker's [`Http2Connector`] groups them M to a connection (see `pool`). Each slot's
//! [`H2Stream`] runs one request at a time on its connection; the connection's driver task
//! runs on the worker's runtime. The request is built per send from a prepared template
//! (HTTP/2 may allocate per request; the HTTP/1.1 hot path stays allocation-free). Same-origin
//! redirects are followed as over HTTP/1.1: the slot builds the follow-up request's head.

pub mod connector;
mod pool;
mod redirect;
pub mod request;
mod stream;

pub use connector::Http2Connector;
pub use stream::H2Stream;
