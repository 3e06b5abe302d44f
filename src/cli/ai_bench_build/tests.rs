use super::*;
use crate::cli::{Cli, Command};
use clap::Parser;

fn parse(argv: &[&str]) -> Box<AiBenchArgs> {
    let argv = ["vastar", "ai-bench"].iter().chain(argv).copied();
    match Cli::try_parse_from(argv).unwrap().command {
        Some(Command::AiBench(args)) => args,
        other => panic!("not ai-bench: {other:?}"),
    }
}

fn build(argv: &[&str], env_key: Option<&str>) -> Result<AiBench, UsageError> {
    ai_bench_config(&parse(argv), env_key.map(str::to_string))
}

fn header<'a>(c: &'a RunConfig, name: &str) -> Option<&'a str> {
    let found = c
        .request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name));
    found.map(|(_, v)| v.as_str())
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("vastar-ai-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn a_prompt_becomes_a_json_post_to_the_chat_endpoint() {
    let ai = build(
        &[
            "--model",
            "m",
            "--prompt",
            "hi",
            "--max-tokens",
            "8",
            "http://h:8000",
        ],
        None,
    )
    .unwrap();
    let c = &ai.config;
    assert_eq!(
        (c.request.method.as_str(), c.target.path_and_query.as_str()),
        ("POST", DEFAULT_PATH)
    );
    assert_eq!(c.target.display, "http://h:8000/v1/chat/completions");
    assert_eq!(
        c.request.body,
        prompts::chat_body("m", &prompts::of_text("hi"), Some(8))
    );
    assert!(c.request.extra_bodies.is_empty());
    assert_eq!(header(c, "content-type"), Some("application/json"));
    assert_eq!((header(c, "accept-encoding"), c.compression), (None, false));
    assert_eq!(header(c, "authorization"), None);
    assert_eq!((ai.model.as_str(), ai.prompts), ("m", 1));
    let pathed = build(
        &["--model", "m", "--prompt", "hi", "http://h/v2/chat?x=1"],
        None,
    )
    .unwrap();
    assert_eq!(pathed.config.target.path_and_query, "/v2/chat?x=1");
}

#[test]
fn the_api_key_flag_beats_the_environment_and_h_beats_both() {
    let argv = ["--model", "m", "--prompt", "hi", "http://h/"];
    let env = build(&argv, Some("from-env")).unwrap();
    assert_eq!(
        header(&env.config, "authorization"),
        Some("Bearer from-env")
    );
    let flag = build(
        &[&["--api-key", "from-flag"][..], &argv].concat(),
        Some("from-env"),
    )
    .unwrap();
    assert_eq!(
        header(&flag.config, "authorization"),
        Some("Bearer from-flag")
    );
    let h = build(
        &[&["-H", "Authorization: Token t"][..], &argv].concat(),
        Some("e"),
    )
    .unwrap();
    assert_eq!(header(&h.config, "authorization"), Some("Token t"));
    assert_eq!(
        header(&build(&argv, Some("")).unwrap().config, "authorization"),
        None
    );
    let bad = build(&[&["--api-key", "se\ncret"][..], &argv].concat(), None)
        .unwrap_err()
        .0;
    assert!(
        bad.contains("control characters") && !bad.contains("se\ncret"),
        "{bad}"
    );
}

#[test]
fn prompts_take_turns_as_bodies() {
    let file = temp_file("three.jsonl", "\"a\"\n{\"prompt\":\"b\"}\n\n\"c\"\n");
    let ai = build(
        &[
            "--model",
            "m",
            "--prompts",
            file.to_str().unwrap(),
            "http://h/",
        ],
        None,
    )
    .unwrap();
    let bodies: Vec<Bytes> = ai.config.request.bodies().cloned().collect();
    let expected: Vec<Bytes> = ["a", "b", "c"]
        .iter()
        .map(|p| prompts::chat_body("m", &prompts::of_text(p), None))
        .collect();
    assert_eq!((bodies, ai.prompts), (expected, 3));
}

#[test]
fn bad_inputs_are_usage_errors_that_say_where() {
    let err = |argv: &[&str]| build(argv, None).unwrap_err().0;
    let bad = temp_file("bad.jsonl", "\"ok\"\n{\"prompt\": 3}\n");
    let bad = bad.to_str().unwrap();
    let message = err(&["--model", "m", "--prompts", bad, "http://h/"]);
    assert!(
        message.starts_with("--prompts ") && message.contains("line 2"),
        "{message}"
    );
    let empty = temp_file("empty.jsonl", "\n");
    assert!(err(&[
        "--model",
        "m",
        "--prompts",
        empty.to_str().unwrap(),
        "http://h/"
    ])
    .contains("no prompts"));
    assert!(err(&[
        "--model",
        "m",
        "--prompts",
        "/nonexistent.jsonl",
        "http://h/"
    ])
    .contains("cannot read"));
    assert!(err(&["--model", "m", "--prompt", "p", "-d", "x", "http://h/"]).contains("-d"));
    assert!(err(&["--model", "m", "--prompt", "p", "-m", "PUT", "http://h/"]).contains("POST"));
    assert!(err(&["--model", " ", "--prompt", "p", "http://h/"]).contains("--model"));
    assert!(err(&[
        "--model",
        "m",
        "--prompt",
        "p",
        "--arrival",
        "poisson",
        "http://h/"
    ])
    .contains("--rate"));
}
