//! An established TLS client connection as a tokio byte stream, allocation-free per record.
//!
//! Records arrive into one buffer and are opened there in place; the reader copies their
//! plaintext straight out. Writes are sealed into a second buffer and sent from it. Both
//! buffers are made once per connection, sized for the largest record, and reused for its
//! whole life, so after the handshake a request and its response allocate nothing (see
//! `tests/alloc.rs`). What is not application data goes back to rustls' kernel connection:
//! session tickets (so `--disable-keepalive` resumes) and TLS 1.3 key updates, either way.
//!
//! A peer's close_notify is the end of the stream; a TCP close without one is an
//! `UnexpectedEof` error, and any other TLS failure an `InvalidData` error wrapping the
//! `rustls::Error`, as tokio-rustls reported them.

use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::kernel::KernelConnection;
use rustls::{AlertDescription, Error, ProtocolVersion, SupportedCipherSuite};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::handshake::invalid;
use super::record::{self, Cipher, Version, MAX_PLAINTEXT, MAX_RECORD, SEAL_OVERHEAD};

/// Incoming room: two records, so one read can take several small records or a large one
/// while a partial one waits at the front.
const INCOMING_LEN: usize = 2 * MAX_RECORD;

/// Outgoing room: one full record, plus a key-update message queued while it is sent.
const OUTGOING_LEN: usize = MAX_PLAINTEXT + 2 * SEAL_OVERHEAD + 16;

/// Compact the incoming buffer rather than read into less room than this at its end.
const MIN_READ: usize = 4096;

/// Handshake message types handled after the handshake (RFC 8446 §4, RFC 5246 §7.4).
const HELLO_REQUEST: u8 = 0;
const NEW_SESSION_TICKET: u8 = 4;
const KEY_UPDATE: u8 = 24;

/// The buffers a connection keeps for life; the handshake fills them first.
pub(super) struct Buffers {
    pub(super) incoming: Vec<u8>,
    /// Bytes received and not yet consumed, from the start of `incoming`.
    pub(super) in_end: usize,
    pub(super) outgoing: Vec<u8>,
}

impl Buffers {
    pub(super) fn new() -> Self {
        Buffers {
            incoming: vec![0; INCOMING_LEN],
            in_end: 0,
            outgoing: vec![0; OUTGOING_LEN],
        }
    }
}

/// A TLS client connection after its handshake (see the module docs), over TCP or any byte
/// stream (a proxy's CONNECT tunnel).
pub struct TlsStream<S = TcpStream> {
    io: S,
    kernel: KernelConnection<ClientConnectionData>,
    version: Version,
    tx: Cipher,
    rx: Cipher,
    /// After this many records the sending keys are updated (TLS 1.3) or the connection ends
    /// (TLS 1.2): the suite's confidentiality limit.
    tx_limit: u64,
    incoming: Vec<u8>,
    /// Received bytes not yet opened: `incoming[in_start..in_end]`.
    in_start: usize,
    in_end: usize,
    /// Opened application data not yet read, within `incoming`.
    plain: Range<usize>,
    outgoing: Vec<u8>,
    /// Sealed bytes not yet sent: `outgoing[out_start..out_end]`.
    out_start: usize,
    out_end: usize,
    /// A handshake message that spans records, gathered until complete (rare).
    handshake: Vec<u8>,
    peer_closed: bool,
    close_sent: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Takes over `conn` once its handshake is done, with what is left in `buffers`.
    pub(super) fn established(
        io: S,
        conn: UnbufferedClientConnection,
        buffers: Buffers,
    ) -> Result<Self, Error> {
        let (secrets, kernel) = conn.dangerous_into_kernel_connection()?;
        let version = match kernel.protocol_version() {
            ProtocolVersion::TLSv1_2 => Version::Tls12,
            _ => Version::Tls13,
        };
        let tx_limit = match kernel.negotiated_cipher_suite() {
            SupportedCipherSuite::Tls12(suite) => suite.common.confidentiality_limit,
            SupportedCipherSuite::Tls13(suite) => suite.common.confidentiality_limit,
        };
        Ok(TlsStream {
            io,
            version,
            tx: Cipher::new(version, secrets.tx)?,
            rx: Cipher::new(version, secrets.rx)?,
            kernel,
            tx_limit,
            incoming: buffers.incoming,
            in_start: 0,
            in_end: buffers.in_end,
            plain: 0..0,
            outgoing: buffers.outgoing,
            out_start: 0,
            out_end: 0,
            handshake: Vec::new(),
            peer_closed: false,
            close_sent: false,
        })
    }

