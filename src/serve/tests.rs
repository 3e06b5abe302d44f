//! End-to-end tests of the server over real loopback sockets, with raw clients so every
//! byte on the wire is what the test wrote.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{serve, Background, Backoff, ServeConfig, ServeStats};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A response as read off the wire.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Number of data chunks when the body was chunked.
    chunks: usize,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }
}

fn start(config: ServeConfig) -> Background {
    Background::start(SocketAddr::from(([127, 0, 0, 1], 0)), config, 1).unwrap()
}

fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    BufReader::new(stream)
}

fn send(conn: &mut BufReader<TcpStream>, raw: &[u8]) {
    conn.get_mut().write_all(raw).unwrap();
}

fn line(conn: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    assert!(line.ends_with("\r\n"), "unterminated line {line:?}");
    line.truncate(line.len() - 2);
    line
}

/// Reads one response strictly; `head_request` means no body follows the headers.
fn read_response(conn: &mut BufReader<TcpStream>, head_request: bool) -> Resp {
    let status_line = line(conn);
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let l = line(conn);
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(": ").unwrap();
        headers.push((n.to_string(), v.to_string()));
    }
    let mut resp = Resp {
        status,
        headers,
        body: Vec::new(),
        chunks: 0,
    };
    if head_request || status == 100 {
        return resp;
    }
    if resp.header("transfer-encoding") == Some("chunked") {
        read_chunked(conn, &mut resp);
    } else {
        let len: usize = resp.header("content-length").unwrap().parse().unwrap();
        resp.body.resize(len, 0);
        conn.read_exact(&mut resp.body).unwrap();
    }
    resp
}

fn read_chunked(conn: &mut BufReader<TcpStream>, resp: &mut Resp) {
    loop {
        let size = usize::from_str_radix(&line(conn), 16).unwrap();
        if size == 0 {
            assert_eq!(line(conn), "", "no trailers expected");
            return;
        }
        let start = resp.body.len();
        resp.body.resize(start + size, 0);
        conn.read_exact(&mut resp.body[start..]).unwrap();
        assert_eq!(line(conn), "", "chunk data must end with CRLF");
        resp.chunks += 1;
    }
}

/// Asserts the server closed the connection: end of stream (or reset), no further bytes.
fn assert_closed(conn: &mut BufReader<TcpStream>) {
    let mut rest = Vec::new();
    match conn.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "unexpected bytes {rest:?}"),
        Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "not closed"),
    }
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n";

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = start(ServeConfig::default());
    let mut conn = connect(server.addr());
    for _ in 0..5 {
        send(&mut conn, GET);
        let resp = read_response(&mut conn, false);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"Hello, World!");
        assert_eq!(resp.header("content-type"), Some("text/plain"));
        assert_eq!(resp.header("connection"), None);
    }
    assert_eq!(server.stats().requests.load(Relaxed), 5);
    assert_eq!(server.stats().connections.load(Relaxed), 1);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = start(ServeConfig::default());
    let mut conn = connect(server.addr());
    let mut batch = Vec::new();
    for raw in [
        GET,
        b"HEAD / HTTP/1.1\r\n\r\n",
        GET,
        b"GET / HTTP/1.1\r\n\r\n",
    ] {
        batch.extend_from_slice(raw);
    }
    send(&mut conn, &batch);
    for head_request in [false, true, false, false] {
        let resp = read_response(&mut conn, head_request);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("content-length"), Some("13"));
    }
    send(&mut conn, GET);
    assert_eq!(read_response(&mut conn, false).body, b"Hello, World!");
}

#[test]
fn http10_closes_unless_keep_alive_requested() {
    let server = start(ServeConfig::default());
    let mut conn = connect(server.addr());
    send(&mut conn, b"GET / HTTP/1.0\r\n\r\n");
    let resp = read_response(&mut conn, false);
    assert_eq!(
        (resp.status, resp.header("connection")),
        (200, Some("close"))
    );
    assert_closed(&mut conn);

    let mut conn = connect(server.addr());
    for _ in 0..2 {
        send(
            &mut conn,
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        );
        let resp = read_response(&mut conn, false);
        assert_eq!(resp.header("connection"), Some("keep-alive"));
    }
}

