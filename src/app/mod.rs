//! Wiring: parsed command line in, exit code out.
//!
//! This is the one place where errors become messages and exit codes (documented in
//! `cli::EXIT_CODES`): every failure prints exactly one line on stderr. Process set-up
//! (signals, open-file limit) lives in [`session`], apart from the measure of a run.

mod demo;
mod merge;
mod session;
mod signals;

use std::io::{IsTerminal, Write};

use thiserror::Error;

use crate::cli::build::{self, UsageError};
use crate::cli::{ColorChoice, Command, RunArgs, RunOutput, ServeArgs, SweepArgs};
use crate::config::RunConfig;
use crate::engine::{self, EngineError};
use crate::report::model::{Report, ReportOptions};
use crate::report::{csv, json, text};
use crate::serve::{Background, ServeConfig, Stall};

/// Exit code of a completed run.
pub const EXIT_OK: i32 = 0;
/// Exit code of a completed run that failed an `--slo` gate (the report is still printed).
pub const EXIT_SLO_FAILED: i32 = 1;
/// Exit code for bad usage or bad input.
pub const EXIT_USAGE: i32 = 2;
/// Exit code when nothing could be measured (or the report could not be written).
pub const EXIT_UNMEASURABLE: i32 = 3;
/// Exit code after Ctrl-C (128 + SIGINT), as shells expect.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit code after SIGTERM (128 + SIGTERM): CI cancellation, `timeout`, `docker stop`.
pub const EXIT_TERMINATED: i32 = 143;

pub use session::Session;

/// Everything that ends a command early.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Serve(String),
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    /// Writing `--log-requests` failed (its path, the error); the report was printed.
    #[error("cannot write --log-requests file {0}: {1}")]
    RequestLog(String, String),
    #[error(transparent)]
    Sweep(#[from] crate::sweep::SweepError),
    #[error(transparent)]
    Merge(#[from] merge::MergeFailure),
}

impl AppError {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) | AppError::Merge(_) => EXIT_USAGE,
            // A report that cannot be written is, for a script, a run that measured nothing.
            AppError::Engine(_)
            | AppError::Serve(_)
            | AppError::Output(_)
            | AppError::RequestLog(..)
            | AppError::Sweep(_) => EXIT_UNMEASURABLE,
        }
    }
}

/// Runs a parsed command and returns its exit code.
pub fn run(command: Option<Command>, args: RunArgs) -> Result<i32, AppError> {
    match command {
        None => load(&args),
        Some(Command::Demo(demo_args)) => demo::demo(&demo_args),
        Some(Command::Serve(serve_args)) => serve(&serve_args),
        Some(Command::Sweep(sweep_args)) => sweep(&sweep_args),
        Some(Command::Merge(merge_args)) => merge::run(&merge_args),
        Some(Command::AiBench(ai_args)) => ai_bench(&ai_args),
        Some(Command::Ws(ws_args)) => ws(&ws_args),
    }
}

/// `vastar ws`: WebSocket sessions through the same engine and reports.
fn ws(args: &crate::cli::WsArgs) -> Result<i32, AppError> {
    let config = crate::cli::ws_build::ws_config(args)?;
    warn_if_insecure(&config);
    measure_and_report(
        &config,
        &ReportOptions::default(),
        args.output.into(),
        args.color,
    )
}

/// `vastar ai-bench`: the flat form's run with a chat-completion request; the API key from
/// `--api-key`, else `OPENAI_API_KEY`.
fn ai_bench(args: &crate::cli::AiBenchArgs) -> Result<i32, AppError> {
    let env_key = std::env::var("OPENAI_API_KEY").ok();
    let ai = crate::cli::ai_bench_build::ai_bench_config(args, env_key)?;
    let options = build::report_options(&args.run);
    warn_if_insecure(&ai.config);
    let (output, color) = (args.run.output, args.run.color);
    measure_and_report_as(&ai.config, &options, output, color, |params| {
        params.model = Some(ai.model.clone());
        params.prompts = Some(ai.prompts);
    })
}

