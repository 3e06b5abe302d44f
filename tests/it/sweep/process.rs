//! One process, many levels: interruption, no leaks between levels, many sockets.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::sweep_json;
use crate::support::sweep::Sweep;
use crate::support::{builtin_target, capacity_target, url_of};

fn spawn_sweep(flags: &str, url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vastar"))
        .arg("sweep")
        .args(flags.split_whitespace())
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vastar sweep")
}

/// Waits for `child` up to `limit`, killing it past that; returns (exit code, stdout).
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, Vec<u8>) {
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_end(&mut stdout);
    }
    (child.wait().ok().and_then(|s| s.code()), stdout)
}

/// `Threads` and `VmRSS` (kB) of a live process, `None` once it is gone.
fn threads_and_rss(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("Threads:")?, field("VmRSS:")?))
}

/// Starts a 40-level sweep, sends `signal` after a few levels, and returns the exit code and
/// the result it printed.
fn interrupt_sweep(signal: i32) -> (Option<i32>, Sweep) {
    let server = capacity_target(64, Duration::from_millis(5));
    let child = spawn_sweep(
        "-o json --conc 1..40:step=1 -z 200ms",
        &url_of(server.addr()),
    );
    // Calibration plus a few levels, then the signal.
    std::thread::sleep(Duration::from_millis(1500));
    let pid = i32::try_from(child.id()).expect("pid fits");
    // SAFETY: kill only sends a signal to the child this test spawned.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let (code, stdout) = finish(child, Duration::from_secs(20));
    (code, Sweep::parse(&stdout))
}

#[test]
fn ctrl_c_reports_the_levels_measured_so_far_and_exits_130() {
    let (code, result) = interrupt_sweep(libc::SIGINT);
    assert_eq!(code, Some(130), "{result:#?}");
    assert!(result.interrupted);
    let measured = result.sweep_points.len();
    assert!(
        (1..40).contains(&measured),
        "{measured} levels before Ctrl-C"
    );
    assert!(
        result.sweep_points.iter().all(|p| p.rps.is_some()),
        "no cut-off level"
    );
}

#[test]
fn sigterm_reports_the_levels_measured_so_far_and_exits_143() {
    let (code, result) = interrupt_sweep(libc::SIGTERM);
    assert_eq!(code, Some(143), "{result:#?}");
    assert!(result.interrupted && !result.sweep_points.is_empty());
}

#[test]
fn thirty_levels_in_one_process_keep_threads_and_memory_flat() {
    let server = capacity_target(256, Duration::from_millis(1));
    let child = spawn_sweep(
        "--conc 1..30:step=1 -z 100ms -o json",
        &url_of(server.addr()),
    );
    let pid = child.id();
    let mut samples = Vec::new();
    while let Some(sample) = threads_and_rss(pid) {
        samples.push(sample);
        std::thread::sleep(Duration::from_millis(25));
    }
    let (code, stdout) = finish(child, Duration::from_secs(60));
    assert_eq!(code, Some(0));
    assert_eq!(Sweep::parse(&stdout).sweep_points.len(), 30);
    // Zombie samples (exited, not reaped) read 0 threads or 0 RSS: drop them.
    let samples: Vec<(u64, u64)> = samples
        .into_iter()
        .filter(|&(t, r)| t > 0 && r > 0)
        .collect();
    assert!(samples.len() >= 20, "only {} samples", samples.len());
    // Main, the Ctrl-C watcher and one worker per level (c <= 128): a leak of one thread per
    // level would reach 30.
    let max_threads = samples.iter().map(|s| s.0).max().unwrap();
    assert!(
        max_threads <= 6,
        "threads peaked at {max_threads}: {samples:?}"
    );
    let third = samples.len() / 3;
    let rss = |part: &[(u64, u64)]| part.iter().map(|s| s.1).max().unwrap();
    let (early, late) = (rss(&samples[..third]), rss(&samples[2 * third..]));
    assert!(
        late <= early + early / 2 + 2048,
        "RSS grew from {early} kB to {late} kB over 30 levels"
    );
}

#[test]
fn two_thousand_connections_twice_in_a_row_do_not_run_out_of_ports() {
    let server = builtin_target();
    let result = sweep_json("--conc 1000,2000 --repeats 2 -z 300ms --max-tail-mult 1000000 --max-spread 1000000 --max-p999-ratio 1000000", &url_of(server.addr()), 0);
    for p in &result.sweep_points {
        assert_eq!(p.error_rate, Some(0.0), "{p:?}");
        assert_eq!(p.repeats, 2);
    }
}

/// Sockets in TIME_WAIT whose remote end is `port` on this host (client-side leftovers of
/// connections to a local server), from /proc/net/tcp and tcp6.
fn time_wait_towards(port: u16) -> usize {
    let port_hex = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| {
                    let cols: Vec<&str> = line.split_whitespace().collect();
                    cols.len() > 3 && cols[2].ends_with(&port_hex) && cols[3] == "06"
                })
                .count()
        })
        .sum()
}

#[test]
fn levels_close_their_connections_without_leaving_time_wait() {
    let server = builtin_target();
    let port = server.addr().port();
    sweep_json(
        "--conc 200,400 -z 200ms --max-tail-mult 1000 --max-spread 1000 --max-p999-ratio 1000",
        &url_of(server.addr()),
        0,
    );
    // 601 connections were opened and closed by the client; a FIN close would leave each
    // in TIME_WAIT for a minute, holding an ephemeral port.
    let left = time_wait_towards(port);
    assert!(left < 20, "{left} sockets in TIME_WAIT towards the target");
}
