//! Process set-up done once, apart from the measure of one run.
//!
//! `sweep` measures many runs in one process. What belongs to the process (the signal
//! watcher, the open-file limit) is set up once here; what belongs to a run (its counters,
//! its progress bar) is fresh in every [`Session::measure`]. A signal cancels the run in
//! progress and every run after it, through the one shared token.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;

use super::signals::Interrupt;
use crate::config::RunConfig;
use crate::connector;
use crate::engine::result::RunResult;
use crate::engine::{self, fdlimit, EngineError, Progress};
use crate::progress_bar::Bar;

/// One process's measuring session.
pub struct Session {
    interrupt: Arc<Interrupt>,
    progress_bar: bool,
}

impl Session {
    /// Installs the signal watcher; the progress bar is drawn when stderr is a terminal.
    pub fn start() -> Session {
        Session {
            interrupt: Interrupt::watch(),
            progress_bar: std::io::stderr().is_terminal(),
        }
    }

    /// Raises the open-file limit once, for the largest run this process will measure.
    pub fn reserve(&self, max_connections: usize) -> Result<(), EngineError> {
        fdlimit::ensure(
            max_connections,
            RunConfig::workers_for(max_connections, engine::available_cpus()),
        )?;
        Ok(())
    }

    /// Measures one run against addresses resolved once by the caller
    /// ([`engine::resolve`]). An interrupted run still returns what it measured.
    pub fn measure(
        &self,
        config: &RunConfig,
        addrs: &[SocketAddr],
    ) -> Result<RunResult, EngineError> {
        let progress = Arc::new(Progress::new(self.interrupt.cancel()));
        let bar = self
            .progress_bar
            .then(|| Bar::start(Arc::clone(&progress), config.stop, config.unit()));
        let result = connector::run_at(config, addrs, &progress);
        if let Some(bar) = bar {
            bar.finish();
        }
        result
    }

    /// Whether a signal asked the process to stop: no further run should start.
    pub fn is_interrupted(&self) -> bool {
        self.interrupt.exit_code().is_some()
    }

    /// The exit code an interrupted process owes its caller (130 after SIGINT, 143 after
    /// SIGTERM); `None` while no signal arrived.
    pub fn interrupt_exit_code(&self) -> Option<i32> {
        self.interrupt.exit_code()
    }
}
