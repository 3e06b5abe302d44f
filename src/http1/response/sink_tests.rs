//! The payload sink (stream metrics' hook): it sees the final head once and every payload
//! byte exactly once, in order, however the response is split, and the parse is the same
//! as without a sink.

use super::*;

/// Records what a sink is told.
#[derive(Default)]
struct Recording {
    heads: Vec<(u16, Framing)>,
    payload: Vec<u8>,
}

impl PayloadSink for Recording {
    fn head(&mut self, status: u16, framing: Framing) {
        self.heads.push((status, framing));
    }
    fn payload(&mut self, bytes: &[u8]) {
        self.payload.extend_from_slice(bytes);
    }
}

/// Feeds `parts` to a framing-aware parser; returns the sink and the final progress.
fn feed(parts: &[&[u8]]) -> (Recording, Option<Progress>) {
    let mut parser = ResponseParser::new().with_framing();
    parser.start(false);
    let mut sink = Recording::default();
    let mut last = None;
    for part in parts {
        last = Some(parser.feed_with(part, &mut sink).expect("valid response"));
    }
    (sink, last)
}

const CHUNKED: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\
    Content-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n\
    7;ext=1\r\ndata: a\r\n3\r\n\n\nd\r\n0\r\n\r\nNEXT";
const LENGTH: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n\
    Content-Length: 8\r\n\r\n{}\n{\"a\"}\nNEXT";

#[test]
fn every_two_way_split_hands_the_same_payload_to_the_sink() {
    for (input, body, framing) in [
        (CHUNKED, &b"data: a\n\nd"[..], Framing::Sse),
        (LENGTH, &b"{}\n{\"a\"}"[..], Framing::Ndjson),
    ] {
        for i in 0..=input.len() {
            let (a, b) = input.split_at(i);
            let (sink, last) = feed(&[a, b]);
            assert_eq!(sink.heads, [(200, framing)], "split at {i}");
            assert_eq!(sink.payload, body, "split at {i}");
            assert!(
                matches!(last, Some(Progress::Complete { .. })),
                "split at {i}"
            );
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(feed(&bytes).0.payload, body);
    }
}

#[test]
fn without_framing_the_sink_still_gets_payload_but_no_head_type() {
    let mut parser = ResponseParser::new();
    parser.start(false);
    let mut sink = Recording::default();
    parser.feed_with(LENGTH, &mut sink).expect("valid");
    assert!(sink.heads.is_empty());
    assert_eq!(parser.body_bytes(), 8);
    let plain = b"HTTP/1.1 204 No Content\r\nContent-Type: text/event-stream\r\n\r\n";
    let (sink, _) = feed(&[plain]);
    assert_eq!(sink.heads, [(204, Framing::Sse)]);
    assert!(sink.payload.is_empty());
}
