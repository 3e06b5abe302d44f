//! Byte-level tests of the chunked decoder: every rule, at every split point.

use super::*;
use ChunkedError::*;

/// Feeds `input` in pieces cut at `cuts`; returns (consumed, payload, done) summed.
fn decode_cut(input: &[u8], cuts: &[usize]) -> Result<(usize, u64, bool), ChunkedError> {
    let mut d = ChunkedDecoder::new();
    let (mut consumed, mut payload, mut start) = (0, 0, 0);
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let p = d.feed(&input[start..end])?;
        consumed += p.consumed;
        payload += p.payload;
        if p.done {
            return Ok((consumed, payload, true));
        }
        assert_eq!(p.consumed, end - start, "not done => all input consumed");
        start = end;
    }
    Ok((consumed, payload, false))
}

fn decode(input: &[u8]) -> Result<(usize, u64, bool), ChunkedError> {
    decode_cut(input, &[])
}

/// Asserts the result is the same for every two-piece split and byte-at-a-time feeding.
fn assert_split_invariant(input: &[u8]) -> Result<(usize, u64, bool), ChunkedError> {
    let whole = decode(input);
    for cut in 0..=input.len() {
        assert_eq!(decode_cut(input, &[cut]), whole, "cut at {cut}: {input:?}");
    }
    let bytes: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        decode_cut(input, &bytes),
        whole,
        "byte at a time: {input:?}"
    );
    whole
}

#[test]
fn valid_bodies_decode_identically_at_every_split() {
    let cases: &[(&[u8], u64)] = &[
        (b"5\r\nhello\r\n0\r\n\r\n", 5),
        (b"0\r\n\r\n", 0),
        (b"A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n", 20),
        (b"1f\r\n0123456789012345678901234567890\r\n0\r\n\r\n", 31),
        (b"1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n", 31),
        (b"5;a=b;c\r\nhello\r\n0;last=\"yes\"\r\n\r\n", 5),
        (b"5 ;a=b\r\nhello\r\n0\t; x\r\n\r\n", 5),
        (
            b"3\r\nabc\r\n0\r\nX-A: 1\r\nX-Checksum: abc\tdef\r\n\r\n",
            3,
        ),
        (b"000000000000000A\r\n0123456789\r\n0\r\n\r\n", 10),
        (b"0000000000000000\r\n\r\n", 0),
    ];
    for &(input, payload) in cases {
        let got = assert_split_invariant(input);
        assert_eq!(got, Ok((input.len(), payload, true)), "{input:?}");
    }
}

#[test]
fn stops_at_the_end_of_the_body() {
    let input = b"2\r\nhi\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n";
    assert_eq!(decode(input), Ok((12, 2, true)));
    let mut d = ChunkedDecoder::new();
    d.feed(input).unwrap();
    assert!(d.is_done());
    let again = d.feed(b"more").unwrap();
    assert_eq!((again.consumed, again.payload, again.done), (0, 0, true));
}

#[test]
fn size_errors() {
    let cases: &[(&[u8], ChunkedError)] = &[
        (b"\r\n", InvalidSize),
        (b"g\r\n", InvalidSize),
        (b"-1\r\n", InvalidSize),
        (b";a\r\n", InvalidSize),
        (b" 5\r\n", InvalidSize),
        (b"5x\r\n", InvalidSize),
        (b"5 6\r\n", InvalidSize),
        (b"00000000000000001\r\n", SizeTooLong),
        (b"FFFFFFFFFFFFFFFFFFFF\r\n", SizeTooLong),
        (b"99999999999999999999\r\n", SizeTooLong),
        (b"5;a\x01\r\n", InvalidExtension),
    ];
    for &(input, err) in cases {
        assert_eq!(assert_split_invariant(input), Err(err), "{input:?}");
    }
}