#[test]
fn connection_close_is_honoured() {
    let server = start(ServeConfig::default());
    let mut conn = connect(server.addr());
    // The request after the closing one must be ignored, not answered.
    send(
        &mut conn,
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    );
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.header("connection"), Some("close"));
    assert_eq!(resp.body, b"Hello, World!");
    assert_closed(&mut conn);
    assert_eq!(server.stats().requests.load(Relaxed), 1);
}

#[test]
fn request_bodies_are_discarded_and_the_connection_reused() {
    let server = start(ServeConfig::default());
    let mut conn = connect(server.addr());
    let body = vec![b'b'; 300_000];
    send(
        &mut conn,
        b"POST /up HTTP/1.1\r\nContent-Length: 300000\r\n\r\n",
    );
    send(&mut conn, &body[..1000]);
    send(&mut conn, &body[1000..]);
    assert_eq!(read_response(&mut conn, false).status, 200);
    // Body and the next request in one write.
    send(
        &mut conn,
        b"PUT / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    );
    send(&mut conn, GET);
    assert_eq!(read_response(&mut conn, false).status, 200);
    assert_eq!(read_response(&mut conn, false).body, b"Hello, World!");
}

#[test]
fn expect_continue_gets_an_interim_response() {
    let server = start(ServeConfig::default());
    let mut conn = connect(server.addr());
    send(
        &mut conn,
        b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    );
    assert_eq!(read_response(&mut conn, false).status, 100);
    send(&mut conn, b"abc");
    assert_eq!(read_response(&mut conn, false).status, 200);
}

#[test]
fn head_has_headers_but_no_body() {
    let server = start(ServeConfig::default());
    let mut conn = connect(server.addr());
    send(&mut conn, b"HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n");
    let resp = read_response(&mut conn, true);
    assert_eq!(
        (resp.status, resp.header("content-length")),
        (200, Some("13"))
    );
    assert_closed(&mut conn);
}

#[test]
fn chunked_mode_sends_valid_chunked_framing() {
    for body_size in [0, 13, 20_000] {
        let server = start(ServeConfig {
            body_size,
            chunked: true,
            ..ServeConfig::default()
        });
        let mut conn = connect(server.addr());
        send(&mut conn, GET);
        let resp = read_response(&mut conn, false);
        assert_eq!(resp.header("transfer-encoding"), Some("chunked"));
        assert_eq!(resp.header("content-length"), None);
        assert_eq!(resp.body.len(), body_size);
        assert!(resp.chunks >= body_size.min(2), "{} chunks", resp.chunks);
        // The connection stays usable after the terminating chunk.
        send(&mut conn, GET);
        assert_eq!(read_response(&mut conn, false).body.len(), body_size);
    }
}

#[test]
fn large_bodies_are_sent_whole() {
    let server = start(ServeConfig {
        body_size: 1_000_000,
        ..ServeConfig::default()
    });
    let mut conn = connect(server.addr());
    send(&mut conn, &[GET, GET].concat());
    for _ in 0..2 {
        let resp = read_response(&mut conn, false);
        assert_eq!(resp.body.len(), 1_000_000);
        assert!(resp.body.starts_with(b"Hello, World!Hello"));
    }
}

#[test]
fn bad_requests_are_refused_and_closed() {
    let server = start(ServeConfig::default());
    let cases: [(&[u8], u16); 4] = [
        (b"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            501,
        ),
    ];
    for (raw, status) in cases {
        let mut conn = connect(server.addr());
        send(&mut conn, raw);
        let resp = read_response(&mut conn, false);
        assert_eq!(
            (resp.status, resp.header("connection")),
            (status, Some("close"))
        );
        assert_closed(&mut conn);
    }
    assert_eq!(server.stats().rejected.load(Relaxed), 4);
    assert_eq!(server.stats().requests.load(Relaxed), 0);
}

#[test]
fn oversized_head_gets_431() {
    let server = start(ServeConfig::default());
    let mut conn = connect(server.addr());
    let mut raw = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    raw.resize(70 * 1024, b'a');
    send(&mut conn, &raw);
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.status, 431);
    assert_closed(&mut conn);
}

