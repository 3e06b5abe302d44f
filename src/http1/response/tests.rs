//! Byte-level tests of the response parser: one test per RFC 9112 rule, split invariance
//! over a table of responses, and proptest properties over generated responses.

use super::*;
use crate::http1::chunked::ChunkedError;
use proptest::prelude::*;

/// Everything the engine observes about one response.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    status: Option<u16>,
    body: u64,
    keep_alive: bool,
    /// Total bytes that belonged to the response.
    consumed: usize,
    /// Complete (possibly via EOF) rather than still partial.
    complete: bool,
}

/// Feeds `input` cut at `cuts` (sorted), then signals EOF if `eof` and still partial.
fn run_cut(head: bool, input: &[u8], cuts: &[usize], eof: bool) -> Result<Outcome, ParseError> {
    let mut p = ResponseParser::new();
    p.start(head);
    let (mut consumed, mut start, mut complete) = (0, 0, false);
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        match p.feed(&input[start..end])? {
            Progress::Complete { consumed: n } => {
                consumed += n;
                complete = true;
                break;
            }
            Progress::Partial => consumed += end - start,
        }
        start = end;
    }
    if !complete && eof {
        p.finish_on_eof()?;
        complete = true;
    }
    let (status, body, keep_alive) = (p.status(), p.body_bytes(), p.keep_alive());
    Ok(Outcome {
        status,
        body,
        keep_alive,
        consumed,
        complete,
    })
}

fn run(head: bool, input: &[u8], eof: bool) -> Result<Outcome, ParseError> {
    run_cut(head, input, &[], eof)
}

/// Parses a GET response fed in one piece, without EOF.
fn get(input: &[u8]) -> Result<Outcome, ParseError> {
    run(false, input, false)
}

fn done(status: u16, body: u64, keep_alive: bool, consumed: usize) -> Result<Outcome, ParseError> {
    Ok(Outcome {
        status: Some(status),
        body,
        keep_alive,
        consumed,
        complete: true,
    })
}

/// Asserts the outcome is the same at every two-piece split and byte at a time; returns it.
fn split_invariant(head: bool, input: &[u8], eof: bool) -> Result<Outcome, ParseError> {
    let whole = run(head, input, eof);
    for cut in 0..=input.len() {
        let got = run_cut(head, input, &[cut], eof);
        assert_eq!(
            got,
            whole,
            "cut at {cut}: {:?}",
            String::from_utf8_lossy(input)
        );
    }
    let bytes: Vec<usize> = (1..input.len()).collect();
    let got = run_cut(head, input, &bytes, eof);
    assert_eq!(
        got,
        whole,
        "byte at a time: {:?}",
        String::from_utf8_lossy(input)
    );
    whole
}

const OK_5: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn content_length_body() {
    assert_eq!(get(OK_5), done(200, 5, true, OK_5.len()));
    let empty = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(get(empty), done(200, 0, true, empty.len()));
    let same = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2, 2\r\n\r\nhi";
    assert_eq!(get(same), done(200, 2, true, same.len()));
}

#[test]
fn invalid_content_lengths() {
    use ParseError::{ConflictingContentLength as Conflict, InvalidContentLength as Invalid};
    let cases: &[(&str, ParseError)] = &[
        ("-5", Invalid),
        ("+5", Invalid),
        ("99999999999999999999", Invalid),
        ("18446744073709551616", Invalid),
        ("5a", Invalid),
        ("0x5", Invalid),
        ("", Invalid),
        ("5,", Invalid),
        ("5 5", Invalid),
        ("5, 6", Conflict),
        ("5\r\nContent-Length: 6", Conflict),
    ];
    for (value, err) in cases {
        let input = format!("HTTP/1.1 200 OK\r\nContent-Length: {value}\r\n\r\nhello");
        assert_eq!(get(input.as_bytes()), Err(*err), "{value:?}");
    }
    let max = b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nab";
    assert_eq!(get(max).map(|o| (o.body, o.complete)), Ok((2, false)));
}

#[test]
fn chunked_body_with_extensions_and_trailers() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
        5;a=b\r\nhello\r\nB;x\r\nhello world\r\n0;end\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n";
    assert_eq!(get(input), done(200, 16, true, input.len()));
}

