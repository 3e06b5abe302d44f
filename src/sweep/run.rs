//! The engine seam: one process, many runs.
//!
//! Every level of a sweep or a capacity search goes through [`Runner::measure`], the one
//! place that runs the engine. It sits on the process's [`Session`] (one SIGINT/SIGTERM
//! watcher and its cancel token shared by every level, each level with fresh counters), and
//! adds what a sweep needs: the open-file limit raised once for the largest level, each
//! target resolved once, the cooldown between levels, and a progress line per level. A run
//! holds threads and sockets only inside the engine, which joins every worker before it
//! returns, so nothing carries over from one level to the next.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::Duration;

use crate::app::Session;
use crate::config::RunConfig;
use crate::engine::{self, result::RunResult, EngineError};

/// Runs levels one after the other; see the module doc.
pub struct Runner {
    session: Session,
    /// Resolved addresses by `host:port`: the target, and the reference in paired mode.
    resolved: Vec<(String, Vec<SocketAddr>)>,
    cooldown: Duration,
    /// The level of the last run (connections, open-loop rate): `--cooldown` pauses only
    /// when the level changes, not between a level's repeats or its reference and target.
    last_level: Option<(usize, Option<u64>)>,
    progress_lines: bool,
}

impl Runner {
    /// Starts the session (signal watcher) and raises the open-file limit for
    /// `max_connections`. If the limit cannot go that high, only the levels above it fail
    /// (each says why), so the rest of the sweep still runs.
    pub fn new(cooldown: Duration, max_connections: usize) -> Runner {
        let session = Session::start();
        let _ = session.reserve(max_connections);
        Runner {
            session,
            resolved: Vec::new(),
            cooldown,
            last_level: None,
            progress_lines: std::io::stderr().is_terminal(),
        }
    }

    /// Whether a signal asked the sweep to stop; it then reports what it has.
    pub fn interrupted(&self) -> bool {
        self.session.is_interrupted()
    }

    /// 130 after SIGINT, 143 after SIGTERM; `None` while no signal arrived.
    pub fn interrupt_exit_code(&self) -> Option<i32> {
        self.session.interrupt_exit_code()
    }

    /// Runs `config` once. `Ok(None)` when interrupted (the partial run is dropped: a level
    /// cut short is no measurement of that level).
    pub fn measure(&mut self, config: &RunConfig) -> Result<Option<RunResult>, EngineError> {
        let level = (config.concurrency, config.rate.map(f64::to_bits));
        let new_level = self.last_level.is_some_and(|last| last != level);
        if new_level && !self.cooldown.is_zero() && !self.interrupted() {
            std::thread::sleep(self.cooldown);
        }
        if self.interrupted() {
            return Ok(None);
        }
        self.last_level = Some(level);
        // A no-op below the limit raised up front; names the fix for a level above it.
        self.session.reserve(config.concurrency)?;
        let addrs = self.addrs(config)?;
        let result = self.session.measure(config, &addrs)?;
        Ok((!self.interrupted()).then_some(result))
    }

    /// The addresses a run connects to (the target's, or its proxy's), resolved on first use.
    fn addrs(&mut self, config: &RunConfig) -> Result<Vec<SocketAddr>, EngineError> {
        let peer = config.proxy.as_ref().unwrap_or(&config.target);
        let key = format!("{}:{}", peer.host, peer.port);
        if let Some((_, addrs)) = self.resolved.iter().find(|(k, _)| *k == key) {
            return Ok(addrs.clone());
        }
        let addrs = engine::resolve(config)?;
        self.resolved.push((key, addrs.clone()));
        Ok(addrs)
    }

    /// Prints `line` on stderr when it is a terminal: one line per level, so a long sweep
    /// shows it is alive without cluttering logs.
    pub fn progress(&self, line: &str) {
        if self.progress_lines {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "vastar sweep: {line}");
        }
    }
}
