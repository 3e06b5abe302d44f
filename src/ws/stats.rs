//! What WebSocket sessions measured over a run, as plain mergeable data.
//!
//! One `WsStats` per worker is updated by that worker's sessions (see [`super::conn`]),
//! merged into the run's result at the end and across processes: every distribution is a
//! histogram with the latency histogram's bounds, every other field a counter, so merging
//! is exact.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::engine::result::new_latency_histogram;
use crate::transport::ErrorKind;

/// How sessions fared: a session is one upgraded connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// Upgrades that succeeded (101 with a valid `Sec-WebSocket-Accept`).
    pub opened: u64,
    /// Connects or upgrades that failed, retries included: each is one session that never
    /// carried a message.
    pub failed: u64,
    /// Sessions the server ended with a close frame (any code).
    pub closed_by_server: u64,
}

/// Messages that crossed the sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    /// Data messages written (text or binary).
    pub sent: u64,
    /// Data messages received (text or binary), whatever they said.
    pub received: u64,
    /// Pings the server sent; each is answered with a pong.
    pub pings: u64,
}

/// The latency distributions of one part of the run (measured, or the warm-up).
#[derive(Debug, Clone, PartialEq)]
pub struct Latencies {
    /// `--echo`: from a message's send to its reply, in nanoseconds.
    pub echo_ns: Histogram<u64>,
    /// `--ack-field`: one histogram per field, in the order of [`WsStats::ack_fields`]:
    /// from the send of the frame an ack names to the ack's arrival.
    pub acks_ns: Vec<Histogram<u64>>,
}

impl Latencies {
    fn new(ack_fields: usize) -> Latencies {
        Latencies {
            echo_ns: new_latency_histogram(),
            acks_ns: (0..ack_fields).map(|_| new_latency_histogram()).collect(),
        }
    }

    fn merge(&mut self, other: &Latencies) {
        add(&mut self.echo_ns, &other.echo_ns);
        for (mine, theirs) in self.acks_ns.iter_mut().zip(&other.acks_ns) {
            add(mine, theirs);
        }
    }
}

/// Everything the WebSocket sessions of a run measured (see the `ws` module).
#[derive(Debug, Clone, PartialEq)]
pub struct WsStats {
    /// The `--ack-field` names, in the order given: the keys of the `acks` distributions.
    pub ack_fields: Vec<String>,
    pub sessions: SessionCounts,
    /// Close codes the server sent, with how many sessions it closed with each (1005 when
    /// the close frame carried no code).
    pub close_codes: BTreeMap<u16, u64>,
    /// Status codes of refused upgrades (anything but 101), with their counts.
    pub upgrade_statuses: BTreeMap<u16, u64>,
    pub messages: MessageCounts,
    /// Messages sent during each session's warm-up (`--warmup`): their latencies are in
    /// [`WsStats::warmup`], not [`WsStats::measured`].
    pub warmup_sent: u64,
    /// From the upgrade request's first byte to the 101 response, per opened session.
    pub upgrade_ns: Histogram<u64>,
    /// Latencies of messages sent after each session's warm-up: what the report and the
    /// gates judge.
    pub measured: Latencies,
    /// Latencies of messages sent during each session's warm-up, reported apart.
    pub warmup: Latencies,
    /// Failures a session met between its sends (a close, a protocol error, a message that
    /// is not the JSON expected, an ack naming a frame never sent, an ack overdue): counted
    /// here, not as failed sends, since no send failed. Failed sends are the run's errors.
    pub errors: BTreeMap<ErrorKind, u64>,
}

impl WsStats {
    /// Empty stats for sessions acking with `ack_fields`.
    pub fn new(ack_fields: Vec<String>) -> WsStats {
        let n = ack_fields.len();
        WsStats {
            ack_fields,
            sessions: SessionCounts::default(),
            close_codes: BTreeMap::new(),
            upgrade_statuses: BTreeMap::new(),
            messages: MessageCounts::default(),
            warmup_sent: 0,
            upgrade_ns: new_latency_histogram(),
            measured: Latencies::new(n),
            warmup: Latencies::new(n),
            errors: BTreeMap::new(),
        }
    }

    /// Counts one failure of kind `kind`.
    pub fn error(&mut self, kind: ErrorKind) {
        *self.errors.entry(kind).or_insert(0) += 1;
    }

    /// Folds another worker's or process's stats into these (same `--ack-field`s).
    pub fn merge(&mut self, other: &WsStats) {
        let s = &mut self.sessions;
        s.opened += other.sessions.opened;
        s.failed += other.sessions.failed;
        s.closed_by_server += other.sessions.closed_by_server;
        let m = &mut self.messages;
        m.sent += other.messages.sent;
        m.received += other.messages.received;
        m.pings += other.messages.pings;
        self.warmup_sent += other.warmup_sent;
        add_counts(&mut self.close_codes, &other.close_codes);
        add_counts(&mut self.upgrade_statuses, &other.upgrade_statuses);
        add_counts(&mut self.errors, &other.errors);
        add(&mut self.upgrade_ns, &other.upgrade_ns);
        self.measured.merge(&other.measured);
        self.warmup.merge(&other.warmup);
    }

    /// The distribution named `name` in a gate or a report: an ack field's name, `latency`
    /// (the echo round trip) or `upgrade`; `None` for any other name.
    pub fn distribution(&self, name: &str) -> Option<&Histogram<u64>> {
        match name {
            "latency" => Some(&self.measured.echo_ns),
            "upgrade" => Some(&self.upgrade_ns),
            _ => self
                .ack_fields
                .iter()
                .position(|f| f == name)
                .map(|i| &self.measured.acks_ns[i]),
        }
    }
}

fn add(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    // Same bounds on both sides (`new_latency_histogram`), so adding cannot fail.
    let _ = into.add(from);
}

fn add_counts<K: Ord + Copy>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
    for (k, n) in from {
        *into.entry(*k).or_insert(0) += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_adds_counts_and_distributions_by_field() {
        let fields = vec!["newest".to_string(), "oldest".to_string()];
        let mut a = WsStats::new(fields.clone());
        let mut b = WsStats::new(fields);
        a.messages.sent = 3;
        b.messages.sent = 4;
        a.measured.acks_ns[1].record(1_000).unwrap();
        b.measured.acks_ns[1].record(2_000).unwrap();
        b.close_codes.insert(1011, 2);
        b.error(ErrorKind::Timeout);
        a.merge(&b);
        assert_eq!(a.messages.sent, 7);
        assert_eq!(a.distribution("oldest").unwrap().len(), 2);
        assert_eq!(a.distribution("newest").unwrap().len(), 0);
        assert_eq!(a.close_codes[&1011], 2);
        assert_eq!(a.errors[&ErrorKind::Timeout], 1);
        assert!(a.distribution("missing").is_none());
    }
}
