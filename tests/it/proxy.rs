//! `-x` proxies: absolute-form requests to the proxy, the target's Host, the proxy's
//! credentials, and connect failures that name the proxy.

use std::time::Duration;

use crate::support::{ok_response, run, run_json, unused_local_addr, Peer, ScriptServer};

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
