//! Tests of the `--slo` parser: every gate kind and spelling, and every error naming its token.

use std::time::Duration;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn latency(hundredths: u16, limit: Duration) -> Gate {
    let rank = Rank::from_hundredths(hundredths).expect("rank in range");
    Gate::Latency(LatencyGate { rank, limit })
}

fn one(spec: &str) -> Gate {
    match parse(spec) {
        Ok(gates) if gates.len() == 1 => gates[0].clone(),
        other => panic!("{spec:?} gave {other:?}"),
    }
}

#[test]
fn the_full_example_parses_in_order() {
    let gates = parse("p50=20ms,p99=250ms,p99.9=1s,errors=0.1%,rps>=5000").expect("valid");
    assert_eq!(
        gates,
        [
            latency(5000, ms(20)),
            latency(9900, ms(250)),
            latency(9990, Duration::from_secs(1)),
            Gate::ErrorRate { max: 0.001 },
            Gate::MinRps { min: 5000.0 },
        ]
    );
    let names: Vec<String> = gates.iter().map(Gate::name).collect();
    assert_eq!(names, ["p50", "p99", "p99.9", "errors", "rps"]);
}

#[test]
fn percentile_ranks_from_p1_to_p99_99() {
    for (spec, hundredths, name) in [
        ("p1=1ms", 100, "p1"),
        ("p50=1ms", 5000, "p50"),
        ("p90=1ms", 9000, "p90"),
        ("p99=1ms", 9900, "p99"),
        ("p99.9=1ms", 9990, "p99.9"),
        ("p99.90=1ms", 9990, "p99.9"),
        ("p99.99=1ms", 9999, "p99.99"),
        ("p1.05=1ms", 105, "p1.05"),
        ("P95=1ms", 9500, "p95"),
    ] {
        let gate = one(spec);
        assert_eq!(gate, latency(hundredths, ms(1)), "{spec}");
        assert_eq!(gate.name(), name, "{spec}");
    }
}

#[test]
fn durations_in_every_unit_to_the_nanosecond() {
    for (value, ns) in [
        ("250ms", 250_000_000),
        ("1s", 1_000_000_000),
        ("500us", 500_000),
        ("500µs", 500_000),
        ("500μs", 500_000),
        ("1.5ms", 1_500_000),
        ("0.25s", 250_000_000),
        ("2.000001ms", 2_000_001),
        ("250 ms", 250_000_000),
    ] {
        let gate = one(&format!("p99={value}"));
        assert_eq!(gate, latency(9900, Duration::from_nanos(ns)), "{value}");
    }
}

#[test]
fn error_rate_as_percent_or_fraction() {
    for (value, max) in [
        ("0.1%", 0.001),
        ("0.001", 0.001),
        ("0%", 0.0),
        ("0", 0.0),
        ("5%", 0.05),
        ("100%", 1.0),
        ("1", 1.0),
        ("0.3 %", 0.003),
    ] {
        assert_eq!(
            one(&format!("errors={value}")),
            Gate::ErrorRate { max },
            "{value}"
        );
    }
}

#[test]
fn minimum_throughput() {
    assert_eq!(one("rps>=5000"), Gate::MinRps { min: 5000.0 });
    assert_eq!(one("rps>=0.5"), Gate::MinRps { min: 0.5 });
}

#[test]
fn whitespace_case_and_less_or_equal_are_accepted() {
    let gates = parse("  p99 = 250ms ,ERRORS<=1%,  rps >= 10 ").expect("valid");
    assert_eq!(
        gates,
        [
            latency(9900, ms(250)),
            Gate::ErrorRate { max: 0.01 },
            Gate::MinRps { min: 10.0 },
        ]
    );
    assert_eq!(one("p99<=1s"), latency(9900, Duration::from_secs(1)));
}

#[test]
fn display_reads_like_the_condition() {
    let gates = parse("p99=250ms,p99.9=1s,p50=1.5ms,p90=500us,errors=0.1%,rps>=5000")
        .expect("valid")
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>();
    assert_eq!(
        gates,
        [
            "p99 <= 250 ms",
            "p99.9 <= 1000 ms",
            "p50 <= 1.5 ms",
            "p90 <= 0.5 ms",
            "errors <= 0.1%",
            "rps >= 5000",
        ]
    );
}

