//! The CONNECT exchange byte by byte: every split point of the answer's head, a proxy that
//! refuses, talks garbage, closes early, never stops its head or never answers, and the
//! target's first bytes left in the socket for the protocol.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::transport::{classify_connect, ErrorKind};

const OK: &[u8] = b"HTTP/1.1 200 Connection established\r\nProxy-Agent: t\r\n\r\n";

#[test]
fn the_head_ends_after_its_empty_line_at_every_split_point() {
    for head in [OK, b"HTTP/1.0 200 OK\n\n".as_slice()] {
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(b"\r\n\r\nafter");
        for split in 0..=head.len() {
            // Bytes before `split` were searched already and held no end.
            let found = head_end(&bytes[..split], 0).or_else(|| head_end(&bytes, split));
            assert_eq!(found, Some(head.len()), "split at {split}");
        }
    }
    assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n", 0), None);
}

#[test]
fn the_connect_target_always_has_its_port_and_ipv6_brackets() {
    assert_eq!(authority("target.test", 443), "target.test:443");
    assert_eq!(authority("::1", 8443), "[::1]:8443");
}

#[test]
fn the_status_and_a_cleaned_reason_are_read_and_garbage_is_refused() {
    assert_eq!(status(OK).unwrap(), (200, "Connection established".into()));
    let denied = b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n";
    assert_eq!(status(denied).unwrap().0, 407);
    // A reason in another charset still gives its status; only ASCII is ever printed.
    let (code, reason) =
        status("HTTP/1.1 502 Mauvaise passerelle \u{e9}\r\n\r\n".as_bytes()).unwrap();
    assert_eq!(code, 502);
    assert!(
        reason.bytes().all(|b| b.is_ascii_graphic() || b == b' '),
        "{reason}"
    );
    for garbage in [
        b"SSH-2.0-OpenSSH\r\n\r\n".as_slice(),
        b"\x16\x03\x01\n\n",
        b"HTTP/1.1 502 Bad\x01Gateway\r\n\r\n",
    ] {
        assert!(matches!(status(garbage), Err(Fault::Garbage)));
    }
}

/// A proxy on `127.0.0.1:0` that reads the CONNECT head and then runs `answer` on the
/// socket; returns its address and the head it read.
async fn proxy<F, Fut>(answer: F) -> (SocketAddr, tokio::task::JoinHandle<String>)
where
    F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                break;
            }
            head.push(byte[0]);
        }
        answer(socket).await;
        String::from_utf8_lossy(&head).into_owned()
    });
    (addr, task)
}

fn tunnel(addr: SocketAddr, timeout: Duration, auth: Option<&str>) -> TunnelDial {
    let tcp = TcpDial::new(vec![addr], timeout).via_proxy(true);
    TunnelDial::new(tcp, "http://p", "target.test", 443, auth)
}

#[tokio::test]
async fn a_head_split_into_single_bytes_opens_the_tunnel_and_keeps_what_follows() {
    let (addr, seen) = proxy(|mut socket| async move {
        for byte in OK {
            socket.write_all(&[*byte]).await.unwrap();
            socket.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        socket.write_all(b"target first").await.unwrap();
        let _ = socket.read(&mut [0u8; 1]).await;
    })
    .await;
    let dial = tunnel(addr, Duration::from_secs(5), Some("Basic dTpw"));
    let mut dialed = dial.dial().await.expect("the tunnel opens");
    assert_eq!(dialed.handshake, None);
    let mut first = [0u8; 12];
    dialed.stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"target first");
    drop(dialed);
    let head = seen.await.unwrap();
    assert!(head.starts_with("CONNECT target.test:443 HTTP/1.1\r\nHost: target.test:443\r\n"));
    assert!(
        head.contains("\r\nProxy-Authorization: Basic dTpw\r\n"),
        "{head}"
    );
}

/// What dialing a proxy that answers `answer` (then closes, or holds the socket open for
/// `hold`) fails with.
async fn refusal(answer: &'static [u8], hold: Duration, timeout: Duration) -> io::Error {
    let (addr, _) = proxy(move |mut socket| async move {
        let _ = socket.write_all(answer).await;
        tokio::time::sleep(hold).await;
    })
    .await;
    match tunnel(addr, timeout, None).dial().await {
        Ok(_) => panic!("the tunnel opened on {answer:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn a_refusal_is_one_line_naming_the_proxy_and_the_status_counted_as_a_connect() {
    let quick = Duration::ZERO;
    let e = refusal(
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        quick,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        e.to_string(),
        "proxy http://p: CONNECT target.test:443: refused: 407 Proxy Authentication Required"
    );
    assert_eq!(classify_connect(&e), ErrorKind::Connect);
}

#[tokio::test]
async fn garbage_an_early_close_and_an_endless_head_fail_without_hanging() {
    let timeout = Duration::from_secs(5);
    let cases: [(&'static [u8], &str); 3] = [
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "the answer is not HTTP"),
        (
            b"HTTP/1.1 200 OK\r\nA: b",
            "closed the connection before answering",
        ),
        (&[b'x'; MAX_HEAD_BYTES + 4096], "over 16384 bytes"),
    ];
    for (answer, says) in cases {
        let e = refusal(answer, Duration::ZERO, timeout).await;
        assert!(e.to_string().contains(says), "{e}");
        assert_eq!(classify_connect(&e), ErrorKind::Connect);
    }
}

#[tokio::test]
async fn a_proxy_that_never_answers_is_a_connect_timeout() {
    let hold = Duration::from_secs(10);
    let e = refusal(b"HTTP/1.1 200", hold, Duration::from_millis(300)).await;
    assert!(
        e.to_string()
            .contains("no answer within the connect timeout"),
        "{e}"
    );
    assert_eq!(classify_connect(&e), ErrorKind::ConnectTimeout);
}
