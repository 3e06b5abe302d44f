//! Fuzz target: the SSE and NDJSON framing and the stream observer (see
//! `vastar_fuzz::check_sse`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vastar_fuzz::check_sse(data));
