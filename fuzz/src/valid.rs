//! Valid responses built from fuzzer bytes, with the outcome RFC 9112 says they must parse to.
//!
//! The same model as the proptest generator beside the parser (`src/http1/response/tests.rs`),
//! driven by raw bytes instead: interim 1xx heads, HTTP/1.0 or 1.1, `Connection` tokens, extra
//! header fields, and a body framed by Content-Length, chunked (sizes, extensions, case,
//! trailers) or close. A response not delimited by close is followed by the start of another
//! response, which must not be consumed.

use super::Outcome;

/// A valid response and what parsing it must report.
#[derive(Debug, Clone)]
pub struct Valid {
    pub bytes: Vec<u8>,
    pub head_request: bool,
    /// The body ends when the peer closes: feed EOF after the bytes.
    pub eof: bool,
    pub expected: Outcome,
}

/// Reads shape decisions from the fuzzer's bytes; zeros once they run out.
struct Seed<'a>(&'a [u8]);

impl Seed<'_> {
    fn byte(&mut self) -> u8 {
        let (&first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        first
    }

    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[usize::from(self.byte()) % choices.len()]
    }

    /// The rest of the seed, at most `max` bytes.
    fn rest(&mut self, max: usize) -> Vec<u8> {
        let take = self.0.len().min(max);
        let (taken, rest) = self.0.split_at(take);
        self.0 = rest;
        taken.to_vec()
    }
}

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length,
    Chunked,
    Close,
}

const STATUSES: [u16; 9] = [200, 201, 204, 206, 301, 304, 404, 500, 503];
const CONNECTION: [&str; 3] = ["", "Connection: close\r\n", "Connection: keep-alive\r\n"];
const NAMES: [&str; 5] = ["X-A", "Server", "Date", "Content-Type", "x-trace-id"];
const VALUE_BYTES: &[u8] = b"abcXYZ019 -;=,/\t";
const EXTENSIONS: [&str; 5] = ["", ";a", ";name=\"v;x\"; flag", " ;b=1", "\t;c=\"\""];

/// A header field line that affects neither framing nor persistence.
fn header(seed: &mut Seed<'_>) -> String {
    let name = seed.pick(&NAMES);
    let len = usize::from(seed.byte() % 16);
    let value: String = (0..len)
        .map(|_| char::from(seed.pick(VALUE_BYTES)))
        .collect();
    format!("{name}: {}\r\n", value.trim_matches([' ', '\t']))
}

/// Builds a valid response from `seed` and the outcome it must parse to.
pub fn build(seed: &[u8]) -> Valid {
    let mut seed = Seed(seed);
    let shape = seed.byte();
    let (v10, head_request, upper) = (shape & 1 != 0, shape & 2 != 0, shape & 4 != 0);
    let framing = [Framing::Length, Framing::Chunked, Framing::Close][usize::from(shape >> 3) % 3];
    let connection = seed.pick(&CONNECTION);
    let status = seed.pick(&STATUSES);
    let mut out = Vec::new();
    for _ in 0..seed.byte() % 3 {
        let code = seed.pick(&[100u16, 102, 103]);
        out.extend(format!("HTTP/1.1 {code} Interim\r\n{}\r\n", header(&mut seed)).bytes());
    }
    let version = if v10 { "1.0" } else { "1.1" };
    out.extend(format!("HTTP/{version} {status} Reason\r\n{connection}").bytes());
    for _ in 0..seed.byte() % 4 {
        out.extend(header(&mut seed).bytes());
    }
    let (framed, payload) = match framing {
        Framing::Chunked => chunked_body(&mut seed, upper, &mut out),
        Framing::Length => {
            let body = seed.rest(2048);
            out.extend(format!("Content-Length: {}\r\n\r\n", body.len()).bytes());
            (body.clone(), body.len())
        }
        Framing::Close => {
            out.extend_from_slice(b"\r\n");
            let body = seed.rest(2048);
            (body.clone(), body.len())
        }
    };
    let no_body = head_request || status == 204 || status == 304;
    if !no_body {
        out.extend_from_slice(&framed);
    }
    let close_delimited = framing == Framing::Close && !no_body;
    // RFC 9112 §9.3: 1.1 persists unless told to close, 1.0 only if told to keep alive;
    // §6.1: Transfer-Encoding in a 1.0 response forbids reuse.
    let closes = if v10 {
        !connection.contains("keep-alive")
    } else {
        connection.contains("close")
    };
    let chunked_1_0 = v10 && framing == Framing::Chunked;
    let persistent = !(closes || chunked_1_0 || close_delimited);
    let expected = Outcome {
        status: Some(status),
        version: Some(u8::from(!v10)),
        body: if no_body { 0 } else { payload as u64 },
        keep_alive: persistent,
        consumed: out.len(),
        complete: true,
    };
    if !close_delimited {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n"); // the next response: not consumed
    }
    Valid {
        bytes: out,
        head_request,
        eof: close_delimited,
        expected,
    }
}

/// Appends the chunked framing fields and blank line to `head`; returns the encoded body
/// and its payload length.
fn chunked_body(seed: &mut Seed<'_>, upper: bool, head: &mut Vec<u8>) -> (Vec<u8>, usize) {
    head.extend_from_slice(b"Transfer-Encoding: gzip, chunked\r\n\r\n");
    let mut out = Vec::new();
    let mut payload = 0;
    for _ in 0..seed.byte() % 6 {
        let size = 1 + usize::from(seed.byte() % 64);
        let ext = seed.pick(&EXTENSIONS);
        let hex = if upper {
            format!("{size:X}")
        } else {
            format!("{size:x}")
        };
        out.extend(format!("{hex}{ext}\r\n").bytes());
        out.extend(std::iter::repeat_n(b'c', size));
        out.extend_from_slice(b"\r\n");
        payload += size;
    }
    out.extend_from_slice(b"0\r\n");
    for _ in 0..seed.byte() % 3 {
        out.extend(header(seed).bytes());
    }
    out.extend_from_slice(b"\r\n");
    (out, payload)
}
