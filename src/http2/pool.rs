//! A worker's HTTP/2 connections, each shared by up to `--streams` stream slots.
//!
//! A slot that needs a connection joins a live one with room, or (re)opens one: a group whose
//! connection failed is reopened by the first of its slots to come back and joined by the
//! others, so one GOAWAY costs one reconnect, not M. Opening is a shared future, so the
//! slots that join a connection still opening wait for it instead of opening their own.
//! Everything here lives on one worker thread: plain cells, no locks.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use h2::client::SendRequest;

use crate::transport::Dial;

/// Flow-control windows (stream and connection): large enough that a 10 MB response
/// streams at full speed without waiting for WINDOW_UPDATEs.
const WINDOW: u32 = 16 << 20;

/// An open (or opening) connection, as every slot on it sees it.
pub type Opening = Shared<LocalBoxFuture<'static, Result<Open, Rc<io::Error>>>>;

/// A connection that opened: its request handle and the TLS handshake it took.
#[derive(Clone)]
pub struct Open {
    pub send: SendRequest<Bytes>,
    pub handshake: Option<Duration>,
}

/// One connection's slots: how many hold it, and the connection they share.
#[derive(Default)]
pub struct Group {
    users: Cell<usize>,
    /// Bumped at each reopen, so a failure on an old connection does not kill the new one.
    epoch: Cell<u64>,
    conn: RefCell<Option<Opening>>,
    /// GOAWAYs seen on this group's connections, and the epoch of the last one counted: every
    /// stream of a connection sees its GOAWAY, and it counts once.
    goaways: Cell<u64>,
    goaway_epoch: Cell<u64>,
}

impl Group {
    /// Marks the connection of `epoch` dead, so the next slot to join reopens it.
    pub fn kill(&self, epoch: u64) {
        if self.epoch.get() == epoch {
            self.conn.borrow_mut().take();
        }
    }

    /// A stream of the connection of `epoch` saw the server's GOAWAY: counted once per
    /// connection.
    pub fn saw_goaway(&self, epoch: u64) {
        if self.goaway_epoch.replace(epoch) != epoch {
            self.goaways.set(self.goaways.get() + 1);
        }
    }

    /// A slot let go of this group (its stream handle was dropped).
    pub fn leave(&self) {
        self.users.set(self.users.get().saturating_sub(1));
    }
}

/// Where a slot's stream will run: its group, the connection's epoch, and the connection
/// (`opened` when this slot started it).
pub struct Seat {
    pub group: Rc<Group>,
    pub epoch: u64,
    pub conn: Opening,
    pub opened: bool,
}

/// The per-worker set of groups.
pub struct Pool<D> {
    dial: Rc<D>,
    streams: usize,
    groups: RefCell<Vec<Rc<Group>>>,
}

impl<D: Dial + 'static> Pool<D>
where
    D::Stream: Send + 'static,
{
    /// A pool that opens connections with `dial`, `streams` slots to each.
    pub fn new(dial: D, streams: usize) -> Self {
        Pool {
            dial: Rc::new(dial),
            streams: streams.max(1),
            groups: RefCell::new(Vec::new()),
        }
    }

    /// GOAWAYs seen on this worker's connections (see [`Group::saw_goaway`]).
    pub fn goaways(&self) -> u64 {
        self.groups.borrow().iter().map(|g| g.goaways.get()).sum()
    }

    /// A seat for one more slot: on a live connection with room, else on a (re)opened one.
    pub fn seat(&self) -> Seat {
        let mut groups = self.groups.borrow_mut();
        let room = |g: &Rc<Group>| g.users.get() < self.streams;
        // Room is checked before the connection is cloned: pre-connecting 500 × 100 slots
        // walks past up to 499 full groups per slot, and cloning (then dropping) each one's
        // shared future took 3% of a 400 000-request run.
        let live = groups.iter().filter(|g| room(g)).find_map(|g| {
            let conn = g.conn.borrow().clone();
            conn.map(|c| (Rc::clone(g), c))
        });
        let (group, conn, opened) = match live {
            Some((group, conn)) => (group, conn, false),
            None => {
                let group = match groups.iter().find(|g| room(g)) {
                    Some(group) => Rc::clone(group),
                    None => {
                        let group = Rc::new(Group::default());
                        groups.push(Rc::clone(&group));
                        group
                    }
                };
                group.epoch.set(group.epoch.get() + 1);
                let opening = open(Rc::clone(&self.dial)).boxed_local().shared();
                *group.conn.borrow_mut() = Some(opening.clone());
                (group, opening, true)
            }
        };
        group.users.set(group.users.get() + 1);
        Seat {
            epoch: group.epoch.get(),
            group,
            conn,
            opened,
        }
    }
}

/// Opens one connection: dial, h2 handshake with large windows, the driver task spawned on
/// this (the worker's) runtime, then one PING round trip so a server that does not speak
/// HTTP/2 is found out here, at connect, instead of failing every request.
async fn open<D: Dial>(dial: Rc<D>) -> Result<Open, Rc<io::Error>>
where
    D::Stream: Send + 'static,
{
    let dialed = dial.dial().await.map_err(Rc::new)?;
    let refused = |e: h2::Error| {
        Rc::new(io::Error::other(format!(
            "the server did not speak HTTP/2 ({e}); drop --http2 for HTTP/1.1"
        )))
    };
    let (send, mut connection) = h2::client::Builder::new()
        .initial_window_size(WINDOW)
        .initial_connection_window_size(WINDOW)
        .handshake::<_, Bytes>(dialed.stream)
        .await
        .map_err(refused)?;
    let ping = connection.ping_pong();
    tokio::spawn(async move {
        // The connection's end is seen by its streams; nothing else to report here.
        let _ = connection.await;
    });
    if let Some(mut ping) = ping {
        ping.ping(h2::Ping::opaque()).await.map_err(refused)?;
    }
    Ok(Open {
        send,
        handshake: dialed.handshake,
    })
}
