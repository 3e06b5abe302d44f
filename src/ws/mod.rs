//! WebSocket sessions (`vastar ws`): the transport a slot drives when every connection is
//! an upgraded WebSocket session and every "request" is one message it sends.
//!
//! The engine is the HTTP one: a slot is a session, its pacer says when the next message
//! goes (closed loop for `--echo`, a per-session cadence for `--every`), the connector
//! opens and upgrades, and an exchange sends one message. What only sessions have (acks
//! timed between sends, pings, close codes, warm-up) is recorded in [`stats::WsStats`].
//!
//! Module map: [`plan`] is what every session sends, [`connector`] opens sessions,
//! [`conn`] drives one, [`acks`] reads `--ack-field`s, [`sent`] remembers send times,
//! [`stats`] is what sessions measured, as mergeable data.

pub mod acks;
pub mod conn;
pub mod connector;
pub mod plan;
pub mod sent;
pub mod stats;
