//! Integration tests: the real binary against real local servers.

mod slo;
