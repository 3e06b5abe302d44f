//! What one event's data says: content or not, the end, an error, the usage.
//!
//! Per event this is a byte scan, not a JSON parse: the keys we need (`"content"`,
//! `"text"`, `"error"`, `"completion_tokens"`) are searched for as quoted keys, which inside
//! a JSON string would appear escaped (`\"content\"`) and so cannot be mistaken for them.
//! Only the rare events that carry `"error"` or `"completion_tokens"` are parsed with
//! serde_json (borrowing, skipping every other field), so a token chunk costs no allocation.

use serde::de::IgnoredAny;
use serde::Deserialize;

/// What one event is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Class {
    /// An OpenAI-shaped chunk (a JSON object with `"choices"`).
    pub openai: bool,
    /// A content event (see the module `stream` for the definition).
    pub content: bool,
    /// The terminal `[DONE]`.
    pub done: bool,
    /// A JSON object with a non-null top-level `"error"`.
    pub error: bool,
    /// `usage.completion_tokens`, when the event carries it.
    pub usage_tokens: Option<u64>,
}

/// Classifies one event's data.
pub(crate) fn classify(data: &[u8]) -> Class {
    let data = data.trim_ascii();
    if data == b"[DONE]" {
        return Class {
            done: true,
            ..Class::default()
        };
    }
    let object = data.first() == Some(&b'{');
    let openai = object && find(data, b"\"choices\"").is_some();
    let content = if openai {
        has_text(data, b"\"content\"") || has_text(data, b"\"text\"")
    } else {
        !data.is_empty()
    };
    let error = object && find(data, b"\"error\"").is_some() && top_level_error(data);
    let usage_tokens = if object && find(data, b"\"completion_tokens\"").is_some() {
        usage_tokens(data)
    } else {
        None
    };
    Class {
        openai,
        content: content && !error,
        done: false,
        error,
        usage_tokens,
    }
}

/// Whether some `key` in `data` has a non-empty string value.
fn has_text(data: &[u8], key: &[u8]) -> bool {
    let mut rest = data;
    while let Some(at) = find(rest, key) {
        rest = rest.get(at + key.len()..).unwrap_or_default();
        let after = rest.trim_ascii_start();
        if let Some(value) = after.strip_prefix(b":") {
            let value = value.trim_ascii_start();
            if value.first() == Some(&b'"') && value.get(1).is_some_and(|&b| b != b'"') {
                return true;
            }
        }
    }
    false
}

/// Index of the first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(i) = hay.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if hay.get(at..at + needle.len()) == Some(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A chunk's top-level `error`, if any (every other field skipped).
#[derive(Deserialize)]
struct WithError {
    #[serde(default)]
    error: Option<IgnoredAny>,
}

/// A chunk's `usage.completion_tokens`, if any.
#[derive(Deserialize)]
struct WithUsage {
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    completion_tokens: Option<u64>,
}

fn top_level_error(data: &[u8]) -> bool {
    serde_json::from_slice::<WithError>(data).is_ok_and(|w| w.error.is_some())
}

fn usage_tokens(data: &[u8]) -> Option<u64> {
    serde_json::from_slice::<WithUsage>(data)
        .ok()?
        .usage?
        .completion_tokens
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn openai_chunks_are_content_only_with_text() {
        let role = br#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#;
        assert!(classify(role).openai && !classify(role).content);
        let null = br#"{"choices":[{"delta":{"content":null}}]}"#;
        assert!(!classify(null).content);
        let token = br#"{"choices":[{"delta":{"content" : "Hi"}}]}"#;
        assert!(classify(token).content);
        let text = br#"{"choices":[{"text":"x","index":0}]}"#;
        assert!(classify(text).content);
        let quoted = br#"{"choices":[{"delta":{"content":"say \"content\":\"\""}}]}"#;
        assert!(classify(quoted).content);
    }

    #[test]
    fn usage_done_and_errors_are_read() {
        let usage = br#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":17}}"#;
        let c = classify(usage);
        assert_eq!(c.usage_tokens, Some(17));
        assert!(c.openai && !c.content);
        assert!(classify(b" [DONE] ").done);
        let err = br#"{"error":{"message":"overloaded"}}"#;
        assert!(classify(err).error && !classify(err).content);
        assert!(!classify(br#"{"error":null,"x":1}"#).error);
        let finish = br#"{"choices":[{"delta":{},"finish_reason":"error"}]}"#;
        assert!(!classify(finish).error);
    }

    #[test]
    fn generic_data_is_content_when_not_empty() {
        assert!(classify(b"hello").content);
        assert!(!classify(b"  ").content);
        assert!(!classify(b"hello").openai);
    }
}
