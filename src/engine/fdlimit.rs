//! Making sure the process may open as many sockets as the run needs.
//!
//! Every connection is a file descriptor. The usual soft limit (1024, sometimes 256) is far
//! below what `-c 10000` needs, while the hard limit is usually generous, so the engine
//! raises the soft limit itself, as wrk and most load generators do. When even the hard limit
//! is too low, the run fails up front with the most `-c` that fits, instead of failing
//! thousands of connects.
//!
//! The need is counted, not guessed: the descriptors already open, the connections, each
//! worker's runtime, the signal watcher and a small margin. `-c 1` needs about 23, so a
//! `ulimit -n 64` shell can still run small tests.

use std::io;

/// Descriptors one tokio current-thread runtime with I/O, time and signals enabled holds:
/// its epoll instance, the eventfd that wakes it and the signal driver's. Measured by counting
/// `/proc/self/fd` before and after building runtimes: each one added 4 (checked by
/// `tests/descriptors.rs`, so a tokio upgrade cannot change it unnoticed).
pub const PER_RUNTIME: u64 = 4;

/// What each worker opens besides its runtime: the open-loop alarm's kernel timer
/// (`timerfd`), one per worker of a `--rate` run. Counted for every run, since the process may
/// measure several (a sweep by rate) and one spare descriptor per worker costs nothing.
pub const PER_WORKER_TIMER: u64 = 1;

/// The signal-watching thread (Ctrl-C, SIGTERM): one more runtime plus the process-wide
/// signal socket pair tokio creates with the first signal handler. (The progress bar's
/// thread holds none: it only writes to stderr.) Counted whether or not it
/// already runs, since it may start just after the check: six spare descriptors are cheaper
/// than a run that loses a connection.
const SIGNAL_WATCHER: u64 = PER_RUNTIME + 2;

/// Headroom for what opens briefly during a run: name resolution (`/etc/hosts`, DNS
/// sockets), the `/proc/self/fd` listing of this very check, a reconnect overlapping a close.
const MARGIN: u64 = 8;

/// Standard input, output and error, assumed open when `/proc` cannot be read.
const STDIO: u64 = 3;

/// The descriptor limit could not be raised far enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooFewDescriptors {
    /// Connections the run asked for (`-c`).
    pub connections: u64,
    /// Descriptors the run needs in all, connections included.
    pub needed: u64,
    /// The soft limit in force, which could not be raised to `needed`.
    pub soft: u64,
    /// The hard limit: the most an unprivileged process may raise its soft limit to.
    pub hard: u64,
}

impl TooFewDescriptors {
    /// The largest `-c` that fits under the hard limit. Conservative: it keeps this run's
    /// worker count, and fewer connections never need more workers.
    pub fn most_connections(&self) -> u64 {
        let others = self.needed.saturating_sub(self.connections);
        self.hard.saturating_sub(others)
    }
}

impl std::fmt::Display for TooFewDescriptors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (c, needed) = (self.connections, self.needed);
        let need = if c == 1 {
            "1 connection needs".to_string()
        } else {
            format!("{c} connections need")
        };
        if needed <= self.hard {
            // Only an unusual setrlimit failure lands here: the suggested value is allowed.
            return write!(
                f,
                "{need} about {needed} open files but the limit is {} and could not be raised; raise it (`ulimit -n {needed}`) or lower -c",
                self.soft
            );
        }
        let fits = match self.most_connections() {
            0 => "not even -c 1 fits".to_string(),
            n => format!("at most -c {n} fits"),
        };
        write!(
            f,
            "{need} about {needed} open files but the hard limit is {}: {fits}; raising the hard limit needs root (`ulimit -Hn` as root, or nofile in /etc/security/limits.conf)",
            self.hard
        )
    }
}

impl std::error::Error for TooFewDescriptors {}

/// Descriptors a run of `connections` over `workers` worker threads needs, counted from
/// what the process has open now. Callers running several loads (a sweep) pass the largest.
pub fn needed(connections: usize, workers: usize) -> u64 {
    needed_beside(open_now().unwrap_or(STDIO), connections, workers)
}

