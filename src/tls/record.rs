//! The TLS record layer once the handshake is done: sealing and opening records in place, in
//! buffers the caller owns.
//!
//! rustls 0.23 allocates a `Vec` for every record it encrypts and copies every record it
//! decrypts into another, buffered API and unbuffered API alike; on a keep-alive connection
//! that is two allocations per request. Its kernel API hands over the traffic keys instead
//! (meant for kTLS), so records are sealed and opened here with ring, the AEAD rustls itself
//! uses, and no record allocates. Only AEAD suites exist in TLS 1.3 and in rustls' TLS 1.2,
//! so three constructions cover every suite rustls negotiates (RFC 8446 §5.2, RFC 5288,
//! RFC 7905).

use std::ops::Range;

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};
use rustls::{ConnectionTrafficSecrets, Error};

/// A record header: content type, legacy version, length.
pub const HEADER_LEN: usize = 5;

/// The most plaintext one record carries.
pub const MAX_PLAINTEXT: usize = 1 << 14;

/// The most a peer's record may add to its plaintext (TLS 1.2 allows 2048; TLS 1.3 256).
const MAX_EXPANSION: usize = 2048;

/// The longest record a peer may send, header included.
pub const MAX_RECORD: usize = HEADER_LEN + MAX_PLAINTEXT + MAX_EXPANSION;

/// The AEAD tag every suite rustls offers appends (AES-GCM, ChaCha20-Poly1305).
const TAG_LEN: usize = 16;

/// TLS 1.2 AES-GCM sends the last 8 bytes of each record's nonce in the record.
const EXPLICIT_NONCE_LEN: usize = 8;

/// What a record this side seals adds to its plaintext, at most.
pub const SEAL_OVERHEAD: usize = HEADER_LEN + EXPLICIT_NONCE_LEN + TAG_LEN;

/// Record content types (RFC 8446 §5.1).
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;

/// The protocol version spoken, which decides the record construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Tls12,
    Tls13,
}

/// One direction of a connection: its AEAD key, nonce base and next sequence number.
pub struct Cipher {
    key: LessSafeKey,
    iv: [u8; NONCE_LEN],
    seq: u64,
    version: Version,
    /// TLS 1.2 AES-GCM: part of the nonce travels in each record.
    explicit_nonce: bool,
}

impl Cipher {
    /// The cipher for `secrets` (as rustls extracted them), starting at sequence `seq`.
    pub fn new(
        version: Version,
        (seq, secrets): (u64, ConnectionTrafficSecrets),
    ) -> Result<Self, Error> {
        let tls12 = version == Version::Tls12;
        let (algorithm, key, iv, explicit_nonce) = match secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (&aead::AES_128_GCM, key, iv, tls12),
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (&aead::AES_256_GCM, key, iv, tls12),
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
                (&aead::CHACHA20_POLY1305, key, iv, false)
            }
            _ => return Err(Error::General("cipher suite without a record layer".into())),
        };
        let bad_key = |_| Error::General("traffic key of the wrong length".into());
        let key = UnboundKey::new(algorithm, key.as_ref()).map_err(bad_key)?;
        let iv = iv
            .as_ref()
            .try_into()
            .map_err(|_| Error::General("bad IV".into()))?;
        Ok(Cipher {
            key: LessSafeKey::new(key),
            iv,
            seq,
            version,
            explicit_nonce,
        })
    }

    /// The sequence number of the next record.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The IV XORed with the sequence number (RFC 8446 §5.3; rustls' TLS 1.2 does the same).
    fn nonce(&self) -> [u8; NONCE_LEN] {
        let mut nonce = self.iv;
        for (byte, seq) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *byte ^= seq;
        }
        nonce
    }

    /// Seals `plain` as one record of content type `typ` at the start of `out` (which must
    /// hold `plain.len() + SEAL_OVERHEAD` bytes) and returns the record's length.
    pub fn seal(&mut self, typ: u8, plain: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        debug_assert!(plain.len() <= MAX_PLAINTEXT);
        let nonce = self.nonce();
        let explicit = if self.explicit_nonce {
            EXPLICIT_NONCE_LEN
        } else {
            0
        };
        let (outer, sealed_len) = match self.version {
            Version::Tls13 => (APPLICATION_DATA, plain.len() + 1),
            Version::Tls12 => (typ, plain.len()),
        };
        let body = HEADER_LEN + explicit;
        let end = body + sealed_len + TAG_LEN;
        let header = header(outer, end - HEADER_LEN);
        out[..HEADER_LEN].copy_from_slice(&header);
        out[HEADER_LEN..body].copy_from_slice(&nonce[NONCE_LEN - explicit..]);
        out[body..body + plain.len()].copy_from_slice(plain);
        if self.version == Version::Tls13 {
            out[body + plain.len()] = typ;
        }
        let aad = self.aad(header, plain.len());
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_slice()),
                &mut out[body..body + sealed_len],
            )
            .map_err(|_| Error::EncryptError)?;
        out[body + sealed_len..end].copy_from_slice(tag.as_ref());
        self.seq += 1;
        Ok(end)
    }

    /// Opens `record` (header included, as [`complete`] delimited it) in place and returns its
    /// content type and where its plaintext now lies within `record`.
    pub fn open(&mut self, record: &mut [u8]) -> Result<(u8, Range<usize>), Error> {
        let header: [u8; HEADER_LEN] = record[..HEADER_LEN]
            .try_into()
            .map_err(|_| Error::DecryptError)?;
        let explicit = if self.explicit_nonce {
            EXPLICIT_NONCE_LEN
        } else {
            0
        };
        let payload = &mut record[HEADER_LEN..];
        let plain_len = payload
            .len()
            .checked_sub(explicit + TAG_LEN)
            .ok_or(Error::DecryptError)?;
        if self.version == Version::Tls13 && header[0] != APPLICATION_DATA {
            return Err(Error::General(
                "unencrypted record after the handshake".into(),
            ));
        }
        let mut nonce = self.nonce();
        nonce[NONCE_LEN - explicit..].copy_from_slice(&payload[..explicit]);
        let aad = self.aad(header, plain_len);
        let plain = self
            .key
            .open_within(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_slice()),
                payload,
                explicit..,
            )
            .map_err(|_| Error::DecryptError)?;
        self.seq += 1;
        let (typ, len) = match self.version {
            Version::Tls12 => (header[0], plain.len()),
            Version::Tls13 => inner_type(plain)?,
        };
        if len > MAX_PLAINTEXT {
            return Err(Error::PeerSentOversizedRecord);
        }
        Ok((typ, HEADER_LEN..HEADER_LEN + len))
    }

    /// The additional data: the header in TLS 1.3; sequence, type, version and plaintext
    /// length in TLS 1.2.
    fn aad(&self, header: [u8; HEADER_LEN], plain_len: usize) -> Aad13 {
        let mut aad = Aad13 {
            bytes: [0; 13],
            len: HEADER_LEN,
        };
        match self.version {
            Version::Tls13 => aad.bytes[..HEADER_LEN].copy_from_slice(&header),
            Version::Tls12 => {
                aad.bytes[..8].copy_from_slice(&self.seq.to_be_bytes());
                aad.bytes[8..].copy_from_slice(&header);
                aad.bytes[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
                aad.len = 13;
            }
        }
        aad
    }
}

