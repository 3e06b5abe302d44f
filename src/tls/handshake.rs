//! The client handshake, driven through rustls' unbuffered API over our own buffers, then
//! handed to [`TlsStream`] through rustls' kernel API.
//!
//! rustls does everything that is not record protection: the handshake, certificate
//! verification, ALPN, session tickets (resumption) and TLS 1.3 key updates. Errors keep the
//! form tokio-rustls gave them (an `io::Error` of kind `InvalidData` wrapping the
//! `rustls::Error`), which is what `tls::reason` reads to name a bad certificate.

use std::io;
use std::sync::Arc;

use rustls::client::UnbufferedClientConnection;
use rustls::pki_types::ServerName;
use rustls::unbuffered::{ConnectionState, EncodeError, InsufficientSizeError, UnbufferedStatus};
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::stream::{Buffers, TlsStream};

/// The largest handshake flight buffered (a certificate chain with its records); rustls
/// itself refuses handshake messages past 64 KiB.
const MAX_HANDSHAKE_BUFFER: usize = 256 * 1024;

/// What the next step of the handshake needs.
enum Step {
    Read,
    Continue,
    Done,
}

/// Shakes hands over `io` (TCP, or a proxy's tunnel) as `config` says, with `name` for SNI
/// and verification.
pub async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    mut io: S,
) -> io::Result<TlsStream<S>> {
    let mut conn = UnbufferedClientConnection::new(config, name).map_err(invalid)?;
    let mut buffers = Buffers::new();
    let mut out_len = 0;
    loop {
        let in_end = buffers.in_end;
        let UnbufferedStatus { discard, state } =
            conn.process_tls_records(&mut buffers.incoming[..in_end]);
        let step = match state {
            Ok(ConnectionState::EncodeTlsData(mut data)) => {
                let written = encode(&mut buffers.outgoing, out_len, |out| data.encode(out))?;
                out_len += written;
                Step::Continue
            }
            Ok(ConnectionState::TransmitTlsData(data)) => {
                io.write_all(&buffers.outgoing[..out_len]).await?;
                out_len = 0;
                data.done();
                Step::Continue
            }
            Ok(ConnectionState::BlockedHandshake) => Step::Read,
            Ok(ConnectionState::WriteTraffic(_)) => Step::Done,
            Ok(ConnectionState::PeerClosed | ConnectionState::Closed) => return Err(eof()),
            Ok(other) => return Err(invalid(format!("unexpected TLS state {other:?}"))),
            Err(e) => {
                send_alert(&mut conn, &mut io, &mut buffers.outgoing).await;
                return Err(invalid(e));
            }
        };
        buffers.discard(discard);
        match step {
            Step::Continue => {}
            Step::Read => buffers.read_handshake(&mut io).await?,
            Step::Done => return TlsStream::established(io, conn, buffers).map_err(invalid),
        }
    }
}

/// Encodes into `outgoing` after its first `used` bytes, growing it when a message (a client
/// certificate chain) does not fit.
fn encode(
    outgoing: &mut Vec<u8>,
    used: usize,
    mut encode: impl FnMut(&mut [u8]) -> Result<usize, EncodeError>,
) -> io::Result<usize> {
    match encode(&mut outgoing[used..]) {
        Err(EncodeError::InsufficientSize(InsufficientSizeError { required_size })) => {
            outgoing.resize(used + required_size, 0);
            encode(&mut outgoing[used..]).map_err(invalid)
        }
        result => result.map_err(invalid),
    }
}

/// After a failed handshake, sends the alert rustls queued (an unknown certificate, say), so
/// the server logs why: best effort, as tokio-rustls did.
async fn send_alert(
    conn: &mut UnbufferedClientConnection,
    io: &mut (impl AsyncWrite + Unpin),
    out: &mut Vec<u8>,
) {
    let UnbufferedStatus { state, .. } = conn.process_tls_records(&mut []);
    if let Ok(ConnectionState::EncodeTlsData(mut data)) = state {
        if let Ok(len) = encode(out, 0, |out| data.encode(out)) {
            let _ = io.write_all(&out[..len]).await;
        }
    }
}

impl Buffers {
    /// Reads more of the server's flight, growing the buffer when a handshake message spans
    /// more than it holds.
    async fn read_handshake(&mut self, io: &mut (impl AsyncRead + Unpin)) -> io::Result<()> {
        if self.in_end == self.incoming.len() {
            if self.incoming.len() >= MAX_HANDSHAKE_BUFFER {
                return Err(invalid("TLS handshake flight too large"));
            }
            self.incoming.resize(self.incoming.len() * 2, 0);
        }
        match io.read(&mut self.incoming[self.in_end..]).await? {
            0 => Err(eof()),
            n => {
                self.in_end += n;
                Ok(())
            }
        }
    }

    fn discard(&mut self, discard: usize) {
        if discard > 0 {
            self.incoming.copy_within(discard..self.in_end, 0);
            self.in_end -= discard;
        }
    }
}

/// The server closed before the handshake completed.
fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof")
}

/// A TLS failure as an `io::Error`, with the rustls error inside for `tls::reason`.
pub fn invalid(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}