/// [`needed`] when `open` descriptors are already in use.
fn needed_beside(open: u64, connections: usize, workers: usize) -> u64 {
    let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    open.saturating_add(SIGNAL_WATCHER)
        .saturating_add(as_u64(workers).saturating_mul(PER_RUNTIME + PER_WORKER_TIMER))
        .saturating_add(as_u64(connections))
        .saturating_add(MARGIN)
}

/// Raises the soft open-file limit to fit a run of `connections` over `workers` worker
/// threads (never lowers it). Idempotent and cheap once raised, so it can be called once per
/// process for the largest run, and again by each run.
pub fn ensure(connections: usize, workers: usize) -> Result<(), TooFewDescriptors> {
    let needed = needed(connections, workers);
    let Ok((soft, hard)) = get() else {
        return Ok(());
    };
    if soft >= needed {
        return Ok(());
    }
    let refused = TooFewDescriptors {
        connections: u64::try_from(connections).unwrap_or(u64::MAX),
        needed,
        soft,
        hard,
    };
    if needed > hard || set(needed, hard).is_err() {
        return Err(refused);
    }
    Ok(())
}

/// Descriptors open in this process, from `/proc/self/fd` (Linux); the listing's own
/// descriptor is not counted.
fn open_now() -> Option<u64> {
    let listed = std::fs::read_dir("/proc/self/fd").ok()?.count();
    u64::try_from(listed.saturating_sub(1)).ok()
}

// rlim_t is u64 on 64-bit Linux but narrower on some targets.
#[allow(clippy::unnecessary_cast)]
fn get() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.rlim_cur as u64, limit.rlim_max as u64))
}

#[allow(clippy::unnecessary_cast)]
fn set(soft: u64, hard: u64) -> io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: setrlimit only reads the struct we pass.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(connections: u64, needed: u64, hard: u64) -> TooFewDescriptors {
        TooFewDescriptors {
            connections,
            needed,
            soft: hard,
            hard,
        }
    }

    #[test]
    fn small_runs_fit_and_absurd_ones_are_refused() {
        assert_eq!(ensure(10, 1), Ok(()));
        let (_, hard) = get().expect("getrlimit works on Linux");
        if hard < u64::MAX / 2 {
            let err = ensure(usize::try_from(hard).unwrap_or(usize::MAX), 1).unwrap_err();
            assert!(err.to_string().contains("hard limit"), "{err}");
        }
    }

    #[test]
    fn the_need_counts_what_is_open_connections_and_runtimes() {
        // -c 1 from a shell: stdio, the signal watcher, one worker (runtime and alarm timer),
        // one socket, the margin.
        assert_eq!(needed_beside(3, 1, 1), 3 + 6 + 5 + 1 + 8);
        assert_eq!(needed_beside(10, 1000, 4), 10 + 6 + 20 + 1000 + 8);
        assert_eq!(needed_beside(3, usize::MAX, usize::MAX), u64::MAX);
        assert!(needed(0, 0) >= STDIO + SIGNAL_WATCHER + MARGIN);
    }

    #[test]
    fn above_the_hard_limit_it_says_what_fits_and_that_root_is_needed() {
        let err = refused(1000, 1030, 64);
        assert_eq!(err.most_connections(), 34);
        assert_eq!(
            err.to_string(),
            "1000 connections need about 1030 open files but the hard limit is 64: at most -c 34 \
             fits; raising the hard limit needs root (`ulimit -Hn` as root, or nofile in \
             /etc/security/limits.conf)"
        );
        let err = refused(1, 25, 16);
        assert!(err.to_string().starts_with("1 connection needs "), "{err}");
        assert!(err.to_string().contains("not even -c 1 fits"), "{err}");
        assert!(!err.to_string().contains("ulimit -n"), "{err}");
    }

    #[test]
    fn below_the_hard_limit_it_suggests_a_value_that_can_be_set() {
        let err = TooFewDescriptors {
            connections: 2,
            needed: 30,
            soft: 20,
            hard: 4096,
        };
        assert!(err.to_string().contains("`ulimit -n 30`"), "{err}");
        assert!(err.to_string().starts_with("2 connections need"), "{err}");
    }
}
