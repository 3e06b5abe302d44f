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
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Connect,
        ErrorKind::ConnectTimeout,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Malformed,
        ErrorKind::Eof,
        ErrorKind::Aborted,
        ErrorKind::Io,
        ErrorKind::ResetStream,
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
        }
    }
}
