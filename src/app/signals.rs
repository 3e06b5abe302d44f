//! SIGINT and SIGTERM: stop what is being measured, report it, exit 128 + the signal.
//!
//! CI cancellations, `timeout` and `docker stop` send SIGTERM, a person presses Ctrl-C: both
//! deserve the report of what was measured. One watcher per process serves every run in it
//! (a sweep's levels included) through one shared [`Cancel`] token. A second signal means
//! "now": the process exits at once.

use std::sync::atomic::{AtomicI32, Ordering::Relaxed};
use std::sync::Arc;

use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::engine::Cancel;

/// The process's interruption state: the cancel token every run shares, and which signal
/// (if any) fired first.
#[derive(Debug, Default)]
pub struct Interrupt {
    cancel: Arc<Cancel>,
    signal: AtomicI32,
}

impl Interrupt {
    /// Installs the SIGINT and SIGTERM handlers before returning (a signal that arrives a
    /// moment later is already caught), and serves them on a thread of their own.
    pub fn watch() -> Arc<Interrupt> {
        let interrupt = Arc::new(Interrupt::default());
        match Watcher::install() {
            Ok(watcher) => {
                let target = Arc::clone(&interrupt);
                std::thread::spawn(move || watcher.serve(&target));
            }
            // The run still works; only its interruption would not be reported.
            Err(e) => eprintln!("vastar: warning: cannot watch for Ctrl-C and SIGTERM: {e}"),
        }
        interrupt
    }

    /// The token that stops the current run and keeps any later one from starting.
    pub fn cancel(&self) -> Arc<Cancel> {
        Arc::clone(&self.cancel)
    }

    /// The exit code an interrupted process owes its caller (130 for SIGINT, 143 for
    /// SIGTERM, as shells report them); `None` while no signal has arrived.
    pub fn exit_code(&self) -> Option<i32> {
        match self.signal.load(Relaxed) {
            0 => None,
            signo => Some(128 + signo),
        }
    }

    /// Stops the runs as if `signo` had arrived.
    fn fire(&self, signo: i32) {
        let _ = self.signal.compare_exchange(0, signo, Relaxed, Relaxed);
        self.cancel.cancel();
    }
}

/// The installed handlers and the runtime that delivers them.
struct Watcher {
    runtime: tokio::runtime::Runtime,
    int: Signal,
    term: Signal,
}

impl Watcher {
    fn install() -> std::io::Result<Watcher> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (int, term) = {
            let _inside = runtime.enter();
            (
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
            )
        };
        Ok(Watcher { runtime, int, term })
    }

    /// First signal: stop the runs. Second: exit at once.
    fn serve(mut self, interrupt: &Interrupt) {
        self.runtime.block_on(async {
            loop {
                let signo = tokio::select! {
                    _ = self.int.recv() => libc::SIGINT,
                    _ = self.term.recv() => libc::SIGTERM,
                };
                if interrupt.exit_code().is_some() {
                    std::process::exit(128 + signo);
                }
                interrupt.fire(signo);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_signal_sets_the_exit_code_and_cancels() {
        let interrupt = Interrupt::default();
        assert_eq!(interrupt.exit_code(), None);
        interrupt.fire(libc::SIGTERM);
        interrupt.fire(libc::SIGINT);
        assert_eq!(interrupt.exit_code(), Some(143));
        assert!(interrupt.cancel().is_cancelled());
    }
}
