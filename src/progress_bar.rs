//! The live progress bar on stderr.
//!
//! Drawn only when stderr is a terminal, at most ten times a second, in plain ASCII, and
//! erased when the run ends, so it never ends up in logs or piped output.
//!
//! Invariant: no frame is wider than the terminal minus one column. A line that wraps leaves
//! its first part behind at every redraw (`\r` only returns to the start of the last row),
//! and some terminals wrap a line exactly as wide as themselves. The width is read again at
//! every frame, so a resized pane is followed; the bar shrinks first, then fields go.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::StopAt;
use crate::engine::Progress;

/// Widest bar, between the brackets, on a terminal with room to spare.
const MAX_BAR: usize = 40;
/// Narrowest bar worth drawing; below this, fields are dropped to make room, then the bar.
const MIN_BAR: usize = 10;
/// Width assumed when neither the terminal nor `$COLUMNS` says.
const FALLBACK_COLUMNS: usize = 80;
const FRAME: Duration = Duration::from_millis(100);

/// A running progress bar; [`Bar::finish`] erases it.
pub struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Starts drawing the progress of a run on stderr.
    pub fn start(progress: Arc<Progress>, stop: StopAt, unit: &'static str) -> Bar {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            while !flag.load(Relaxed) {
                let state = State {
                    completed: progress.completed(),
                    elapsed: started.elapsed(),
                    stop,
                    unit,
                };
                let columns = terminal_columns();
                let room = usable(columns);
                let _ = write!(std::io::stderr(), "\r{:<room$}", line(columns, &state));
                std::thread::sleep(FRAME);
            }
            let room = usable(terminal_columns());
            let _ = write!(std::io::stderr(), "\r{:room$}\r", "");
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

/// What one frame shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// Requests finished so far.
    pub completed: u64,
    /// Time since the bar started.
    pub elapsed: Duration,
    /// The run's stop condition, which decides what 100% means.
    pub stop: StopAt,
    /// What is counted: "requests", or "messages" for WebSocket sessions.
    pub unit: &'static str,
}

/// Columns a frame may use on a terminal `columns` wide: one less, so it never wraps.
fn usable(columns: usize) -> usize {
    columns.saturating_sub(1)
}

/// One frame for a terminal `columns` wide, e.g. `[#####-----]  42% 4200/10000 1.2s`, at
/// most `columns - 1` characters (ASCII, so characters are columns).
///
/// The bar shrinks from [`MAX_BAR`] to [`MIN_BAR`]; when even that does not fit, the elapsed
/// time goes, then the count, and on very narrow terminals the bar itself. Empty when not
/// even the percentage fits.
pub fn line(columns: usize, state: &State) -> String {
    let room = usable(columns);
    let fraction = match state.stop {
        StopAt::Requests(n) => state.completed as f64 / n.max(1) as f64,
        StopAt::Duration(d) => state.elapsed.as_secs_f64() / d.as_secs_f64().max(1e-9),
    }
    .clamp(0.0, 1.0);
    let percent = format!("{:>3.0}%", fraction * 100.0);
    let count = match state.stop {
        StopAt::Requests(n) => format!("{}/{n}", state.completed),
        StopAt::Duration(_) => format!("{} {}", state.completed, state.unit),
    };
    let elapsed = format!("{:.1}s", state.elapsed.as_secs_f64());
    let with_bar: [&[&str]; 3] = [
        &[&percent, &count, &elapsed],
        &[&percent, &count],
        &[&percent],
    ];
    for fields in with_bar {
        let text = fields.join(" ");
        // "[" + bar + "] " + text
        let bar = room.saturating_sub(text.len() + 3).min(MAX_BAR);
        if bar >= MIN_BAR {
            let filled = (fraction * bar as f64).round() as usize;
            return format!(
                "[{}{}] {text}",
                "#".repeat(filled),
                "-".repeat(bar - filled)
            );
        }
    }
    [format!("{percent} {count}"), percent]
        .into_iter()
        .find(|text| text.len() <= room)
        .unwrap_or_default()
}

/// Width of the terminal on stderr: the kernel's idea of it (`TIOCGWINSZ`), else `$COLUMNS`,
/// else 80. Cheap enough to call at every frame.
fn terminal_columns() -> usize {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ only writes a `winsize` into the struct we pass.
    let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    let env = std::env::var("COLUMNS").ok();
    columns(ok.then_some(size.ws_col), env.as_deref())
}

/// The width policy, apart from the system calls: a non-zero kernel width wins, then a
/// positive `$COLUMNS`, then [`FALLBACK_COLUMNS`].
fn columns(kernel: Option<u16>, env: Option<&str>) -> usize {
    kernel
        .filter(|&c| c > 0)
        .map(usize::from)
        .or_else(|| env?.trim().parse().ok().filter(|&c: &usize| c > 0))
        .unwrap_or(FALLBACK_COLUMNS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(completed: u64, n: u64) -> State {
        State {
            completed,
            elapsed: Duration::from_millis(1500),
            stop: StopAt::Requests(n),
            unit: "requests",
        }
    }

    fn frame(columns: usize, state: &State) -> String {
        let f = line(columns, state);
        assert!(f.len() < columns, "{columns} columns: {f:?}");
        assert!(f.is_ascii());
        f
    }

    #[test]
    fn wide_terminals_get_the_full_bar_and_every_field() {
        let state = requests(50, 200);
        let full = "[##########------------------------------]  25% 50/200 1.5s";
        assert_eq!(frame(200, &state), full);
        assert_eq!(frame(80, &state), full);
    }

    #[test]
    fn the_bar_shrinks_before_fields_go() {
        assert_eq!(
            frame(40, &requests(50, 200)),
            "[#####---------------]  25% 50/200 1.5s"
        );
        assert_eq!(
            frame(40, &requests(4_200, 10_000)),
            "[#######---------]  42% 4200/10000 1.5s"
        );
    }

    #[test]
    fn narrow_terminals_drop_the_elapsed_time_then_the_count() {
        assert_eq!(frame(20, &requests(50, 200)), "[###---------]  25%");
        let long = requests(4_200_000, 10_000_000);
        assert_eq!(frame(40, &long), "[####------]  42% 4200000/10000000 1.5s");
        assert_eq!(frame(35, &long), "[####------]  42% 4200000/10000000");
        assert_eq!(frame(30, &long), "[#########-------------]  42%");
        assert_eq!(frame(12, &long), " 42%");
        assert_eq!(frame(4, &long), "");
    }

    #[test]
    fn duration_runs_count_requests_and_stop_at_100_percent() {
        let state = State {
            completed: 9,
            elapsed: Duration::from_secs(20),
            stop: StopAt::Duration(Duration::from_secs(10)),
            unit: "requests",
        };
        assert_eq!(
            frame(200, &state),
            "[########################################] 100% 9 requests 20.0s"
        );
        assert!(
            frame(40, &state).starts_with("[###"),
            "{}",
            frame(40, &state)
        );
    }

    #[test]
    fn width_comes_from_the_terminal_then_columns_then_80() {
        assert_eq!(columns(Some(40), Some("120")), 40);
        assert_eq!(columns(Some(0), Some("120")), 120);
        assert_eq!(columns(None, Some(" 60 ")), 60);
        assert_eq!(columns(None, Some("0")), 80);
        assert_eq!(columns(None, Some("wide")), 80);
        assert_eq!(columns(None, None), 80);
    }
}
