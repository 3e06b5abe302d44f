//! What an OpenAI-style request body asks of `vastar serve --llm`: stream or not, usage or
//! not, how many tokens at most, which model, and a rough prompt size.
//!
//! Lenient by design: the target exists to be measured, not to validate clients, so a body
//! that is missing, not JSON or of an unexpected shape is answered with the defaults (a
//! non-streaming completion of the configured length) instead of an error.

use serde::Deserialize;
use serde_json::Value;

/// Model name echoed when the request names none.
pub(super) const DEFAULT_MODEL: &str = "vastar-llm";

/// The facts of one request the answer depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ask {
    /// `"stream": true`: answer with Server-Sent Events, else one JSON document.
    pub stream: bool,
    /// `"stream_options": {"include_usage": true}`: send a usage chunk before `[DONE]`.
    pub include_usage: bool,
    /// The smaller of `max_tokens` and `max_completion_tokens`, when either is given.
    pub max_tokens: Option<u64>,
    /// The model to echo.
    pub model: String,
    /// Whitespace-separated words of every prompt text: a tokenizer-free stand-in for the
    /// prompt's token count, reported as `usage.prompt_tokens`.
    pub prompt_tokens: u64,
}

/// The request fields read; everything else is ignored.
#[derive(Debug, Default, Deserialize)]
struct Body {
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    max_tokens: Option<u64>,
    max_completion_tokens: Option<u64>,
    model: Option<String>,
    /// Chat completions: `[{"role": ..., "content": "..." or [{"type":"text","text":...}]}]`.
    messages: Option<Vec<Value>>,
    /// Text completions: a string or a list of strings.
    prompt: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct StreamOptions {
    include_usage: Option<bool>,
}

/// Reads a request body; any body it cannot read yields the defaults.
pub(super) fn parse(body: &[u8]) -> Ask {
    let body: Body = serde_json::from_slice(body).unwrap_or_default();
    let max_tokens = match (body.max_tokens, body.max_completion_tokens) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut prompt_tokens = 0;
    for message in body.messages.iter().flatten() {
        prompt_tokens += words(message.get("content").unwrap_or(&Value::Null));
    }
    prompt_tokens += body.prompt.as_ref().map_or(0, words);
    Ask {
        stream: body.stream.unwrap_or(false),
        include_usage: body
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
        max_tokens,
        model: body.model.unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
        prompt_tokens,
    }
}

/// Words in a prompt value: a string, a list of strings, or content parts with `text`.
fn words(value: &Value) -> u64 {
    match value {
        Value::String(s) => s.split_whitespace().count() as u64,
        Value::Array(items) => items.iter().map(words).sum(),
        Value::Object(part) => part.get("text").map_or(0, words),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streaming_chat_request_is_read() {
        let ask = parse(
            br#"{"model":"m-1","stream":true,"stream_options":{"include_usage":true},
                "max_tokens":7,"messages":[{"role":"system","content":"be brief"},
                {"role":"user","content":[{"type":"text","text":"say three words"}]}]}"#,
        );
        assert_eq!(
            ask,
            Ask {
                stream: true,
                include_usage: true,
                max_tokens: Some(7),
                model: "m-1".into(),
                prompt_tokens: 5,
            }
        );
    }

    #[test]
    fn the_smaller_token_limit_wins() {
        let ask = parse(br#"{"max_tokens":9,"max_completion_tokens":4}"#);
        assert_eq!(ask.max_tokens, Some(4));
        assert_eq!(parse(br#"{"max_completion_tokens":3}"#).max_tokens, Some(3));
    }

    #[test]
    fn text_prompts_count_too() {
        assert_eq!(parse(br#"{"prompt":["a b","c"]}"#).prompt_tokens, 3);
        assert_eq!(parse(br#"{"prompt":"one two"}"#).prompt_tokens, 2);
    }

    #[test]
    fn anything_unreadable_gets_the_defaults() {
        for body in [&b""[..], b"not json", b"[1,2]", br#"{"stream":"yes"}"#] {
            let ask = parse(body);
            assert!(!ask.stream && !ask.include_usage, "{body:?}");
            assert_eq!((ask.model.as_str(), ask.max_tokens), (DEFAULT_MODEL, None));
        }
    }
}