#[test]
fn delay_is_applied_to_each_request() {
    let delay = Duration::from_millis(30);
    let server = start(ServeConfig {
        delay: Some(delay),
        ..ServeConfig::default()
    });
    let mut conn = connect(server.addr());
    let started = Instant::now();
    send(&mut conn, &[GET, GET].concat());
    read_response(&mut conn, false);
    assert!(started.elapsed() >= delay);
    read_response(&mut conn, false);
    assert!(started.elapsed() >= delay * 2);
}

#[test]
fn background_reports_address_and_stats() {
    let server = start(ServeConfig::default());
    assert!(server.addr().ip().is_loopback());
    assert_ne!(server.addr().port(), 0);
    for _ in 0..3 {
        let mut conn = connect(server.addr());
        send(&mut conn, GET);
        read_response(&mut conn, false);
    }
    assert_eq!(server.stats().connections.load(Relaxed), 3);
    assert_eq!(server.stats().requests.load(Relaxed), 3);
}

#[test]
fn dropping_background_stops_it() {
    let server = start(ServeConfig::default());
    let addr = server.addr();
    let mut open = connect(addr);
    send(&mut open, GET);
    read_response(&mut open, false);
    drop(server);
    assert_closed(&mut open);
    if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
        let mut conn = BufReader::new(stream);
        conn.get_mut().set_read_timeout(Some(TIMEOUT)).unwrap();
        let _ = conn.get_mut().write_all(GET);
        assert_closed(&mut conn);
    }
}

#[tokio::test]
async fn serve_returns_once_shutdown_resolves() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(ServeStats::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move { drop(stopped.await) };
    let server = tokio::spawn(serve(
        listener,
        ServeConfig::default(),
        stats.clone(),
        shutdown,
    ));
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
    let mut resp = Vec::new();
    client.read_to_end(&mut resp).await.unwrap();
    assert!(resp.starts_with(b"HTTP/1.1 200 OK\r\n") && resp.ends_with(b"\r\n\r\nHello, World!"));
    stop.send(()).unwrap();
    tokio::time::timeout(TIMEOUT, server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(stats.requests.load(Relaxed), 1);
}

#[test]
fn accept_errors_back_off_and_recover() {
    let mut backoff = Backoff::default();
    let emfile = std::io::Error::from_raw_os_error(24);
    let aborted = std::io::Error::from(std::io::ErrorKind::ConnectionAborted);
    assert_eq!(backoff.pause(&aborted), None);
    assert_eq!(backoff.pause(&emfile), Some(Backoff::MIN));
    assert_eq!(backoff.pause(&emfile), Some(Backoff::MIN * 2));
    let longest = (0..20).filter_map(|_| backoff.pause(&emfile)).max();
    assert_eq!(longest, Some(Backoff::MAX));
    backoff.reset();
    assert_eq!(backoff.pause(&emfile), Some(Backoff::MIN));
}

#[test]
fn max_inflight_queues_requests_beyond_capacity() {
    let delay = Duration::from_millis(100);
    let server = start(ServeConfig {
        delay: Some(delay),
        max_inflight: Some(2),
        ..ServeConfig::default()
    });
    let started = Instant::now();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let addr = server.addr();
            std::thread::spawn(move || {
                let mut conn = connect(addr);
                send(&mut conn, GET);
                read_response(&mut conn, false);
                started.elapsed()
            })
        })
        .collect();
    let mut done: Vec<Duration> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    done.sort();
    // Two are served at once, the other two wait one delay for a slot.
    assert!(done[1] < delay * 2 - Duration::from_millis(20), "{done:?}");
    assert!(done[2] >= delay * 2 && done[3] >= delay * 2, "{done:?}");
}
