//! How a run's sending was scheduled, and the second latency view that comes with it.
//!
//! Closed-loop runs have one latency: from send to last byte. Open-loop (`--rate`) and
//! corrected (`--latency-correction`) runs have two: the *response time*, counted from when
//! a request was due (the headline, since it is what a user of the server waits), and the
//! *service time*, counted from when it was actually sent. Where the two differ, requests
//! queued behind a slow server; showing both keeps that visible instead of hidden.

use std::time::Duration;

use super::model::{latency, Latency, LevelScale};
use crate::engine::result::RunResult;
use crate::results::params::Params;

/// How requests were paced, as far as the reader of a report needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// Each request followed the previous response (optionally `-q`-limited): one view.
    ClosedLoop,
    /// `--rate`: a fixed arrival schedule across the run.
    OpenLoop {
        target_rps: f64,
        /// Requests sent per second of the sending window (start to one schedule interval
        /// after the last send): never above the target.
        achieved_rps: f64,
        /// Requests that were due while every connection was busy.
        late_sends: u64,
    },
    /// `-q` with `--latency-correction`: closed loop, corrected for the requests a stalled
    /// connection did not send at its expected interval.
    Corrected { interval: Duration },
}

impl Schedule {
    /// The schedule of a run.
    pub fn of(params: &Params, result: &RunResult) -> Schedule {
        match (params.rate, params.qps_per_connection) {
            (Some(target_rps), _) => Schedule::OpenLoop {
                target_rps,
                achieved_rps: achieved_rps(result, target_rps),
                late_sends: result.late_sends,
            },
            (None, Some(q)) if params.latency_correction => Schedule::Corrected {
                interval: Duration::from_secs_f64(1.0 / q),
            },
            _ => Schedule::ClosedLoop,
        }
    }
}

/// Service-time percentiles, when the run has a second view and any response arrived.
pub fn service_time(result: &RunResult, scale: &LevelScale) -> Option<Latency> {
    result.service_ns.as_ref().and_then(|h| latency(h, scale))
}

/// Send lateness percentiles (open loop), when any request was sent.
pub fn send_lateness(result: &RunResult) -> Option<Latency> {
    let hist = result.send_lateness_ns.as_ref()?;
    latency(hist, &LevelScale::relative(hist))
}

/// Requests sent per second of the sending window, which runs from the start to one schedule
/// interval (`1 / target`) after the last send: request *k* is due at `(k-1) / target`, so a
/// run that kept its schedule reports the target, one that fell behind reports less, and
/// the result never exceeds the target.
fn achieved_rps(result: &RunResult, target_rps: f64) -> f64 {
    let sent = result.requests();
    if sent == 0 || target_rps <= 0.0 {
        return 0.0;
    }
    sent as f64 / (result.sending.as_secs_f64() + 1.0 / target_rps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;
    use crate::report::fixtures;

    fn achieved(config: &RunConfig, result: &RunResult) -> (f64, u64) {
        match Schedule::of(&Params::of(config), result) {
            Schedule::OpenLoop {
                target_rps,
                achieved_rps,
                late_sends,
            } => {
                assert_eq!(target_rps, config.rate.unwrap_or(0.0));
                (achieved_rps, late_sends)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn open_loop_reports_target_achieved_and_late() {
        let mut config = fixtures::config_n(1000, 10);
        config.rate = Some(500.0);
        let mut result = fixtures::result_with_latencies_ms(1..=1000);
        result.late_sends = 7;
        // 1000 requests on schedule: the last one due at 1.998 s, sent 0.1 ms late.
        result.sending = Duration::from_micros(1_998_100);
        let (achieved_rps, late_sends) = achieved(&config, &result);
        assert_eq!(late_sends, 7);
        assert!(
            (achieved_rps - 1000.0 / 2.0001).abs() < 1e-9,
            "{achieved_rps}"
        );
    }

    #[test]
    fn achieved_rate_never_exceeds_the_target() {
        // `--rate 1 -z 2.5s` sends at 0, 1 and 2 s: 3 requests in a 2.5 s run, yet 1 per
        // second; counted over the run's time it would read 1.2 req/s.
        let mut config = fixtures::config_z(Duration::from_millis(2500), 5);
        config.rate = Some(1.0);
        let mut result = fixtures::result_with_latencies_ms(1..=3);
        result.elapsed = Duration::from_millis(2500);
        result.sending = Duration::from_secs(2);
        assert_eq!(achieved(&config, &result).0, 1.0);
        // Falling behind (the last send 1 s late) shows as a lower rate.
        result.sending = Duration::from_secs(3);
        assert_eq!(achieved(&config, &result).0, 0.75);
        let none = RunResult::empty(Duration::from_secs(1));
        assert_eq!(achieved(&config, &none).0, 0.0);
    }

    #[test]
    fn correction_needs_q_and_the_flag() {
        let mut config = fixtures::config_n(1000, 10);
        let result = fixtures::result_with_latencies_ms(1..=10);
        config.qps_per_connection = Some(200.0);
        assert_eq!(
            Schedule::of(&Params::of(&config), &result),
            Schedule::ClosedLoop
        );
        config.latency_correction = true;
        assert_eq!(
            Schedule::of(&Params::of(&config), &result),
            Schedule::Corrected {
                interval: Duration::from_millis(5)
            }
        );
    }
}
