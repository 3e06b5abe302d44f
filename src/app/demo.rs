//! `vastar demo`: the built-in target on a free loopback port, benchmarked by the same
//! run any URL gets, so a newcomer sees a whole report with nothing else installed.

use std::time::Duration;

use bytes::Bytes;

use super::{measure_and_report_as, AppError};
use crate::cli::build::UsageError;
use crate::cli::DemoArgs;
use crate::config::{RunConfig, StopAt, WsCadence, WsConfig};
use crate::report::model::ReportOptions;
use crate::serve::{Background, ServeConfig, WsMode};
use crate::url::Target;

pub(super) fn demo(args: &DemoArgs) -> Result<i32, AppError> {
    if args.concurrency == 0 {
        return Err(UsageError("-c must be at least 1".into()).into());
    }
    let cert = match args.https {
        true => Some(crate::serve::tls::self_signed(None).map_err(AppError::Serve)?),
        false => None,
    };
    let serve_config = ServeConfig {
        tls: cert.as_ref().map(|c| c.config.clone()),
        http2: args.http2,
        llm: args.llm.then_some(DEMO_LLM),
        ws: args.ws.then_some(WsMode::Batch(DEMO_WS_BATCH)),
        ..ServeConfig::default()
    };
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let server = Background::start(loopback, serve_config, 1)
        .map_err(|e| AppError::Serve(format!("cannot start the built-in target: {e}")))?;
    let scheme = match (args.https, args.ws) {
        (false, false) => "http",
        (true, false) => "https",
        (false, true) => "ws",
        (true, true) => "wss",
    };
    let path = if args.llm { "v1/chat/completions" } else { "" };
    let url = format!("{scheme}://{}/{path}", server.addr());
    let unit = if args.ws { "sessions" } else { "connections" };
    eprintln!(
        "vastar demo: built-in target at {url}, {} {unit} for {:?}",
        args.concurrency, args.duration
    );
    let mut config = demo_config(&url, args)?;
    if args.ws {
        config.ws = Some(demo_sessions());
    }
    if args.http2 {
        config.http2 = true;
        config.streams = DEMO_STREAMS;
    }
    if args.llm {
        ask_for_a_stream(&mut config.request);
        config.stream_metrics = true;
    }
    // The run trusts exactly the certificate the target was just given.
    config.tls.extra_roots_pem = cert.map(|c| c.cert_pem.into_bytes());
    let output = args.output.into();
    // `demo --llm` reports like the `ai-bench` run it is, stream metrics included.
    let model = args.llm.then_some(DEMO_MODEL);
    measure_and_report_as(
        &config,
        &ReportOptions::default(),
        output,
        args.color,
        |params| {
            if let Some(model) = model {
                params.model = Some(model.into());
                params.prompts = Some(1);
            }
        },
    )
}

/// Streams per connection of `vastar demo --http2`: h2load's usual `-m 10`.
const DEMO_STREAMS: usize = 10;

/// The simulated model of `vastar demo --llm`: 100 ms to the first token, then 20 tokens
/// 20 ms apart, so a 3 s demo completes several streams per connection.
const DEMO_LLM: crate::serve::LlmConfig = crate::serve::LlmConfig {
    ttft: std::time::Duration::from_millis(100),
    itl: std::time::Duration::from_millis(20),
    tokens: 20,
    jitter_pct: 0.0,
};

/// The model `vastar demo --llm` asks for (the target echoes any).
const DEMO_MODEL: &str = "vastar-llm";

/// Turns the demo's GET into what `vastar ai-bench --model vastar-llm --prompt "Say hello."`
/// sends: a streaming chat completion request that asks for usage.
fn ask_for_a_stream(request: &mut crate::config::RequestSpec) {
    use crate::cli::prompts;
    request.method = "POST".into();
    request
        .headers
        .push(("Content-Type".into(), "application/json".into()));
    request.body = prompts::chat_body(DEMO_MODEL, &prompts::of_text("Say hello."), None);
}

/// How often `vastar demo --ws`'s target answers each session: a speech-to-text server's
/// flush, shortened so a 3 s demo sees many.
const DEMO_WS_BATCH: Duration = Duration::from_millis(200);

/// What `vastar demo --ws` sends: `vastar ws --every 20ms --frame-size 640 --binary
/// --ack-field newest_frame_seq --ack-field oldest_frame_seq`, 16 kHz audio's frames of
/// silence, as the speech-to-text report's load generator does.
fn demo_sessions() -> WsConfig {
    WsConfig {
        messages: vec![Bytes::from_static(&[0; 640])],
        binary: true,
        cadence: WsCadence::Every(Duration::from_millis(20)),
        ack_fields: vec!["newest_frame_seq".into(), "oldest_frame_seq".into()],
        warmup: Duration::ZERO,
        ramp: Duration::ZERO,
    }
}

fn demo_config(url: &str, args: &DemoArgs) -> Result<RunConfig, AppError> {
    let parse = if args.ws {
        Target::parse_ws
    } else {
        Target::parse
    };
    let target = parse(url).map_err(|e| UsageError(e.to_string()))?;
    Ok(RunConfig::get(
        target,
        StopAt::Duration(args.duration),
        args.concurrency,
    ))
}
