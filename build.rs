//! Link-time layout of the binary: the code a run executes, placed together.
//!
//! A load-generating run executes about 0.8 MB of the binary's 4 MB of machine code, spread
//! over all of it. The kernel maps a file's pages up to 64 KiB at a time around each page a
//! process touches (fault-around), so about 3 MB of the binary became resident: most of a
//! small run's peak RSS (BENCHMARK.md, "Peak RSS at c = 1 and 50"). `link/symbol-order.txt`
//! lists the functions typical runs execute, in the order they first run (made by
//! `benches/symbol_order.py`); LLD places them first, together, in a fifth of the pages.
//!
//! The order only moves code, it changes no instruction. A name the file no longer matches
//! (after a code or dependency change) is skipped, so a stale file decays to the default
//! layout and never breaks the build. Linkers other than LLD do not know the option, so it
//! is passed only where LLD is the default linker (x86_64 Linux since Rust 1.90) and no
//! other linker was chosen.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=link/symbol-order.txt");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    if !links_with_default_lld() {
        return;
    }
    let dir = env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let out = env::var("OUT_DIR").unwrap_or_default();
    println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={dir}/link/symbol-order.txt");
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    // The link map names every function as the order file must: mangled, with the hash this
    // build gave it. `benches/symbol_order.py` reads it.
    println!("cargo:rustc-link-arg-bins=-Wl,-Map={out}/vastar.map");
    println!("cargo:rustc-link-arg-bins=-Wl,--no-demangle");
}

/// Whether the binary is linked by the LLD that rustc brings and uses by default.
fn links_with_default_lld() -> bool {
    let target = env::var("TARGET").unwrap_or_default();
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let chose_linker = env::var_os("RUSTC_LINKER").is_some() || flags.contains("link");
    target == "x86_64-unknown-linux-gnu" && !chose_linker && rustc_minor().is_some_and(|m| m >= 90)
}

/// The minor version of the compiler building us (`rustc 1.95.0 (...)` is 95).
fn rustc_minor() -> Option<u32> {
    let rustc = env::var_os("RUSTC")?;
    let out = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}
