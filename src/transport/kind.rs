//! Why a request failed, as counted data: the vocabulary every protocol reports failures in.

/// Why a request did not produce a response. Per-request failures are data, never `Err`:
/// a load generator pointed at a struggling server must count them and carry on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// The TCP connect failed (refused, unreachable, too many open files, ...).
    Connect,
    /// The TCP connect did not finish within the connect timeout.
    ConnectTimeout,
    /// No complete response within `-t`.
    Timeout,
    /// The server reset the connection while a request was in flight.
    Reset,
    /// The server sent bytes that are not a valid HTTP/1.1 response.
    Malformed,
    /// The server closed the connection before the response was complete.
    Eof,
    /// The request was still in flight when a `-z` run ended and its drain time ran out.
    Aborted,
    /// Any other I/O error on an established connection.
    Io,
    /// The server reset this request's HTTP/2 stream (`RST_STREAM`); its connection lives on.
    ResetStream,
    /// A WebSocket upgrade answered with a status other than 101.
    WsUpgrade,
    /// A WebSocket upgrade answered 101 without the `Sec-WebSocket-Accept` its key asked for.
    WsBadAccept,
    /// The server closed a WebSocket session (a close frame) with a code other than 1000.
    WsClosed,
    /// The server broke the WebSocket framing (bad opcode, unmasked rules, invalid UTF-8 in
    /// a text message, an oversized frame).
    WsProtocol,
    /// A WebSocket message that is not the JSON `--ack-field` expects.
    WsBadMessage,
    /// An ack naming a frame the session never sent (or one too old to remember).
    WsUnknownAck,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::Connect,
        ErrorKind::ConnectTimeout,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Malformed,
        ErrorKind::Eof,
        ErrorKind::Aborted,
        ErrorKind::Io,
        ErrorKind::ResetStream,
        ErrorKind::WsUpgrade,
        ErrorKind::WsBadAccept,
        ErrorKind::WsClosed,
        ErrorKind::WsProtocol,
        ErrorKind::WsBadMessage,
        ErrorKind::WsUnknownAck,
    ];

    /// The stable key used in JSON (`errors.<key>`); never renamed once shipped.
    pub fn key(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Eof => "eof",
            ErrorKind::Aborted => "aborted",
            ErrorKind::Io => "io",
            ErrorKind::ResetStream => "reset_stream",
            ErrorKind::WsUpgrade => "ws_upgrade",
            ErrorKind::WsBadAccept => "ws_bad_accept",
            ErrorKind::WsClosed => "ws_closed",
            ErrorKind::WsProtocol => "ws_protocol",
            ErrorKind::WsBadMessage => "ws_bad_message",
            ErrorKind::WsUnknownAck => "ws_unknown_ack",
        }
    }

    /// A short human description for the text report.
    pub fn describe(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect failed",
            ErrorKind::ConnectTimeout => "connect timed out",
            ErrorKind::Timeout => "request timed out",
            ErrorKind::Reset => "connection reset",
            ErrorKind::Malformed => "malformed response",
            ErrorKind::Eof => "connection closed mid-response",
            ErrorKind::Aborted => "aborted at end of run",
            ErrorKind::Io => "other I/O error",
            ErrorKind::ResetStream => "stream reset by server (RST_STREAM)",
            ErrorKind::WsUpgrade => "WebSocket upgrade refused (status not 101)",
            ErrorKind::WsBadAccept => "WebSocket upgrade with a bad Sec-WebSocket-Accept",
            ErrorKind::WsClosed => "session closed by the server (code not 1000)",
            ErrorKind::WsProtocol => "WebSocket protocol error",
            ErrorKind::WsBadMessage => "message not the JSON expected",
            ErrorKind::WsUnknownAck => "ack names a frame never sent",
        }
    }
}
