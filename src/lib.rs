//! vastar: a fast, lean, honest HTTP load generator.
//!
//! Module map (read in this order):
//! - [`url`], [`config`]: the validated description of a run; no I/O.
//! - [`http1`]: request encoding and the incremental response parser.
//! - [`transport`]: the leaf seam (`Connector`, `Conn`, `Dial`, `Failure`) that protocols
//!   implement and the engine drives; TCP dialing and CONNECT tunnels through `-x` proxies.
//! - [`engine`]: `run_with(connector, config) -> RunResult`: drives connections, records
//!   latency; imports no protocol.
//! - [`connector`]: picks the protocol by scheme and runs the engine with it.
//! - [`redirect`]: which redirects are followed and what the followed request asks for;
//!   each protocol writes it its own way.
//! - [`tls`]: TLS for `https://` (a `Dial` that HTTP/1.1 and h2 run over): rustls does the
//!   handshake, our record layer the records, so requests allocate nothing.
//! - [`request_log`]: `--log-requests`: one CSV row per request, written by a thread of its
//!   own from buffers the workers fill.
//! - [`report`]: pure renderers of a result (text, JSON).
//! - [`results`]: a result as data: serialized into the JSON, read back, merged.
//! - [`stream`]: SSE / NDJSON framing and stream metrics (TTFT, ITL, TPOT, tokens), fed
//!   by the HTTP parsers through a payload sink when `--stream-metrics` is on.
//! - [`slo`]: `--slo` gates, parsed and checked against a run; the verdict behind exit code 1.
//! - [`sweep`]: `vastar sweep`: the engine many times in one process (sweet spot, paired
//!   overhead, capacity search).
//! - [`serve`]: the built-in target used by `vastar serve`, `vastar demo` and the tests.
//! - [`ws`]: WebSocket sessions (`vastar ws`): the transport whose exchanges are messages.
//! - [`cli`], [`app`]: the command line, and the one place errors become exit codes.

pub mod app;
pub mod cli;
pub mod config;
pub mod connector;
pub mod duration;
pub mod engine;
pub mod http1;
pub mod http2;
pub mod progress_bar;
pub mod redirect;
pub mod report;
pub mod request_log;
pub mod results;
pub mod segment;
pub mod serve;
pub mod slo;
pub mod stream;
pub mod sweep;
pub mod tls;
pub mod transport;
pub mod url;
pub mod wallclock;
pub mod ws;
