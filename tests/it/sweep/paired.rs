//! Paired mode: a slower target against a faster reference, live and from a cached curve.

use std::time::Duration;

use super::{sweep, sweep_json};
use crate::support::{capacity_target, run, scratch_file, url_of};

/// Reference: 5 ms per request; target: 40 ms, same capacity model (K = 64, no queueing
/// at the levels used). The gap is wide so a scheduling hiccup on a loaded machine cannot
/// close it.
fn pair() -> (vastar::serve::Background, vastar::serve::Background) {
    (
        capacity_target(64, Duration::from_millis(5)),
        capacity_target(64, Duration::from_millis(40)),
    )
}

#[test]
fn a_slower_target_shows_positive_overhead_and_is_disqualified() {
    let (reference, target) = pair();
    let flags = format!(
        "--conc 2,4 -z 200ms --repeats 3 --vs {}",
        url_of(reference.addr())
    );
    let result = sweep_json(&flags, &url_of(target.addr()), 1);
    let paired = result.paired.as_ref().expect("a paired block");
    assert_eq!(paired["reference"]["source"], "live");
    assert_eq!(paired["max_overhead_pct"], 25.0);
    assert!(paired["baseline"]["p99_ms"].is_number());
    for p in &result.sweep_points {
        let overhead = p.overhead_pct.expect("overhead per point");
        assert!(overhead > 25.0, "40 ms vs 5 ms: {p:?}");
        assert!(p.rps_deficit_pct.unwrap() > 0.0, "{p:?}");
        assert!(p.reference.is_some());
        assert!(
            p.disqualified.as_deref().unwrap().contains("overhead="),
            "{p:?}"
        );
    }
    // With lenient limits the same levels qualify, and the overhead is still reported.
    let flags = format!("{flags} --max-overhead-pct 1000 --max-rps-deficit-pct 99");
    let result = sweep_json(&flags, &url_of(target.addr()), 0);
    assert!(result
        .sweep_points
        .iter()
        .all(|p| p.overhead_pct.unwrap() > 0.0));
}

#[test]
fn a_single_endpoint_sweep_has_no_paired_fields() {
    let (reference, _) = pair();
    // Gates wide open: this test is about the JSON's shape, and a 100 ms level on a loaded
    // machine can miss the default tail gate (exit 1).
    let flags = "--conc 2 -z 100ms --max-tail-mult 1000 --max-spread 1000 --max-p999-ratio 1000";
    let result = sweep_json(flags, &url_of(reference.addr()), 0);
    assert!(result.paired.is_none());
    assert!(result
        .sweep_points
        .iter()
        .all(|p| p.reference.is_none() && p.overhead_pct.is_none()));
}

#[test]
fn a_cached_reference_curve_replaces_the_reference_runs() {
    let (reference, target) = pair();
    let cache = scratch_file("sweep-ref.json", b"");
    let flags = format!("--conc 2,4 -z 150ms --json-path {}", cache.display());
    sweep(&flags, &url_of(reference.addr()), 0);
    drop(reference);
    // The reference server is gone: only the file can provide its numbers.
    let flags = format!("-z 150ms --ref-from-json {}", cache.display());
    let result = sweep_json(&flags, &url_of(target.addr()), 1);
    let paired = result.paired.as_ref().unwrap();
    assert_eq!(paired["reference"]["source"], "file");
    let levels: Vec<usize> = result.sweep_points.iter().map(|p| p.concurrency).collect();
    assert_eq!(levels, [2, 4], "auto visits the cached levels");
    assert!(result
        .sweep_points
        .iter()
        .all(|p| p.overhead_pct.unwrap() > 25.0));
}

#[test]
fn a_cached_reference_that_does_not_fit_exits_2_with_one_line() {
    let (reference, target) = pair();
    let cache = scratch_file("sweep-ref-small.json", b"");
    let flags = format!("--conc 2,4 -z 100ms --json-path {}", cache.display());
    sweep(&flags, &url_of(reference.addr()), 0);
    let url = url_of(target.addr());
    let uncovered = format!("sweep --conc 2,8 --ref-from-json {}", cache.display());
    let run_ = run(&uncovered, &[&url]).expect_code(2);
    assert!(
        run_.stderr.contains("does not cover c=8"),
        "{}",
        run_.stderr
    );
    assert_eq!(run_.stderr.lines().count(), 1);
    // A flat-form report is JSON, but not a sweep result.
    let flat = run("-o json -n 5 -c 1", &[&url]).success();
    let not_sweep = scratch_file("flat-report.json", &flat.stdout);
    let run_ = run(
        &format!("sweep --ref-from-json {}", not_sweep.display()),
        &[&url],
    )
    .expect_code(2);
    assert!(
        run_.stderr.contains("is not a vastar sweep result"),
        "{}",
        run_.stderr
    );
    assert_eq!(run_.stderr.lines().count(), 1);
}
