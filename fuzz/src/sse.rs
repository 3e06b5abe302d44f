//! The SSE and NDJSON framing checks: the events found are the same whether the body is
//! fed whole, cut at the fuzzer's points, or one byte at a time; a parser reused after
//! `reset` behaves like a fresh one; and the stream observer never panics on any body.

use std::cell::RefCell;
use std::rc::Rc;

use vastar::stream::ndjson::NdjsonParser;
use vastar::stream::sse::{Event, SseParser};
use vastar::stream::{Framing, Limits, PayloadSink, StreamObserver, StreamStats};

use super::{bytewise, cuts_for, Input};

/// `(error, data)` of every event found in `payload` fed in pieces ending at `cuts`.
fn events(ndjson: bool, payload: &[u8], cuts: &[usize], reuse: bool) -> Vec<(bool, Vec<u8>)> {
    let mut out = Vec::new();
    let mut sse = SseParser::new();
    let mut nd = NdjsonParser::new();
    if reuse {
        // A half event left behind must not leak into the next response.
        sse.feed(b"data: left over", &mut |_| {});
        nd.feed(b"{\"left\":", &mut |_| {});
        sse.reset();
        nd.reset();
    }
    let mut on_event = |e: Event<'_>| out.push((e.error, e.data.to_vec()));
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&payload.len())) {
        let piece = payload.get(start..end).unwrap_or_default();
        match ndjson {
            true => nd.feed(piece, &mut on_event),
            false => sse.feed(piece, &mut on_event),
        }
        start = end;
    }
    out
}

/// Checks one fuzz input: flag bit 1 picks NDJSON instead of SSE.
pub fn check_sse(data: &[u8]) {
    let input = Input::decode(data);
    let ndjson = input.flags & 2 != 0;
    let payload = input.payload;
    let whole = events(ndjson, payload, &[], false);
    let cuts = cuts_for(&input.offsets, payload.len());
    assert_eq!(
        events(ndjson, payload, &cuts, false),
        whole,
        "cut at {cuts:?}"
    );
    assert_eq!(
        events(ndjson, payload, &bytewise(payload.len()), false),
        whole
    );
    assert_eq!(events(ndjson, payload, &cuts, true), whole, "after reset");
    let stats = Rc::new(RefCell::new(StreamStats::default()));
    let mut observer = StreamObserver::new(Rc::clone(&stats), Limits::default());
    let now = tokio::time::Instant::now();
    observer.begin(now);
    observer.head(
        200,
        if ndjson {
            Framing::Ndjson
        } else {
            Framing::Sse
        },
    );
    observer.payload(payload);
    observer.finish(now);
    let stats = stats.borrow();
    assert_eq!(stats.events, whole.len() as u64);
    assert!(stats.content_events <= stats.events);
}
