//! The WebSocket frame format as the scripted server speaks it (RFC 6455 section 5): server
//! frames written unmasked with the shortest length, client frames decoded masked or not.

/// Frame opcodes (RFC 6455 section 5.2).
pub mod op {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// One frame the client sent, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    /// Whether the client masked it (RFC 6455 requires clients to mask every frame).
    pub masked: bool,
    pub payload: Vec<u8>,
}

impl Frame {
    /// A text, binary or continuation frame: part of a message, not a control frame.
    pub fn is_data(&self) -> bool {
        self.opcode < op::CLOSE
    }
}

/// A server frame (unmasked) with the shortest length encoding.
pub fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    let len = payload.len();
    if len < 126 {
        out.push(len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// A complete text message in one frame.
pub fn text(message: &str) -> Vec<u8> {
    frame(true, op::TEXT, message.as_bytes())
}

/// A close frame carrying `code` and no reason.
pub fn close_frame(code: u16) -> Vec<u8> {
    frame(true, op::CLOSE, &code.to_be_bytes())
}

/// Decodes the first complete frame of `buf` (masked or not, any length encoding) and how
/// many bytes it took; `None` while incomplete.
pub fn decode(buf: &[u8]) -> Option<(Frame, usize)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    let masked = b1 & 0x80 != 0;
    let (len, mut at) = match b1 & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?), 10),
        n => (u64::from(n), 2),
    };
    let mask: [u8; 4] = if masked {
        at += 4;
        buf.get(at - 4..at)?.try_into().ok()?
    } else {
        [0; 4]
    };
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    let mut payload = buf.get(at..end)?.to_vec();
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
    let frame = Frame {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0f,
        masked,
        payload,
    };
    Some((frame, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame: masked with `key`.
    fn masked(opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
        let mut out = frame(true, opcode, payload);
        let at = out.len() - payload.len();
        out[1] |= 0x80;
        for (i, byte) in out[at..].iter_mut().enumerate() {
            *byte ^= key[i % 4];
        }
        out.splice(at..at, key);
        out
    }

    #[test]
    fn decodes_masked_frames_of_every_length_encoding_at_every_split() {
        for len in [0, 5, 125, 126, 300, 65_535, 65_536, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let bytes = masked(op::BINARY, &payload, [1, 2, 3, 250]);
            let splits = [0, 1, 2, 3, 5, 9, 13, bytes.len() - 1];
            for cut in splits.into_iter().filter(|&c| c < bytes.len()) {
                assert!(decode(&bytes[..cut]).is_none(), "len {len} cut {cut}");
            }
            let mut two = bytes.clone();
            two.extend_from_slice(&text("next"));
            let (got, used) = decode(&two).expect("a complete frame");
            assert_eq!(used, bytes.len(), "len {len}");
            assert!(got.fin && got.masked && got.opcode == op::BINARY);
            assert_eq!(got.payload, payload, "len {len}");
        }
    }

    #[test]
    fn server_frames_use_the_shortest_length_and_no_mask() {
        assert_eq!(text("hi"), [0x81, 2, b'h', b'i']);
        assert_eq!(
            &frame(false, op::BINARY, &[0; 126])[..4],
            [0x02, 126, 0, 126]
        );
        assert_eq!(&frame(true, op::TEXT, &[0; 65_536])[..2], [0x81, 127]);
        assert_eq!(close_frame(1011), [0x88, 2, 0x03, 0xF3]);
    }
}
