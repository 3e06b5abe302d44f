use super::*;
use crate::cli::Cli;
use crate::config::DEFAULT_SEED;
use clap::Parser;

fn config(argv: &[&str]) -> Result<RunConfig, UsageError> {
    let cli = Cli::try_parse_from(std::iter::once("vastar").chain(argv.iter().copied())).unwrap();
    run_config(&cli.run)
}

fn header<'a>(c: &'a RunConfig, name: &str) -> Vec<&'a str> {
    if name.eq_ignore_ascii_case("host") {
        return vec![c.request.authority.as_str()];
    }
    c.request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn explicit_header_overrides_content_type_accept_and_auth() {
    let c = config(&[
        "-T",
        "text/plain",
        "-A",
        "a/b",
        "-a",
        "u:p",
        "-d",
        "x",
        "-H",
        "content-type: application/json",
        "-H",
        "Accept: c/d",
        "-H",
        "authorization: Bearer t",
        "http://h/",
    ])
    .unwrap();
    assert_eq!(header(&c, "content-type"), ["application/json"]);
    assert_eq!(header(&c, "accept"), ["c/d"]);
    assert_eq!(header(&c, "authorization"), ["Bearer t"]);
}

#[test]
fn streams_default_to_one_and_more_than_one_needs_http2() {
    assert_eq!(config(&["http://h/"]).unwrap().streams, 1);
    assert_eq!(config(&["--streams", "1", "http://h/"]).unwrap().streams, 1);
    let err = |argv: &[&str]| config(argv).unwrap_err().0;
    assert!(err(&["--streams", "0", "http://h/"]).contains("at least 1"));
    assert!(err(&["--streams", "10", "http://h/"]).contains("needs HTTP/2"));
    let h2 = config(&["--http2", "--streams", "10", "http://h/"]).unwrap();
    assert_eq!((h2.streams, h2.http2), (10, true));
    assert!(err(&["--http2", "--disable-keepalive", "http://h/"]).contains("--http2"));
}

#[test]
fn host_and_connection_stay_out_of_the_protocol_neutral_headers() {
    let c = config(&["--disable-keepalive", "-H", "Host: b.example", "http://h/"]).unwrap();
    assert_eq!(c.request.authority, "b.example");
    assert!(c
        .request
        .headers
        .iter()
        .all(|(n, _)| !n.eq_ignore_ascii_case("host") && !n.eq_ignore_ascii_case("connection")));
    assert!(!c.keepalive);
}

#[test]
fn last_header_wins_and_host_comes_from_url() {
    let c = config(&["-H", "X-A: 1", "-H", "x-a: 2", "http://[::1]:8080/p"]).unwrap();
    assert_eq!(header(&c, "x-a"), ["2"]);
    assert_eq!(header(&c, "host"), ["[::1]:8080"]);
}

#[test]
fn basic_auth_from_flag_or_url() {
    let c = config(&["http://al%20i:s3cret@h/"]).unwrap();
    assert_eq!(header(&c, "authorization"), ["Basic YWwgaTpzM2NyZXQ="]);
    let c = config(&["-a", "u:p", "http://x:y@h/"]).unwrap();
    assert_eq!(header(&c, "authorization"), ["Basic dTpw"]);
}

#[test]
fn content_type_only_with_body_or_flag() {
    assert!(header(&config(&["http://h/"]).unwrap(), "content-type").is_empty());
    assert_eq!(
        header(&config(&["-d", "x", "http://h/"]).unwrap(), "content-type"),
        ["text/html"]
    );
}

#[test]
fn errors_never_quote_secrets() {
    for argv in [
        &["-H", "Authorization Bearer s3cret", "http://h/"][..],
        &["-H", "Authorization: Bearer s3cret\r\nX: y", "http://h/"],
        &["-a", "user:s3cret\n", "http://h/"],
        &["-a", "nocolons3cret", "http://h/"],
        &["http://u:s3cret@h:0/"],
        &["-x", "http://u:s3cret@p:0", "http://h/"],
        &["-x", "ftp://u:s3cret@p", "http://h/"],
    ] {
        let message = config(argv).unwrap_err().0;
        assert!(!message.contains("s3cret"), "{argv:?}: {message}");
    }
}

