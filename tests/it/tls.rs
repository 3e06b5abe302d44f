//! `https://`: verification against `--cacert`, `-k`, bad certificates, mTLS, -n exactness
//! and a server that hangs mid-handshake, against local servers with throwaway certificates.

use std::time::Duration;

use crate::support::scratch_file;
use crate::support::tls::{self_signed_ca_leaf, Behaviour, Ca, TlsServer};
use crate::support::{run, run_json};

/// A CA, a server certificate for 127.0.0.1 it signed, and that server.
fn verified_server(name: &str) -> (Ca, TlsServer) {
    let ca = Ca::new(name);
    let identity = ca.issue(&["127.0.0.1", "localhost"], false);
    let server = TlsServer::start(&identity, None, Behaviour::Serve);
    (ca, server)
}

/// Exactly one line on stderr, which the test then reads.
fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one stderr line, got {stderr:?}");
    lines[0]
}

#[test]
fn a_certificate_from_cacert_is_verified_and_n_is_exact() {
    let (ca, server) = verified_server("exact");
    let cacert = ca.pem_file("exact-ca.pem");
    let cacert = cacert.to_str().unwrap();
    let report = run_json("-n 37 -c 5 -t 5 --cacert", &[cacert, &server.url()]);
    assert_eq!(report.summary.successful, 37);
    assert_eq!(server.requests(), 37);
    assert_eq!(report.protocol, "http/1.1");
    assert!(
        matches!(report.tls.as_deref(), Some("TLSv1.3")),
        "{:?}",
        report.tls
    );
    assert!(report.details_ms["tls"]["avg"].as_f64().unwrap() > 0.0);
    let text = run("-n 3 -c 1 -t 5 --cacert", &[cacert, &server.url()]).success();
    let text = text.stdout_text();
    assert!(
        text.contains("Protocol:     HTTP/1.1 over TLSv1.3"),
        "{text}"
    );
    assert!(text.contains("  tls:"), "{text}");
}

#[test]
fn an_unknown_issuer_is_one_line_and_exit_3_and_k_skips_verification_with_a_warning() {
    let (_ca, server) = verified_server("unknown");
    let refused = run("-n 5 -c 2 -t 5", &[&server.url()]).expect_code(3);
    let line = one_line(&refused.stderr);
    assert!(line.starts_with("vastar: error: "), "{line}");
    assert!(line.contains("unknown authority"), "{line}");
    assert!(refused.stdout.is_empty());
    let insecure = run("-o json -n 5 -c 2 -t 5 -k", &[&server.url()]).success();
    let warning = one_line(&insecure.stderr);
    assert!(
        warning.contains("warning") && warning.contains("-k"),
        "{warning}"
    );
    assert_eq!(insecure.report().summary.successful, 5);
}

#[test]
fn expired_and_wrong_host_certificates_name_the_reason() {
    let ca = Ca::new("reasons");
    let cacert = ca.pem_file("reasons-ca.pem");
    let cacert = cacert.to_str().unwrap();
    for (names, expired, reason) in [
        (&["127.0.0.1"][..], true, "expired"),
        (&["other.example"][..], false, "not valid for this host"),
    ] {
        let server = TlsServer::start(&ca.issue(names, expired), None, Behaviour::Serve);
        let refused = run("-n 2 -c 1 -t 5 --cacert", &[cacert, &server.url()]).expect_code(3);
        let line = one_line(&refused.stderr);
        assert!(line.contains(reason), "{reason}: {line}");
        assert_eq!(server.requests(), 0);
    }
}

#[test]
fn missing_or_unreadable_tls_files_are_usage_errors() {
    let missing = "/nonexistent/vastar-ca.pem";
    for flags in [
        format!("--cacert {missing}"),
        format!("--cert {missing} --key {missing}"),
    ] {
        let refused = run(&format!("-n 1 {flags}"), &["https://127.0.0.1:1/"]).expect_code(2);
        assert!(
            one_line(&refused.stderr).contains(missing),
            "{}",
            refused.stderr
        );
    }
    let not_pem = scratch_file("not-a-ca.pem", b"hello");
    let refused = run(
        "-n 1 --cacert",
        &[not_pem.to_str().unwrap(), "https://127.0.0.1:1/"],
    );
    assert!(one_line(&refused.expect_code(2).stderr).contains("--cacert"));
    let client = Ca::new("keyless").issue(&["client.example"], false);
    let cert = scratch_file("keyless.pem", client.cert_pem.as_bytes());
    let flags = format!("-n 1 --cert {} --key", cert.display());
    let refused = run(&flags, &[not_pem.to_str().unwrap(), "https://127.0.0.1:1/"]);
    assert!(one_line(&refused.expect_code(2).stderr).contains("private key"));
}

#[test]
fn mutual_tls_serves_a_client_certificate_and_refuses_a_client_without_one() {
    let ca = Ca::new("mtls");
    let server_identity = ca.issue(&["127.0.0.1"], false);
    let server = TlsServer::start(&server_identity, Some(&ca), Behaviour::Serve);
    let client = ca.issue(&["client.example"], false);
    let cacert = ca.pem_file("mtls-ca.pem");
    let cert = scratch_file("mtls-client.pem", client.cert_pem.as_bytes());
    let key = scratch_file("mtls-client.key", client.key_pem.as_bytes());
    let (cacert, cert, key) = (
        cacert.to_str().unwrap(),
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
    );
    let url = server.url();
    let accepted = run_json(
        "-n 10 -c 2 -t 5",
        &["--cacert", cacert, "--cert", cert, "--key", key, &url],
    );
    assert_eq!(accepted.summary.successful, 10);
    // TLS 1.3 clients finish their handshake before the server judges them, so the refusal
    // arrives on the first read: every request fails and is counted, none hangs.
    let refused = run("-o json -n 4 -c 1 -t 5 --cacert", &[cacert, &url]);
    if refused.code == Some(0) {
        let report = refused.report();
        assert_eq!(report.summary.successful, 0);
        assert_eq!(report.summary.failed, 4);
    } else {
        refused.expect_code(3);
    }
    assert_eq!(server.requests(), 10);
}

