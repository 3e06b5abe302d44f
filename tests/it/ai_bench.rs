//! `vastar ai-bench`: the chat-completion requests that reach a scripted server (rotating
//! prompts, the bearer key), what never reaches the output (the key), and bad input.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::request::Request;
use crate::support::{answer_ok, run, run_cmd, vastar, Run, ScriptServer};

/// A JSON Lines file of prompts in the system's temp directory, unique to this test.
fn prompts_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("vastar-it-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("write the prompts file");
    path
}

/// `vastar ai-bench ARGS`, with `OPENAI_API_KEY` set to `env_key` (or removed).
fn ai_bench(args: &[&str], env_key: Option<&str>) -> Run {
    let mut cmd = vastar();
    cmd.arg("ai-bench").args(args);
    match env_key {
        Some(key) => cmd.env("OPENAI_API_KEY", key),
        None => cmd.env_remove("OPENAI_API_KEY"),
    };
    run_cmd(&mut cmd)
}

fn body_json(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("the body is JSON")
}

#[test]
fn prompts_rotate_over_streaming_chat_completions_to_the_default_path() {
    let server = ScriptServer::start(answer_ok);
    let file = prompts_file(
        "three.jsonl",
        "\"first\"\n\n{\"prompt\": \"caf\u{e9} \\\"quoted\\\"\"}\n\
         {\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"third\"}]}\n",
    );
    let url = server.url("");
    let run = ai_bench(
        &[
            "-o",
            "json",
            "-n",
            "31",
            "-c",
            "3",
            "--model",
            "tiny",
            "--max-tokens",
            "16",
        ]
        .into_iter()
        .chain(["--prompts", file.to_str().unwrap(), &url])
        .collect::<Vec<_>>(),
        None,
    )
    .success();
    let requests = server.requests();
    assert_eq!(requests.len(), 31);
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for request in &requests {
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            ("POST", "/v1/chat/completions")
        );
        assert_eq!(request.only_header("content-type"), "application/json");
        assert!(request.header_values("accept-encoding").is_empty());
        assert!(request.header_values("authorization").is_empty());
        let body = body_json(request);
        assert_eq!(
            (&body["model"], &body["max_tokens"]),
            (&"tiny".into(), &16.into())
        );
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        let messages = body["messages"].as_array().expect("messages");
        let last = messages.last().expect("a message")["content"]
            .as_str()
            .unwrap();
        *uses.entry(last.to_string()).or_default() += 1;
    }
    // One worker (c < 128) takes the three prompts in turn: 11, 10, 10.
    let counts: Vec<usize> = uses.values().copied().collect();
    assert_eq!(uses.len(), 3, "{uses:?}");
    assert!(uses.contains_key("caf\u{e9} \"quoted\""), "{uses:?}");
    assert!(counts.iter().all(|&n| n == 10 || n == 11), "{uses:?}");
    let report = run.report();
    assert_eq!(report.params.model.as_deref(), Some("tiny"));
    assert_eq!(report.params.prompts, Some(3));
    assert_eq!(report.params.method, "POST");
    assert!(
        report.params.url.ends_with("/v1/chat/completions"),
        "{}",
        report.params.url
    );
}

#[test]
fn the_api_key_arrives_but_is_never_printed_and_the_flag_beats_the_environment() {
    let server = ScriptServer::start(answer_ok);
    let url = server.url("/v1/chat/completions");
    let flag_key = "sk-flag-0123456789";
    let env_key = "sk-env-9876543210";
    let base = ["-n", "4", "-c", "2", "--model", "m", "--prompt", "hi"];
    for output in ["text", "json"] {
        let args: Vec<&str> = base
            .into_iter()
            .chain(["-o", output, "--api-key", flag_key, &url])
            .collect();
        let run = ai_bench(&args, Some(env_key)).success();
        let printed = format!("{}{}", run.stdout_text(), run.stderr);
        for key in [flag_key, env_key, "sk-"] {
            assert!(
                !printed.contains(key),
                "{output} output shows a key:\n{printed}"
            );
        }
    }
    let from_env = ai_bench(&[&base[..], &[url.as_str()]].concat(), Some(env_key)).success();
    assert!(!format!("{}{}", from_env.stdout_text(), from_env.stderr).contains(env_key));
    let keys: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.only_header("authorization"))
        .collect();
    let expected: Vec<String> = std::iter::repeat_n(format!("Bearer {flag_key}"), 8)
        .chain(std::iter::repeat_n(format!("Bearer {env_key}"), 4))
        .collect();
    assert_eq!(keys, expected);
}

