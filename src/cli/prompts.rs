//! `ai-bench` prompts and the OpenAI-compatible chat-completion bodies built from them.
//!
//! Pure functions of their input (the file is read by the caller), so every escaping and
//! error case is unit-tested here. Bodies are serialized by serde_json, so quotes, control
//! characters and any Unicode in a prompt reach the server as the same string.

use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};

/// The `messages` array of one request: `[{"role":"user","content":PROMPT}]` (serialized
/// with its keys sorted, as serde_json does; JSON objects have no order), or a
/// conversation given as is.
pub type Messages = Value;

/// The messages of a single `--prompt TEXT`.
pub fn of_text(prompt: &str) -> Messages {
    json!([{ "role": "user", "content": prompt }])
}

/// Parses a `--prompts` JSON Lines file: each non-blank line is either a JSON string (the
/// prompt), or an object with `"prompt"` (a string) or `"messages"` (an array, sent as
/// is). Errors name the 1-based line; a file without any prompt is an error too.
pub fn parse_jsonl(text: &str) -> Result<Vec<Messages>, String> {
    let mut prompts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |why: String| format!("line {}: {why}", index + 1);
        let value: Value =
            serde_json::from_str(line).map_err(|e| at(format!("not valid JSON ({e})")))?;
        prompts.push(messages_of(value).map_err(at)?);
    }
    if prompts.is_empty() {
        return Err("no prompts (every line is blank)".into());
    }
    Ok(prompts)
}

/// One JSONL line's value as messages.
fn messages_of(value: Value) -> Result<Messages, String> {
    const EXPECTED: &str =
        "expected a JSON string, or an object with \"prompt\" (a string) or \"messages\" (an array)";
    match value {
        Value::String(prompt) => Ok(of_text(&prompt)),
        Value::Object(mut object) => match (object.remove("messages"), object.remove("prompt")) {
            (Some(messages @ Value::Array(_)), _) => Ok(messages),
            (Some(_), _) => Err("\"messages\" must be an array".into()),
            (None, Some(Value::String(prompt))) => Ok(of_text(&prompt)),
            (None, Some(_)) => Err("\"prompt\" must be a string".into()),
            (None, None) => Err(EXPECTED.into()),
        },
        _ => Err(EXPECTED.into()),
    }
}

/// The body of an OpenAI-compatible streaming `/v1/chat/completions` request, fields in
/// the order the API documents them.
#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a Messages,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    stream: bool,
    stream_options: StreamOptions,
}

/// `stream_options.include_usage`: the server ends the stream with its token counts.
#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// `{"model":M,"messages":...,"max_tokens":N,"stream":true,"stream_options":{"include_usage":true}}`
/// (`max_tokens` left out when `None`: the server's default applies).
pub fn chat_body(model: &str, messages: &Messages, max_tokens: Option<u32>) -> Bytes {
    let request = ChatRequest {
        model,
        messages,
        max_tokens,
        stream: true,
        stream_options: StreamOptions {
            include_usage: true,
        },
    };
    // Serializing strings and JSON values cannot fail.
    Bytes::from(serde_json::to_vec(&request).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_the_documented_streaming_request() {
        let body = chat_body("llama-3", &of_text("Hi"), Some(64));
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"model":"llama-3","messages":[{"content":"Hi","role":"user"}],"max_tokens":64,"stream":true,"stream_options":{"include_usage":true}}"#
        );
        let without = chat_body("m", &of_text("Hi"), None);
        assert!(!std::str::from_utf8(&without)
            .unwrap()
            .contains("max_tokens"));
    }

    #[test]
    fn quotes_controls_and_unicode_survive_the_round_trip() {
        let prompt = "say \"hi\"\\n\tthen\u{0}stop\n— héllo 你好 🦀";
        let body = chat_body("m\"x", &of_text(prompt), None);
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["messages"][0]["content"], prompt);
        assert_eq!(parsed["model"], "m\"x");
        assert!(!body.contains(&b'\n'), "one line on the wire");
    }

    #[test]
    fn jsonl_takes_strings_prompts_and_messages_and_skips_blank_lines() {
        let text = "\"plain\"\n\n   \n{\"prompt\": \"caf\\u00e9\", \"id\": 3}\r\n\
                    {\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, \
                    {\"role\": \"user\", \"content\": \"q\"}]}\n";
        let prompts = parse_jsonl(text).unwrap();
        assert_eq!(prompts.len(), 3);
        assert_eq!(prompts[0], of_text("plain"));
        assert_eq!(prompts[1], of_text("café"));
        assert_eq!(prompts[2][0]["role"], "system");
        assert_eq!(prompts[2][1]["content"], "q");
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let cases = [
            (
                "\"ok\"\n{\"prompt\": \"unterminated\n",
                "line 2: not valid JSON",
            ),
            ("\n\n42\n", "line 3: expected a JSON string"),
            ("{\"text\": \"x\"}", "line 1: expected a JSON string"),
            (
                "\"a\"\n{\"prompt\": 1}",
                "line 2: \"prompt\" must be a string",
            ),
            (
                "{\"messages\": \"x\"}",
                "line 1: \"messages\" must be an array",
            ),
            ("[\"a\"]", "line 1: expected"),
        ];
        for (text, expected) in cases {
            let err = parse_jsonl(text).unwrap_err();
            assert!(err.starts_with(expected), "{text:?}: {err}");
        }
        assert!(parse_jsonl("").unwrap_err().contains("no prompts"));
        assert!(parse_jsonl("\n  \n").unwrap_err().contains("no prompts"));
    }
}
