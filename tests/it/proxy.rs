//! `-x` proxies: absolute-form requests to the proxy, the target's Host, the proxy's
//! credentials, and connect failures that name the proxy; CONNECT tunnels for `https://`
//! and `--http2` (TLS verified against the target, -n exact, one tunnel per connection, a
//! proxy that refuses before or during the run).

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::support::connect_proxy::{Answer, ConnectProxy};
use crate::support::tls::{Behaviour, Ca, TlsServer};
use crate::support::{
    builtin_h2, ok_response, run, run_json, unused_local_addr, Peer, ScriptServer,
};

/// A proxy that answers itself: `…/start` redirects to `/end`, anything else is 200.
fn fake_proxy(peer: &mut Peer) {
    while let Some(request) = peer.read_request() {
        let response = if request.target.ends_with("/start") {
            b"HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Length: 0\r\n\r\n".to_vec()
        } else {
            ok_response(b"ok")
        };
        if !peer.send(&response) || request.wants_close() {
            return;
        }
    }
}

#[test]
fn requests_go_to_the_proxy_in_absolute_form_with_the_targets_host() {
    let proxy = ScriptServer::start(fake_proxy);
    // The target's name does not resolve: only the proxy's address is ever looked up.
    let target = "http://target.invalid:8080/path?q=1";
    let url = format!("http://u:s3cret@{}", proxy.addr());
    let report = run_json("-n 3 -c 1 -t 5", &["-x", &url, target]);
    assert_eq!(report.summary.successful, 3);
    assert_eq!(report.params.url, target);
    let shown = report.params.proxy.as_deref().expect("proxy in params");
    assert_eq!(shown, format!("http://***@{}", proxy.addr()));
    let requests = proxy.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.target, target);
        assert_eq!(request.only_header("host"), "target.invalid:8080");
        assert_eq!(
            request.only_header("proxy-authorization"),
            "Basic dTpzM2NyZXQ="
        );
    }
}

#[test]
fn hey_style_host_port_proxy_and_redirects_through_it() {
    let proxy = ScriptServer::start(fake_proxy);
    let addr = proxy.addr().to_string();
    let report = run_json("-n 2 -c 1 -t 5", &["-x", &addr, "http://t.invalid/start"]);
    assert_eq!(report.status_codes.get(&200), Some(&2));
    assert_eq!(report.redirects.followed, 2);
    let targets: Vec<String> = proxy.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        [
            "http://t.invalid/start",
            "http://t.invalid/end",
            "http://t.invalid/start",
            "http://t.invalid/end"
        ]
    );
    for request in proxy.requests() {
        assert!(request.header_values("proxy-authorization").is_empty());
    }
}

#[test]
fn a_refused_proxy_exits_3_with_one_line_naming_the_proxy() {
    let addr = unused_local_addr();
    let proxy = format!("http://{addr}");
    let refused = run("-n 2 -c 1 -t 2", &["-x", &proxy, "http://target.invalid/"]);
    let refused = refused.expect_code(3);
    let lines: Vec<&str> = refused.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", refused.stderr);
    assert!(
        lines[0].contains(&format!("cannot connect to proxy {addr}")),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].to_ascii_lowercase().contains("refused"),
        "{}",
        lines[0]
    );
    assert!(refused.elapsed < Duration::from_secs(10));
}

/// A name that does not resolve: only the proxy can reach it (the test proxy tunnels every
/// CONNECT to the test's target), and certificates are issued for it.
const TARGET: &str = "target.test";

/// An HTTPS/1.1 server whose certificate, signed by a fresh CA, names `names`; the CA's
/// PEM file for `--cacert`.
fn https_target(names: &[&str], file: &str) -> (TlsServer, String) {
    let ca = Ca::new(file);
    let server = TlsServer::start(&ca.issue(names, false), None, Behaviour::Serve);
    let pem = ca.pem_file(file).to_string_lossy().into_owned();
    (server, pem)
}

/// Exactly one line on stderr.
fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one stderr line, got {stderr:?}");
    lines[0]
}

#[test]
fn https_goes_through_a_connect_tunnel_verified_against_the_target_and_n_is_exact() {
    let (server, pem) = https_target(&[TARGET], "proxy-https-ca.pem");
    let proxy = ConnectProxy::start(server.addr(), Answer::Tunnel);
    let url = format!("https://{TARGET}:{}/", server.addr().port());
    let report = run_json(
        "-n 37 -c 5 -t 10 --cacert",
        &[&pem, "-x", &proxy.url(Some("u:s3cret")), &url],
    );
    assert_eq!(report.summary.successful, 37);
    assert_eq!(server.requests(), 37);
    // One tunnel per connection: the pre-connected five carried every request.
    assert_eq!(proxy.tunnels(), 5);
    assert_eq!(report.connections.opened, 5);
    assert_eq!(report.protocol, "http/1.1");
    assert_eq!(report.tls.as_deref(), Some("TLSv1.3"));
    for seen in proxy.seen() {
        let port = server.addr().port();
        assert_eq!(seen.line, format!("CONNECT {TARGET}:{port} HTTP/1.1"));
        assert_eq!(
            seen.proxy_authorization.as_deref(),
            Some("Basic dTpzM2NyZXQ=")
        );
    }
    assert_eq!(
        report.params.proxy.as_deref(),
        Some(proxy.url(Some("***")).as_str())
    );
    // Inside the tunnel the target sees an ordinary request, and no proxy credentials.
    for head in server.heads() {
        assert!(head.starts_with("GET / HTTP/1.1\r\n"), "{head}");
        let host = format!("\r\nhost: {TARGET}:{}\r\n", server.addr().port());
        assert!(head.to_ascii_lowercase().contains(&host), "{head}");
        assert!(!head.to_ascii_lowercase().contains("proxy-"), "{head}");
    }
}

