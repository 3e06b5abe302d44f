//! The engine seam: one process, many runs.
//!
//! Every level of a sweep or a capacity search goes through [`Runner::measure`], the one
//! place that calls [`engine::run`]. It owns what lives for the whole sweep: one Ctrl-C
//! watcher and the sweep-wide cancel flag (a level's [`Progress`] is fresh per run, so its
//! counters never leak into the next level), the cooldown between levels, and the progress
//! line on stderr. A run holds its threads and sockets only inside `engine::run`, which
//! joins every worker before it returns, so nothing carries over from one level to the next.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::RunConfig;
use crate::engine::{self, result::RunResult, EngineError, Progress};

/// Exit code of a second Ctrl-C: the user wants out now.
const EXIT_INTERRUPTED: i32 = 130;

/// What Ctrl-C must reach: the sweep-wide flag and the level running now.
#[derive(Debug, Default)]
struct Cancel {
    flag: AtomicBool,
    current: Mutex<Option<Arc<Progress>>>,
}

impl Cancel {
    fn cancel(&self) {
        self.flag.store(true, Relaxed);
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(progress) = current.as_ref() {
            progress.cancel();
        }
    }
}

/// Runs levels one after the other; see the module doc.
#[derive(Debug)]
pub struct Runner {
    cancel: Arc<Cancel>,
    cooldown: Duration,
    runs: usize,
    progress_lines: bool,
}

impl Runner {
    /// A runner that pauses `cooldown` between runs and installs the Ctrl-C watcher.
    pub fn new(cooldown: Duration) -> Runner {
        let cancel = Arc::new(Cancel::default());
        watch_ctrl_c(Arc::clone(&cancel));
        Runner {
            cancel,
            cooldown,
            runs: 0,
            progress_lines: std::io::stderr().is_terminal(),
        }
    }

    /// Whether Ctrl-C was pressed; a sweep then stops and reports what it has.
    pub fn interrupted(&self) -> bool {
        self.cancel.flag.load(Relaxed)
    }

    /// Runs `config` once. `Ok(None)` when interrupted (the partial run is dropped: a level
    /// cut short is no measurement of that level).
    pub fn measure(&mut self, config: &RunConfig) -> Result<Option<RunResult>, EngineError> {
        if self.runs > 0 && !self.cooldown.is_zero() && !self.interrupted() {
            std::thread::sleep(self.cooldown);
        }
        if self.interrupted() {
            return Ok(None);
        }
        self.runs += 1;
        let progress = Arc::new(Progress::default());
        *self.lock_current() = Some(Arc::clone(&progress));
        let result = engine::run(config, &progress);
        *self.lock_current() = None;
        match result {
            _ if progress.is_cancelled() || self.interrupted() => Ok(None),
            other => other.map(Some),
        }
    }

    /// Prints `line` on stderr when it is a terminal: one line per level, so a long sweep
    /// shows it is alive without cluttering logs.
    pub fn progress(&self, line: &str) {
        if self.progress_lines {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "vastar sweep: {line}");
        }
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Option<Arc<Progress>>> {
        self.cancel
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// First Ctrl-C stops the sweep after cancelling the level in progress (what was measured is
/// still reported); a second one exits at once.
fn watch_ctrl_c(cancel: Arc<Cancel>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(EXIT_INTERRUPTED);
            }
        });
    });
}
