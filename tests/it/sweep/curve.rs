//! The sweet-spot sweep: where it lands, and every documented knob.

use std::time::Duration;

use super::{sweep, sweep_json};
use crate::support::sweep::Sweep;
use crate::support::{capacity_target, url_of};

/// K = 8 requests in service, D = 20 ms each: capacity 400 req/s, knee at c = 8.
const K: usize = 8;
const D: Duration = Duration::from_millis(20);

#[test]
fn auto_finds_the_knee_of_a_capacity_model_and_stops_early() {
    let server = capacity_target(K, D);
    let result = sweep_json("-z 300ms", &url_of(server.addr()), 0);
    let spot = result.sweet_spot.as_ref().expect("a sweet spot");
    // Doubling levels put the first level at or past K within [K, 2K].
    assert!(
        (K..=2 * K).contains(&spot.concurrency),
        "sweet spot c={} for K={K}: {result:#?}",
        spot.concurrency
    );
    assert_eq!(spot.method, "knee");
    assert!(spot.rps >= 0.95 * spot.peak_rps, "{spot:?}");
    // Auto stops two levels past the peak once the tail degrades: never near 8192.
    let last = result.sweep_points.last().unwrap().concurrency;
    assert!(last <= 16 * K, "auto ran up to c={last}");
    assert!(
        result.notes.iter().any(|n| n.starts_with("auto stopped")),
        "{:?}",
        result.notes
    );
    assert_eq!(result.schema_version, "1.0");
    assert_json_is_consistent(&result);
}

/// What every sweep document must satisfy, whatever the target.
fn assert_json_is_consistent(result: &Sweep) {
    assert_eq!(result.tool["name"], "vastar");
    assert_eq!(result.params["conc"], "auto");
    assert_eq!(result.params["duration_s"], 0.3);
    assert!(result.machine["cpu_cores_logical"].as_u64().unwrap() >= 1);
    let base = result.baseline.as_ref().unwrap();
    assert_eq!(base.concurrency, Some(1));
    assert!(base.rps > 0.0 && base.error_rate == 0.0);
    assert!(
        base.p50_ms <= base.p95_ms && base.p95_ms <= base.p99_ms && base.p99_ms <= base.p999_ms
    );
    for p in &result.sweep_points {
        let q = [p.p50_ms, p.p95_ms, p.p99_ms, p.p999_ms].map(Option::unwrap);
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "{p:?}");
    }
    let spot = result.sweet_spot.as_ref().unwrap();
    let at = result
        .sweep_points
        .iter()
        .find(|p| p.concurrency == spot.concurrency)
        .unwrap();
    assert_eq!(
        (Some(spot.p50_ms), Some(spot.p99_ms)),
        (at.p50_ms, at.p99_ms)
    );
    assert!(result
        .sweep_points
        .iter()
        .any(|p| p.concurrency == spot.peak_concurrency));
    assert!(spot.reasoning.contains("of peak"), "{}", spot.reasoning);
}

#[test]
fn refine_brackets_the_winner_and_repeats_take_the_median() {
    let server = capacity_target(K, D);
    let result = sweep_json(
        "--conc 4,16 --refine --repeats 3 -z 150ms",
        &url_of(server.addr()),
        0,
    );
    let coarse: Vec<usize> = result
        .phase("coarse")
        .iter()
        .map(|p| p.concurrency)
        .collect();
    assert_eq!(coarse, [4, 16]);
    let refine: Vec<usize> = result
        .phase("refine")
        .iter()
        .map(|p| p.concurrency)
        .collect();
    // The winner is 16 (4 is far below peak): its bracket x0.5..x1.5 minus what was measured.
    assert_eq!(refine, [8, 12, 20, 24], "{result:#?}");
    assert!(result.sweep_points.iter().all(|p| p.repeats == 3));
    let levels: Vec<usize> = result.sweep_points.iter().map(|p| p.concurrency).collect();
    assert!(
        levels.windows(2).all(|w| w[0] < w[1]),
        "merged ascending: {levels:?}"
    );
    assert!(result.notes.contains(&"refine=on".to_string()));
}

#[test]
fn score_mode_picks_the_highest_score_among_qualified_levels() {
    let server = capacity_target(K, D);
    let result = sweep_json(
        "--conc 2,8,32 --pick score -z 200ms",
        &url_of(server.addr()),
        0,
    );
    let spot = result.sweet_spot.expect("a sweet spot");
    assert_eq!(spot.method, "score");
    let best = result
        .sweep_points
        .iter()
        .filter(|p| p.disqualified.is_none())
        .max_by(|a, b| a.score.unwrap().total_cmp(&b.score.unwrap()))
        .unwrap();
    assert_eq!(spot.concurrency, best.concurrency);
    for p in &result.sweep_points {
        let (rps, p50, p99) = (p.rps.unwrap(), p.p50_ms.unwrap(), p.p99_ms.unwrap());
        if let Some(score) = p.score {
            let expected = rps / (p99 / p50).powi(2);
            assert!((score - expected).abs() <= expected * 1e-9, "{p:?}");
        }
    }
}

