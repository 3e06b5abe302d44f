//! The process as a whole under pressure: too few file descriptors, and Ctrl-C.
//!
//! - `-c` beyond what the hard open-file limit allows fails up front with one line that
//!   names the fix, exit 3, instead of a flood of failed connects.
//! - The first SIGINT (SIGTERM) stops the run promptly and still prints the report of what
//!   was measured, exit 130 (143), with in-flight requests cut off, not failed; a second
//!   signal exits at once.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::{Duration, Instant};

use super::child::{self, Finished, Running};
use super::{assert_accounted, assert_errors, HANG_LIMIT};
use crate::support::builtin_target;
use crate::support::faulty::{Fault, FaultServer};

/// How long a signalled run may take to exit: "promptly", with room for a loaded CI machine.
const PROMPT: Duration = Duration::from_secs(3);

/// `vastar ARGS` run by `sh` after `limit` (a `ulimit` command) took effect.
fn under_ulimit(limit: &str, args: &[&str]) -> Running {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("{limit}; exec \"$0\" \"$@\""))
        .arg(child::binary())
        .args(args);
    child::start(cmd, None)
}

#[test]
fn too_few_file_descriptors_is_one_line_with_the_fix_and_exit_3() {
    let server = FaultServer::always(Fault::Ok);
    let url = server.url();
    // Without -H or -S, the shell's ulimit lowers the hard limit too: vastar cannot raise it.
    let finished = under_ulimit(
        "ulimit -n 256",
        &["-n", "1000", "-c", "1000", "-t", "5", &url],
    )
    .finish(HANG_LIMIT)
    .expect_code(3);
    assert!(finished.stdout.is_empty(), "{}", finished.stdout_text());
    let lines: Vec<&str> = finished.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr: {}", finished.stderr);
    // The hard limit cannot be raised without root: the fix is a smaller -c, named.
    for fragment in [
        "1000 connections",
        "hard limit is 256",
        "at most -c ",
        "needs root",
    ] {
        assert!(
            lines[0].contains(fragment),
            "no {fragment:?} in {:?}",
            lines[0]
        );
    }
    assert!(!lines[0].contains("ulimit -n"), "{:?}", lines[0]);
    assert!(finished.elapsed < Duration::from_secs(5), "{finished:?}");
    assert_eq!(server.connections(), 0, "connects were tried anyway");
}

#[test]
fn a_low_soft_descriptor_limit_is_raised_to_fit_the_connections() {
    let target = builtin_target();
    let url = format!("http://{}/", target.addr());
    let finished = under_ulimit(
        "ulimit -Sn 64",
        &["-o", "json", "-n", "400", "-c", "200", &url],
    )
    .finish(HANG_LIMIT)
    .expect_code(0);
    let report = finished.report();
    assert_errors(&report, &[]);
    assert_eq!(report.summary.successful, 400);
    assert_eq!(report.connections.opened, 200);
}

/// Polls `ready` until it holds; panics after [`HANG_LIMIT`].
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < HANG_LIMIT, "gave up waiting until {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Sends SIGINT once the child handles it, without waiting for anything else.
fn send_sigint(running: &Running) {
    wait_until("vastar handles SIGINT", || running.catches(libc::SIGINT));
    running.signal(libc::SIGINT);
}

/// Sends SIGINT and waits for the exit; requires exit 130 within [`PROMPT`] of the signal.
fn interrupt(running: Running) -> Finished {
    wait_until("vastar handles SIGINT", || running.catches(libc::SIGINT));
    let sent = Instant::now();
    running.signal(libc::SIGINT);
    let finished = running.finish(HANG_LIMIT).expect_code(130);
    assert!(sent.elapsed() < PROMPT, "took {:?} to stop", sent.elapsed());
    finished
}

#[test]
fn ctrl_c_mid_run_stops_promptly_and_prints_what_was_measured() {
    let target = builtin_target();
    let url = format!("http://{}/", target.addr());
    let running = child::spawn("-o json -z 60s -c 4 -t 5", &[&url]);
    wait_until("requests flow", || {
        target.stats().requests.load(SeqCst) > 200
    });
    let report = interrupt(running).report();
    assert_accounted(&report);
    assert!(report.summary.successful > 0, "{report:#?}");
    assert!(report.summary.total_secs < 30.0, "{report:#?}");
}