/// Additional data of either version, on the stack.
struct Aad13 {
    bytes: [u8; 13],
    len: usize,
}

impl Aad13 {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A record header for `len` bytes of payload (records say TLS 1.2 in either version).
fn header(typ: u8, len: usize) -> [u8; HEADER_LEN] {
    let [high, low] = (len as u16).to_be_bytes();
    [typ, 3, 3, high, low]
}

/// TLS 1.3's real content type: the last non-zero byte, after which only padding follows.
fn inner_type(plain: &[u8]) -> Result<(u8, usize), Error> {
    let len = plain
        .iter()
        .rposition(|&b| b != 0)
        .ok_or_else(|| Error::General("a record with no content type".into()))?;
    Ok((plain[len], len))
}

/// The length of the record at the start of `buf` when all of it has arrived; `None` when more
/// bytes are needed; an error when the header announces more than a peer may send.
pub fn complete(buf: &[u8]) -> Result<Option<usize>, Error> {
    let Some(header) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let len = HEADER_LEN + usize::from(u16::from_be_bytes([header[3], header[4]]));
    if len > MAX_RECORD {
        return Err(Error::PeerSentOversizedRecord);
    }
    Ok((buf.len() >= len).then_some(len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::crypto::cipher::{AeadKey, Iv};

    fn pair(version: Version, suite: fn() -> ConnectionTrafficSecrets) -> (Cipher, Cipher) {
        let sealer = Cipher::new(version, (7, suite())).unwrap();
        let opener = Cipher::new(version, (7, suite())).unwrap();
        (sealer, opener)
    }

    fn aes256() -> ConnectionTrafficSecrets {
        let key = AeadKey::from([0x42; 32]);
        ConnectionTrafficSecrets::Aes256Gcm {
            key,
            iv: Iv::new([9; NONCE_LEN]),
        }
    }

    fn chacha() -> ConnectionTrafficSecrets {
        let key = AeadKey::from([0x17; 32]);
        ConnectionTrafficSecrets::Chacha20Poly1305 {
            key,
            iv: Iv::new([3; NONCE_LEN]),
        }
    }

    #[test]
    fn every_construction_opens_what_it_sealed_with_its_content_type() {
        for version in [Version::Tls12, Version::Tls13] {
            for suite in [aes256 as fn() -> _, chacha] {
                let (mut sealer, mut opener) = pair(version, suite);
                let mut buf = vec![0; MAX_RECORD];
                for (typ, plain) in [
                    (APPLICATION_DATA, &b"GET / HTTP/1.1\r\n\r\n"[..]),
                    (ALERT, &[1, 0]),
                ] {
                    let len = sealer.seal(typ, plain, &mut buf).unwrap();
                    assert_eq!(complete(&buf[..len]).unwrap(), Some(len));
                    assert_eq!(complete(&buf[..len - 1]).unwrap(), None);
                    let (opened, range) = opener.open(&mut buf[..len]).unwrap();
                    assert_eq!((opened, &buf[range]), (typ, plain), "{version:?}");
                }
                assert_eq!((sealer.seq(), opener.seq()), (9, 9));
            }
        }
    }

    #[test]
    fn a_tampered_record_or_one_out_of_sequence_is_refused() {
        let (mut sealer, mut opener) = pair(Version::Tls13, aes256);
        let mut buf = vec![0; MAX_RECORD];
        let len = sealer.seal(APPLICATION_DATA, b"hello", &mut buf).unwrap();
        buf[HEADER_LEN + 1] ^= 1;
        assert!(matches!(
            opener.open(&mut buf[..len]),
            Err(Error::DecryptError)
        ));
        let (mut sealer, _) = pair(Version::Tls12, chacha);
        let len = sealer.seal(APPLICATION_DATA, b"hello", &mut buf).unwrap();
        let mut late = Cipher::new(Version::Tls12, (8, chacha())).unwrap();
        assert!(late.open(&mut buf[..len]).is_err());
    }

    #[test]
    fn a_header_announcing_more_than_a_record_is_refused() {
        assert!(complete(&[23, 3, 3, 0xff, 0xff]).is_err());
        assert_eq!(complete(&[23, 3]).unwrap(), None);
    }
}
