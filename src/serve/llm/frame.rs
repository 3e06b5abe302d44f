//! The bytes of one completion, built once per request so that sending a token is one
//! write of prebuilt bytes: no JSON serialization per event, only one `format!` of each
//! chunk template per request.
//!
//! Streaming answers are Server-Sent Events (`data: {json}` + blank line, one event per HTTP
//! chunk) in OpenAI's chat-completion-chunk shape; non-streaming ones are one
//! `chat.completion` document with `Content-Length`.

use bytes::{BufMut, Bytes, BytesMut};

/// How the body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// HTTP/1.1: `Transfer-Encoding: chunked`, one chunk per event; the connection stays
    /// open unless the client asked to close it.
    Chunked { close: bool },
    /// HTTP/1.0: no chunked encoding, so a stream is delimited by closing the connection.
    UntilClose,
}

/// The identity every chunk of one completion repeats.
#[derive(Debug, Clone)]
pub(super) struct Meta {
    /// `chatcmpl-…`, unique per server run (connection number and request number).
    pub id: String,
    /// Unix seconds.
    pub created: u64,
    /// The model name, already a JSON string literal (quoted and escaped).
    pub model_json: String,
    /// `usage.prompt_tokens`: the prompt's words.
    pub prompt_tokens: u64,
    /// Tokens this completion carries, and its `usage.completion_tokens`.
    pub completion_tokens: u64,
}

/// The token every content event carries.
pub(super) const TOKEN: &str = "tok ";

/// A streaming answer, as the pieces the pacing loop writes.
#[derive(Debug, Clone)]
pub(super) struct Streamed {
    /// Status line and headers: sent as soon as the request is read.
    pub head: Bytes,
    /// The role chunk (`delta: {"role":"assistant"}`), sent at time to first token.
    pub role: Bytes,
    /// One content event; every token is this same event.
    pub content: Bytes,
    /// The `finish_reason: "stop"` chunk, the usage chunk when asked, `data: [DONE]` and
    /// the end of the chunked body: sent together with the last token.
    pub tail: Bytes,
    /// Events in `tail` (2, or 3 with the usage chunk).
    pub tail_events: u64,
}

impl Streamed {
    /// Builds the pieces of one streamed completion.
    pub fn new(meta: &Meta, include_usage: bool, framing: Framing) -> Streamed {
        let head = head(
            "text/event-stream\r\nCache-Control: no-cache",
            framing,
            None,
        );
        // `extra` follows `choices` inside the object (the usage chunk's `usage`).
        let chunk = |choices: &str, extra: &str| {
            format!(
                r#"{{"id":"{}","object":"chat.completion.chunk","created":{},"model":{},"choices":[{choices}]{extra}}}"#,
                meta.id, meta.created, meta.model_json
            )
        };
        let role = chunk(
            r#"{"index":0,"delta":{"role":"assistant"},"finish_reason":null}"#,
            "",
        );
        let content = chunk(
            &format!(r#"{{"index":0,"delta":{{"content":"{TOKEN}"}},"finish_reason":null}}"#),
            "",
        );
        let stop = chunk(r#"{"index":0,"delta":{},"finish_reason":"stop"}"#, "");
        let mut tail = BytesMut::new();
        event(&mut tail, &stop, framing);
        if include_usage {
            let usage = chunk("", &format!(r#","usage":{}"#, usage_json(meta)));
            event(&mut tail, &usage, framing);
        }
        event(&mut tail, "[DONE]", framing);
        if matches!(framing, Framing::Chunked { .. }) {
            tail.put_slice(b"0\r\n\r\n");
        }
        Streamed {
            head,
            role: one_event(&role, framing),
            content: one_event(&content, framing),
            tail: tail.freeze(),
            tail_events: 2 + u64::from(include_usage),
        }
    }
}

/// A non-streaming answer: the head, and the `chat.completion` body.
pub(super) fn whole(meta: &Meta, framing: Framing) -> (Bytes, Bytes) {
    let text = TOKEN.repeat(usize::try_from(meta.completion_tokens).unwrap_or(0));
    let body = format!(
        r#"{{"id":"{}","object":"chat.completion","created":{},"model":{},"choices":[{{"index":0,"message":{{"role":"assistant","content":"{text}"}},"finish_reason":"stop"}}],"usage":{}}}"#,
        meta.id,
        meta.created,
        meta.model_json,
        usage_json(meta)
    );
    (
        head("application/json", framing, Some(body.len())),
        Bytes::from(body),
    )
}

/// The `usage` object.
fn usage_json(meta: &Meta) -> String {
    format!(
        r#"{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{}}}"#,
        meta.prompt_tokens,
        meta.completion_tokens,
        meta.prompt_tokens.saturating_add(meta.completion_tokens)
    )
}

/// The response head; `length` switches from streaming to `Content-Length` framing.
fn head(content_type: &str, framing: Framing, length: Option<usize>) -> Bytes {
    let body = match length {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None if matches!(framing, Framing::Chunked { .. }) => {
            "Transfer-Encoding: chunked\r\n".into()
        }
        None => String::new(),
    };
    let connection = match framing {
        Framing::Chunked { close: false } => "",
        // HTTP/1.0 clients of this server are always answered and then closed.
        Framing::Chunked { close: true } | Framing::UntilClose => "Connection: close\r\n",
    };
    format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{body}{connection}\r\n").into()
}

fn one_event(data: &str, framing: Framing) -> Bytes {
    let mut out = BytesMut::new();
    event(&mut out, data, framing);
    out.freeze()
}

/// Appends `data: {data}\n\n`, as one HTTP chunk when the body is chunked.
fn event(out: &mut BytesMut, data: &str, framing: Framing) {
    let len = data.len() + "data: \n\n".len();
    if matches!(framing, Framing::Chunked { .. }) {
        out.put_slice(format!("{len:x}\r\n").as_bytes());
    }
    out.put_slice(b"data: ");
    out.put_slice(data.as_bytes());
    out.put_slice(b"\n\n");
    if matches!(framing, Framing::Chunked { .. }) {
        out.put_slice(b"\r\n");
    }
}