#[test]
fn line_ending_errors() {
    let cases: &[(&[u8], ChunkedError)] = &[
        (b"5\nhello\r\n", SizeLineEnd),
        (b"5\rhello\r\n", SizeLineEnd),
        (b"5;ext\nhello\r\n", SizeLineEnd),
        (b"5 \nhello\r\n", SizeLineEnd),
        (b"5\r\nhelloX\r\n", DataEnd),
        (b"5\r\nhello\n0\r\n\r\n", DataEnd),
        (b"5\r\nhello\rX", DataEnd),
        (b"5\r\nhello world\r\n", DataEnd),
        (b"0\r\n\n", TrailerLineEnd),
        (b"0\r\n\rX", TrailerLineEnd),
        (b"0\r\nX-A: 1\n\r\n", TrailerLineEnd),
        (b"0\r\nX-A: 1\rX", TrailerLineEnd),
        (b"0\r\nX-A: \x00\r\n\r\n", InvalidTrailer),
    ];
    for &(input, err) in cases {
        assert_eq!(assert_split_invariant(input), Err(err), "{input:?}");
    }
}

#[test]
fn largest_size_does_not_overflow_and_stays_partial() {
    let mut d = ChunkedDecoder::new();
    let p = d.feed(b"FFFFFFFFFFFFFFFF\r\n").unwrap();
    assert_eq!((p.consumed, p.payload, p.done), (18, 0, false));
    let p = d.feed(&[b'x'; 1000]).unwrap();
    assert_eq!((p.consumed, p.payload, p.done), (1000, 1000, false));
}

#[test]
fn extension_length_is_bounded() {
    let line = |ext_len: usize| {
        let mut v = b"1".to_vec();
        v.push(b';');
        v.extend(std::iter::repeat_n(b'a', ext_len - 1));
        v.extend_from_slice(b"\r\nx\r\n0\r\n\r\n");
        v
    };
    assert_eq!(decode(&line(MAX_EXTENSION_LEN)).map(|r| r.2), Ok(true));
    assert_eq!(decode(&line(MAX_EXTENSION_LEN + 1)), Err(ExtensionTooLong));
    let mut split = line(MAX_EXTENSION_LEN + 1);
    split.truncate(MAX_EXTENSION_LEN + 2); // never ends: must fail before its CR
    let cuts: Vec<usize> = (1..split.len()).step_by(7).collect();
    assert_eq!(decode_cut(&split, &cuts), Err(ExtensionTooLong));
    let mut spaces = b"1".to_vec();
    spaces.extend(std::iter::repeat_n(b' ', MAX_EXTENSION_LEN + 1));
    assert_eq!(decode(&spaces), Err(ExtensionTooLong));
}

#[test]
fn trailer_section_is_bounded() {
    let mut d = ChunkedDecoder::new();
    d.feed(b"0\r\nX-Big: ").unwrap();
    let piece = [b'a'; 1000];
    let err = (0..100).find_map(|_| d.feed(&piece).err());
    assert_eq!(err, Some(TrailersTooLarge));
    // Many small lines count too.
    let mut d = ChunkedDecoder::new();
    d.feed(b"0\r\n").unwrap();
    let err = (0..20_000).find_map(|_| d.feed(b"X-A: 1\r\n").err());
    assert_eq!(err, Some(TrailersTooLarge));
}

#[test]
fn endless_stream_stays_partial() {
    let mut d = ChunkedDecoder::new();
    let chunk = [b"1000\r\n".as_slice(), &[b'z'; 0x1000], b"\r\n"].concat();
    for _ in 0..10_000 {
        let p = d.feed(&chunk).unwrap();
        assert_eq!(
            (p.consumed, p.payload, p.done),
            (chunk.len(), 0x1000, false)
        );
    }
    // No heap: the whole decoder is a few words.
    assert!(std::mem::size_of::<ChunkedDecoder>() <= 48);
}

#[test]
fn errors_are_sticky_until_reset() {
    let mut d = ChunkedDecoder::new();
    assert_eq!(d.feed(b"zz"), Err(InvalidSize));
    assert_eq!(d.feed(b"5\r\nhello\r\n0\r\n\r\n"), Err(InvalidSize));
    d.reset();
    assert!(d.feed(b"5\r\nhello\r\n0\r\n\r\n").unwrap().done);
}
