//! Proof that `engine::fdlimit` counts what a worker really holds open.
//!
//! The open-file check adds `PER_RUNTIME` descriptors per worker, each worker being one tokio
//! current-thread runtime with everything enabled. That number was measured by counting
//! `/proc/self/fd`; this test measures it again, so a tokio upgrade that changes it fails here
//! instead of making `ulimit -n` runs lose connections. It is its own test binary with a single
//! test: a count of `/proc/self/fd` means nothing while other tests open files beside it.

use vastar::engine::fdlimit::PER_RUNTIME;

fn open_descriptors() -> u64 {
    let listed = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd is readable on Linux")
        .count();
    u64::try_from(listed).expect("a count fits in u64")
}

/// A runtime built exactly as a worker builds its own.
fn worker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds")
}

#[test]
fn each_worker_runtime_holds_per_runtime_descriptors() {
    let before = open_descriptors();
    // The first runtime with signals also opens tokio's process-wide signal socket pair.
    let first = worker_runtime();
    let after_first = open_descriptors();
    let more: Vec<_> = (0..4).map(|_| worker_runtime()).collect();
    let after = open_descriptors();
    assert!(
        after_first - before <= PER_RUNTIME + 2,
        "the first runtime opened {}",
        after_first - before
    );
    assert_eq!(
        after - after_first,
        4 * PER_RUNTIME,
        "4 more runtimes opened {}",
        after - after_first
    );
    drop((first, more));
}
