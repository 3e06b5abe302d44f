//! HTTP/1.1 connections over any byte stream a [`Dial`] opens (TCP, TLS).

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;

use super::connection::Http1Conn;
use super::redirect::RedirectPolicy;
use crate::stream::{Limits, StreamObserver, StreamStats};
use crate::transport::rotation::Rotation;
use crate::transport::{Connected, Connector, Dial};

/// Opens HTTP/1.1 connections that all send the same prebuilt request (or take turns over
/// several, with one counter for all of this worker's connections).
pub struct Http1Connector<D> {
    dial: D,
    requests: Rotation<Bytes>,
    head_request: bool,
    redirects: Option<Arc<RedirectPolicy>>,
    /// With stream metrics: the worker's stats that every connection records into, and
    /// the goodput limits.
    stream: Option<(Rc<RefCell<StreamStats>>, Limits)>,
}

impl<D: Dial> Http1Connector<D> {
    /// A connector whose connections, opened by `dial`, send `requests` (a `HEAD` when
    /// `head_request`, so responses are read without a body). Made once per worker: its
    /// connections share the rotation's turn counter.
    pub fn new(dial: D, requests: impl Into<Rotation<Bytes>>, head_request: bool) -> Self {
        Http1Connector {
            dial,
            requests: requests.into(),
            head_request,
            redirects: None,
            stream: None,
        }
    }

    /// Connections that measure every response as a stream, judging goodput by `limits`
    /// (`None`: no stream metrics).
    pub fn with_stream(mut self, limits: Option<Limits>) -> Self {
        self.stream = limits.map(|limits| (Rc::default(), limits));
        self
    }

    /// Connections that follow redirects as `policy` says (`None`: not at all).
    pub fn with_redirects(mut self, policy: Option<Arc<RedirectPolicy>>) -> Self {
        self.redirects = policy;
        self
    }
}

impl<D: Dial> Connector for Http1Connector<D> {
    type Conn = Http1Conn<D::Stream>;

    async fn connect(&self) -> io::Result<Connected<Self::Conn>> {
        let dialed = self.dial.dial().await?;
        let conn = Http1Conn::new(dialed.stream, self.requests.clone(), self.head_request)
            .with_redirects(self.redirects.clone())
            .with_stream(
                self.stream
                    .as_ref()
                    .map(|(stats, limits)| StreamObserver::new(Rc::clone(stats), *limits)),
            );
        Ok(Connected {
            conn,
            handshake: dialed.handshake,
            opened: true,
        })
    }

    fn take_stream_stats(&self) -> Option<StreamStats> {
        self.stream.as_ref().map(|(stats, _)| stats.take())
    }
}
