use super::*;

fn observer() -> (StreamObserver, Rc<RefCell<StreamStats>>) {
    let stats = Rc::new(RefCell::new(StreamStats::default()));
    (
        StreamObserver::new(Rc::clone(&stats), Limits::default()),
        stats,
    )
}

fn chunk(content: &str) -> String {
    format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{content}\"}}}}]}}\n\n")
}

#[test]
fn an_openai_stream_yields_ttft_itl_tpot_and_usage_tokens() {
    let (mut obs, stats) = observer();
    let t0 = Instant::now();
    obs.begin(t0);
    obs.head(200, Framing::Sse);
    obs.read_at(t0 + Duration::from_millis(10));
    obs.payload(b"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n");
    obs.read_at(t0 + Duration::from_millis(50));
    obs.payload(chunk("a").as_bytes());
    obs.read_at(t0 + Duration::from_millis(70));
    let two = chunk("b") + &chunk("c");
    let (x, y) = two.as_bytes().split_at(7);
    obs.payload(x);
    obs.read_at(t0 + Duration::from_millis(90));
    obs.payload(y);
    obs.payload(b"data: {\"choices\":[],\"usage\":{\"completion_tokens\":5}}\n\ndata: [DONE]\n\n");
    obs.finish(t0 + Duration::from_millis(130));
    let s = stats.borrow();
    assert_eq!(s.responses, 1);
    assert_eq!((s.events, s.content_events), (6, 3));
    assert_eq!((s.output_tokens, s.tokens_from_usage), (5, 1));
    assert_eq!(s.ttft_ns.max(), s.ttft_ns.highest_equivalent(50_000_000));
    // Gaps: 40 ms (a at 50 → b, completed by the read at 90), 0 (c in that same read).
    assert_eq!(s.itl_ns.len(), 2);
    assert_eq!(s.itl_ns.max(), s.itl_ns.highest_equivalent(40_000_000));
    assert_eq!(s.itl_ns.min(), 1);
    // TPOT = (130 - 50) / (5 - 1) = 20 ms.
    assert_eq!(s.tpot_ns.max(), s.tpot_ns.highest_equivalent(20_000_000));
    assert_eq!(s.errors.total(), 0);
    assert_eq!(s.good, 1);
}

#[test]
fn stream_errors_are_counted_per_response() {
    let (mut obs, stats) = observer();
    let t0 = Instant::now();
    obs.begin(t0);
    obs.head(200, Framing::Sse);
    obs.payload(chunk("a").as_bytes());
    obs.finish(t0);
    obs.begin(t0);
    obs.head(200, Framing::Sse);
    obs.payload(b"event: error\ndata: {\"message\":\"x\"}\n\n");
    obs.payload(b"data: {\"error\":{\"message\":\"y\"}}\n\n");
    obs.finish(t0);
    obs.begin(t0);
    obs.head(200, Framing::Other);
    obs.payload(b"{\"choices\":[]}");
    obs.finish(t0);
    let s = stats.borrow();
    assert_eq!(s.errors.missing_done, 1);
    assert_eq!(s.errors.error_event, 1);
    assert_eq!(s.errors.not_streaming, 1);
    assert_eq!((s.good, s.responses), (0, 2));
    assert_eq!((s.tokens_from_events, s.output_tokens), (2, 1));
}

#[test]
fn goodput_obeys_the_limits() {
    let stats = Rc::new(RefCell::new(StreamStats::default()));
    let limits = Limits {
        ttft: Some(Duration::from_millis(20)),
        ..Limits::default()
    };
    let mut obs = StreamObserver::new(Rc::clone(&stats), limits);
    let t0 = Instant::now();
    for ttft_ms in [10, 30] {
        obs.begin(t0);
        obs.head(200, Framing::Ndjson);
        obs.read_at(t0 + Duration::from_millis(ttft_ms));
        obs.payload(b"{\"token\":\"x\"}\n");
        obs.finish(t0 + Duration::from_millis(40));
    }
    assert_eq!(stats.borrow().good, 1);
    assert_eq!(stats.borrow().ttft_ns.len(), 2);
}
