//! What the gates read from a run's result: one constructor, so the report's verdict and
//! the capacity search's (`sweep --find-max`) judge the same numbers.
//!
//! A WebSocket run is judged on its own terms (see `crate::ws`): `pN` on the echo round
//! trip, `errors` on every error (failed sends plus the failures sessions met between
//! sends) over the messages attempted, named gates on its named distributions.

use super::Measurements;
use crate::engine::result::RunResult;

impl<'a> Measurements<'a> {
    /// The measurements of `result`, counted as the report's summary counts them.
    pub fn of(result: &'a RunResult) -> Measurements<'a> {
        let secs = result.elapsed.as_secs_f64();
        let ws = result.ws.as_ref();
        let ws_errors: u64 = ws.map_or(0, |ws| ws.errors.values().sum());
        Measurements {
            latency_ns: ws.map_or(&result.latency_ns, |ws| &ws.measured.echo_ns),
            requests: result.requests(),
            failed: result.failures() + ws_errors,
            rps: if secs > 0.0 {
                result.responses() as f64 / secs
            } else {
                0.0
            },
            stream: result
                .stream
                .as_ref()
                .map(|s| s.measurements(result.elapsed)),
            ws,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::result::ErrorKind;
    use crate::slo::{evaluate, parse};
    use crate::ws::stats::WsStats;

    /// 1000 messages attempted over 2 s: 990 echoed (1..=990 ms), 10 failed sends, and
    /// 5 failures between sends.
    fn ws_result() -> RunResult {
        let mut r = RunResult::empty(Duration::from_secs(2));
        r.status_codes.insert(101, 990);
        r.errors.insert(ErrorKind::Timeout, 10);
        for ms in 1..=990 {
            r.latency_ns.record(ms * 1_000).expect("in bounds");
        }
        let mut ws = WsStats::new(vec!["newest".into(), "oldest".into()]);
        for ms in 1..=990u64 {
            ws.measured
                .echo_ns
                .record(ms * 1_000_000)
                .expect("in bounds");
            ws.measured.acks_ns[0]
                .record(ms * 100_000)
                .expect("in bounds");
        }
        ws.upgrade_ns.record(3_000_000).expect("in bounds");
        ws.error(ErrorKind::WsClosed);
        *ws.errors.entry(ErrorKind::WsBadMessage).or_insert(0) += 4;
        r.ws = Some(ws);
        r
    }

    #[test]
    fn a_ws_run_is_judged_on_echo_all_its_errors_and_its_message_rate() {
        let r = ws_result();
        let m = Measurements::of(&r);
        assert_eq!((m.requests, m.failed), (1000, 15));
        assert_eq!(m.rps, 495.0);
        let outcome = evaluate(&parse("p50=496ms,errors=1.5%,rps>=495").unwrap(), &m);
        let measured: Vec<_> = outcome.gates.iter().map(|g| g.measured).collect();
        assert_eq!(measured[1], Some(0.015));
        // The echo distribution (ms), not the engine's latency histogram (µs).
        assert!(
            measured[0].is_some_and(|ms| (ms - 495.0).abs() < 0.5),
            "{measured:?}"
        );
        assert!(outcome.passed, "{outcome:?}");
        let outcome = evaluate(&parse("errors=1.4%").unwrap(), &m);
        assert!(!outcome.passed);
    }

    #[test]
    fn named_gates_read_the_named_distribution_and_fail_when_it_is_empty_or_absent() {
        let r = ws_result();
        let spec =
            "newest_p50=49.6ms,newest_p99=97ms,upgrade_p99=3.1ms,oldest_p50=1s,missing_p50=1s";
        let outcome = evaluate(&parse(spec).unwrap(), &Measurements::of(&r));
        let verdicts: Vec<_> = outcome.gates.iter().map(|g| g.passed).collect();
        assert_eq!(verdicts, [true, false, true, false, false]);
        let measured: Vec<_> = outcome.gates.iter().map(|g| g.measured.is_some()).collect();
        assert_eq!(measured, [true, true, true, false, false]);
    }

    #[test]
    fn an_http_run_keeps_its_own_counts_and_has_no_named_distribution() {
        let mut r = ws_result();
        r.ws = None;
        let m = Measurements::of(&r);
        assert_eq!((m.requests, m.failed), (1000, 10));
        assert!(std::ptr::eq(m.latency_ns, &r.latency_ns));
        let outcome = evaluate(&parse("upgrade_p99=1s").unwrap(), &m);
        assert_eq!(outcome.gates[0].measured, None);
        assert!(!outcome.passed);
    }
}