/// `vastar sweep`: validate, run every level, map how it ended to an exit code.
fn sweep(args: &SweepArgs) -> Result<i32, AppError> {
    use crate::sweep::Outcome;
    let config = crate::cli::sweep_build::sweep_config(args)?;
    warn_if_insecure(&config.base);
    Ok(match crate::sweep::execute(&config)? {
        Outcome::Found => EXIT_OK,
        Outcome::NoneQualified => EXIT_SLO_FAILED,
        Outcome::Interrupted(code) => code,
    })
}

fn load(args: &RunArgs) -> Result<i32, AppError> {
    let config = build::run_config(args)?;
    let options = build::report_options(args);
    warn_if_insecure(&config);
    measure_and_report(&config, &options, args.output, args.color)
}

/// `-k` on an `https://` run: one line, so nobody mistakes the run for a verified one.
fn warn_if_insecure(config: &RunConfig) {
    if config.tls.insecure && config.target.scheme == crate::url::Scheme::Https {
        eprintln!("vastar: warning: -k: the server's certificate is not verified");
    }
}

fn measure_and_report(
    config: &RunConfig,
    options: &ReportOptions,
    output: RunOutput,
    color: ColorChoice,
) -> Result<i32, AppError> {
    measure_and_report_as(config, options, output, color, |_| {})
}

/// [`measure_and_report`] with the result's params completed by `annotate`: what a command
/// adds to the run's own (`ai-bench`'s model and prompt count).
fn measure_and_report_as(
    config: &RunConfig,
    options: &ReportOptions,
    output: RunOutput,
    color: ColorChoice,
    annotate: impl FnOnce(&mut crate::results::params::Params),
) -> Result<i32, AppError> {
    let session = Session::start();
    session.reserve(config.concurrency)?;
    let addrs = engine::resolve(config)?;
    let mut result = session.measure(config, &addrs)?;
    annotate(&mut result.params);
    let report = Report::of(result, options);
    write_report(&report, output, color)?;
    if let Some(log) = &config.request_log {
        if let Some(failure) = log.failure() {
            return Err(AppError::RequestLog(
                log.path().display().to_string(),
                failure,
            ));
        }
    }
    Ok(exit_code(session.interrupt_exit_code(), &report))
}

/// An interrupted run is no verdict, so its signal's code wins over a failed gate.
fn exit_code(interrupted: Option<i32>, report: &Report) -> i32 {
    match (interrupted, &report.slo) {
        (Some(code), _) => code,
        (None, Some(outcome)) if !outcome.passed => EXIT_SLO_FAILED,
        (None, _) => EXIT_OK,
    }
}

fn write_report(report: &Report, output: RunOutput, color: ColorChoice) -> Result<(), AppError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match output {
        RunOutput::Json => json::render(report, &mut out),
        RunOutput::CsvIntervals => csv::render_intervals(report, &mut out),
        RunOutput::Text => text::render(
            report,
            text::TextStyle {
                color: use_color(color),
            },
            &mut out,
        ),
    }
    .and_then(|()| out.flush());
    match written {
        // A closed pipe (`vastar ... | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(AppError::Output),
    }
}

/// Colors only for a terminal, unless the user says otherwise; `NO_COLOR` (no-color.org)
/// and `TERM=dumb` turn them off in auto mode.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => crate::report::color::auto_enabled(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        ),
    }
}

