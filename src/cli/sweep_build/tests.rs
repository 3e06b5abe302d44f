use super::*;
use crate::cli::{Cli, Command};
use clap::Parser;

fn parse(argv: &[&str]) -> Result<SweepConfig, String> {
    let cli =
        Cli::try_parse_from(["vastar", "sweep"].iter().chain(argv)).map_err(|e| e.to_string())?;
    match cli.command {
        Some(Command::Sweep(args)) => sweep_config(&args).map_err(|e| e.0),
        other => panic!("not a sweep: {other:?}"),
    }
}

#[test]
fn defaults_are_the_seeds() {
    let c = parse(&["http://h/"]).unwrap();
    assert_eq!(
        c.plan,
        Plan::Auto {
            last: plan::AUTO_LAST
        }
    );
    assert_eq!(c.gates, DqGates::default());
    assert_eq!((c.repeats, c.baseline_c, c.knee_ratio), (1, 1, 0.95));
    assert_eq!(c.pick, PickMode::Knee);
    assert_eq!(c.base.stop, StopAt::Duration(DEFAULT_LEVEL_DURATION));
    assert!(c.paired.is_none() && c.find_max.is_none());
}

#[test]
fn request_flags_pass_through_the_flat_forms_builder() {
    let c = parse(&["-m", "post", "-d", "x", "-T", "a/b", "-t", "2", "http://h/"]).unwrap();
    assert_eq!(c.base.request.method, "POST");
    assert_eq!(c.base.timeout, Some(Duration::from_secs(2)));
    let err = parse(&["-H", "Content-Length: 5", "http://h/"]).unwrap_err();
    assert!(err.contains("Content-Length"), "{err}");
}

#[test]
fn minus_n_caps_auto_and_refuses_larger_levels() {
    let c = parse(&["-n", "100", "http://h/"]).unwrap();
    assert_eq!(c.plan, Plan::Auto { last: 100 });
    let err = parse(&["-n", "100", "--conc", "10,200", "http://h/"]).unwrap_err();
    assert!(err.contains("-n 100"), "{err}");
}

#[test]
fn bad_values_are_named() {
    let err = |argv: &[&str]| parse(argv).unwrap_err();
    assert!(err(&["--conc", "0", "http://h/"]).contains("--conc"));
    assert!(err(&["--repeats", "0", "http://h/"]).contains("--repeats"));
    assert!(err(&["--knee-ratio", "1.5", "http://h/"]).contains("--knee-ratio"));
    assert!(err(&["--max-spread", "0", "http://h/"]).contains("--max-spread"));
    assert!(err(&["--max-errors", "2", "http://h/"]).contains("--max-errors"));
    assert!(err(&["--find-max", "http://h/"]).contains("--slo"));
    assert!(err(&[
        "--find-max",
        "--slo",
        "p99=1ms",
        "--resolution",
        "0",
        "http://h/"
    ])
    .contains("--resolution"));
    assert!(err(&["--find-max", "--slo", "p99=x", "http://h/"]).contains("p99=x"));
    assert!(err(&["--vs", "ftp://x/", "http://h/"]).starts_with("--vs"));
    assert!(err(&[
        "--find-max",
        "--slo",
        "p99=1ms",
        "--vs",
        "http://r/",
        "http://h/"
    ])
    .contains("--find-max"));
}

#[test]
fn find_max_by_rate_uses_the_c_cap() {
    let c = parse(&[
        "--find-max",
        "--slo",
        "p99=10ms",
        "--by",
        "rate",
        "-c",
        "32",
        "http://h/",
    ])
    .unwrap();
    let fm = c.find_max.unwrap();
    assert_eq!(
        (fm.by, fm.start, fm.resolution),
        (SearchBy::Rate, 10.0, 0.05)
    );
    assert_eq!(c.base.concurrency, 32);
    assert_eq!(resolution("2.5%").unwrap(), 0.025);
}

#[test]
fn levels_and_calibration_must_fit_minus_n() {
    let err = parse(&["-n", "5", "--baseline-c", "10", "http://h/"]).unwrap_err();
    assert!(err.contains("--baseline-c 10 goes above -n 5"), "{err}");
    let err = parse(&["-n", "1", "http://h/"]).unwrap_err();
    assert!(err.contains("--conc auto starts at c = 2"), "{err}");
    // The default --ceiling follows -n; only one the user gave is refused.
    let c = parse(&["--find-max", "--slo", "p99=1s", "-n", "200", "http://h/"]).unwrap();
    assert_eq!(c.find_max.unwrap().ceiling, 200.0);
    let err = parse(&[
        "--find-max",
        "--slo",
        "p99=1s",
        "-n",
        "200",
        "--ceiling",
        "300",
        "http://h/",
    ])
    .unwrap_err();
    assert!(err.contains("--ceiling 300"), "{err}");
}

#[test]
fn flags_that_would_be_ignored_are_refused() {
    let err = parse(&["-c", "50", "http://h/"]).unwrap_err();
    assert!(err.contains("-c applies to --find-max --by rate"), "{err}");
    let err = parse(&[
        "--find-max",
        "--slo",
        "p99=1s",
        "--conc",
        "2,4",
        "http://h/",
    ])
    .unwrap_err();
    assert!(err.contains("no --conc"), "{err}");
    let c = parse(&["--find-max", "--slo", "p99=1s", "--by", "rate", "http://h/"]).unwrap();
    assert_eq!(c.base.concurrency, DEFAULT_RATE_CONNECTIONS);
}

#[test]
fn the_reference_closes_its_sockets_without_time_wait_too() {
    let c = parse(&["--vs", "http://ref/", "http://h/"]).unwrap();
    assert!(c.base.reset_on_close);
    match c.paired.unwrap().reference {
        Reference::Live(reference) => assert!(reference.reset_on_close),
        Reference::Cached(_) => panic!("--vs is a live reference"),
    }
}
