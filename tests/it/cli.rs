//! The command line contract: exit codes, one-line errors for bad input, and the `demo` and
//! `serve` subcommands.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{run, run_json, unused_local_addr, url_of};

/// Checks one bad invocation (`vastar -t 1 ARGS`): exit 2, nothing on stdout, one stderr
/// line that contains every `fragment` and no panic text. Returns what is wrong, if anything.
fn problems_with_bad_input(args: &[&str], fragments: &[&str]) -> Option<String> {
    problems_with("-t 1", args, fragments)
}

/// [`problems_with_bad_input`] for `vastar FLAGS ARGS`.
fn problems_with(flags: &str, args: &[&str], fragments: &[&str]) -> Option<String> {
    let run = run(flags, args);
    let mut problems = Vec::new();
    if run.code != Some(2) {
        problems.push(format!("exit code {:?}", run.code));
    }
    if !run.stdout.is_empty() {
        problems.push(format!("stdout not empty: {:?}", run.stdout_text()));
    }
    if run.stderr.lines().count() != 1 {
        problems.push("stderr is not exactly one line".to_string());
    }
    for fragment in fragments {
        if !run.stderr.contains(fragment) {
            problems.push(format!("stderr does not mention {fragment:?}"));
        }
    }
    if run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE") {
        problems.push("stderr shows a panic".to_string());
    }
    let stderr = &run.stderr;
    (!problems.is_empty())
        .then(|| format!("{args:?}: {}\n  stderr: {stderr:?}", problems.join("; ")))
}

/// Asserts that `vastar -t 1 ARGS` is rejected as [`problems_with_bad_input`] requires.
fn assert_bad_input(args: &[&str], fragments: &[&str]) {
    if let Some(problem) = problems_with_bad_input(args, fragments) {
        panic!("{problem}");
    }
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_problem() {
    // Never reached (validation comes first), but refused at once if it ever were.
    let url = url_of(unused_local_addr());
    let url = url.as_str();
    let missing_file = "/nonexistent/vastar-body.bin";
    let cases: &[(&[&str], &[&str])] = &[
        (&["not a url"], &["not a url"]),
        (&["ftp://x/"], &["ftp"]),
        (&["-z", "abc", url], &["-z", "abc"]),
        (&["-z", "10", url], &["-z", "10"]),
        (&["-c", "0", url], &["-c"]),
        (&["-n", "0", url], &["-n"]),
        (&["-D", missing_file, url], &[missing_file]),
        (&["-H", "novalue", url], &["-H", "Name: value"]),
        (&["--no-such-flag", url], &["--no-such-flag"]),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(args, fragments)| problems_with_bad_input(args, fragments))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn negative_counts_units_on_t_and_a_second_url_are_named() {
    let url = url_of(unused_local_addr());
    let url = url.as_str();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["-n", "-5", url],
            &["-n takes a count", "positive", "\"-5\""],
        ),
        (
            &["-c", "-5", url],
            &["-c takes a count", "positive", "\"-5\""],
        ),
        (&["-n", "1.5", url], &["-n takes a count", "whole number"]),
        (
            &["-t", "1s", url],
            &["-t takes seconds as a number (e.g. -t 1.5", "got \"1s\""],
        ),
        (&["-t", "-5", url], &["-t must be a non-negative number"]),
        (
            &["-q", "-5", url],
            &["-q must be a number of requests per second"],
        ),
        (
            &["--redirect", "-1", url],
            &["--redirect takes a whole number"],
        ),
        (
            &["--cpus", "-1", url],
            &["--cpus takes a count", "positive"],
        ),
        (&["--hist-bins", "-1", url], &["--hist-bins takes a count"]),
        (&["-z", "-1s", url], &["invalid duration \"-1s\""]),
        (
            &["--rate", "1e10", url],
            &["--rate must be a number", "1e9"],
        ),
        (
            &["--rate", "-5", url],
            &["--rate must be a number of requests per second"],
        ),
        (
            &["http://127.0.0.1:1/", "http://127.0.0.1:2/"],
            &["one URL", "second argument \"http://127.0.0.1:2/\""],
        ),
        (&["-H", "Accept:", "text/html", url], &["one URL", "quote"]),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(args, fragments)| problems_with("", args, fragments))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let unexpected = run("", &["-n", "-5", url]);
    assert!(
        !unexpected.stderr.contains("unexpected argument"),
        "{}",
        unexpected.stderr
    );
}

#[test]
fn a_timeout_below_one_millisecond_exits_2() {
    // Every request would time out at once, in a loop that measures nothing.
    let url = url_of(unused_local_addr());
    let refused = run("", &["-t", "0.0000001", &url]);
    assert_eq!(refused.code, Some(2), "stderr: {}", refused.stderr);
    assert_eq!(
        refused.stderr.lines().count(),
        1,
        "stderr: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("below 1 ms"),
        "stderr: {}",
        refused.stderr
    );
}

#[test]
fn a_missing_url_exits_2_with_one_line_naming_it() {
    assert_bad_input(&[], &["URL"]);
}

