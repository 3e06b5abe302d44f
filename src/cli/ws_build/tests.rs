use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};

fn parse(args: &[&str]) -> Result<RunConfig, String> {
    let argv = ["vastar", "ws"].iter().chain(args);
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    match cli.command {
        Some(Command::Ws(ws)) => ws_config(&ws).map_err(|e| e.0),
        _ => Err("not ws".into()),
    }
}

fn ws(config: &RunConfig) -> &WsConfig {
    config.ws.as_ref().unwrap()
}

#[test]
fn defaults_are_ten_echo_sessions_for_ten_seconds() {
    let config = parse(&["ws://127.0.0.1:9/chat"]).unwrap();
    assert_eq!(config.concurrency, 10);
    assert_eq!(config.stop, StopAt::Duration(DEFAULT_DURATION));
    assert_eq!(ws(&config).cadence, WsCadence::Echo);
    assert_eq!(ws(&config).messages, vec![Bytes::from_static(b"hello")]);
    assert_eq!(config.target.path_and_query, "/chat");
}

#[test]
fn a_file_is_sliced_into_frames_that_cycle() {
    let dir = std::env::temp_dir().join(format!("vastar-ws-build-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("audio.pcm");
    std::fs::write(&file, [0xffu8; 1500]).unwrap();
    let path = file.to_str().unwrap();
    let config = parse(&[
        "--send-file",
        path,
        "--frame-size",
        "640",
        "--binary",
        "--every",
        "20ms",
        "--ack-field",
        "newest_frame_seq",
        "--ack-field",
        "oldest_frame_seq",
        "-c",
        "3",
        "-z",
        "5s",
        "--warmup",
        "1s",
        "--ramp",
        "2s",
        "ws://h/",
    ])
    .unwrap();
    let sessions = ws(&config);
    let sizes: Vec<_> = sessions.messages.iter().map(Bytes::len).collect();
    assert_eq!(sizes, [640, 640, 220]);
    assert_eq!(
        sessions.cadence,
        WsCadence::Every(Duration::from_millis(20))
    );
    assert_eq!(
        sessions.ack_fields,
        ["newest_frame_seq", "oldest_frame_seq"]
    );
    assert_eq!(
        (sessions.warmup, sessions.ramp),
        (Duration::from_secs(1), Duration::from_secs(2))
    );
    let text = parse(&["--send-file", path, "ws://h/"]).unwrap_err();
    assert!(text.contains("--binary"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_says_what_to_fix() {
    let cases: [(&[&str], &str); 8] = [
        (&["http://h/"], "ws:// or wss://"),
        (
            &["--send-file", "/nonexistent/x", "ws://h/"],
            "cannot read --send-file",
        ),
        (
            &["--ack-field", "a", "--ack-field", "a", "ws://h/"],
            "given twice",
        ),
        (&["--ack-field", "latency", "ws://h/"], "reserved"),
        (&["-z", "2s", "--warmup", "2s", "ws://h/"], "--warmup"),
        (&["-z", "2s", "--ramp", "3s", "ws://h/"], "--ramp"),
        (
            &["-H", "Sec-WebSocket-Key: x", "ws://h/"],
            "upgrade sets it",
        ),
        (&["-n", "0", "ws://h/"], "-n"),
    ];
    for (args, expected) in cases {
        let message = parse(args).unwrap_err();
        assert!(message.contains(expected), "{args:?}: {message}");
    }
}

#[test]
fn host_header_and_credentials_go_on_the_upgrade() {
    let config = parse(&[
        "-H",
        "Host: example.org",
        "-H",
        "Origin: https://a",
        "ws://u:p@h:81/",
    ])
    .unwrap();
    assert_eq!(config.request.authority, "example.org");
    let names: Vec<_> = config
        .request
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(
        names.contains(&"Authorization") && names.contains(&"Origin"),
        "{names:?}"
    );
    assert!(!names.contains(&"Host"));
}

#[test]
fn messages_clamp_sessions_and_stop_the_run() {
    let config = parse(&["-n", "3", "-c", "10", "ws://h/"]).unwrap();
    assert_eq!((config.stop, config.concurrency), (StopAt::Requests(3), 3));
}
