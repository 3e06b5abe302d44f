//! Flags of `vastar ai-bench`: an OpenAI-compatible chat-completions load test. Every
//! flat-form flag applies (they are the same [`RunArgs`], flattened); these add what the
//! request body is built from.

use std::path::PathBuf;

use clap::Args;

use super::RunArgs;

/// How `ai-bench` builds its requests, shown under `vastar ai-bench --help`.
pub const AI_BENCH_HELP: &str = "\
Each request is a POST of an OpenAI-compatible streaming chat completion:
  {\"model\":M,\"messages\":[{\"role\":\"user\",\"content\":PROMPT}],\"max_tokens\":N,
   \"stream\":true,\"stream_options\":{\"include_usage\":true}}
with Content-Type: application/json and, from --api-key or OPENAI_API_KEY, Authorization:
Bearer KEY (never printed; -H Authorization: ... replaces it). A URL without a path
(http://host:8000) is sent to /v1/chat/completions. Accept-Encoding: gzip is not sent, so
the event stream arrives as the server writes it.

With --prompts, requests take the prompts in turn: each worker thread goes round robin
over the file, so every prompt is sent n/K times, give or take one per worker.";

/// Flags of `vastar ai-bench`.
#[derive(Debug, Args)]
#[command(after_help = AI_BENCH_HELP)]
pub struct AiBenchArgs {
    /// Model name sent in every request ("model").
    #[arg(long, value_name = "MODEL")]
    pub model: String,
    /// The prompt every request sends, as the user message.
    #[arg(
        long,
        value_name = "TEXT",
        required_unless_present = "prompts",
        conflicts_with = "prompts"
    )]
    pub prompt: Option<String>,
    /// Prompts that take turns across requests, as JSON Lines: each line a JSON string
    /// (the prompt), or an object with "prompt" (a string) or "messages" (a chat array,
    /// sent as is). Blank lines are skipped.
    #[arg(long, value_name = "FILE.jsonl")]
    pub prompts: Option<PathBuf>,
    /// Most tokens each completion may generate ("max_tokens") [default: left out, the
    /// server's default applies].
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,
    /// API key sent as "Authorization: Bearer KEY" [default: $OPENAI_API_KEY]. Never
    /// printed, in the report or in errors.
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
}
