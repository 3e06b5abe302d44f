//! The environment the binary runs in: a low open-file limit and a narrow terminal.

use crate::support::cmd::RUN_LIMIT;
use crate::support::{builtin_target, run_cmd, url_of, Run};

/// `vastar ARGS` started by `sh` after `ulimit -n LIMIT`, which lowers the soft and the hard
/// limit alike, as in a container or a locked-down CI runner.
fn with_open_file_limit(limit: u32, args: &[&str]) -> Run {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$@\""))
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_vastar"))
        .args(args)
        .env_remove("NO_COLOR")
        .timeout(RUN_LIMIT);
    run_cmd(&mut cmd)
}

#[test]
fn one_connection_runs_under_ulimit_64() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let run = with_open_file_limit(64, &["-o", "json", "-n", "20", "-c", "1", "-t", "5", &url]);
    let report = run.success().report();
    assert_eq!((report.summary.successful, report.summary.failed), (20, 0));
}

#[test]
fn too_many_connections_under_ulimit_64_exit_3_saying_what_fits() {
    let server = builtin_target();
    let url = url_of(server.addr());
    let refused = with_open_file_limit(64, &["-n", "2000", "-c", "1000", "-t", "5", &url]);
    let stderr = refused.stderr.clone();
    let refused = refused.expect_code(3);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout_text());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for fragment in [
        "vastar: error: 1000 connections need about ",
        "but the hard limit is 64: at most -c ",
        "raising the hard limit needs root",
    ] {
        assert!(stderr.contains(fragment), "{fragment:?} not in {stderr:?}");
    }
    assert!(!stderr.contains("ulimit -n"), "{stderr}");
    // The -c it offers really fits: every connection opens and every request is answered.
    let fits: u64 = stderr
        .split("at most -c ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no -c in {stderr:?}"));
    assert!((10..64).contains(&fits), "{stderr}");
    let (c, n) = (fits.to_string(), (fits * 4).to_string());
    let args = [
        "-o",
        "json",
        "-n",
        n.as_str(),
        "-c",
        c.as_str(),
        "-t",
        "5",
        &url,
    ];
    let report = with_open_file_limit(64, &args).success().report();
    assert_eq!(
        (report.summary.successful, report.summary.failed),
        (fits * 4, 0)
    );
    assert_eq!(report.connections.opened, fits);
}
