//! The machine line of a report: cores and memory, so a saved sweep says where it ran.
//!
//! Read from `/proc` on Linux; `None` elsewhere or when unreadable (never an error: the
//! sweep itself does not depend on it).

/// Cores and memory of the machine that ran the sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Machine {
    /// Distinct physical cores (`physical id`, `core id` pairs in /proc/cpuinfo).
    pub cpu_cores_physical: Option<u32>,
    /// CPUs this process may run on.
    pub cpu_cores_logical: Option<u32>,
    /// Total memory in MiB.
    pub ram_mb: Option<u64>,
}

impl Machine {
    /// Reads this machine's description.
    pub fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cpu_cores_physical: physical_cores(&cpuinfo),
            cpu_cores_logical: std::thread::available_parallelism()
                .ok()
                .and_then(|n| u32::try_from(n.get()).ok()),
            ram_mb: ram_mb(&meminfo),
        }
    }
}

/// Counts distinct (physical id, core id) pairs; `None` when the file lists none.
fn physical_cores(cpuinfo: &str) -> Option<u32> {
    let mut cores = std::collections::BTreeSet::new();
    for block in cpuinfo.split("\n\n") {
        let field = |name: &str| {
            block.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
        };
        if let Some(core) = field("core id") {
            cores.insert((field("physical id").unwrap_or_default(), core));
        }
    }
    u32::try_from(cores.len()).ok().filter(|n| *n > 0)
}

fn ram_mb(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let cpuinfo = "processor\t: 0\nphysical id\t: 0\ncore id\t: 0\n\n\
                       processor\t: 1\nphysical id\t: 0\ncore id\t: 0\n\n\
                       processor\t: 2\nphysical id\t: 0\ncore id\t: 1\n";
        assert_eq!(physical_cores(cpuinfo), Some(2));
        assert_eq!(physical_cores("processor : 0\n"), None);
        assert_eq!(ram_mb("MemTotal:       8048576 kB\n"), Some(7859));
    }
}
