//! The live progress bar on stderr.
//!
//! Drawn only when stderr is a terminal, at most ten times a second, in plain ASCII, and
//! erased when the run ends, so it never ends up in logs or piped output.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::StopAt;
use crate::engine::Progress;

const WIDTH: usize = 40;
const FRAME: Duration = Duration::from_millis(100);

/// A running progress bar; [`Bar::finish`] erases it.
pub struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Starts drawing the progress of a run on stderr.
    pub fn start(progress: Arc<Progress>, stop: StopAt) -> Bar {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            while !flag.load(Relaxed) {
                let line = render(progress.completed(), started.elapsed(), stop);
                let _ = write!(std::io::stderr(), "\r{line}");
                std::thread::sleep(FRAME);
            }
            let _ = write!(std::io::stderr(), "\r{:width$}\r", "", width = WIDTH + 40);
        });
        Bar {
            done,
            thread: Some(thread),
        }
    }

    /// Stops drawing and erases the bar.
    pub fn finish(mut self) {
        self.done.store(true, Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One frame: `[#####-----]  42% 4200/10000  1.2s`.
fn render(completed: u64, elapsed: Duration, stop: StopAt) -> String {
    let fraction = match stop {
        StopAt::Requests(n) => completed as f64 / n.max(1) as f64,
        StopAt::Duration(d) => elapsed.as_secs_f64() / d.as_secs_f64().max(1e-9),
    }
    .clamp(0.0, 1.0);
    let filled = (fraction * WIDTH as f64).round() as usize;
    let count = match stop {
        StopAt::Requests(n) => format!("{completed}/{n}"),
        StopAt::Duration(_) => format!("{completed} requests"),
    };
    format!(
        "[{}{}] {:>3.0}% {count} {:.1}s",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        fraction * 100.0,
        elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_ascii_and_bounded() {
        let f = render(50, Duration::from_millis(1500), StopAt::Requests(200));
        assert_eq!(
            f,
            "[##########------------------------------]  25% 50/200 1.5s"
        );
        let f = render(
            9,
            Duration::from_secs(20),
            StopAt::Duration(Duration::from_secs(10)),
        );
        assert!(
            f.starts_with("[########################################] 100% 9 requests"),
            "{f}"
        );
        assert!(f.is_ascii());
    }
}
