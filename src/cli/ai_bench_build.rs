//! From `ai-bench` flags to a validated [`RunConfig`]: the flat form's own validation
//! ([`build::run_config`]), then the chat-completion request on top of it.
//!
//! The only I/O is reading the `--prompts` file; the API key comes in as an argument (the
//! caller reads `OPENAI_API_KEY`), so this stays testable without touching the environment.

use std::path::Path;

use bytes::Bytes;

use super::build::{self, UsageError};
use super::prompts::{self, Messages};
use super::AiBenchArgs;
use crate::config::RunConfig;

/// Where requests go when the URL names no path.
pub const DEFAULT_PATH: &str = "/v1/chat/completions";

/// A validated `ai-bench` run, with what its report's params add to the run's.
#[derive(Debug)]
pub struct AiBench {
    pub config: RunConfig,
    /// `--model`, for `params.model`.
    pub model: String,
    /// How many prompts take turns, for `params.prompts`.
    pub prompts: usize,
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Validates `ai-bench`'s flags; `env_key` is `OPENAI_API_KEY`, used when `--api-key` is
/// not given.
pub fn ai_bench_config(args: &AiBenchArgs, env_key: Option<String>) -> Result<AiBench, UsageError> {
    let request = &args.run.request;
    if request.body.is_some() || request.body_file.is_some() {
        return Err(usage(
            "ai-bench builds the request body from --model and --prompt/--prompts; drop -d/-D",
        ));
    }
    if !["GET", "POST"].contains(&request.method.to_ascii_uppercase().as_str()) {
        return Err(usage("ai-bench always sends POST; drop -m"));
    }
    if args.model.trim().is_empty() {
        return Err(usage("--model must not be empty"));
    }
    let prompts = match (&args.prompt, &args.prompts) {
        (_, Some(path)) => read_prompts(path)?,
        (Some(text), None) => vec![prompts::of_text(text)],
        (None, None) => return Err(usage("ai-bench needs --prompt TEXT or --prompts FILE")),
    };
    let mut config = build::run_config_as(&args.run, true)?;
    default_path(&mut config);
    let mut bodies = prompts
        .iter()
        .map(|m| prompts::chat_body(&args.model, m, args.max_tokens));
    config.request.method = "POST".into();
    config.request.body = bodies.next().unwrap_or_default();
    config.request.extra_bodies = bodies.collect::<Vec<Bytes>>();
    let key = args.api_key.clone().or(env_key).filter(|k| !k.is_empty());
    headers(&mut config, key.as_deref(), explicit_accept_encoding(args))?;
    Ok(AiBench {
        config,
        model: args.model.clone(),
        prompts: prompts.len(),
    })
}

/// Reads and parses `--prompts`; errors name the file (and the line).
fn read_prompts(path: &Path) -> Result<Vec<Messages>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read --prompts {}: {e}", path.display())))?;
    prompts::parse_jsonl(&text).map_err(|e| usage(format!("--prompts {}: {e}", path.display())))
}

/// A URL without a path (`http://host:8000`, or just `/`) means the chat endpoint.
fn default_path(config: &mut RunConfig) {
    let target = &mut config.target;
    if target.path_and_query == "/" {
        target.path_and_query = DEFAULT_PATH.into();
        target.display = format!("{}{DEFAULT_PATH}", target.display.trim_end_matches('/'));
    }
}

/// Whether `-H` named `Accept-Encoding` (then it is sent as given).
fn explicit_accept_encoding(args: &AiBenchArgs) -> bool {
    args.run.request.headers.iter().any(|h| {
        h.split_once(':')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("accept-encoding"))
    })
}

/// JSON content type and the bearer key, unless `-T`/`-H` (or `-a`) already set them; no
/// gzip unless `-H` asked for it, so the event stream arrives as the server writes it.
/// Error messages never quote the key.
fn headers(
    config: &mut RunConfig,
    key: Option<&str>,
    keep_encoding: bool,
) -> Result<(), UsageError> {
    let headers = &mut config.request.headers;
    let has = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !has(headers, "content-type") {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    if let Some(key) = key {
        if key.bytes().any(|b| b < b' ' || b == 0x7f) {
            return Err(usage(
                "invalid API key (--api-key or OPENAI_API_KEY): control characters are not allowed",
            ));
        }
        if !has(headers, "authorization") {
            headers.push(("Authorization".into(), format!("Bearer {key}")));
        }
    }
    if !keep_encoding {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("accept-encoding"));
        config.compression = false;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
