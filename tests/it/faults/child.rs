//! Running `vastar` as a child process whose peak memory and exit are observed exactly.
//!
//! Peak memory comes from GNU time (`/usr/bin/time -f %M`), which reports the child's
//! `ru_maxrss`, the kernel's own high-water mark. The test cannot `wait4` for that itself:
//! `ru_maxrss` survives `exec`, so a child spawned from the (large, multi-threaded) test
//! process would report the test's RSS; `time` is a small process to fork from. Sampling
//! `/proc/PID/status` instead would race with the exit.
//!
//! Every child runs in its own process group and is bounded in time: past its limit the
//! whole group is killed (`time` and `vastar` alike) and the run reports no exit code.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::support::cmd::argv;
use crate::support::report::Report;

/// How often a running child is checked for exit.
const REAP_POLL: Duration = Duration::from_millis(5);

/// GNU time, which reports a child's peak RSS.
const TIME: &str = "/usr/bin/time";

/// A child started with piped output, its pipes drained by threads so it never blocks.
pub struct Running {
    child: Child,
    started: Instant,
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<Vec<u8>>,
    /// Where `time` writes the peak RSS, for runs started by [`spawn_measured`].
    rss_file: Option<PathBuf>,
}

/// What a finished (or killed) child left behind.
#[derive(Debug)]
pub struct Finished {
    /// Exit code; `None` when killed (by the run's limit or a signal).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    /// Stderr, lossily decoded.
    pub stderr: String,
    /// From spawn to exit, as seen by the test.
    pub elapsed: Duration,
    /// Peak resident set size of `vastar` in KiB, for runs started by [`spawn_measured`].
    pub max_rss_kib: Option<u64>,
}

/// The `vastar` binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_vastar")
}

/// Starts `vastar FLAGS EXTRA` (see [`argv`]) directly, so that signals reach it.
pub fn spawn(flags: &str, extra: &[&str]) -> Running {
    let mut cmd = Command::new(binary());
    cmd.args(argv(flags, extra));
    start(cmd, None)
}

/// Starts `vastar FLAGS EXTRA` under GNU time, which records its peak RSS.
pub fn spawn_measured(flags: &str, extra: &[&str]) -> Running {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let name = format!("{}-rss-{}", std::process::id(), RUNS.fetch_add(1, SeqCst));
    let rss_file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let mut cmd = Command::new(TIME);
    cmd.args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(binary())
        .args(argv(flags, extra));
    start(cmd, Some(rss_file))
}

/// Starts a prepared command in its own process group, with piped output and closed stdin.
pub fn start(mut cmd: Command, rss_file: Option<PathBuf>) -> Running {
    cmd.env_remove("NO_COLOR")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    Running {
        child,
        started,
        stdout,
        stderr,
        rss_file,
    }
}

/// Reads a pipe to its end on a thread of its own.
fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = pipe.read_to_end(&mut out);
        out
    })
}

impl Running {
    /// Sends `signal` to the child (not yet reaped, so its pid cannot have been reused).
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill only sends a signal to our own child.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal})");
    }

    /// Does the child catch `signal` yet (its handler installed, per `SigCgt` in
    /// `/proc/PID/status`)? Signalling earlier would kill it instead of testing it.
    pub fn catches(&self, signal: libc::c_int) -> bool {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()));
        let caught = status.ok().and_then(|s| {
            let mask = s.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        });
        caught.is_some_and(|mask| mask & (1 << (signal - 1)) != 0)
    }

    /// Waits for the child to exit; once `limit` has passed since spawn, kills its whole
    /// process group (so no `vastar` outlives a `time` wrapper) and reaps it.
    pub fn finish(mut self, limit: Duration) -> Finished {
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if self.started.elapsed() > limit => self.kill_group(),
                Ok(None) => thread::sleep(REAP_POLL),
                Err(e) => panic!("cannot wait for the child: {e}"),
            }
        };
        let elapsed = self.started.elapsed();
        Finished {
            code: status.code(),
            stdout: self.stdout.join().expect("stdout reader"),
            stderr: String::from_utf8_lossy(&self.stderr.join().expect("stderr reader"))
                .into_owned(),
            elapsed,
            max_rss_kib: self.rss_file.as_ref().and_then(read_rss),
        }
    }

    fn kill_group(&mut self) {
        let pgid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: the child leads its own process group; only that group is signalled.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        thread::sleep(REAP_POLL);
    }
}

/// The peak RSS `time` wrote: the last line (a note about the exit status may precede it).
fn read_rss(path: &PathBuf) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let _ = std::fs::remove_file(path);
    text.lines().last()?.trim().parse().ok()
}

impl Finished {
    /// Stdout, lossily decoded.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Requires exit code `code`; panics with everything the process printed otherwise.
    pub fn expect_code(self, code: i32) -> Finished {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code} after {:?} (None means killed)\nstderr:\n{}\nstdout:\n{}",
            self.elapsed,
            self.stderr,
            self.stdout_text()
        );
        self
    }

    /// Stdout parsed as a JSON report: exactly one document, valid against the schema.
    pub fn report(&self) -> Report {
        Report::parse(&self.stdout)
    }
}
