use super::*;
use crate::report::fixtures;
use crate::slo;

/// Probes a synthetic target that passes up to `limit`, recording the levels asked.
fn search_up_to(limit: u64, start: f64, ceiling: f64) -> ((Option<u64>, Option<u64>), Vec<u64>) {
    let mut asked = Vec::new();
    let found = bracket(start, ceiling, 0.05, |level| {
        asked.push(level);
        Ok::<_, ()>(Some(level <= limit))
    })
    .unwrap();
    (found, asked)
}

#[test]
fn exponential_probe_then_bisection_to_the_resolution() {
    let ((pass, fail), asked) = search_up_to(4450, 100.0, 100_000.0);
    let (pass, fail) = (pass.unwrap(), fail.unwrap());
    assert!(pass <= 4450 && fail > 4450, "{pass}..{fail}");
    assert!((fail - pass) as f64 <= pass as f64 * 0.05, "{pass}..{fail}");
    assert_eq!(&asked[..7], &[100, 200, 400, 800, 1600, 3200, 6400]);
}

#[test]
fn by_c_bisection_ends_one_connection_wide() {
    let ((pass, fail), asked) = search_up_to(8, 1.0, 10_000.0);
    assert_eq!((pass, fail), (Some(8), Some(9)));
    assert_eq!(asked, [1, 2, 4, 8, 16, 12, 10, 9]);
}

#[test]
fn first_probe_failing_and_ceiling_passing_leave_half_a_bracket() {
    assert_eq!(search_up_to(5, 10.0, 100.0).0, (None, Some(10)));
    let ((pass, fail), asked) = search_up_to(1000, 10.0, 100.0);
    assert_eq!((pass, fail), (Some(100), None));
    assert_eq!(asked, [10, 20, 40, 80, 100]);
}

#[test]
fn interruption_stops_the_search_with_what_it_has() {
    let found = bracket(1.0, 100.0, 0.05, |level| {
        Ok::<_, ()>((level < 8).then_some(true))
    });
    assert_eq!(found, Ok((Some(4), None)));
}

fn run_with_p99_ms(ms: u64) -> RunResult {
    // Every response takes `ms`, so every percentile is `ms`.
    fixtures::result_with_latencies_ms(std::iter::repeat_n(ms, 100))
}

#[test]
fn majority_decides_and_disagreement_is_flagged() {
    let gates = slo::parse("p99=20ms").unwrap();
    let runs = [
        run_with_p99_ms(10),
        run_with_p99_ms(30),
        run_with_p99_ms(15),
    ];
    let probe = judge(7, &runs, &gates);
    assert!(probe.passed && probe.disagreed());
    assert_eq!((probe.passes, probe.runs), (2, 3));
    let measured = probe.gates[0].measured.unwrap();
    assert!((measured - 15.0).abs() < 0.1, "median p99 {measured}");
    let tie = judge(7, &runs[..2], &gates);
    assert!(!tie.passed, "a tie fails");
    assert!(!judge(7, &runs[..1], &gates).disagreed());
}

#[test]
fn binding_gate_is_the_one_furthest_past_its_limit() {
    let gates = slo::parse("p50=5ms,p99=20ms,errors=1%").unwrap();
    let probe = judge(7, &[run_with_p99_ms(30)], &gates);
    assert_eq!(
        binding_gate(&probe).as_deref(),
        Some("p50"),
        "30/5 beats 30/20"
    );
    let gates = slo::parse("p99=20ms,rps>=1000000").unwrap();
    let probe = judge(7, &[run_with_p99_ms(30)], &gates);
    assert_eq!(binding_gate(&probe).as_deref(), Some("rps"));
}

#[test]
fn boundary_is_a_cliff_when_p99_or_errors_jump() {
    let gates = slo::parse("p99=20ms").unwrap();
    let at = |ms| judge(1, &[run_with_p99_ms(ms)], &gates);
    assert_eq!(boundary(&at(18), &at(25)), Boundary::Smooth);
    assert_eq!(boundary(&at(18), &at(60)), Boundary::Cliff);
    let mut errors = at(25);
    errors.measured.as_mut().unwrap().error_rate = 0.05;
    assert_eq!(boundary(&at(18), &errors), Boundary::Cliff);
}
