//! Integration tests: the real `vastar` binary against real local servers.
//!
//! One test binary, split by topic:
//! - [`ai_bench`]: `vastar ai-bench`: rotating prompts, the bearer key, bad input.
//! - [`requests`]: what reaches the server (counts, connections, headers, bodies, auth, pacing).
//! - [`responses`]: response framing the client must survive.
//! - [`failures`]: stalled, closing, refusing and late servers.
//! - [`cli`]: exit codes, bad input, the `demo` and `serve` subcommands.
//! - [`environment`]: a low open-file limit (`ulimit -n`) and a narrow terminal (tmux).
//! - [`output`]: the JSON document and its schema; plain text when piped.
//! - [`slo`]: `--slo` gates and their exit codes.
//! - [`stream`]: `--stream-metrics` against scripted SSE servers (TTFT, ITL, tokens, errors).
//! - [`rate`]: open-loop `--rate` and `--latency-correction` against a freezing server.
//! - [`intervals`]: `--interval`'s time series in the JSON, as CSV and in the text report.
//! - [`hey`]: hey's single-dash flags, `-host`, `-cpus`, and the refused `-h2` / `-o csv`.
//! - [`redirects`]: chains, loops, cross-host redirects and method rules.
//! - [`proxy`]: `-x` proxies (absolute-form requests, refused proxies).
//! - [`tls`]: `https://`: certificates, `-k`, mTLS, handshake timeouts.
//! - [`request_log`]: `--log-requests`: the CSV log agrees with the report; its failures.
//! - [`sweep`]: `vastar sweep`: sweet spot, gates, paired mode, capacity search, one process.
//! - [`merge`]: `vastar merge`: one file reproduced, parts judged on their union, bad input.
//! - [`fleet`]: `--segment` and `--start-at`: N generator processes merged into one test.
//! - [`serve_llm`]: `serve --llm`: the SSE stream of the built-in target, timed off the wire.
//! - [`deploy`]: the Kubernetes Job and `deploy/ssh-fleet.sh` speak the shipped CLI.
//! - [`ws`]: `vastar ws` against a scripted WebSocket server and `serve --ws`.
//!
//! [`support`] holds the scripted server, the command helpers and the test-side report types.

mod ai_bench;
mod cli;
mod deploy;
mod environment;
mod failures;
mod faults;
mod fleet;
mod h2;
mod hey;
mod intervals;
mod merge;
mod output;
mod proxy;
mod rate;
mod redirects;
mod request_log;
mod requests;
mod responses;
mod serve_llm;
mod slo;
mod stream;
mod support;
mod sweep;
mod tls;
mod ws;
