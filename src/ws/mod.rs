//! WebSocket sessions (`vastar ws`): the transport a slot drives when every connection is
//! an upgraded WebSocket session and every "request" is one message it sends.
//!
//! Module map: [`stats`] is what sessions measured, as mergeable data.

pub mod stats;
