//! Integration tests: the real `vastar` binary against real local servers.
//!
//! One test binary, split by topic:
//! - [`requests`]: what reaches the server (counts, connections, headers, bodies, auth, pacing).
//! - [`responses`]: response framing the client must survive.
//! - [`failures`]: stalled, closing, refusing and late servers.
//! - [`cli`]: exit codes, bad input, the `demo` and `serve` subcommands.
//! - [`environment`]: a low open-file limit (`ulimit -n`) and a narrow terminal (tmux).
//! - [`output`]: the JSON document and its schema; plain text when piped.
//! - [`slo`]: `--slo` gates and their exit codes.
//! - [`rate`]: open-loop `--rate` and `--latency-correction` against a freezing server.
//!
//! [`support`] holds the scripted server, the command helpers and the test-side report types.

mod cli;
mod environment;
mod failures;
mod faults;
mod output;
mod rate;
mod requests;
mod responses;
mod slo;
mod support;