#[test]
fn a_server_that_hangs_mid_handshake_is_a_counted_timeout_not_a_hang() {
    let ca = Ca::new("hang");
    let identity = ca.issue(&["127.0.0.1"], false);
    // The first connection (pre-connected) works; every later handshake hangs.
    let server = TlsServer::start(&identity, None, Behaviour::HangAfter(1));
    let cacert = ca.pem_file("hang-ca.pem");
    let partial = run(
        "-o json -n 4 -c 1 -t 0.5 --disable-keepalive --cacert",
        &[cacert.to_str().unwrap(), &server.url()],
    )
    .success();
    let report = partial.report();
    assert_eq!(report.summary.successful, 1);
    assert_eq!(report.summary.failed, 3);
    assert_eq!(
        report.errors_of("timeout") + report.errors_of("connect_timeout"),
        3
    );
    assert!(
        partial.elapsed < Duration::from_secs(15),
        "{:?}",
        partial.elapsed
    );
    // Nothing answers at all: the run ends, one line, exit 3.
    let dead = TlsServer::start(&identity, None, Behaviour::HangAfter(0));
    let refused = run(
        "-n 2 -c 1 -t 0.5 --cacert",
        &[cacert.to_str().unwrap(), &dead.url()],
    )
    .expect_code(3);
    let line = one_line(&refused.stderr);
    assert!(line.contains("timed out"), "{line}");
}

#[test]
fn without_keep_alive_every_request_shakes_hands_and_resumes_the_session() {
    let (ca, server) = verified_server("resume");
    let cacert = ca.pem_file("resume-ca.pem");
    let report = run_json(
        "-n 20 -c 1 -t 5 --disable-keepalive --cacert",
        &[cacert.to_str().unwrap(), &server.url()],
    );
    assert_eq!(report.summary.successful, 20);
    assert_eq!(report.connections.opened, 20);
    // The first handshake is a full one; the client resumes with the tickets it got since.
    assert!(server.resumed() >= 15, "{} of 20 resumed", server.resumed());
}

#[test]
fn a_self_signed_certificate_given_in_cacert_is_trusted_as_curl_does_but_its_name_is_checked() {
    let identity = self_signed_ca_leaf(&["127.0.0.1"]);
    let server = TlsServer::start(&identity, None, Behaviour::Serve);
    let cacert = scratch_file("self-signed.pem", identity.cert_pem.as_bytes());
    let cacert = cacert.to_str().unwrap();
    let report = run_json("-n 6 -c 2 -t 5 --cacert", &[cacert, &server.url()]);
    assert_eq!(report.summary.successful, 6);
    let other = self_signed_ca_leaf(&["other.example"]);
    let server = TlsServer::start(&other, None, Behaviour::Serve);
    let cacert = scratch_file("self-signed-other.pem", other.cert_pem.as_bytes());
    let refused = run(
        "-n 2 -c 1 -t 5 --cacert",
        &[cacert.to_str().unwrap(), &server.url()],
    );
    let line = one_line(&refused.expect_code(3).stderr).to_string();
    assert!(line.contains("not valid for this host"), "{line}");
}

#[test]
fn the_built_in_target_serves_https_with_a_self_signed_certificate_for_cacert() {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::sync::atomic::Ordering::Relaxed;
    use vastar::serve::{tls, Background, ServeConfig};
    let cert = tls::self_signed(None).expect("a self-signed certificate");
    let config = ServeConfig {
        tls: Some(cert.config),
        ..ServeConfig::default()
    };
    let server = Background::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config, 1)
        .expect("start the built-in target");
    let cacert = scratch_file("serve-tls.pem", cert.cert_pem.as_bytes());
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{}/", server.addr().port());
        let report = run_json(
            "-n 25 -c 4 -t 5 --cacert",
            &[cacert.to_str().unwrap(), &url],
        );
        assert_eq!(report.summary.successful, 25, "{host}");
        assert_eq!(report.tls.as_deref(), Some("TLSv1.3"));
    }
    assert_eq!(server.stats().requests.load(Relaxed), 50);
    // Without the certificate, the client refuses the server: one line, exit 3.
    let url = format!("https://127.0.0.1:{}/", server.addr().port());
    let refused = run("-n 2 -c 1 -t 5", &[&url]).expect_code(3);
    assert!(one_line(&refused.stderr).contains("unknown authority"));
}

#[test]
fn a_tls_1_2_server_is_spoken_to_in_tls_1_2_and_reported_so() {
    let ca = Ca::new("tls12");
    let server = TlsServer::start(&ca.issue(&["127.0.0.1"], false), None, Behaviour::Tls12Only);
    let cacert = ca.pem_file("tls12-ca.pem");
    let report = run_json(
        "-n 8 -c 2 -t 5 --cacert",
        &[cacert.to_str().unwrap(), &server.url()],
    );
    assert_eq!(report.summary.successful, 8);
    assert_eq!(report.tls.as_deref(), Some("TLSv1.2"));
}
