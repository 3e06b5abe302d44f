//! Making sure the process may open as many sockets as the run needs.
//!
//! Every connection is a file descriptor. The usual soft limit (1024, sometimes 256) is far
//! below what `-c 10000` needs, while the hard limit is usually generous, so the engine
//! raises the soft limit itself, as wrk and most load generators do. When even the hard limit
//! is too low, the run fails up front with the fix, instead of failing thousands of connects.

use std::io;

/// Descriptors the process needs besides its connections: stdio, the runtime's epoll and
/// wake-up descriptors per worker, DNS resolution, and some headroom.
const RESERVED: u64 = 64;

/// The descriptor limit could not be raised far enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooFewDescriptors {
    pub needed: u64,
    pub limit: u64,
}

impl std::fmt::Display for TooFewDescriptors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} connections need about {} open files but the limit is {}; raise it (e.g. `ulimit -n {}`) or lower -c",
            self.needed - RESERVED,
            self.needed,
            self.limit,
            self.needed.next_power_of_two()
        )
    }
}

impl std::error::Error for TooFewDescriptors {}

/// Raises the soft open-file limit to fit `connections` (never lowers it).
pub fn ensure(connections: usize) -> Result<(), TooFewDescriptors> {
    let needed = u64::try_from(connections)
        .unwrap_or(u64::MAX)
        .saturating_add(RESERVED);
    let Ok((soft, hard)) = get() else {
        return Ok(());
    };
    if soft >= needed {
        return Ok(());
    }
    let target = needed.min(hard);
    if target > soft && set(target, hard).is_err() {
        return Err(TooFewDescriptors {
            needed,
            limit: soft,
        });
    }
    if target < needed {
        return Err(TooFewDescriptors {
            needed,
            limit: target,
        });
    }
    Ok(())
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

    #[test]
    fn small_runs_fit_and_absurd_ones_are_refused_with_the_fix() {
        assert_eq!(ensure(10), Ok(()));
        let (_, hard) = get().unwrap();
        if hard < u64::MAX / 2 {
            let err = ensure(usize::try_from(hard).unwrap_or(usize::MAX)).unwrap_err();
            assert!(err.to_string().contains("ulimit -n"), "{err}");
        }
    }
}
