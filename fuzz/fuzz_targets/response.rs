//! Fuzz target: the HTTP/1.1 response parser (see `vastar_fuzz::check_response`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vastar_fuzz::check_response(data));
