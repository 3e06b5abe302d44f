use super::*;
use crate::report::fixtures;

fn close(actual: Duration, expected_ms: u64) -> bool {
    let expected = Duration::from_millis(expected_ms).as_nanos() as f64;
    (actual.as_nanos() as f64 - expected).abs() <= expected * 0.001
}

#[test]
fn percentiles_have_no_rank_bias() {
    let result = fixtures::result_with_latencies_ms(1..=100);
    let report = fixtures::report_of(&fixtures::config_n(100, 10), &result, &Default::default());
    let lat = report.latency.expect("responses were recorded");
    for (q, ms) in [
        (Quantile::P10, 10),
        (Quantile::P25, 25),
        (Quantile::P50, 50),
        (Quantile::P75, 75),
        (Quantile::P90, 90),
        (Quantile::P99, 99),
        (Quantile::P99_9, 100),
    ] {
        assert!(close(lat.at(q), ms), "{q:?} = {:?}", lat.at(q));
    }
    assert!(close(lat.fastest, 1) && close(lat.slowest, 100));
    let mean_error = lat.mean.as_secs_f64() / 0.0505 - 1.0;
    assert!(mean_error.abs() < 0.001, "{:?}", lat.mean);
}

#[test]
fn highlighted_percentiles_are_colored_by_their_own_level() {
    let result = fixtures::result_with_latencies_ms(1..=1000);
    let report = fixtures::report_of(&fixtures::config_n(1000, 10), &result, &Default::default());
    let lat = report.latency.expect("responses were recorded");
    let levels = lat.percentiles.map(|p| p.level);
    // p10 has nothing below it; p99.9 has every ladder step but itself below it.
    assert_eq!(levels, [0, 1, 2, 3, 4, 5, 7, 9, 10]);
}

#[test]
fn summary_counts_and_rates() {
    let report = fixtures::report_errors();
    let s = &report.summary;
    assert_eq!((s.requests, s.successful, s.failed), (3000, 2950, 50));
    assert!((s.rps - 2950.0 / 2.5).abs() < 1e-9);
    assert_eq!(s.size_per_request, s.bytes_total / 2950);
    assert_eq!(
        report.errors,
        vec![(ErrorKind::Connect, 5), (ErrorKind::Timeout, 45)]
    );
    assert_eq!(report.details.connect, None);
    assert!(report.details.wait.is_some());
}

#[test]
fn no_responses_means_no_latency_and_no_insight() {
    let report = fixtures::report_no_responses();
    assert_eq!(report.latency, None);
    assert_eq!(report.insight, None);
    assert!(report.histogram.is_empty());
    assert_eq!(report.summary.size_per_request, 0);
    assert_eq!(report.summary.successful, 0);
    assert_eq!(report.summary.failed, 40);
}

#[test]
fn params_echo_the_config() {
    let report = fixtures::report_basic();
    assert_eq!(report.params.requests, Some(3000));
    assert_eq!(report.params.duration, None);
    assert_eq!(report.params.url, "http://***@127.0.0.1:8080/bench");
    let z = fixtures::report_duration();
    assert_eq!(z.params.requests, None);
    assert_eq!(z.params.duration, Some(Duration::from_secs(10)));
    assert_eq!(
        (z.params.timeout, z.params.qps_per_connection),
        (None, None)
    );
}

#[test]
fn zero_elapsed_gives_zero_rps() {
    let mut result = fixtures::result_with_latencies_ms(1..=3);
    result.elapsed = Duration::ZERO;
    let report = fixtures::report_of(&fixtures::config_n(3, 1), &result, &Default::default());
    assert_eq!(report.summary.rps, 0.0);
}
