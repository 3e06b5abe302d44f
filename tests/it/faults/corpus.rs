//! The fuzz corpus (`fuzz/corpus/`), replayed through the fuzz targets' own checks.
//!
//! `cargo fuzz` needs a nightly toolchain; this replay does not, so every input the fuzzer
//! ever found interesting (minimized with `cargo fuzz cmin`) is re-checked by `cargo test`:
//! no panic, split invariance, and the valid-response model.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/lib.rs"]
mod checks;

/// The corpus directory of one fuzz target.
fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// Runs `check` on every file of `target`'s corpus; returns how many there were.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = corpus(target);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let data =
            std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{} fails the {target} checks",
            path.display()
        );
        count += 1;
    }
    count
}

#[test]
fn the_response_corpus_passes_the_fuzz_checks() {
    assert!(replay("response", checks::check_response) > 10);
}

#[test]
fn the_sse_corpus_passes_the_fuzz_checks() {
    assert!(replay("sse", checks::check_sse) > 5);
}

#[test]
fn the_chunked_corpus_passes_the_fuzz_checks() {
    assert!(replay("chunked", checks::check_chunked) > 5);
}