#[test]
fn concurrency_is_clamped_to_requests() {
    assert_eq!(
        config(&["-n", "10", "-c", "50", "http://h/"])
            .unwrap()
            .concurrency,
        10
    );
    assert_eq!(
        config(&["-z", "1s", "-n", "10", "-c", "50", "http://h/"])
            .unwrap()
            .concurrency,
        50
    );
}

#[test]
fn bad_values_are_named() {
    let err = |argv: &[&str]| config(argv).unwrap_err().0;
    assert!(err(&["-c", "0", "http://h/"]).contains("-c"));
    assert!(err(&["-n", "0", "http://h/"]).contains("-n"));
    assert!(err(&["-q", "inf", "http://h/"]).contains("-q"));
    assert!(err(&["-H", "nocolon", "http://h/"]).contains("Name: value"));
    assert!(err(&["-H", "Bad Name: v", "http://h/"]).contains("Bad Name"));
    assert!(err(&["-H", "Content-Length: 5", "http://h/"]).contains("Content-Length"));
    assert!(err(&["-H", "X: a\rb", "http://h/"]).contains("control"));
    assert!(err(&["-m", "GE T", "http://h/"]).contains("method"));
    assert!(err(&["-a", "nocolon", "http://h/"]).contains("user:pass"));
    assert!(err(&["-D", "/nonexistent/file", "http://h/"]).contains("/nonexistent/file"));
    assert!(err(&["ftp://h/"]).contains("ftp"));
    assert!(err(&["--rate", "0", "http://h/"]).contains("--rate"));
    // Intervals the clock cannot keep: zero (a -z run would never end) or past
    // Duration's range (a panic).
    for rate in ["1e10", "1e-300", "inf", "NaN"] {
        assert!(
            err(&["--rate", rate, "http://h/"]).contains("--rate"),
            "{rate}"
        );
        assert!(err(&["-q", rate, "http://h/"]).contains("-q"), "{rate}");
    }
    assert!(config(&["--rate", "1e9", "-n", "1", "http://h/"]).is_ok());
    assert!(config(&["-q", "0.5", "http://h/"]).is_ok());
    assert!(err(&["--latency-correction", "http://h/"]).contains("-q"));
}

#[test]
fn histograms_are_log_scale_unless_asked_for_linear() {
    let options = |argv: &[&str]| {
        let argv = std::iter::once("vastar").chain(argv.iter().copied());
        report_options(&Cli::try_parse_from(argv).unwrap().run)
    };
    assert_eq!(options(&["http://h/"]), ReportOptions::default());
    assert_eq!(options(&["http://h/"]).hist_scale, HistScale::Log);
    let linear = options(&["--hist-scale", "linear", "--hist-bins", "20", "http://h/"]);
    assert_eq!(
        (linear.hist_bins, linear.hist_scale),
        (20, HistScale::Linear)
    );
}

