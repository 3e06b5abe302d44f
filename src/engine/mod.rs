//! The load engine.

pub mod result;