#[test]
fn unknown_schemes_are_rejected_naming_the_ones_supported() {
    assert_bad_input(&["ftp://127.0.0.1/"], &["ftp", "http://", "https://"]);
}

#[test]
fn help_lists_the_exit_codes() {
    let run = run("--help", &[]).success();
    let help = run.stdout_text();
    assert!(help.contains("Exit codes"), "{help}");
    assert!(help.contains("130"), "{help}");
}

#[test]
fn demo_over_https_trusts_the_certificate_it_gave_the_built_in_target() {
    let report = run("demo --https -z 300ms -c 2 -o json", &[])
        .success()
        .report();
    assert!(report.summary.successful > 0);
    assert_eq!(report.summary.failed, 0);
    assert_eq!(report.tls.as_deref(), Some("TLSv1.3"));
}

#[test]
fn demo_benchmarks_the_built_in_target_and_prints_a_report() {
    let run = run("demo -z 1s -c 4", &[]).success();
    assert!(
        run.stdout_text().contains("Requests/sec:"),
        "stdout:\n{}",
        run.stdout_text()
    );
    assert!(
        run.elapsed < Duration::from_secs(20),
        "took {:?}",
        run.elapsed
    );
}

/// A child process killed (by its own handle) when the test ends, pass or fail.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `vastar serve ARGS` on a free port and returns it (killed on drop) with the first
/// line it printed on stderr, read off-thread so a silent server fails the test instead of
/// hanging it.
fn serve_with_banner(args: &[&str]) -> (KillOnDrop, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_vastar"))
        .arg("serve")
        .args(args)
        .args(["--addr", "127.0.0.1:0", "--threads", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vastar serve");
    let mut child = KillOnDrop(child);
    let stderr = child.0.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stderr).read_line(&mut line);
        let _ = tx.send(line);
    });
    let banner = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("vastar serve printed its address");
    (child, banner)
}

#[test]
fn serve_answers_a_load_run_until_killed() {
    let (_child, banner) = serve_with_banner(&[]);
    let url = banner
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in the banner {banner:?}"));
    assert!(
        !url.ends_with(":0/"),
        "banner shows the unresolved port: {banner:?}"
    );
    let report = run_json("-n 20 -c 2 -t 5", &[url]);
    assert_eq!(report.summary.successful, 20);
    assert_eq!(report.summary.bytes_total, 20 * 13);
}

#[test]
fn serve_tls_prints_the_certificate_to_give_to_cacert() {
    let (_child, banner) = serve_with_banner(&["--tls"]);
    let words: Vec<&str> = banner.split_whitespace().collect();
    let url = words.iter().find(|w| w.starts_with("https://"));
    let cacert = words
        .iter()
        .position(|w| *w == "--cacert")
        .map(|i| words[i + 1]);
    let (Some(url), Some(cacert)) = (url, cacert) else {
        panic!("no https URL or --cacert in the banner {banner:?}");
    };
    let report = run_json("-n 20 -c 2 -t 5 --cacert", &[cacert, url]);
    assert_eq!(report.summary.successful, 20);
    assert_eq!(report.tls.as_deref(), Some("TLSv1.3"));
    let _ = std::fs::remove_file(cacert);
}

#[test]
fn serve_llm_streams_chat_completions_with_the_flags_timing() {
    let (_child, banner) = serve_with_banner(&["--llm", "--tokens", "3", "--ttft", "5ms"]);
    let url = banner
        .split_whitespace()
        .find(|word| word.ends_with("/v1/chat/completions"))
        .unwrap_or_else(|| panic!("no completions URL in the banner {banner:?}"));
    let body = r#"{"stream":true,"stream_options":{"include_usage":true}}"#;
    let report = run_json("-n 4 -c 2 -t 5 -m POST -d", &[body, url]);
    assert_eq!(report.summary.successful, 4);
    // Role, 3 tokens, stop, usage and [DONE]: seven events of at least 14 bytes each.
    assert!(report.summary.size_per_request > 7 * 14, "{report:?}");
}

#[test]
fn demo_llm_streams_from_the_simulated_model() {
    let report = run("demo --llm -z 600ms -c 4 -o json", &[])
        .success()
        .report();
    assert!(report.summary.successful >= 4, "{report:?}");
    assert_eq!(report.summary.failed, 0);
    assert_eq!(report.params.method, "POST");
    assert_eq!(report.params.model.as_deref(), Some("vastar-llm"));
    // The streams are measured: TTFT 100 ms, 20 tokens each (counted from usage).
    let stream = report
        .stream
        .as_ref()
        .expect("demo --llm measures the streams");
    let ttft = stream.ttft_ms["p50"].unwrap_or(0.0);
    assert!((100.0..200.0).contains(&ttft), "TTFT p50 {ttft}");
    assert_eq!(stream.output_tokens.source.as_deref(), Some("usage"));
    // TTFT 100 ms + 19 ITL of 20 ms.
    let p50 = report.latency_ms["p50"].as_f64().unwrap_or(0.0);
    assert!(p50 >= 480.0, "{:?}", report.latency_ms);
}