#[test]
fn a_second_positional_is_named_without_its_password() {
    let message = config(&["http://a/", "http://u:s3cret@b/"]).unwrap_err().0;
    assert!(message.contains("one URL"), "{message}");
    assert!(message.contains("http://***@b/"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
    let message = config(&["-H", "Accept:", "text/html", "http://h/"])
        .unwrap_err()
        .0;
    assert!(
        message.contains("\"http://h/\" after \"text/html\""),
        "{message}"
    );
}

#[test]
fn hey_host_cpus_redirects_and_proxy() {
    let c = config(&["--host", "api.example", "--cpus", "2", "http://h:81/"]).unwrap();
    assert_eq!(header(&c, "host"), ["api.example"]);
    assert_eq!(c.max_workers, Some(2));
    assert_eq!(c.redirect_limit, 10);
    assert_eq!(c.proxy, None);
    assert!(config(&["--cpus", "0", "http://h/"])
        .unwrap_err()
        .0
        .contains("--cpus"));
    assert_eq!(
        config(&["--redirect", "3", "http://h/"])
            .unwrap()
            .redirect_limit,
        3
    );
    assert_eq!(
        config(&["--redirect", "100", "--disable-redirects", "http://h/"])
            .unwrap()
            .redirect_limit,
        0
    );
    let err = config(&["--redirect", "101", "http://h/"]).unwrap_err().0;
    assert!(err.contains("at most 100"), "{err}");
    let c = config(&["-x", "http://u:s3cret@127.0.0.1:3128", "http://h/"]).unwrap();
    let proxy = c.proxy.as_ref().unwrap();
    assert_eq!((proxy.host.as_str(), proxy.port), ("127.0.0.1", 3128));
    assert!(!proxy.display.contains("s3cret"));
    assert_eq!(header(&c, "proxy-authorization"), ["Basic dTpzM2NyZXQ="]);
    assert_eq!(header(&c, "host"), ["h"]);
    let bare = config(&["-x", "proxy.local:8080", "http://h/"]).unwrap();
    assert_eq!(bare.proxy.unwrap().port, 8080);
    assert!(config(&["-x", "https://p/", "http://h/"])
        .unwrap_err()
        .0
        .starts_with("-x"));
}

#[test]
fn tunnelled_proxies_keep_their_credentials_off_the_request() {
    let proxy = "http://u:s3cret@127.0.0.1:3128";
    for args in [
        ["-x", proxy, "https://h/"].as_slice(),
        &["-x", proxy, "--http2", "http://h/"],
        &["-x", proxy, "--http2", "https://h/"],
    ] {
        let c = config(args).unwrap();
        assert!(c.proxy_tunnels(), "{args:?}");
        assert!(header(&c, "proxy-authorization").is_empty(), "{args:?}");
        assert_eq!(
            c.proxy.unwrap().userinfo,
            Some(("u".into(), "s3cret".into()))
        );
    }
    assert!(!config(&["-x", proxy, "http://h/"]).unwrap().proxy_tunnels());
    assert!(!config(&["http://h/"]).unwrap().proxy_tunnels());
}

#[test]
fn slo_gates_are_parsed_or_named() {
    assert!(config(&["http://h/"]).unwrap().slo.is_empty());
    let c = config(&["--slo", "p99=250ms, errors=0.1%", "http://h/"]).unwrap();
    let names: Vec<String> = c.slo.iter().map(|g| g.name()).collect();
    assert_eq!(names, ["p99", "errors"]);
    let err = config(&["--slo", "p99=250ms,p99=fast", "http://h/"]).unwrap_err();
    assert_eq!(
        err.0,
        "invalid --slo gate \"p99=fast\": expected a duration like 250ms"
    );
}

#[test]
fn arrival_flags_need_rate_and_burstiness_needs_random_gaps() {
    let err = |argv: &[&str]| config(argv).unwrap_err().0;
    let arrival = |argv: &[&str]| config(argv).unwrap().arrival;
    assert_eq!(arrival(&["--rate", "10", "http://h/"]), Arrival::Constant);
    assert_eq!(
        arrival(&["--rate", "10", "--arrival", "poisson", "http://h/"]),
        Arrival::Poisson {
            burstiness: 1.0,
            seed: DEFAULT_SEED
        }
    );
    assert_eq!(
        arrival(&[
            "--rate",
            "10",
            "--burstiness",
            "0.5",
            "--seed",
            "7",
            "http://h/"
        ]),
        Arrival::Poisson {
            burstiness: 0.5,
            seed: 7
        }
    );
    for flag in [
        &["--arrival", "poisson"][..],
        &["--burstiness", "2"],
        &["--seed", "1"],
    ] {
        let message = err(&[flag, &["http://h/"]].concat());
        assert!(
            message.starts_with(flag[0]) && message.contains("--rate"),
            "{message}"
        );
    }
    let constant = ["--rate", "10", "--arrival", "constant"];
    assert!(
        err(&[&constant[..], &["--burstiness", "2", "http://h/"]].concat())
            .contains("--arrival poisson")
    );
    assert!(err(&[&constant[..], &["--seed", "2", "http://h/"]].concat()).contains("--seed"));
    for bad in ["0", "-1", "inf", "NaN"] {
        let message = err(&["--rate", "10", "--burstiness", bad, "http://h/"]);
        assert!(message.contains("--burstiness"), "{message}");
    }
}
