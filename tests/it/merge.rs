//! `vastar merge`: results of several real runs in, the report of their union out.

use std::process::{Command, Stdio};

use crate::support::{builtin_target, run, scratch_file, url_of, Run};

/// Runs `vastar -o json FLAGS URL` and saves its output as a scratch file.
fn saved_run(name: &str, flags: &str, url: &str) -> std::path::PathBuf {
    let run = run(&format!("-o json {flags}"), &[url]);
    assert!(matches!(run.code, Some(0 | 1)), "stderr: {}", run.stderr);
    scratch_file(name, &run.stdout)
}

fn merge(args: &[&str]) -> Run {
    run("merge", args)
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

#[test]
fn merging_one_file_prints_that_files_report_exactly() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let file = saved_run(
        "merge-one.json",
        "-n 500 -c 5 --hist-bins 7 --hist-scale linear --slo p99=2s,errors=1%",
        &url,
    );
    let merged = merge(&["-o", "json", path(&file)]).success();
    assert_eq!(
        merged.stdout_text(),
        std::fs::read_to_string(&file).unwrap()
    );
    let report = merged.report();
    assert_eq!(report.histogram.len(), 7);
    assert_eq!(report.params.slo.as_deref(), Some("p99=2000ms,errors=0.01"));
    let text = merge(&["--color", "never", path(&file)])
        .success()
        .stdout_text();
    assert!(text.contains("Requests:     500 attempted"), "{text}");
    assert!(text.contains("PASS  p99 <= 2000 ms"), "{text}");
}

#[test]
fn parts_run_together_merge_into_one_test_judged_on_the_union() {
    let server = builtin_target();
    let url = url_of(server.addr());
    // Two generators at 150 requests/s each for 2 s: each fails rps>=200 on its own, the
    // fleet (about 300/s over the union of their windows) passes it.
    let a = scratch_file("merge-a.json", b"");
    let b = scratch_file("merge-b.json", b"");
    let spawn = |file: &std::path::Path| {
        let out = std::fs::File::create(file).unwrap();
        Command::new(env!("CARGO_BIN_EXE_vastar"))
            .args(["-o", "json", "--rate", "150", "-z", "2s", "-c", "4"])
            .args(["--slo", "rps>=200", &url])
            .stdout(Stdio::from(out))
            .spawn()
            .expect("spawn vastar")
    };
    let parts = [spawn(&a), spawn(&b)];
    for mut part in parts {
        assert_eq!(
            part.wait().unwrap().code(),
            Some(1),
            "a part alone fails rps>=200"
        );
    }
    let merged = merge(&["-o", "json", path(&a), path(&b)]).success();
    let report = merged.report();
    let parts: Vec<_> = [&a, &b]
        .iter()
        .map(|p| crate::support::report::Report::parse(&std::fs::read(p).unwrap()))
        .collect();
    let sum = |f: fn(&crate::support::report::Report) -> u64| parts.iter().map(f).sum::<u64>();
    assert_eq!(report.summary.requests, sum(|r| r.summary.requests));
    assert_eq!(report.summary.successful, sum(|r| r.summary.successful));
    assert_eq!(report.summary.bytes_total, sum(|r| r.summary.bytes_total));
    assert_eq!(report.params.concurrency, 8);
    assert_eq!(report.params.rate, Some(300.0));
    let rps = report.summary.rps;
    assert!((250.0..=320.0).contains(&rps), "fleet rps {rps}");
    // The same parts judged by a gate the union fails: exit 1.
    merge(&["--slo", "rps>=1000", path(&a), path(&b)]).expect_code(1);
}

#[test]
fn bad_inputs_are_one_line_and_exit_2() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let a = saved_run("merge-bad-a.json", "-n 50 -c 2", &url);
    let other = saved_run("merge-bad-b.json", "-n 50 -c 2", &format!("{url}other"));
    let gated = saved_run("merge-bad-c.json", "-n 50 -c 2 --slo p99=1s", &url);
    let text = scratch_file("merge-bad.txt", b"Summary:\n");
    let cases: [(&[&str], &str); 6] = [
        (&[path(&text)], "is not a vastar result"),
        (&["/nonexistent/x.json"], "cannot read /nonexistent/x.json"),
        (&[path(&a), path(&other)], "--force"),
        (&[path(&a), path(&gated)], "different --slo gates"),
        (&["--slo", "p99=fast", path(&a)], "invalid --slo"),
        (&["-o", "csv-intervals", path(&a)], "no --interval series"),
    ];
    for (args, expected) in cases {
        let run = merge(args).expect_code(2);
        assert!(run.stdout.is_empty(), "{args:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    let forced = merge(&["--force", "-o", "json", path(&a), path(&other)]).success();
    assert_eq!(forced.report().summary.requests, 100);
}

#[test]
fn ws_results_merge_exactly_and_never_with_http_results_or_other_ack_fields() {
    use crate::support::report::ws_document;
    let acks = ws_document(&["newest_frame_seq", "oldest_frame_seq"]);
    let ws = scratch_file("merge-ws.json", &acks);
    let ws_too = scratch_file("merge-ws-too.json", &acks);
    let newest = scratch_file("merge-ws-newest.json", &ws_document(&["newest_frame_seq"]));
    let merged = merge(&["-o", "json", path(&ws)]).success();
    assert_eq!(
        merged.stdout, acks,
        "one ws file merges into itself, byte for byte"
    );
    let two = merge(&["-o", "json", path(&ws), path(&ws_too)]).success();
    let report = two.report();
    let sent = report.ws.map(|w| (w.messages.sent, w.sessions.opened));
    assert_eq!(sent, Some((6, 2)));
    let server = builtin_target();
    let http = saved_run("merge-http.json", "-n 20 -c 2", &url_of(server.addr()));
    let cases: [(&[&str], &str); 3] = [
        (&[path(&ws), path(&http)], "with an HTTP result"),
        (&["--force", path(&http), path(&ws)], "with an HTTP result"),
        (
            &["--force", path(&ws), path(&newest)],
            "different --ack-field lists",
        ),
    ];
    for (args, expected) in cases {
        let run = merge(args).expect_code(2);
        assert!(run.stdout.is_empty(), "{args:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
}
