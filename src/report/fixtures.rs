//! Synthetic runs shared by the report tests: fixed elapsed times and hand-made latency
//! samples, so golden files and JSON checks never depend on a real network.

use std::collections::BTreeMap;
use std::time::Duration;

use super::model::{HistScale, Report, ReportOptions};
use crate::config::{RunConfig, StopAt};
use crate::engine::result::{
    new_latency_histogram, ConnStats, ErrorKind, PhaseStats, Phases, RunResult, LATENCY_MAX_NS,
};
use crate::url::Target;

pub mod ws;

/// A `-n` run against a URL with a password, to check it never leaks into reports.
/// The report of `result` as a run of `config` would print it: the engine stamps a run's
/// parameters into its result, fixtures do it here.
pub fn report_of(config: &RunConfig, result: &RunResult, options: &ReportOptions) -> Report {
    let mut result = result.clone();
    result.params = crate::results::params::Params::of(config);
    Report::new(&result, options)
}

pub fn config_n(requests: u64, concurrency: usize) -> RunConfig {
    config(StopAt::Requests(requests), concurrency)
}

/// A `-z` run with no rate limit and no timeout.
pub fn config_z(duration: Duration, concurrency: usize) -> RunConfig {
    let mut c = config(StopAt::Duration(duration), concurrency);
    c.timeout = None;
    c
}

fn config(stop: StopAt, concurrency: usize) -> RunConfig {
    let target = Target::parse("http://user:secret@127.0.0.1:8080/bench").expect("valid URL");
    RunConfig::get(target, stop, concurrency)
}

/// A run of status-200 responses with the given latencies, 1 s elapsed, no errors.
pub fn result_with_latencies_ms(latencies_ms: impl IntoIterator<Item = u64>) -> RunResult {
    let mut result = empty_result(Duration::from_secs(1));
    let ns = latencies_ms.into_iter().map(|ms| ms * 1_000_000);
    record(&mut result, 200, ns);
    result
}

/// A run with nothing in it yet.
pub fn empty_result(elapsed: Duration) -> RunResult {
    RunResult::empty(elapsed)
}

/// Records responses of one status with the given latencies.
pub fn record(result: &mut RunResult, status: u16, latencies_ns: impl IntoIterator<Item = u64>) {
    for ns in latencies_ns {
        result.latency_ns.record(ns).expect("latency within bounds");
        *result.status_codes.entry(status).or_default() += 1;
    }
}

/// Deterministic pseudo-random numbers in `0..bound` (a 64-bit LCG), so fixtures look like
/// real runs without being random.
fn lcg(seed: u64, bound: u64) -> impl Iterator<Item = u64> {
    let mut x = seed;
    std::iter::repeat_with(move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % bound
    })
}

/// `n` latencies shaped like a healthy service: a triangular bulk between 0.8 and 8.8 ms.
fn bulk_ns(n: usize, seed: u64) -> Vec<u64> {
    let a = lcg(seed, 4_000_000);
    let b = lcg(seed ^ 0x9e37_79b9, 4_000_000);
    a.zip(b).take(n).map(|(a, b)| 800_000 + a + b).collect()
}

fn phase(count: u64, mean_ns: u64, min_ns: u64, max_ns: u64) -> PhaseStats {
    PhaseStats {
        count,
        total_ns: count * mean_ns,
        min_ns,
        max_ns,
    }
}

/// 3000 GET requests, all 200, 1.25 s: the everyday case.
pub fn result_basic() -> RunResult {
    let mut r = empty_result(Duration::from_millis(1250));
    record(&mut r, 200, bulk_ns(3000, 7));
    r.body_bytes = 3000 * 58;
    r.phases = Phases {
        connect: phase(50, 180_000, 95_000, 410_000),
        write: phase(3000, 12_000, 4_000, 160_000),
        wait: phase(3000, 4_100_000, 700_000, 8_500_000),
        read: phase(3000, 21_000, 9_000, 350_000),
        tls: PhaseStats::default(),
    };
    r.connections = ConnStats {
        opened: 50,
        reconnects: 0,
        preconnect_retries: 0,
        goaways: 0,
    };
    r
}

/// 3000 requests over 2.5 s with mixed statuses, timeouts, connect failures and a heavy tail.
pub fn result_errors() -> RunResult {
    let mut r = empty_result(Duration::from_millis(2500));
    let mut bulk = bulk_ns(2950, 11);
    for (i, v) in bulk.iter_mut().enumerate() {
        match i % 100 {
            0 => *v *= 8,
            1 if i % 1000 == 1 => *v = 180_000_000 + *v * 3,
            _ => {}
        }
    }
    record(&mut r, 200, bulk[..2900].iter().copied());
    record(&mut r, 404, bulk[2900..2930].iter().copied());
    record(&mut r, 503, bulk[2930..].iter().copied());
    r.errors = BTreeMap::from([
        (ErrorKind::Timeout, 45),
        (ErrorKind::Connect, 5),
        (ErrorKind::Reset, 0),
    ]);
    r.body_bytes = 2950 * 1024 + 77;
    r.phases = Phases {
        connect: PhaseStats::default(),
        write: phase(2950, 15_000, 5_000, 220_000),
        wait: phase(2950, 6_300_000, 800_000, 190_000_000),
        read: phase(2950, 48_000, 11_000, 1_200_000),
        tls: PhaseStats::default(),
    };
    r.connections = ConnStats {
        opened: 55,
        reconnects: 5,
        preconnect_retries: 1,
        goaways: 0,
    };
    r
}