#[test]
fn poisson_arrivals_apply_to_ai_bench_and_record_their_seed() {
    let server = ScriptServer::start(answer_ok);
    let url = server.url("/");
    let args = [
        "-o",
        "json",
        "-n",
        "100",
        "-c",
        "4",
        "--rate",
        "200",
        "--arrival",
        "poisson",
        "--seed",
        "3",
        "--model",
        "m",
        "--prompt",
        "p",
        &url,
    ];
    let report = ai_bench(&args, None).success().report();
    assert_eq!(report.summary.successful, 100);
    // 100 requests at 200/s: about half a second (a Poisson count's sd is 10% here).
    let send_s = report.summary.send_secs;
    assert!((0.3..0.9).contains(&send_s), "{send_s}");
    assert_eq!(report.params.arrival.as_deref(), Some("poisson"));
    assert_eq!(
        (report.params.burstiness, report.params.seed),
        (Some(1.0), Some(3))
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let bad = prompts_file("bad.jsonl", "\"ok\"\n\n{\"prompt\": 7}\n");
    let empty = prompts_file("empty.jsonl", "\n   \n");
    let (bad, empty) = (bad.to_str().unwrap(), empty.to_str().unwrap());
    let url = "http://127.0.0.1:1/";
    let cases: [(&[&str], &str); 7] = [
        (&["--model", "m", "--prompts", bad, url], "line 3"),
        (&["--model", "m", "--prompts", empty, url], "no prompts"),
        (
            &["--model", "m", "--prompts", "/nonexistent/p.jsonl", url],
            "cannot read",
        ),
        (&["--model", "m", url], "--prompt"),
        (&["--prompt", "p", url], "--model"),
        (
            &["--model", "m", "--prompt", "p", "--prompts", bad, url],
            "--prompt",
        ),
        (
            &["--model", "m", "--prompt", "p", "--arrival", "poisson", url],
            "--rate",
        ),
    ];
    for (args, expected) in cases {
        let run = ai_bench(args, None).expect_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("vastar: error: "), "{}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    assert!(run("ai-bench --help", &[])
        .success()
        .stdout_text()
        .contains("round robin"));
}

#[test]
fn prompts_rotate_over_http2_streams_too() {
    use crate::support::h2::{H2Server, Script};
    use std::sync::atomic::Ordering::Relaxed;
    use vastar::cli::prompts::{chat_body, of_text};
    let server = H2Server::start(Script::default());
    let file = prompts_file(
        "h2.jsonl",
        "\"a\"\n\"bbbbbbbbbb\"\n\"cccccccccccccccccccccccccccccc\"\n",
    );
    let url = server.url();
    let args = [
        "-o",
        "json",
        "-n",
        "30",
        "-c",
        "1",
        "--http2",
        "--streams",
        "3",
        "--model",
        "m",
        "--prompts",
        file.to_str().unwrap(),
        &url,
    ];
    let run = ai_bench(&args, None).success();
    // The scripted server answers plain text: measured as streams, those are counted.
    let report = run.report();
    let stream = report
        .stream
        .expect("ai-bench measures streams over HTTP/2 too");
    assert_eq!(stream.errors.not_streaming, 30);
    // One worker takes the three bodies in turn: ten of each, not thirty of the first.
    let each: u64 = ["a", "bbbbbbbbbb", "cccccccccccccccccccccccccccccc"]
        .iter()
        .map(|p| chat_body("m", &of_text(p), None).len() as u64)
        .sum();
    assert_eq!(server.counts.body_bytes.load(Relaxed), 10 * each);
}
