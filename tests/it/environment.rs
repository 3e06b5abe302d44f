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

/// A tmux server of its own (`tmux -L`), killed when the test ends, pass or fail.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `shell_command` in a detached session whose only pane is `columns` wide.
    fn start(columns: u16, shell_command: &str) -> Tmux {
        // One tmux server per test: tests run in parallel, and a shared one would be killed
        // by whichever test ends first.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux {
            socket: format!("vastar-test-{}-{n}", std::process::id()),
        };
        let (x, y) = (columns.to_string(), "20".to_string());
        let args = ["new-session", "-d", "-x", &x, "-y", &y, shell_command];
        let out = tmux.command(&args);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux
    }

    /// Runs `tmux -L SOCKET ARGS`. tmux is required: a missing tmux fails the test (CI
    /// installs it), it never skips.
    fn command(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap_or_else(|e| {
                panic!("tmux is required for this test (apt-get install tmux): {e}")
            })
    }

    /// The pane's visible lines, without escapes, trailing blanks trimmed.
    fn lines(&self) -> Vec<String> {
        self.capture(&["capture-pane", "-p"])
    }

    /// The pane's visible lines with their color escapes (`capture-pane -e`).
    fn colored_lines(&self) -> Vec<String> {
        self.capture(&["capture-pane", "-p", "-e"])
    }

    fn capture(&self, args: &[&str]) -> Vec<String> {
        let out = self.command(args);
        assert!(out.status.success(), "tmux capture-pane: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Never panics: this may run while a failed assertion unwinds.
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Polls the pane until `done` holds for its lines, for at most 30 s; returns those lines.
fn wait_for(tmux: &Tmux, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let started = std::time::Instant::now();
    loop {
        let lines = tmux.lines();
        if done(&lines) {
            return lines;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no {what} in the pane after 30 s:\n{}",
            lines.join("\n")
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn the_progress_bar_fits_a_40_column_terminal_and_leaves_nothing_behind() {
    let server = builtin_target();
    let bin = env!("CARGO_BIN_EXE_vastar");
    let url = url_of(server.addr());
    // The report goes to a file: the pane then shows only what vastar drew on stderr.
    let report = crate::support::scratch_file("tmux-report.txt", b"");
    let command = format!(
        "'{bin}' -z 1.5s -c 2 -t 5 {url} > '{}'; echo __done__; sleep 60",
        report.display()
    );
    let tmux = Tmux::start(40, &command);
    let drawing = wait_for(&tmux, "progress bar", |lines| {
        lines.iter().any(|l| l.contains("% "))
    });
    let bars: Vec<&String> = drawing.iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        bars.len(),
        1,
        "one line while running:\n{}",
        drawing.join("\n")
    );
    assert!(
        bars[0].starts_with('[') && bars[0].len() < 40,
        "{:?}",
        bars[0]
    );
    let after = wait_for(&tmux, "__done__", |lines| {
        lines.iter().any(|l| l == "__done__")
    });
    assert_eq!(
        after,
        ["__done__"],
        "debris left in the pane:\n{}",
        after.join("\n")
    );
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    assert!(text.contains("Requests/sec:"), "report: {text}");
}

/// The report printed to a tmux pane (stdout a terminal) with `TERM` set to `term`: the
/// pane's lines with their escapes, once the run is over.
fn report_in_a_terminal(term: &str) -> Vec<String> {
    let server = builtin_target();
    let bin = env!("CARGO_BIN_EXE_vastar");
    let url = url_of(server.addr());
    let command = format!(
        "env -u NO_COLOR TERM={term} '{bin}' -n 50 -c 2 -t 5 {url}; echo __done__; sleep 60"
    );
    let tmux = Tmux::start(100, &command);
    wait_for(&tmux, "__done__", |lines| {
        lines.iter().any(|l| l == "__done__")
    });
    tmux.colored_lines()
}

#[test]
fn term_dumb_turns_color_off_on_a_terminal() {
    let has_escape = |lines: &[String]| lines.iter().any(|l| l.contains('\x1b'));
    let colored = report_in_a_terminal("xterm-256color");
    assert!(
        has_escape(&colored),
        "no color on a terminal:\n{}",
        colored.join("\n")
    );
    let dumb = report_in_a_terminal("dumb");
    assert!(
        !has_escape(&dumb),
        "color with TERM=dumb:\n{}",
        dumb.join("\n")
    );
}
