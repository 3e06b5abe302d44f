//! How a run's sending was scheduled, and the second latency view that comes with it.
//!
//! Closed-loop runs have one latency: from send to last byte. Open-loop (`--rate`) and
//! corrected (`--latency-correction`) runs have two: the *response time*, counted from when
//! a request was due (the headline, since it is what a user of the server waits), and the
//! *service time*, counted from when it was actually sent. Where the two differ, requests
//! queued behind a slow server; showing both keeps that visible instead of hidden.

use std::time::Duration;

use super::model::{latency, Latency, LevelScale};
use crate::config::RunConfig;
use crate::engine::result::RunResult;

/// How requests were paced, as far as the reader of a report needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// Each request followed the previous response (optionally `-q`-limited): one view.
    ClosedLoop,
    /// `--rate`: a fixed arrival schedule across the run.
    OpenLoop {
        target_rps: f64,
        /// Requests actually sent per second.
        achieved_rps: f64,
        /// Requests that were already overdue when a connection became free.
        late_sends: u64,
    },
    /// `-q` with `--latency-correction`: closed loop, corrected for the requests a stalled
    /// connection did not send at its expected interval.
    Corrected { interval: Duration },
}

impl Schedule {
    /// The schedule of a run.
    pub fn of(config: &RunConfig, result: &RunResult) -> Schedule {
        match (config.rate, config.qps_per_connection) {
            (Some(target_rps), _) => Schedule::OpenLoop {
                target_rps,
                achieved_rps: per_second(result.requests(), result.elapsed),
                late_sends: result.late_sends,
            },
            (None, Some(q)) if config.latency_correction => Schedule::Corrected {
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

fn per_second(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn open_loop_reports_target_achieved_and_late() {
        let mut config = fixtures::config_n(1000, 10);
        config.rate = Some(500.0);
        let mut result = fixtures::result_with_latencies_ms(1..=1000);
        result.late_sends = 7;
        match Schedule::of(&config, &result) {
            Schedule::OpenLoop {
                target_rps,
                achieved_rps,
                late_sends,
            } => {
                assert_eq!((target_rps, late_sends), (500.0, 7));
                assert!((achieved_rps - 1000.0 / result.elapsed.as_secs_f64()).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn correction_needs_q_and_the_flag() {
        let mut config = fixtures::config_n(1000, 10);
        let result = fixtures::result_with_latencies_ms(1..=10);
        config.qps_per_connection = Some(200.0);
        assert_eq!(Schedule::of(&config, &result), Schedule::ClosedLoop);
        config.latency_correction = true;
        assert_eq!(
            Schedule::of(&config, &result),
            Schedule::Corrected {
                interval: Duration::from_millis(5)
            }
        );
    }
}
