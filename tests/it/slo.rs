//! `--slo` through the real binary against the built-in target: exit 0 when every gate
//! passes, 1 when one fails (after the full report), 2 with one line naming the bad token
//! when the spec is malformed. Runs are short (`-n 200`, `-t 5`) and bounded by a timeout.

use serde_json::Value;
use vastar::serve::Background;

use crate::support::{builtin_target as server, run as run_vastar, Run};

/// `vastar -n 200 -c 10 -t 5 -o OUTPUT --slo SPEC http://SERVER/`.
fn run(server: &Background, output: &str, spec: &str) -> Run {
    let url = format!("http://{}/", server.addr());
    run_vastar(
        &format!("-n 200 -c 10 -t 5 -o {output}"),
        &["--slo", spec, &url],
    )
}

/// The `(name, passed)` pairs of the report's gates.
fn verdicts(report: &Value) -> Vec<(String, bool)> {
    let gates = report["slo"]["gates"]
        .as_array()
        .expect("slo.gates is an array");
    gates
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap_or("?").to_string(),
                g["passed"] == true,
            )
        })
        .collect()
}

#[test]
fn a_run_within_every_gate_exits_0() {
    let server = server();
    let run = run(
        &server,
        "json",
        "p50=5s, p99=10s, p99.9=10s, errors=0%, rps>=1",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["slo"]["passed"], true);
    let names: Vec<String> = verdicts(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["p50", "p99", "p99.9", "errors", "rps"]);
    assert_eq!(report["summary"]["successful"], 200);
}

#[test]
fn a_failing_latency_gate_exits_1_after_the_full_json() {
    let server = server();
    let run = run(&server, "json", "p50=1us,errors=0%");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["slo"]["passed"], false);
    assert_eq!(
        verdicts(&report),
        [("p50".to_string(), false), ("errors".to_string(), true)]
    );
    assert_eq!(report["slo"]["gates"][0]["limit"], 0.001);
    assert_eq!(
        report["slo"]["gates"][0]["measured"],
        report["latency_ms"]["p50"]
    );
    assert_eq!(report["summary"]["successful"], 200);
    assert!(report["histogram"]
        .as_array()
        .is_some_and(|h| !h.is_empty()));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn a_failing_gate_exits_1_after_the_full_text_report() {
    let server = server();
    let run = run(&server, "text", "p50=1us");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let text = &run.stdout_text();
    assert!(text.contains("\nSLO: the gate failed\n  FAIL  p50 <= 0.001 ms  measured "));
    for section in [
        "Summary:",
        "Response time distribution:",
        "Status code distribution:",
    ] {
        assert!(text.contains(section), "missing {section}:\n{text}");
    }
    assert!(text.contains("Response time histogram (log scale, colors: SLO p50 <= 0.001 ms):"));
}

#[test]
fn an_unreachable_throughput_exits_1() {
    let server = server();
    let run = run(&server, "json", "rps>=1000000000");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report = json(&run);
    assert_eq!(verdicts(&report), [("rps".to_string(), false)]);
    assert_eq!(
        report["slo"]["gates"][0]["measured"],
        report["summary"]["rps"]
    );
}

#[test]
fn zero_errors_passes_against_a_healthy_server() {
    let server = server();
    let run = run(&server, "json", "errors=0%");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let gate = &json(&run)["slo"]["gates"][0];
    assert_eq!(
        (gate["limit"].as_f64(), gate["measured"].as_f64()),
        (Some(0.0), Some(0.0))
    );
}

#[test]
fn a_malformed_spec_exits_2_naming_the_bad_token() {
    let server = server();
    for (spec, token) in [
        ("p99=fast", "\"p99=fast\""),
        ("p50=20ms, p100=1s", "\"p100=1s\""),
        ("errors=5", "\"errors=5\""),
        ("rps=5000", "\"rps=5000\""),
        ("p99=1s,p99=2s", "\"p99=2s\""),
    ] {
        let run = run(&server, "json", spec);
        assert_eq!(run.code, Some(2), "{spec}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{spec}: {}", run.stdout_text());
        assert_eq!(run.stderr.lines().count(), 1, "{spec}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("vastar: error: invalid --slo gate ")
                && run.stderr.contains(token),
            "{spec}: {}",
            run.stderr
        );
    }
    assert_eq!(
        run(&server, "text", "p99=fast").stderr,
        "vastar: error: invalid --slo gate \"p99=fast\": expected a duration like 250ms\n"
    );
}

/// Stdout parsed as JSON, whatever the exit code (a failing gate still prints the report).
fn json(run: &Run) -> Value {
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e})"))
}