#[test]
fn ctrl_c_counts_the_requests_in_flight_as_cut_off_not_failed() {
    let server = FaultServer::always(Fault::NeverRead);
    let running = child::spawn("-o json -n 100 -c 4 -t 60", &[&server.url()]);
    wait_until("all connections are open", || server.connections() == 4);
    thread::sleep(Duration::from_millis(300)); // let the requests be written
    let report = interrupt(running).report();
    assert_accounted(&report);
    assert_errors(&report, &[]);
    assert!(report.interrupted, "{report:#?}");
    assert_eq!((report.summary.cut_off, report.summary.failed), (4, 0));
}

#[test]
fn ctrl_c_counts_the_cut_off_requests_in_the_interval_it_came_in() {
    let server = FaultServer::always(Fault::NeverRead);
    let flags = "-o json -n 100 -c 4 -t 60 --interval 100ms";
    let running = child::spawn(flags, &[&server.url()]);
    wait_until("all connections are open", || server.connections() == 4);
    thread::sleep(Duration::from_millis(300)); // let the requests be written
    let report = interrupt(running).report();
    assert_eq!(report.summary.cut_off, 4, "{report:#?}");
    let intervals = report.intervals.expect("intervals with --interval");
    let ended: Vec<_> = intervals.iter().filter(|i| i.requests > 0).collect();
    assert_eq!(ended.len(), 1, "{intervals:#?}");
    assert_eq!((ended[0].requests, ended[0].responses), (4, 0));
    assert!(ended[0].start_s >= 0.2, "{intervals:#?}");
}

#[test]
fn sigterm_prints_the_report_and_exits_143() {
    let target = builtin_target();
    let url = format!("http://{}/", target.addr());
    let running = child::spawn("-o json -z 60s -c 4 -t 5", &[&url]);
    wait_until("requests flow", || {
        target.stats().requests.load(SeqCst) > 200
    });
    wait_until("vastar handles SIGTERM", || running.catches(libc::SIGTERM));
    let sent = Instant::now();
    running.signal(libc::SIGTERM);
    let report = running.finish(HANG_LIMIT).expect_code(143).report();
    assert!(sent.elapsed() < PROMPT, "took {:?} to stop", sent.elapsed());
    assert_accounted(&report);
    assert!(report.interrupted, "{report:#?}");
    assert_errors(&report, &[]);
    assert!(report.summary.successful > 200, "{report:#?}");
}

#[test]
fn sigterm_text_report_says_the_run_was_interrupted() {
    let server = FaultServer::always(Fault::NeverRead);
    let running = child::spawn("-n 100 -c 3 -t 60", &[&server.url()]);
    wait_until("all connections are open", || server.connections() == 3);
    wait_until("vastar handles SIGTERM", || running.catches(libc::SIGTERM));
    thread::sleep(Duration::from_millis(200));
    running.signal(libc::SIGTERM);
    let finished = running.finish(HANG_LIMIT).expect_code(143);
    let text = finished.stdout_text();
    assert!(
        text.contains("3 attempted, 0 responses, 0 failed, 3 cut off"),
        "{text}"
    );
    assert!(text.contains("Interrupted:  yes"), "{text}");
}

/// A listener whose accept queue is full: further connects hang in SYN retransmits, which
/// keeps vastar in its pre-connect phase for as long as its connect timeout allows.
fn saturated_listener() -> (TcpListener, TcpStream, SocketAddr) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    // SAFETY: listen on our own bound socket only changes its backlog.
    let rc = unsafe { libc::listen(listener.as_raw_fd(), 0) };
    assert_eq!(rc, 0, "listen with a backlog of 0");
    let addr = listener.local_addr().expect("local address");
    let filler = TcpStream::connect(addr).expect("the one connection the queue holds");
    (listener, filler, addr)
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let (_listener, _filler, addr) = saturated_listener();
    let running = child::spawn("-o json -n 10 -c 4 -t 30", &[&format!("http://{addr}/")]);
    thread::sleep(Duration::from_millis(300));
    send_sigint(&running);
    thread::sleep(Duration::from_millis(200));
    // The first signal cannot end the run yet (pre-connect hangs); the second ends it.
    interrupt(running);
}

#[test]
fn ctrl_c_during_a_hanging_preconnect_stops_promptly() {
    let (_listener, _filler, addr) = saturated_listener();
    let running = child::spawn("-o json -n 10 -c 4 -t 30", &[&format!("http://{addr}/")]);
    thread::sleep(Duration::from_millis(300));
    let report = interrupt(running).report();
    assert_accounted(&report);
    assert_eq!(report.summary.requests, 0, "{report:#?}");
}