fn serve(args: &ServeArgs) -> Result<i32, AppError> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        return Err(UsageError("--threads must be at least 1".into()).into());
    }
    let stall = match (args.stall_every, args.stall) {
        (Some(0), _) => return Err(UsageError("--stall-every must be at least 1".into()).into()),
        (Some(every), Some(duration)) => Some(Stall { every, duration }),
        _ => None,
    };
    if args.max_inflight == Some(0) {
        return Err(UsageError("--max-inflight must be at least 1".into()).into());
    }
    let config = ServeConfig {
        body_size: args.body_size,
        delay: args.delay,
        chunked: args.chunked,
        stall,
        max_inflight: args.max_inflight,
        tls: None,
        http2: args.http2,
        llm: crate::cli::serve_build::llm_config(args)?,
        ws: crate::cli::serve_build::ws_mode(args),
    };
    let (config, certificate) = with_tls(config, args.tls)?;
    let server = Background::start(args.addr, config, threads)
        .map_err(|e| AppError::Serve(format!("cannot listen on {}: {e}", args.addr)))?;
    let ws = ws_scheme(args);
    match certificate {
        Some(pem) => eprintln!(
            "vastar serve: listening on {}s://{}/ with a self-signed certificate: --cacert {} (Ctrl-C to stop)",
            ws.unwrap_or("http"),
            server.addr(),
            pem.display()
        ),
        None if ws.is_some() => eprintln!(
            "vastar serve: listening on ws://{}/ (WebSocket only; Ctrl-C to stop)",
            server.addr()
        ),
        None => eprintln!(
            "vastar serve: listening on http://{}/{} (Ctrl-C to stop)",
            server.addr(),
            if args.llm { "v1/chat/completions" } else { "" }
        ),
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::Serve(e.to_string()))?;
    let _ = runtime.block_on(tokio::signal::ctrl_c());
    let stats = std::sync::Arc::clone(server.stats());
    drop(server);
    if args.llm {
        print_llm_counts(&stats);
    }
    if ws.is_some() {
        print_ws_counts(&stats);
    }
    Ok(EXIT_OK)
}

/// `Some("ws")` when `serve` speaks WebSocket (the URL scheme, `s` appended for TLS).
fn ws_scheme(args: &ServeArgs) -> Option<&'static str> {
    (args.ws || args.ws_batch.is_some()).then_some("ws")
}

/// `serve --ws`'s last line, for benchmarks: sessions and messages both ways.
fn print_ws_counts(stats: &crate::serve::ServeStats) {
    use std::sync::atomic::Ordering::Relaxed;
    let sessions = stats.ws_sessions.load(Relaxed);
    let plural = if sessions == 1 { "" } else { "s" };
    eprintln!(
        "vastar serve: {sessions} WebSocket session{plural}, {} messages received, {} sent",
        stats.ws_received.load(Relaxed),
        stats.ws_sent.load(Relaxed)
    );
}

/// `serve --llm`'s last line, for benchmarks: what a client's CPU time per event is
/// divided by.
fn print_llm_counts(stats: &crate::serve::ServeStats) {
    use std::sync::atomic::Ordering::Relaxed;
    let requests = stats.requests.load(Relaxed);
    let plural = if requests == 1 { "" } else { "s" };
    let events = stats.events.load(Relaxed);
    eprintln!("vastar serve: {requests} request{plural}, {events} events sent");
}

/// `serve --tls`: the configuration with a fresh self-signed certificate, and where its PEM
/// was written for clients.
fn with_tls(
    mut config: ServeConfig,
    tls: bool,
) -> Result<(ServeConfig, Option<std::path::PathBuf>), AppError> {
    if !tls {
        return Ok((config, None));
    }
    let cert = crate::serve::tls::self_signed(None).map_err(AppError::Serve)?;
    let pem = crate::serve::tls::write_pem(&std::env::temp_dir(), &cert.cert_pem)
        .map_err(|e| AppError::Serve(format!("cannot write the certificate: {e}")))?;
    config.tls = Some(cert.config);
    Ok((config, Some(pem)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn a_failed_gate_exits_1_unless_a_signal_interrupted_the_run() {
        let failed = fixtures::report_slo_fail();
        assert_eq!(exit_code(None, &failed), EXIT_SLO_FAILED);
        assert_eq!(exit_code(Some(EXIT_INTERRUPTED), &failed), EXIT_INTERRUPTED);
        assert_eq!(exit_code(Some(EXIT_TERMINATED), &failed), EXIT_TERMINATED);
        let passed = fixtures::report_slo_pass();
        assert_eq!(exit_code(None, &passed), EXIT_OK);
        assert_eq!(exit_code(Some(EXIT_INTERRUPTED), &passed), EXIT_INTERRUPTED);
        assert_eq!(exit_code(None, &fixtures::report_errors()), EXIT_OK);
    }
}