#[test]
fn through_a_tunnel_the_certificate_must_name_the_target_not_the_proxy() {
    // Valid for the proxy's address, not for the target's name.
    let (server, pem) = https_target(&["127.0.0.1"], "proxy-wrong-name-ca.pem");
    let proxy = ConnectProxy::start(server.addr(), Answer::Tunnel);
    let url = format!("https://{TARGET}:{}/", server.addr().port());
    let refused = run(
        "-n 2 -c 1 -t 10 --cacert",
        &[&pem, "-x", &proxy.url(None), &url],
    );
    let refused = refused.expect_code(3);
    let line = one_line(&refused.stderr);
    assert!(line.contains("not valid for this host name"), "{line}");
    assert!(line.contains(TARGET), "{line}");
    assert_eq!(server.requests(), 0);
}

#[test]
fn without_keep_alive_every_https_request_opens_its_own_tunnel() {
    let (server, pem) = https_target(&[TARGET], "proxy-close-ca.pem");
    let proxy = ConnectProxy::start(server.addr(), Answer::Tunnel);
    let url = format!("https://{TARGET}:{}/", server.addr().port());
    let report = run_json(
        "-n 12 -c 2 -t 10 --disable-keepalive --cacert",
        &[&pem, "-x", &proxy.url(None), &url],
    );
    assert_eq!(report.summary.successful, 12);
    assert_eq!(server.requests(), 12);
    assert_eq!(report.connections.opened, 12);
    assert_eq!(proxy.tunnels(), 12);
    // Sessions resume through tunnels as directly: the client names the same target.
    assert!(server.resumed() >= 8, "{} of 12 resumed", server.resumed());
    assert!(proxy.seen().iter().all(|s| s.proxy_authorization.is_none()));
}

#[test]
fn http2_over_tls_goes_through_a_tunnel_exact_across_streams() {
    let (server, pem) = builtin_h2(13, Some(TARGET));
    let proxy = ConnectProxy::start(server.addr(), Answer::Tunnel);
    let url = format!("https://{TARGET}:{}/", server.addr().port());
    let pem = pem.expect("a PEM file");
    let report = run_json(
        "-n 300 -c 3 --streams 7 -t 10 --http2 --cacert",
        &[&pem, "-x", &proxy.url(None), &url],
    );
    assert_eq!(report.summary.successful, 300);
    assert_eq!(server.stats().requests.load(Relaxed), 300);
    assert_eq!(report.protocol, "h2");
    assert_eq!(report.tls.as_deref(), Some("TLSv1.3"));
    assert_eq!(proxy.tunnels(), 3);
    assert_eq!(server.stats().connections.load(Relaxed), 3);
}

#[test]
fn h2c_goes_through_a_tunnel_instead_of_absolute_form() {
    let (server, _) = builtin_h2(13, None);
    let proxy = ConnectProxy::start(server.addr(), Answer::Tunnel);
    let port = server.addr().port();
    let url = format!("http://{TARGET}:{port}/");
    let report = run_json(
        "-n 200 -c 2 --streams 5 -t 10 --http2",
        &["-x", &proxy.url(Some("u:s3cret")), &url],
    );
    assert_eq!(report.summary.successful, 200);
    assert_eq!(server.stats().requests.load(Relaxed), 200);
    assert_eq!(report.protocol, "h2");
    assert_eq!(report.tls, None);
    assert_eq!(proxy.tunnels(), 2);
    let seen = proxy.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].line, format!("CONNECT {TARGET}:{port} HTTP/1.1"));
    assert_eq!(
        seen[0].proxy_authorization.as_deref(),
        Some("Basic dTpzM2NyZXQ=")
    );
}

#[test]
fn a_proxy_that_refuses_the_connect_exits_3_with_one_line_naming_it_and_the_status() {
    let (server, pem) = https_target(&[TARGET], "proxy-407-ca.pem");
    let proxy = ConnectProxy::start(
        server.addr(),
        Answer::TunnelThenRefuse(0, "407 Proxy Authentication Required"),
    );
    let url = format!("https://{TARGET}:{}/", server.addr().port());
    let refused = run(
        "-n 5 -c 2 -t 10 --cacert",
        &[&pem, "-x", &proxy.url(Some("u:wrong")), &url],
    );
    let refused = refused.expect_code(3);
    let line = one_line(&refused.stderr);
    assert!(line.starts_with("vastar: error: "), "{line}");
    assert!(
        line.contains(&format!("proxy http://***@{}", proxy.addr)),
        "{line}"
    );
    assert!(line.contains("407 Proxy Authentication Required"), "{line}");
    assert!(!line.contains("wrong"), "{line}");
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_connect_refused_during_the_run_is_a_counted_connect_error() {
    let (server, pem) = https_target(&[TARGET], "proxy-502-ca.pem");
    let proxy = ConnectProxy::start(
        server.addr(),
        Answer::TunnelThenRefuse(3, "502 Bad Gateway"),
    );
    let url = format!("https://{TARGET}:{}/", server.addr().port());
    let report = run_json(
        "-n 8 -c 1 -t 10 --disable-keepalive --cacert",
        &[&pem, "-x", &proxy.url(None), &url],
    );
    assert_eq!(report.summary.successful, 3);
    assert_eq!(server.requests(), 3);
    assert_eq!(
        report.errors.get("connect"),
        Some(&5),
        "{:?}",
        report.errors
    );
    let text = run(
        "-n 2 -c 1 -t 10 --disable-keepalive --cacert",
        &[&pem, "-x", &proxy.url(None), &url],
    );
    // Every CONNECT is refused now: nothing measurable.
    let text = text.expect_code(3);
    assert!(one_line(&text.stderr).contains("502 Bad Gateway"));
}