#[test]
fn transfer_encoding_last_coding_decides() {
    let chunked = |te: &str| {
        format!("HTTP/1.1 200 OK\r\n{te}\r\nContent-Length: 99\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    };
    for te in [
        "Transfer-Encoding: chunked",
        "Transfer-Encoding: CHUNKED",
        "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: ",
    ] {
        let input = chunked(te);
        assert_eq!(
            get(input.as_bytes()),
            done(200, 3, true, input.len()),
            "{te}"
        );
    }
    // Not chunked last: the body runs until close (and TE still beats Content-Length).
    for te in [
        "Transfer-Encoding: gzip",
        "Transfer-Encoding: chunked, gzip",
    ] {
        let input = chunked(te);
        let body = b"3\r\nabc\r\n0\r\n\r\n".len() as u64;
        assert_eq!(
            run(false, input.as_bytes(), true),
            done(200, body, false, input.len())
        );
    }
    // Content-Length is ignored, even if invalid, when Transfer-Encoding frames the body.
    let input =
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(get(input), done(200, 0, true, input.len()));
}

#[test]
fn close_delimited_bodies() {
    let v10 = b"HTTP/1.0 200 OK\r\n\r\nabc";
    assert_eq!(get(v10).map(|o| (o.body, o.complete)), Ok((3, false)));
    assert_eq!(run(false, v10, true), done(200, 3, false, v10.len()));
    let v11 = b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nabcd";
    assert_eq!(run(false, v11, true), done(200, 4, false, v11.len()));
}

#[test]
fn keep_alive_rules() {
    let cases = [
        ("1.1", "", true),
        ("1.1", "Connection: close\r\n", false),
        ("1.1", "Connection: foo, Close\r\n", false),
        ("1.1", "Connection: closed\r\n", true),
        ("1.0", "", false),
        ("1.0", "Connection: Keep-Alive\r\n", true),
        ("1.0", "Connection: keep-alive, close\r\n", false),
        // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; never reuse.
        (
            "1.0",
            "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n",
            false,
        ),
    ];
    for (version, fields, keep_alive) in cases {
        let body = if fields.contains("chunked") {
            "0\r\n\r\n"
        } else {
            ""
        };
        let input = format!("HTTP/{version} 200 OK\r\n{fields}Content-Length: 0\r\n\r\n{body}");
        let expected = done(200, 0, keep_alive, input.len());
        assert_eq!(get(input.as_bytes()), expected, "{version} {fields:?}");
    }
}

#[test]
fn responses_without_body() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    assert_eq!(run(true, OK_5, false), done(200, 0, true, head.len()));
    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(run(true, chunked, false), done(200, 0, true, chunked.len()));
    let close = b"HTTP/1.1 200 OK\r\nContent-Length: nonsense\r\n\r\n";
    assert_eq!(run(true, close, false), done(200, 0, true, close.len()));
    for status in [204, 304] {
        let input = format!("HTTP/1.1 {status} X\r\nContent-Length: 5\r\n\r\nhello");
        assert_eq!(
            get(input.as_bytes()),
            done(status, 0, true, input.len() - 5)
        );
    }
}

#[test]
fn interim_responses_are_skipped() {
    let cases: &[&[u8]] = &[
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 102 Processing\r\n\r\n",
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nContent-Length: 9\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </b>\r\n\r\n",
    ];
    for interim in cases {
        let input = [interim, OK_5].concat();
        assert_eq!(get(&input), done(200, 5, true, input.len()));
        let mut p = ResponseParser::new();
        assert_eq!(p.feed(interim), Ok(Progress::Partial));
        assert_eq!(p.status(), None);
    }
}

#[test]
fn switching_protocols_is_final_without_body() {
    let head =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    let input = [head.as_slice(), b"\x81\x05hello"].concat();
    assert_eq!(get(&input), done(101, 0, false, head.len()));
}

#[test]
fn invalid_heads() {
    let cases: &[(&[u8], ParseError)] = &[
        (
            b"HTTP/2 200 OK\r\n\r\n",
            ParseError::InvalidHead(httparse::Error::Version),
        ),
        (
            b"HTTP/1.1 2000 OK\r\n\r\n",
            ParseError::InvalidHead(httparse::Error::Status),
        ),
        (
            b"HTTP/1.1 099 Low\r\n\r\n",
            ParseError::InvalidHead(httparse::Error::Status),
        ),
        (
            b"garbage\r\n\r\n",
            ParseError::InvalidHead(httparse::Error::Version),
        ),
        (
            b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            ParseError::InvalidHead(httparse::Error::HeaderName),
        ),
    ];
    for &(input, err) in cases {
        assert_eq!(split_invariant(false, input, true), Err(err), "{input:?}");
    }
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    (0..=MAX_HEADERS).for_each(|i| many.extend(format!("X-{i}: v\r\n").bytes()));
    many.extend_from_slice(b"\r\n");
    assert_eq!(get(&many), Err(ParseError::TooManyHeaders));
}

#[test]
fn chunked_errors_surface() {
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice();
    let cases: &[(&[u8], ChunkedError)] = &[
        (b"FFFFFFFFFFFFFFFFFFFF\r\n", ChunkedError::SizeTooLong),
        (b"5\r\nhelloXY0\r\n\r\n", ChunkedError::DataEnd),
        (b"5\nhello\r\n0\r\n\r\n", ChunkedError::SizeLineEnd),
    ];
    for &(body, err) in cases {
        let input = [head, body].concat();
        assert_eq!(
            split_invariant(false, &input, true),
            Err(ParseError::Chunked(err))
        );
    }
}

#[test]
fn huge_header_line_is_rejected_without_buffering_it() {
    let mut input = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    input.resize(1 << 20, b'a');
    assert_eq!(get(&input), Err(ParseError::HeadTooLarge));
    let mut p = ResponseParser::new();
    let err = input.chunks(4096).find_map(|piece| p.feed(piece).err());
    assert_eq!(err, Some(ParseError::HeadTooLarge));
    assert!(p.head_buf.capacity() <= 2 * MAX_HEAD);
    p.start(false);
    assert!(p.head_buf.capacity() <= HEAD_BUF_KEEP);
    // A head of exactly the limit is fine; one byte more is not.
    let mut exact = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Big: ".to_vec();
    exact.resize(MAX_HEAD - 4, b'a');
    exact.extend_from_slice(b"\r\n\r\n");
    assert_eq!(get(&exact), done(200, 0, true, MAX_HEAD));
    exact.insert(50, b'a');
    assert_eq!(get(&exact), Err(ParseError::HeadTooLarge));
    let cuts: Vec<usize> = (1..exact.len()).step_by(1000).collect();
    assert_eq!(
        run_cut(false, &exact, &cuts, true),
        Err(ParseError::HeadTooLarge)
    );
}

#[test]
fn endless_chunked_stream_stays_partial_in_bounded_memory() {
    let mut p = ResponseParser::new();
    assert_eq!(
        p.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
        Ok(Progress::Partial)
    );
    let chunk = [b"4000;e=1\r\n".as_slice(), &[b'z'; 0x4000], b"\r\n"].concat();
    for _ in 0..5_000 {
        assert_eq!(p.feed(&chunk), Ok(Progress::Partial));
    }
    assert_eq!(p.body_bytes(), 5_000 * 0x4000);
    assert_eq!(p.head_buf.capacity(), 0);
    assert_eq!(p.finish_on_eof(), Err(ParseError::Incomplete));
}

#[test]
fn pipelined_responses_in_one_buffer() {
    let second =
        b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n";
    let input = [OK_5, second.as_slice()].concat();
    let mut p = ResponseParser::new();
    assert_eq!(
        p.feed(&input),
        Ok(Progress::Complete {
            consumed: OK_5.len()
        })
    );
    assert_eq!(
        (p.status(), p.body_bytes(), p.keep_alive()),
        (Some(200), 5, true)
    );
    assert_eq!(p.feed(b"more"), Ok(Progress::Complete { consumed: 0 }));
    p.start(false);
    assert!(!p.received_any());
    let rest = &input[OK_5.len()..];
    assert_eq!(
        p.feed(rest),
        Ok(Progress::Complete {
            consumed: rest.len()
        })
    );
    assert_eq!(
        (p.status(), p.body_bytes(), p.keep_alive()),
        (Some(404), 2, true)
    );
}

#[test]
fn eof_handling() {
    let mut p = ResponseParser::new();
    assert!(!p.received_any());
    assert_eq!(p.finish_on_eof(), Err(ParseError::Incomplete)); // idle close: nothing received
    for partial in [
        &OK_5[..5],
        &OK_5[..OK_5.len() - 1],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    ] {
        let mut p = ResponseParser::new();
        assert_eq!(p.feed(partial), Ok(Progress::Partial));
        assert!(p.received_any());
        assert_eq!(p.finish_on_eof(), Err(ParseError::Incomplete));
    }
    let mut p = ResponseParser::new();
    p.feed(OK_5).unwrap();
    assert_eq!(p.finish_on_eof(), Ok(())); // already complete
}

#[test]
fn trickled_head_costs_linear_work() {
    // 54 KB of header fields one byte per feed: re-parsing the buffer on every byte would
    // take billions of steps; parsing only at empty lines takes one parse.
    let mut input = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n".to_vec();
    let value = "v".repeat(600);
    (0..90).for_each(|i| input.extend(format!("X-Field-{i}: {value}\r\n").bytes()));
    input.extend_from_slice(b"\r\nb");
    let mut p = ResponseParser::new();
    let (last, head) = input.split_last().unwrap();
    for (i, byte) in head.iter().enumerate() {
        assert_eq!(
            p.feed(std::slice::from_ref(byte)),
            Ok(Progress::Partial),
            "{i}"
        );
    }
    assert_eq!(p.feed(&[*last]), Ok(Progress::Complete { consumed: 1 }));
    assert_eq!((p.status(), p.body_bytes()), (Some(200), 1));
}

#[test]
fn errors_are_sticky_until_start() {
    let mut p = ResponseParser::new();
    let err = ParseError::InvalidHead(httparse::Error::Version);
    assert_eq!(p.feed(b"NOPE/1.1 200 OK\r\n\r\n"), Err(err));
    assert_eq!(p.feed(OK_5), Err(err));
    assert_eq!(p.finish_on_eof(), Err(err));
    p.start(false);
    assert_eq!(
        p.feed(OK_5),
        Ok(Progress::Complete {
            consumed: OK_5.len()
        })
    );
}

#[test]
fn leading_blank_lines_are_skipped_but_bounded() {
    let input = [b"\r\n\n\r\n".as_slice(), OK_5].concat();
    assert_eq!(
        split_invariant(false, &input, false),
        done(200, 5, true, input.len())
    );
    let mut p = ResponseParser::new();
    let err = (0..MAX_HEAD).find_map(|_| p.feed(b"\r\n").err());
    assert_eq!(err, Some(ParseError::HeadTooLarge));
    assert!(p.head_buf.capacity() < 64);
}

/// Valid responses of every framing, each checked at every split point.
#[test]
fn split_invariance_table() {
    // (HEAD request, input, trailing bytes not part of it, EOF after input, outcome).
    type Case = (bool, &'static [u8], usize, bool, Option<(u16, u64, bool)>);
    let cases: &[Case] = &[
        (false, OK_5, 0, false, Some((200, 5, true))),
        (
            false,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nX-A: b\r\n\r\n\
            3;a=1;b=\"x y\"\r\nabc\r\nA\r\n0123456789\r\n0;z\r\nX-T: 1\r\nX-U: 2\r\n\r\nTAIL",
            4,
            false,
            Some((200, 13, true)),
        ),
        (
            false,
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n\
            HTTP/1.1 201 Created\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabcHTTP",
            4,
            false,
            Some((201, 3, false)),
        ),
        (
            true,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
            0,
            false,
            Some((200, 0, true)),
        ),
        (
            false,
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
            0,
            false,
            Some((304, 0, true)),
        ),
        (
            false,
            b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close",
            0,
            true,
            Some((200, 11, false)),
        ),
        (
            false,
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n",
            0,
            true,
            None,
        ),
    ];
    for &(head, input, tail, eof, outcome) in cases {
        let expected = match outcome {
            Some((status, body, keep_alive)) => done(status, body, keep_alive, input.len() - tail),
            None => Err(ParseError::Incomplete),
        };
        let got = split_invariant(head, input, eof);
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(input));
    }
}

/// A generated valid response and what parsing it must report.
#[derive(Debug, Clone)]
struct Generated {
    bytes: Vec<u8>,
    head_request: bool,
    eof: bool,
    expected: Outcome,
}

/// A header field that does not affect framing or persistence.
fn arb_header() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["X-A", "Server", "Date", "Content-Type", "x-trace-id"]);
    let value = prop::collection::vec(prop::sample::select(b"abcXYZ019 -;=,/\t".to_vec()), 0..20);
    (name, value).prop_map(|(n, v)| {
        let v = String::from_utf8(v).unwrap();
        format!("{n}: {}\r\n", v.trim_matches(|c| c == ' ' || c == '\t'))
    })
}

