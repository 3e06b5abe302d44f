//! Fuzz target: the chunked transfer-coding decoder (see `vastar_fuzz::check_chunked`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vastar_fuzz::check_chunked(data));
