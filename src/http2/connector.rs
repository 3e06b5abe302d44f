//! Opens HTTP/2 stream slots over any byte stream a [`Dial`] opens (TCP for h2c, TLS).

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use bytes::Bytes;

use super::pool::Pool;
use super::request::Template;
use super::stream::H2Stream;
use crate::redirect::Rules;
use crate::stream::{Limits, StreamObserver, StreamStats};
use crate::transport::rotation::Rotation;
use crate::transport::{Connected, Connector, Dial};

/// A worker's HTTP/2 connector: its connections and the stream slots seated on them.
pub struct Http2Connector<D> {
    pool: Pool<D>,
    template: Rc<Template>,
    /// The bodies, with this worker's turn counter, shared by its stream slots.
    bodies: Rotation<Bytes>,
    /// With stream metrics: the worker's stats every stream slot records into, and the
    /// goodput limits.
    stream: Option<(Rc<RefCell<StreamStats>>, Limits)>,
    /// How the stream slots follow redirects; `None` when they are off.
    redirects: Option<Rc<Rules>>,
}

impl<D: Dial + 'static> Http2Connector<D>
where
    D::Stream: Send + 'static,
{
    /// A connector whose connections, opened by `dial`, carry `streams` slots each, all
    /// sending `template`'s request.
    pub fn new(dial: D, streams: usize, template: Template) -> Self {
        let mut bodies = template.bodies.iter().cloned();
        let first = bodies.next().unwrap_or_default();
        Http2Connector {
            pool: Pool::new(dial, streams),
            bodies: Rotation::new(first, bodies),
            template: Rc::new(template),
            stream: None,
            redirects: None,
        }
    }

    /// Stream slots that follow redirects as `rules` say (`None`: a 3xx is final).
    pub fn with_redirects(mut self, rules: Option<Rules>) -> Self {
        self.redirects = rules.map(Rc::new);
        self
    }

    /// Stream slots that measure every response as a stream, judging goodput by `limits`
    /// (`None`: no stream metrics).
    pub fn with_stream(mut self, limits: Option<Limits>) -> Self {
        self.stream = limits.map(|limits| (Rc::default(), limits));
        self
    }
}

impl<D: Dial + 'static> Connector for Http2Connector<D>
where
    D::Stream: Send + 'static,
{
    type Conn = H2Stream;

    async fn connect(&self) -> io::Result<Connected<H2Stream>> {
        let seat = self.pool.seat();
        match seat.conn.await {
            Ok(open) => Ok(Connected {
                conn: H2Stream {
                    send: open.send,
                    template: Rc::clone(&self.template),
                    bodies: self.bodies.clone(),
                    group: seat.group,
                    epoch: seat.epoch,
                    observer: self.stream.as_ref().map(|(stats, limits)| {
                        Box::new(StreamObserver::new(Rc::clone(stats), *limits))
                    }),
                    redirects: self.redirects.clone(),
                    followup: None,
                },
                handshake: open.handshake.filter(|_| seat.opened),
                opened: seat.opened,
            }),
            Err(e) => {
                // The next slot to come reopens it; this one was never seated.
                seat.group.kill(seat.epoch);
                seat.group.leave();
                Err(io::Error::new(e.kind(), e.to_string()))
            }
        }
    }

    fn take_stream_stats(&self) -> Option<StreamStats> {
        self.stream.as_ref().map(|(stats, _)| stats.take())
    }

    fn goaways(&self) -> u64 {
        self.pool.goaways()
    }
}
