//! HTTP/1.1 on the wire: the prebuilt request and the incremental response parser.

pub mod chunked;
pub mod connection;
pub mod connector;
pub mod redirect;
pub mod request;
pub mod response;