#[test]
fn every_gate_disqualifies_and_all_disqualified_exits_1() {
    let server = capacity_target(K, D);
    let url = url_of(server.addr());
    // Ratios of percentiles are never below 1, so a limit below 1 fails every level.
    for (flag, reason) in [
        ("--max-spread 0.9", "spread="),
        ("--max-p999-ratio 0.9", "p999_ratio="),
        ("--max-tail-mult 0.5", "tail="),
    ] {
        let result = sweep_json(&format!("{flag} --conc 2,4 -z 100ms"), &url, 1);
        assert!(result.sweet_spot.is_none(), "{flag}");
        for p in &result.sweep_points {
            let why = p.disqualified.as_deref().unwrap_or_default();
            assert!(why.contains(reason), "{flag}: {why:?}");
            assert_eq!(p.score, None, "a disqualified level has no score");
        }
    }
    let text = sweep("--max-tail-mult 0.5 --conc 2 -z 100ms", &url, 1).stdout_text();
    assert!(text.contains("DISQ (tail="), "{text}");
    assert!(text.contains("No sweet spot"), "{text}");
}

#[test]
fn errors_disqualify_past_max_errors() {
    // -t 30 ms: at c=1 every request (20 ms) is in time; at c=2K half of them queue one more
    // D behind the K in service and time out.
    let server = capacity_target(K, D);
    let url = url_of(server.addr());
    let result = sweep_json(&format!("--conc {} -z 300ms -t 0.03", 2 * K), &url, 1);
    let point = &result.sweep_points[0];
    assert!(point.error_rate.unwrap() > 0.01, "{point:?}");
    let why = point.disqualified.as_deref().unwrap_or_default();
    assert!(why.contains("errors="), "{why:?}");
    // The same level passes that gate when the limit allows its errors.
    let flags = format!(
        "sweep -o json --conc {} -z 300ms -t 0.03 --max-errors 1",
        2 * K
    );
    let lenient = Sweep::parse(&crate::support::run(&flags, &[&url]).stdout);
    let why = lenient.sweep_points[0]
        .disqualified
        .clone()
        .unwrap_or_default();
    assert!(!why.contains("errors="), "{why:?}");
}

#[test]
fn no_response_at_calibration_exits_3_with_one_line() {
    // -t far below D: even the calibration run gets no response.
    let server = capacity_target(K, D);
    let run = sweep("--conc 2 -z 100ms -t 0.005", &url_of(server.addr()), 3);
    assert!(run.stderr.starts_with("vastar: error:"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn text_report_has_table_sweet_spot_and_both_charts() {
    let server = capacity_target(K, D);
    let text = sweep("--conc 2,8,16 -z 150ms", &url_of(server.addr()), 0).stdout_text();
    for needle in [
        "━━━ vastar sweep — GET http://",
        "Calibration (c=1): rps=",
        "Machine: ",
        "Sweep (3 levels, 1 run each):",
        "━━━ Sweet spot: c=",
        "Strategy:    knee@95%",
        "Reasoning:   smallest c reaching",
        "Throughput (req/s) vs c:",
        "Latency p99 vs c:",
        "(c, log scale)",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "no escapes when piped");
}

#[test]
fn json_path_writes_the_document_while_the_table_goes_to_stdout() {
    let server = capacity_target(K, D);
    let path = crate::support::scratch_file("sweep-json-path.json", b"");
    let flags = format!("--conc 2,8 -z 100ms --json-path {}", path.display());
    let run = sweep(&flags, &url_of(server.addr()), 0);
    assert!(run.stdout_text().contains("Sweet spot"));
    let result = Sweep::parse(&std::fs::read(&path).unwrap());
    assert_eq!(result.sweep_points.len(), 2);
}

#[test]
fn an_unwritable_json_path_fails_before_measuring() {
    let server = capacity_target(K, D);
    let started = std::time::Instant::now();
    let run = sweep(
        "--conc 2,8 -z 2s --json-path /nonexistent-dir/sweep.json",
        &url_of(server.addr()),
        3,
    );
    assert!(
        run.stderr
            .contains("--json-path /nonexistent-dir/sweep.json"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "it measured first"
    );
}

#[test]
fn bad_usage_exits_2_with_one_line() {
    for flags in [
        "--conc 10,5",
        "--conc 0",
        "--repeats 0",
        "--knee-ratio 0",
        "--find-max",
        "-c 50",
        "-n 1",
        "-n 5 --baseline-c 10",
    ] {
        let run =
            crate::support::run(&format!("sweep {flags}"), &["http://127.0.0.1:1/"]).expect_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{flags}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{flags}");
    }
}

#[test]
fn an_unreachable_target_exits_3_with_one_line() {
    let url = url_of(crate::support::unused_local_addr());
    let run = sweep("--conc 2 -z 100ms", &url, 3);
    assert!(run.stderr.starts_with("vastar: error:"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no report without a measurement");
}

#[test]
fn cooldown_pauses_between_levels() {
    let server = capacity_target(K, D);
    let run = sweep(
        "-o json --cooldown 400ms --conc 2,4 -z 50ms",
        &url_of(server.addr()),
        0,
    );
    // Calibration and two levels: two pauses between three runs.
    assert!(
        run.elapsed >= Duration::from_millis(800),
        "{:?}",
        run.elapsed
    );
    let result = Sweep::parse(&run.stdout);
    assert!(
        result.notes.iter().any(|n| n == "cooldown=400ms"),
        "{:?}",
        result.notes
    );
    assert_eq!(result.params["cooldown_s"], 0.4);
}
