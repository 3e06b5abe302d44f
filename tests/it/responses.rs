//! Response framing as the client must survive it: chunked bodies split at every byte,
//! transfer codings, `Connection: close`, HTTP/1.0 close-delimited bodies, interim 1xx
//! responses and bodiless HEAD answers.
//!
//! The common assertion is "every request succeeds and the connection stays in sync": a
//! client that misframes a response either times out, counts a malformed response, or reads
//! the next response's bytes as this one's body, and the server then sees extra connections.

use std::time::Duration;

use crate::support::{run_json, Peer, ScriptServer};

/// A chunked response with chunk extensions (one quoted), an upper-case hex size and a
/// trailer; its payload is [`CHUNKED_PAYLOAD`]. (The one-space chunk is written `\x20`:
/// a line continuation would swallow a literal leading space.)
const CHUNKED_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n\
Transfer-Encoding: chunked\r\n\
Trailer: X-Checksum\r\n\
\r\n\
5;name=value\r\n\
hello\r\n\
1;quoted=\"a;b\"\r\n\
\x20\r\n\
B\r\n\
world, 0123\r\n\
0;last\r\n\
X-Checksum: abc\r\n\
\r\n";

/// The body [`CHUNKED_RESPONSE`] carries once its framing is removed.
const CHUNKED_PAYLOAD: &[u8] = b"hello world, 0123";

/// `printf 'hello world' | gzip -n`: a real gzip member, 31 bytes.
const GZIP_HELLO: [u8; 31] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57,
    0x28, 0xcf, 0x2f, 0xca, 0x49, 0x01, 0x00, 0x85, 0x11, 0x4a, 0x0d, 0x0b, 0x00, 0x00, 0x00,
];

/// Answers every request on the connection with `response`, on a kept-alive connection.
fn answer_each_with(response: Vec<u8>) -> impl Fn(&mut Peer) + Send + Sync + 'static {
    move |peer| {
        while peer.read_request().is_some() {
            if !peer.send(&response) {
                return;
            }
        }
    }
}

/// Answers one request with `response` and closes the connection.
fn answer_once_with(response: Vec<u8>) -> impl Fn(&mut Peer) + Send + Sync + 'static {
    move |peer| {
        if peer.read_request().is_some() {
            peer.send(&response);
        }
    }
}

/// `chunks` framed as a chunked body (each chunk's size in lower-case hex) with the last chunk.
fn chunked(chunks: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn chunked_body_written_one_byte_at_a_time_keeps_the_connection_in_sync() {
    let server = ScriptServer::start(|peer| {
        let mut served = 0;
        while peer.read_request().is_some() {
            // Pause between bytes for the first responses so that every split point really
            // reaches the client as its own read; later ones go out as fast as possible.
            let pause = if served < 3 {
                Duration::from_millis(1)
            } else {
                Duration::ZERO
            };
            if !peer.send_bytewise(CHUNKED_RESPONSE, pause) {
                return;
            }
            served += 1;
        }
    });
    let report = run_json("-n 50 -c 1 -t 5", &[&server.url("/")]);
    assert_eq!(report.summary.successful, 50, "errors: {:?}", report.errors);
    assert_eq!(report.status_codes.get(&200), Some(&50));
    assert_eq!(
        report.summary.bytes_total,
        50 * CHUNKED_PAYLOAD.len() as u64
    );
    assert_eq!(server.connections(), 1);
    assert_eq!(server.requests().len(), 50);
}

#[test]
fn gzip_then_chunked_transfer_coding_is_framed_by_chunked_and_counted_compressed() {
    let body = chunked(&[&GZIP_HELLO[..10], &GZIP_HELLO[10..]]);
    for head in [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
    ] {
        let server = ScriptServer::start(answer_each_with([head.as_bytes(), &body].concat()));
        let report = run_json("-n 20 -c 2 -t 5", &[&server.url("/")]);
        assert_eq!(
            report.summary.successful, 20,
            "{head:?}: errors {:?}",
            report.errors
        );
        assert_eq!(
            report.summary.bytes_total,
            20 * GZIP_HELLO.len() as u64,
            "{head:?}"
        );
        assert_eq!(server.connections(), 2, "{head:?}");
    }
}

#[test]
fn connection_close_on_every_response_is_not_an_error() {
    let response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_vec();
    let server = ScriptServer::start(answer_once_with(response));
    let report = run_json("-n 100 -c 4 -t 5", &[&server.url("/")]);
    assert_eq!(report.summary.successful, 100);
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert_eq!(report.summary.bytes_total, 200);
    assert!(report.connections.reconnects > 0);
    assert_eq!(server.connections(), 100);
}

#[test]
fn http10_close_delimited_bodies_succeed_and_are_counted() {
    let body = vec![b'x'; 1000];
    let response = [
        &b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"[..],
        &body,
    ]
    .concat();
    let server = ScriptServer::start(answer_once_with(response));
    let report = run_json("-n 30 -c 3 -t 5", &[&server.url("/")]);
    assert_eq!(report.summary.successful, 30, "errors: {:?}", report.errors);
    assert_eq!(report.status_codes.get(&200), Some(&30));
    assert_eq!(report.summary.bytes_total, 30 * 1000);
}

#[test]
fn interim_1xx_responses_are_skipped_and_only_the_final_status_counts() {
    let response = b"HTTP/1.1 100 Continue\r\n\r\n\
HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        .to_vec();
    let server = ScriptServer::start(answer_each_with(response));
    let report = run_json("-n 20 -c 2 -t 5", &[&server.url("/")]);
    assert_eq!(
        report.status_codes.into_iter().collect::<Vec<_>>(),
        [(200, 20)]
    );
    assert_eq!(report.summary.bytes_total, 40);
    assert_eq!(server.connections(), 2);
}

#[test]
fn head_responses_have_no_body_despite_their_content_length() {
    let response =
        b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    let server = ScriptServer::start(answer_each_with(response));
    let report = run_json("-m HEAD -n 20 -c 1 -t 1", &[&server.url("/")]);
    assert_eq!(report.summary.successful, 20, "errors: {:?}", report.errors);
    assert_eq!(report.summary.bytes_total, 0);
    assert_eq!(server.connections(), 1);
    assert!(server.requests().iter().all(|r| r.method == "HEAD"));
}
