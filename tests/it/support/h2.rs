//! A scripted HTTP/2 server (h2c, prior knowledge) built on the h2 crate: a stream limit
//! below the client's `--streams`, resets of chosen streams, a graceful GOAWAY after some
//! requests per connection, redirects routed by path. It counts what it answered, reset and
//! accepted.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use h2::Reason;
use http::Response;
use tokio::net::TcpListener;

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Script {
    /// SETTINGS_MAX_CONCURRENT_STREAMS it advertises (`None`: h2's default, unlimited).
    pub max_streams: Option<u32>,
    /// Resets every k-th request (server-wide) with `RST_STREAM(INTERNAL_ERROR)`.
    pub reset_every: Option<u64>,
    /// Never answers every k-th request (server-wide); the stream stays open.
    pub hang_every: Option<u64>,
    /// Sends a graceful GOAWAY after this many requests on a connection.
    pub goaway_after: Option<u64>,
    /// Answers as an OpenAI-style event stream instead: this many content events, one
    /// DATA frame each, this many milliseconds apart (the first after one gap), then
    /// `data: [DONE]`.
    pub sse: Option<(u32, u64)>,
    /// Routes by path, as `redirect_of` says: `/hop/N` redirects to `/hop/N-1` until
    /// `/hop/0`, `/loop` to itself, `/away` to another origin, `/form` (303) and `/keep`
    /// (307) to `/result`; any other path answers 200.
    pub redirects: bool,
}

/// One request the server received: method, path, body and content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// The status and `Location` the redirect script answers `path` with; `None`: 200.
fn redirect_of(path: &str) -> Option<(u16, String)> {
    if let Some(n) = path.strip_prefix("/hop/") {
        return match n.parse::<u32>() {
            Ok(0) | Err(_) => None,
            // Relative and absolute-path Locations in turn.
            Ok(n) if n % 2 == 0 => Some((302, format!("{}", n - 1))),
            Ok(n) => Some((301, format!("/hop/{}", n - 1))),
        };
    }
    match path {
        "/loop" => Some((302, "/loop".into())),
        "/away" => Some((301, "http://127.0.0.1:1/x".into())),
        "/form" => Some((303, "/result".into())),
        "/keep" => Some((307, "/result".into())),
        _ => None,
    }
}

/// What the server counted.
#[derive(Debug, Default)]
pub struct Counts {
    /// Streams accepted, server-wide.
    pub accepted: AtomicU64,
    pub answered: AtomicU64,
    /// Request body bytes received, over all streams.
    pub body_bytes: AtomicU64,
    pub reset: AtomicU64,
    pub connections: AtomicU64,
    /// Highest number of streams it saw open at once on one connection.
    pub max_open: AtomicU64,
    /// With `redirects`: every request, in the order they arrived.
    pub seen: Mutex<Vec<Seen>>,
}

/// The server on a free port of 127.0.0.1, running on its own thread for the test's life.
pub struct H2Server {
    pub addr: SocketAddr,
    pub counts: Arc<Counts>,
}

impl H2Server {
    /// Starts a server that follows `script`.
    pub fn start(script: Script) -> H2Server {
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let counts = Arc::new(Counts::default());
        let shared = Arc::clone(&counts);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                while let Ok((stream, _)) = listener.accept().await {
                    shared.connections.fetch_add(1, Relaxed);
                    tokio::spawn(connection(stream, script, Arc::clone(&shared)));
                }
            });
        });
        H2Server { addr, counts }
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

async fn connection(stream: tokio::net::TcpStream, script: Script, counts: Arc<Counts>) {
    // Small frames go out at once (Nagle would hold an event behind the client's delayed ACK).
    let _ = stream.set_nodelay(true);
    let mut builder = h2::server::Builder::new();
    if let Some(max) = script.max_streams {
        builder.max_concurrent_streams(max);
    }
    let Ok(mut conn) = builder.handshake::<_, Bytes>(stream).await else {
        return;
    };
    let open = Arc::new(AtomicU64::new(0));
    let mut seen = 0u64;
    while let Some(Ok((request, mut respond))) = conn.accept().await {
        seen += 1;
        let now_open = open.fetch_add(1, Relaxed) + 1;
        counts.max_open.fetch_max(now_open, Relaxed);
        let n = counts.accepted.fetch_add(1, Relaxed) + 1;
        let reset = script.reset_every.is_some_and(|k| n % k == 0);
        let hang = script.hang_every.is_some_and(|k| n % k == 0);
        let (counts, open) = (Arc::clone(&counts), Arc::clone(&open));
        tokio::spawn(async move {
            let (head, mut body) = request.into_parts();
            let mut received = Vec::new();
            while let Some(Ok(chunk)) = body.data().await {
                counts.body_bytes.fetch_add(chunk.len() as u64, Relaxed);
                let _ = body.flow_control().release_capacity(chunk.len());
                if script.redirects {
                    received.extend_from_slice(&chunk);
                }
            }
            if script.redirects {
                let content_type = head.headers.get("content-type");
                counts.seen.lock().unwrap().push(Seen {
                    method: head.method.to_string(),
                    path: head.uri.path().to_string(),
                    body: received,
                    content_type: content_type.map(|v| v.to_str().unwrap().to_string()),
                });
            }
            // A short pause keeps streams open at once, so the limit is exercised.
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            if hang {
                std::future::pending::<()>().await;
            }
            if reset {
                counts.reset.fetch_add(1, Relaxed);
                respond.send_reset(Reason::INTERNAL_ERROR);
            } else {
                counts.answered.fetch_add(1, Relaxed);
                let redirect = redirect_of(head.uri.path()).filter(|_| script.redirects);
                match script.sse {
                    Some((events, gap_ms)) => stream_events(&mut respond, events, gap_ms).await,
                    None => {
                        let response = match redirect {
                            Some((status, location)) => Response::builder()
                                .status(status)
                                .header("location", location),
                            None => Response::builder().status(200),
                        };
                        let response = response.body(()).unwrap();
                        if let Ok(mut body) = respond.send_response(response, false) {
                            let _ = body.send_data(Bytes::from_static(b"hello"), true);
                        }
                    }
                }
            }
            open.fetch_sub(1, Relaxed);
        });
        if script.goaway_after == Some(seen) {
            conn.graceful_shutdown();
        }
    }
}

/// An event stream: `events` content chunks `gap_ms` apart, each in its own DATA frame.
async fn stream_events(respond: &mut h2::server::SendResponse<Bytes>, events: u32, gap_ms: u64) {
    let response = Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .body(())
        .unwrap();
    let Ok(mut body) = respond.send_response(response, false) else {
        return;
    };
    let chunk = Bytes::from_static(b"data: {\"choices\":[{\"delta\":{\"content\":\"tok\"}}]}\n\n");
    for _ in 0..events {
        tokio::time::sleep(std::time::Duration::from_millis(gap_ms)).await;
        let _ = body.send_data(chunk.clone(), false);
    }
    let _ = body.send_data(Bytes::from_static(b"data: [DONE]\n\n"), true);
}
