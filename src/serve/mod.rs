//! The built-in target server.