    /// The TLS version agreed on.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.kernel.protocol_version()
    }

    /// Opens the next complete record, if one has arrived; `false` when more bytes are needed.
    fn open_next(&mut self) -> io::Result<bool> {
        let waiting = &self.incoming[self.in_start..self.in_end];
        let Some(len) = record::complete(waiting).map_err(invalid)? else {
            return Ok(false);
        };
        let start = self.in_start;
        self.in_start += len;
        let (typ, plain) = self
            .rx
            .open(&mut self.incoming[start..start + len])
            .map_err(invalid)?;
        let plain = start + plain.start..start + plain.end;
        match typ {
            record::APPLICATION_DATA => self.plain = plain,
            record::HANDSHAKE => self.on_handshake(plain)?,
            record::ALERT => self.on_alert(plain)?,
            _ => return Err(invalid(format!("unexpected TLS record of type {typ}"))),
        }
        Ok(true)
    }

    /// Reads more records from the stream beneath; an EOF there without a close_notify is an error.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.out_start < self.out_end {
            // A key update's answer waits: send it now rather than with the next write.
            if let Poll::Ready(Err(e)) = self.poll_send(cx) {
                return Poll::Ready(Err(e));
            }
        }
        let waiting = self.in_end - self.in_start;
        if waiting == 0 {
            (self.in_start, self.in_end) = (0, 0);
        } else if self.incoming.len() - self.in_end
            < MIN_READ.max(MAX_RECORD.saturating_sub(waiting))
        {
            self.incoming.copy_within(self.in_start..self.in_end, 0);
            (self.in_start, self.in_end) = (0, waiting);
        }
        let mut read = ReadBuf::new(&mut self.incoming[self.in_end..]);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut read))?;
        match read.filled().len() {
            0 => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed connection without sending TLS close_notify",
            ))),
            n => {
                self.in_end += n;
                Poll::Ready(Ok(()))
            }
        }
    }

    /// Alerts after the handshake: close_notify ends the stream; TLS 1.2 warnings and TLS
    /// 1.3's user_canceled are ignored (RFC 8446 §6.1); anything else is fatal.
    fn on_alert(&mut self, plain: Range<usize>) -> io::Result<()> {
        let &[level, description] = &self.incoming[plain] else {
            return Err(invalid("malformed TLS alert"));
        };
        let description = AlertDescription::from(description);
        match description {
            AlertDescription::CloseNotify => self.peer_closed = true,
            AlertDescription::UserCanceled => {}
            _ if level == 1 && self.version == Version::Tls12 => {}
            _ => return Err(invalid(Error::AlertReceived(description))),
        }
        Ok(())
    }

    /// Handshake messages after the handshake, possibly several in one record or one over
    /// several records.
    fn on_handshake(&mut self, plain: Range<usize>) -> io::Result<()> {
        let mut pending = std::mem::take(&mut self.handshake);
        pending.extend_from_slice(&self.incoming[plain]);
        let mut at = 0;
        while let [typ, a, b, c, rest @ ..] = &pending[at..] {
            let len = u32::from_be_bytes([0, *a, *b, *c]) as usize;
            let Some(body) = rest.get(..len) else { break };
            self.on_handshake_message(*typ, body)?;
            at += 4 + len;
        }
        pending.drain(..at);
        self.handshake = pending;
        Ok(())
    }

    fn on_handshake_message(&mut self, typ: u8, body: &[u8]) -> io::Result<()> {
        match (typ, body) {
            (NEW_SESSION_TICKET, _) => self.kernel.handle_new_session_ticket(body).map_err(invalid),
            (KEY_UPDATE, &[requested]) if self.version == Version::Tls13 => {
                self.rx = Cipher::new(
                    self.version,
                    self.kernel.update_rx_secret().map_err(invalid)?,
                )
                .map_err(invalid)?;
                if requested == 1 {
                    self.update_tx()?;
                }
                Ok(())
            }
            // A TLS 1.2 server asking to renegotiate: declining by ignoring it is allowed.
            (HELLO_REQUEST, []) if self.version == Version::Tls12 => Ok(()),
            _ => Err(invalid(format!(
                "unexpected TLS handshake message {typ} after the handshake"
            ))),
        }
    }

    /// Sends a key update (not asking the peer for one) under the old key, then switches to
    /// the new one.
    fn update_tx(&mut self) -> io::Result<()> {
        self.seal(record::HANDSHAKE, &[KEY_UPDATE, 0, 0, 1, 0])?;
        let secrets = self.kernel.update_tx_secret().map_err(invalid)?;
        self.tx = Cipher::new(self.version, secrets).map_err(invalid)?;
        Ok(())
    }

    /// Seals `plain` as one record after whatever waits to be sent.
    fn seal(&mut self, typ: u8, plain: &[u8]) -> io::Result<()> {
        let need = self.out_end + plain.len() + SEAL_OVERHEAD;
        if need > self.outgoing.len() {
            self.outgoing.resize(need, 0);
        }
        self.out_end += self
            .tx
            .seal(typ, plain, &mut self.outgoing[self.out_end..])
            .map_err(invalid)?;
        Ok(())
    }

    /// Sends what is sealed; ready once all of it is in the socket.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_start < self.out_end {
            let unsent = &self.outgoing[self.out_start..self.out_end];
            match ready!(Pin::new(&mut self.io).poll_write(cx, unsent))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => self.out_start += n,
            }
        }
        (self.out_start, self.out_end) = (0, 0);
        Poll::Ready(Ok(()))
    }

    /// Keeps the sending key within its suite's limit: a key update in TLS 1.3; in TLS 1.2,
    /// which has none, the connection ends (as rustls does) and the slot reconnects.
    fn within_tx_limit(&mut self) -> io::Result<()> {
        if self.tx.seq() + 1 < self.tx_limit {
            return Ok(());
        }
        match self.version {
            Version::Tls13 => self.update_tx(),
            Version::Tls12 => Err(invalid(Error::EncryptError)),
        }
    }

    #[cfg(test)]
    pub(super) fn set_tx_limit(&mut self, limit: u64) {
        self.tx_limit = limit;
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.plain.is_empty() {
                let n = this.plain.len().min(buf.remaining());
                buf.put_slice(&this.incoming[this.plain.start..this.plain.start + n]);
                this.plain.start += n;
                return Poll::Ready(Ok(()));
            }
            if this.peer_closed {
                return Poll::Ready(Ok(()));
            }
            if !this.open_next()? {
                ready!(this.poll_fill(cx))?;
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    /// Seals at most one record of `buf` and tries to send it; like tokio-rustls, the bytes
    /// count as written once sealed, and a later write or flush sends what the socket refused.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = buf.len().min(MAX_PLAINTEXT);
        this.within_tx_limit()?;
        this.seal(record::APPLICATION_DATA, &buf[..n])?;
        if let Poll::Ready(Err(e)) = this.poll_send(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    /// Sends a close_notify, then closes the sending side of the socket.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.close_sent {
            this.close_sent = true;
            this.seal(record::ALERT, &[1, 0])?;
        }
        ready!(this.poll_send(cx))?;
        match ready!(Pin::new(&mut this.io).poll_shutdown(cx)) {
            Err(e) if e.kind() != io::ErrorKind::NotConnected => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(())),
        }
    }
}
