//! Running the real `vastar` binary, always bounded in time.
//!
//! Every run goes through [`vastar`], which sets a test-side timeout: a run that hangs is
//! killed and reported as such instead of hanging the suite. Tests still pass small `-t` and
//! bounded `-n`/`-z` so that the timeout is only a safety net.

use std::time::{Duration, Instant};

use super::report::Report;

/// Upper bound on any single `vastar` run; far above what any test needs.
pub const RUN_LIMIT: Duration = Duration::from_secs(40);

/// A command for the `vastar` binary under test, with [`RUN_LIMIT`] as its timeout and no
/// inherited `NO_COLOR`, so color behaviour does not depend on the developer's shell.
pub fn vastar() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("vastar")
        .expect("the vastar binary is built for integration tests");
    cmd.timeout(RUN_LIMIT).env_remove("NO_COLOR");
    cmd
}

/// What one finished run produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code; `None` when the process was killed (by [`RUN_LIMIT`] or a signal).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    /// Stderr, lossily decoded (it is meant for humans).
    pub stderr: String,
    /// Wall time from spawn to exit, as seen by the test.
    pub elapsed: Duration,
}

/// The argument list `flags` (split on whitespace) followed by `extra` verbatim: flags read
/// like a command line, while values with spaces and the URL go in `extra`.
pub fn argv<'a>(flags: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    flags
        .split_whitespace()
        .chain(extra.iter().copied())
        .collect()
}

/// Runs `vastar FLAGS EXTRA` (see [`argv`]) to completion (or to [`RUN_LIMIT`]).
pub fn run(flags: &str, extra: &[&str]) -> Run {
    run_cmd(vastar().args(argv(flags, extra)))
}

/// Runs a prepared command to completion (or to its timeout).
pub fn run_cmd(cmd: &mut assert_cmd::Command) -> Run {
    let started = Instant::now();
    let output = cmd.output().expect("spawn the vastar binary");
    Run {
        code: output.status.code(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Runs `vastar -o json FLAGS EXTRA`, requires exit 0, and returns the validated report.
pub fn run_json(flags: &str, extra: &[&str]) -> Report {
    run(&format!("-o json {flags}"), extra).success().report()
}

impl Run {
    /// Requires exit code 0; panics with everything the process printed otherwise.
    pub fn success(self) -> Run {
        self.expect_code(0)
    }

    /// Requires exit code `code`; panics with everything the process printed otherwise.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code} (None means killed after {RUN_LIMIT:?})\nstderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout_text()
        );
        self
    }

    /// Stdout, lossily decoded.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stdout parsed as a JSON report: exactly one document, valid against the schema.
    pub fn report(&self) -> Report {
        Report::parse(&self.stdout)
    }
}
