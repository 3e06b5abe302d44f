//! Wiring and exit codes.