/// Every malformed token is rejected with a message quoting it.
fn rejects(spec: &str, token: &str, expected: &str) {
    let err = parse(spec).expect_err(spec);
    let message = err.to_string();
    assert!(
        message.contains(&format!("{token:?}")) && message.contains(expected),
        "{spec}: {message}"
    );
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn malformed_durations_are_named() {
    assert_eq!(
        parse("p99=fast").map_err(|e| e.to_string()),
        Err("invalid --slo gate \"p99=fast\": expected a duration like 250ms".to_string())
    );
    for bad in [
        "p99=250",
        "p99=ms",
        "p99=.5ms",
        "p99=1.ms",
        "p99=0ms",
        "p99=-1ms",
        "p99=1e3ms",
        "p99=",
        "p99>=1ms",
        "p99=99999999999999999999s",
    ] {
        rejects(
            &format!("p50=1ms, {bad}"),
            bad,
            "expected a duration like 250ms",
        );
    }
}

#[test]
fn out_of_range_or_malformed_percentiles_are_named() {
    for bad in [
        "p0=1ms",
        "p0.99=1ms",
        "p100=1ms",
        "p99.999=1ms",
        "p1.234=1ms",
        "p=1ms",
        "px=1ms",
        "p99.=1ms",
        "p.9=1ms",
        "p-1=1ms",
        "p099=1ms",
    ] {
        rejects(bad, bad, "expected a percentile from p1 to p99.99");
    }
}

#[test]
fn malformed_error_rates_are_named() {
    for bad in [
        "errors=5",
        "errors=101%",
        "errors=-1%",
        "errors=few",
        "errors=",
        "errors>=1%",
        "errors=1e-3",
        "errors=nan",
        "errors=%",
    ] {
        rejects(bad, bad, "expected an error rate like errors=0.1%");
    }
}

#[test]
fn malformed_throughputs_are_named() {
    for bad in [
        "rps=5000",
        "rps>=0",
        "rps>=-5",
        "rps>=fast",
        "rps>=inf",
        "rps<=10",
    ] {
        rejects(bad, bad, "expected a minimum throughput like rps>=5000");
    }
}

#[test]
fn unknown_gates_are_named() {
    for bad in [
        "latency=1ms",
        "p99",
        "=1ms",
        "errors",
        "foo>=3",
        "  q99=1ms",
        "ttft=1ms",
        "_p99=1ms",
        "newest frame_p99=1ms",
        "newest_q99=1ms",
    ] {
        rejects(
            bad,
            bad.trim(),
            "expected pN=DURATION, errors=RATE, rps>=N, ttft_pN=DURATION",
        );
    }
}

#[test]
fn empty_specs_and_gates_are_rejected() {
    for bad in [
        "",
        "  ",
        "p99=1s,",
        ",p99=1s",
        "p99=1s,,p50=1ms",
        "p99=1s, ,p50=1ms",
    ] {
        rejects(bad, bad, "empty gate");
    }
}

#[test]
fn repeated_gates_are_rejected() {
    for (spec, token, name) in [
        ("p99=1s,p99=2s", "p99=2s", "p99"),
        ("p99.9=1s,p99.90=2s", "p99.90=2s", "p99.9"),
        ("errors=1%,errors=0.01", "errors=0.01", "errors"),
        ("rps>=1,RPS>=2", "RPS>=2", "rps"),
    ] {
        rejects(spec, token, &format!("{name} is given twice"));
    }
}

#[test]
fn a_percentile_of_any_other_name_is_a_named_gate() {
    let named = |name: &str, hundredths: u16, limit: Duration| {
        Gate::Named(NamedGate {
            name: name.to_string(),
            rank: Rank::from_hundredths(hundredths).expect("rank in range"),
            limit,
        })
    };
    for (spec, gate, gate_name) in [
        (
            "newest_frame_seq_p50=200ms",
            named("newest_frame_seq", 5000, ms(200)),
            "newest_frame_seq_p50",
        ),
        (
            "oldest_frame_seq_P95 <= 1.65s",
            named("oldest_frame_seq", 9500, ms(1650)),
            "oldest_frame_seq_p95",
        ),
        (
            "upgrade_p99.9=2ms",
            named("upgrade", 9990, ms(2)),
            "upgrade_p99.9",
        ),
        (
            "newestFrame_p1=1ms",
            named("newestFrame", 100, ms(1)),
            "newestFrame_p1",
        ),
        ("ttfb_p99=1ms", named("ttfb", 9900, ms(1)), "ttfb_p99"),
    ] {
        let parsed = one(spec);
        assert_eq!(parsed, gate, "{spec}");
        assert_eq!(parsed.name(), gate_name, "{spec}");
    }
    // A stream metric keeps its meaning, in any case.
    assert!(matches!(one("TTFT_p99=1s"), Gate::Stream(_)));
    assert_eq!(
        one("oldest_frame_seq_p95=1650ms").to_string(),
        "oldest_frame_seq p95 <= 1650 ms"
    );
}

#[test]
fn malformed_named_gates_are_named() {
    rejects(
        "newest_p100=1ms",
        "newest_p100=1ms",
        "expected a percentile",
    );
    rejects("newest_p50=fast", "newest_p50=fast", "expected a duration");
    rejects("newest_p50>=1ms", "newest_p50>=1ms", "expected a duration");
    rejects(
        "newest_p50=1ms,newest_p50.0=2ms",
        "newest_p50.0=2ms",
        "newest_p50 is given twice",
    );
    assert!(
        parse("newest_p50=1ms,Newest_p50=2ms").is_ok(),
        "names keep their case"
    );
}
