//! The engine over a fake protocol: what a failure's scope does to the connection.

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::Instant;

use super::{run_with, Progress};
use crate::config::{RunConfig, StopAt};
use crate::transport::{Conn, Connected, Connector, ErrorKind, Exchange, Failure, Redirect, Scope};
use crate::url::Target;

/// A protocol whose every second exchange on a connection fails with `scope`. Its
/// per-worker state (`Rc<Cell>`) is neither `Send` nor `Sync`: each worker has its own.
struct Fake {
    scope: Scope,
    opened: Rc<Cell<u64>>,
}

struct FakeConn {
    scope: Scope,
    exchanges: u64,
}

impl Connector for Fake {
    type Conn = FakeConn;

    async fn connect(&self) -> io::Result<Connected<FakeConn>> {
        self.opened.set(self.opened.get() + 1);
        Ok(Connected {
            conn: FakeConn {
                scope: self.scope,
                exchanges: 0,
            },
            handshake: None,
            opened: true,
        })
    }
}

impl Conn for FakeConn {
    type Followup = ();

    async fn exchange(&mut self, _start: Instant, _: Option<&()>) -> Result<Exchange, Failure> {
        self.exchanges += 1;
        if self.exchanges % 2 == 0 {
            return Err(Failure {
                kind: ErrorKind::Reset,
                scope: self.scope,
                stale: false,
            });
        }
        Ok(Exchange {
            status: 200,
            body_bytes: 1,
            write: Duration::ZERO,
            wait: Duration::ZERO,
            read: Duration::ZERO,
            reusable: true,
            finished: Instant::now(),
            redirect: Redirect::None,
        })
    }

    fn take_followup(&mut self) -> Option<()> {
        None
    }
}

fn run(scope: Scope) -> crate::engine::result::RunResult {
    let target = Target::parse("http://fake/").unwrap();
    let config = RunConfig::get(target, StopAt::Requests(10), 1);
    let make = || Fake {
        scope,
        opened: Rc::default(),
    };
    run_with(&make, &config, &Progress::default()).unwrap()
}

#[test]
fn a_failed_stream_keeps_its_connection() {
    let result = run(Scope::Stream);
    assert_eq!(result.responses(), 5);
    assert_eq!(result.errors.get(&ErrorKind::Reset), Some(&5));
    assert_eq!(result.connections.opened, 1);
}

#[test]
fn a_failed_connection_is_replaced() {
    let result = run(Scope::Connection);
    assert_eq!(result.responses(), 5);
    assert_eq!(result.errors.get(&ErrorKind::Reset), Some(&5));
    // Every failure takes its connection down: each connection serves one response and one
    // failure, and the request after a failure reconnects.
    assert_eq!(result.connections.opened, 5);
    assert_eq!(result.connections.reconnects, 4);
}