/// 40 requests over 2 s and not a single response.
pub fn result_no_responses() -> RunResult {
    let mut r = empty_result(Duration::from_secs(2));
    r.errors = BTreeMap::from([(ErrorKind::Connect, 30), (ErrorKind::ConnectTimeout, 10)]);
    r.connections.preconnect_retries = 3;
    r
}

/// The report of [`result_basic`] for `-n 3000 -c 50`.
pub fn report_basic() -> Report {
    report_of(
        &config_n(3000, 50),
        &result_basic(),
        &ReportOptions::default(),
    )
}

/// The report of [`result_errors`] for `-n 3000 -c 50`.
pub fn report_errors() -> Report {
    report_of(
        &config_n(3000, 50),
        &result_errors(),
        &ReportOptions::default(),
    )
}

/// The report of [`result_no_responses`] for `-n 40 -c 10`.
pub fn report_no_responses() -> Report {
    report_of(
        &config_n(40, 10),
        &result_no_responses(),
        &ReportOptions::default(),
    )
}

/// A `-z 10s` run with the basic latencies, so params carry nulls where `-n` ones do not.
pub fn report_duration() -> Report {
    let mut result = result_basic();
    result.elapsed = Duration::from_secs(10);
    let config = config_z(Duration::from_secs(10), 50);
    report_of(&config, &result, &ReportOptions::default())
}

/// A config for `-n requests -c concurrency --slo spec`.
pub fn config_slo(requests: u64, concurrency: usize, spec: &str) -> RunConfig {
    let mut c = config_n(requests, concurrency);
    c.slo = crate::slo::parse(spec).expect("fixture spec is valid");
    c
}

/// [`result_basic`] within every gate; the p99.9 gate anchors the histogram colors.
pub fn report_slo_pass() -> Report {
    let spec = "p50=10ms, p99=15ms, p99.9=20ms, errors=0.1%, rps>=1000";
    let config = config_slo(3000, 50, spec);
    report_of(&config, &result_basic(), &ReportOptions::default())
}

/// [`result_errors`] breaking three gates of five (p99, p99.9, errors).
pub fn report_slo_fail() -> Report {
    let spec = "p50=5ms,p99=15ms,p99.9=150ms,errors=1%,rps>=1000";
    let config = config_slo(3000, 50, spec);
    report_of(&config, &result_errors(), &ReportOptions::default())
}

/// [`result_no_responses`] with gates that cannot be measured.
pub fn report_slo_no_responses() -> Report {
    let config = config_slo(40, 10, "p99=250ms,errors=100%,rps>=1");
    report_of(&config, &result_no_responses(), &ReportOptions::default())
}

/// An open-loop `--rate 2500` run that fell behind: the basic latencies as response times,
/// a tenth of them as service times, and 40 late sends.
pub fn report_open_loop() -> Report {
    let mut config = config_z(Duration::from_secs(10), 50);
    config.rate = Some(2500.0);
    let mut result = result_basic();
    result.elapsed = Duration::from_micros(10_008_700);
    result.sending = Duration::from_micros(9_999_650);
    result.service_ns = Some(shrunk(&result.latency_ns, 10));
    result.send_lateness_ns = Some(shrunk(&result.latency_ns, 200));
    result.late_sends = 40;
    report_of(&config, &result, &ReportOptions::default())
}

/// A `-q 200 --latency-correction` run with the basic latencies.
pub fn report_corrected() -> Report {
    let mut config = config_n(3000, 50);
    config.qps_per_connection = Some(200.0);
    config.latency_correction = true;
    let mut result = result_basic();
    result.service_ns = Some(shrunk(&result.latency_ns, 2));
    report_of(&config, &result, &ReportOptions::default())
}

/// The shape behind the log scale: [`result_basic`]'s healthy bulk plus three requests that
/// hit a 2-second stall, which stretch the range 2,500-fold. A linear histogram puts all but
/// the three in its first bar.
pub fn report_outlier(scale: HistScale) -> Report {
    let mut result = result_basic();
    record(
        &mut result,
        200,
        [2_000_000_000, 2_010_000_000, 2_040_000_000],
    );
    result.elapsed = Duration::from_millis(3200);
    let options = ReportOptions {
        hist_scale: scale,
        ..ReportOptions::default()
    };
    report_of(&config_n(3003, 50), &result, &options)
}

/// `hist` with every recorded value divided by `factor`.
fn shrunk(hist: &hdrhistogram::Histogram<u64>, factor: u64) -> hdrhistogram::Histogram<u64> {
    let mut out = new_latency_histogram();
    for v in hist.iter_recorded() {
        let value = (v.value_iterated_to() / factor).clamp(1, LATENCY_MAX_NS);
        out.record_n(value, v.count_at_value())
            .expect("a growing histogram takes any value up to an hour");
    }
    out
}