/// How the generated body is framed.
#[derive(Debug, Clone)]
enum Framing {
    Length,
    /// Chunk sizes (the body is cut into these), one extension per chunk (may be empty),
    /// upper-case hex, trailer fields.
    Chunked(Vec<(usize, &'static str)>, bool, Vec<String>),
    Close,
}

fn arb_framing() -> impl Strategy<Value = Framing> {
    let ext = prop::sample::select(vec!["", ";a", ";name=\"v;x\"; flag", " ;b=1", "\t;c=\"\""]);
    let chunked = (
        prop::collection::vec((1usize..40, ext), 0..6),
        any::<bool>(),
        prop::collection::vec(arb_header(), 0..3),
    )
        .prop_map(|(chunks, upper, trailers)| Framing::Chunked(chunks, upper, trailers));
    prop_oneof![Just(Framing::Length), chunked, Just(Framing::Close)]
}

/// The shape of a generated response.
#[derive(Debug, Clone)]
struct Spec {
    interim: Vec<(u16, String)>,
    status: u16,
    v10: bool,
    connection: &'static str,
    headers: Vec<String>,
    framing: Framing,
    body: Vec<u8>,
    head_request: bool,
}

fn arb_response() -> impl Strategy<Value = Generated> {
    let interim = prop::collection::vec(
        (prop::sample::select(vec![100u16, 102, 103]), arb_header()),
        0..3,
    );
    let status = prop::sample::select(vec![200u16, 201, 204, 206, 301, 304, 404, 500, 503]);
    let conn = prop::sample::select(vec![
        "",
        "Connection: close\r\n",
        "Connection: keep-alive\r\n",
    ]);
    let headers = prop::collection::vec(arb_header(), 0..5);
    let body = prop::collection::vec(any::<u8>(), 0..200);
    let flags = (any::<bool>(), any::<bool>());
    (interim, status, conn, headers, arb_framing(), body, flags).prop_map(
        |(interim, status, connection, headers, framing, body, (v10, head_request))| {
            build(Spec {
                interim,
                status,
                v10,
                connection,
                headers,
                framing,
                body,
                head_request,
            })
        },
    )
}

/// Serializes `spec` (followed by the start of a next response, when the body is not
/// delimited by close) and works out what the parser must report for it.
fn build(mut spec: Spec) -> Generated {
    let mut out = Vec::new();
    for (code, h) in &spec.interim {
        out.extend(format!("HTTP/1.1 {code} Interim\r\n{h}\r\n").bytes());
    }
    let version = if spec.v10 { "1.0" } else { "1.1" };
    let fields = spec.headers.concat();
    out.extend(
        format!(
            "HTTP/{version} {} Reason\r\n{}{fields}",
            spec.status, spec.connection
        )
        .bytes(),
    );
    if let Framing::Chunked(chunks, _, _) = &spec.framing {
        spec.body.resize(chunks.iter().map(|c| c.0).sum(), b'c');
    }
    let encoded = encode_body(&spec.framing, &spec.body, &mut out);
    let no_body = spec.head_request || spec.status == 204 || spec.status == 304;
    if !no_body {
        out.extend_from_slice(&encoded);
    }
    let close_delimited = matches!(spec.framing, Framing::Close) && !no_body;
    let chunked_1_0 = spec.v10 && matches!(spec.framing, Framing::Chunked(..));
    let persistent = !spec.connection.contains("close")
        && (!spec.v10 || spec.connection.contains("keep-alive"))
        && !chunked_1_0
        && !close_delimited;
    let expected = Outcome {
        status: Some(spec.status),
        body: if no_body { 0 } else { spec.body.len() as u64 },
        keep_alive: persistent,
        consumed: out.len(),
        complete: true,
    };
    if !close_delimited {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n"); // a next response: not consumed
    }
    Generated {
        bytes: out,
        head_request: spec.head_request,
        eof: close_delimited,
        expected,
    }
}

/// Appends the framing header fields and the blank line to `head`; returns the body bytes.
fn encode_body(framing: &Framing, body: &[u8], head: &mut Vec<u8>) -> Vec<u8> {
    match framing {
        Framing::Length => {
            head.extend(format!("Content-Length: {}\r\n\r\n", body.len()).bytes());
            body.to_vec()
        }
        Framing::Close => {
            head.extend_from_slice(b"\r\n");
            body.to_vec()
        }
        Framing::Chunked(chunks, upper, trailers) => {
            head.extend_from_slice(b"Transfer-Encoding: gzip, chunked\r\n\r\n");
            let mut out = Vec::new();
            let mut rest = body;
            for &(size, ext) in chunks {
                let (chunk, tail) = rest.split_at(size);
                let hex = if *upper {
                    format!("{size:X}")
                } else {
                    format!("{size:x}")
                };
                out.extend(format!("{hex}{ext}\r\n").bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
                rest = tail;
            }
            out.extend(format!("0\r\n{}\r\n", trailers.concat()).bytes());
            out
        }
    }
}

/// Sorted cut points inside `len`.
fn cuts_for(len: usize, picks: &[prop::sample::Index]) -> Vec<usize> {
    let mut cuts: Vec<usize> = picks.iter().map(|i| i.index(len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

/// Inputs that reach deep into the parser: a plausible head, then chunked-ish noise.
fn arb_noise() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop::sample::select(vec![
        "",
        "HTTP/1.1 200 OK\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 3\r\n",
    ]);
    let tail = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(
            prop::sample::select(b"0123456789aF;= \t\r\n:xHTP/.".to_vec()),
            0..300
        ),
    ];
    (prefix, tail).prop_map(|(p, t)| [p.as_bytes(), &t].concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// Arbitrary bytes never panic, and the verdict does not depend on the splits.
    #[test]
    fn arbitrary_input_is_split_invariant(
        input in arb_noise(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        head in any::<bool>(),
    ) {
        let whole = run(head, &input, true);
        let cuts = cuts_for(input.len(), &picks);
        prop_assert_eq!(&run_cut(head, &input, &cuts, true), &whole);
        let bytes: Vec<usize> = (1..input.len()).collect();
        prop_assert_eq!(run_cut(head, &input, &bytes, true), whole);
    }

    /// Generated valid responses parse to the model's outcome, however they are split.
    #[test]
    fn generated_responses_parse_at_any_split(
        g in arb_response(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let whole = run(g.head_request, &g.bytes, g.eof);
        prop_assert_eq!(&whole, &Ok(g.expected.clone()));
        let cuts = cuts_for(g.bytes.len(), &picks);
        prop_assert_eq!(run_cut(g.head_request, &g.bytes, &cuts, g.eof), whole);
    }
}

/// The `Location` the parser keeps after feeding `input` split at `cut` (0: one piece).
fn location_after(input: &[u8], cut: usize) -> Option<Vec<u8>> {
    let mut p = ResponseParser::new();
    p.start(false);
    let rest = if cut > 0 {
        assert_eq!(p.feed(&input[..cut]), Ok(Progress::Partial));
        &input[cut..]
    } else {
        input
    };
    assert!(matches!(p.feed(rest), Ok(Progress::Complete { .. })));
    p.location().map(<[u8]>::to_vec)
}

#[test]
fn location_of_a_redirect_is_kept_at_every_split() {
    let input = b"HTTP/1.1 100 Continue\r\nLocation: /interim\r\n\r\n\
                  HTTP/1.1 302 Found\r\nX: y\r\nlocation:  /next?a=1 \r\nLocation: /second\r\n\
                  Content-Length: 2\r\n\r\nok";
    for cut in 0..input.len() - 2 {
        assert_eq!(
            location_after(input, cut).as_deref(),
            Some(&b"/next?a=1"[..]),
            "cut at {cut}"
        );
    }
}

#[test]
fn location_is_ignored_unless_the_status_redirects() {
    for status in [
        "200 OK",
        "300 Multiple",
        "304 Not Modified",
        "404 Not Found",
    ] {
        let input = format!("HTTP/1.1 {status}\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(location_after(input.as_bytes(), 0), None, "{status}");
    }
    for status in [301, 303, 307, 308] {
        let input = format!("HTTP/1.1 {status} R\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(location_after(input.as_bytes(), 0), Some(b"/x".to_vec()));
    }
    let mut p = ResponseParser::new();
    p.start(false);
    let _ = p.feed(b"HTTP/1.1 301 M\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n");
    p.start(false);
    assert_eq!(
        p.location(),
        None,
        "start forgets the last response's Location"
    );
}
