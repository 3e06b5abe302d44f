//! The properties the fuzz targets check, kept free of fuzzer dependencies so that the
//! integration tests replay the committed corpus through exactly the same code
//! (`tests/it/faults/corpus.rs` includes this file with `#[path]`).
//!
//! One fuzz input is `[flags][cut count][cuts: u16 LE each][payload]`: the fuzzer chooses the
//! bytes and where they are split, so every split point of every input gets explored.
//!
//! Properties, for the response parser and the chunked decoder alike:
//! - Arbitrary bytes never panic, and the verdict (result, status, body length, bytes
//!   consumed, keep-alive) is the same whether the input is fed whole, cut at the chosen
//!   points, or one byte at a time. With EOF after the input this holds strictly; without
//!   it, a head over 4 KiB split across reads may report a malformed head at the end of the
//!   line rather than at once (still `Partial` until then).
//! - Every feed honours the API contract: `Partial` consumed everything, `Complete` never
//!   consumed more than it was given, errors are sticky, body bytes never exceed input.
//! - A parser reused after `start`/`reset` behaves exactly like a fresh one.
//! - A valid response built from the payload ([`valid`]) parses to the model's outcome at
//!   every chosen split.

mod sse;
mod valid;

pub use sse::check_sse;

use vastar::http1::chunked::{ChunkedDecoder, ChunkedError};
use vastar::http1::response::{ParseError, Progress, ResponseParser};

/// Most cut points one input may ask for.
const MAX_CUTS: usize = 15;

/// A fuzz input decoded into its parts.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// Bit 0: the request was HEAD. Other bits are reserved.
    pub flags: u8,
    /// Raw cut offsets; [`cuts_for`] maps them into a payload.
    pub offsets: Vec<u16>,
    /// The bytes to feed.
    pub payload: &'a [u8],
}

impl<'a> Input<'a> {
    /// Splits raw fuzzer bytes into flags, cut offsets and payload; short inputs get defaults.
    pub fn decode(data: &'a [u8]) -> Input<'a> {
        let flags = data.first().copied().unwrap_or(0);
        let count = usize::from(data.get(1).copied().unwrap_or(0)) % (MAX_CUTS + 1);
        let rest = data.get(2..).unwrap_or_default();
        let count = count.min(rest.len() / 2);
        let (cuts, payload) = rest.split_at(count * 2);
        let offsets = cuts
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Input {
            flags,
            offsets,
            payload,
        }
    }

    fn head_request(&self) -> bool {
        self.flags & 1 != 0
    }
}

/// The offsets as sorted cut points inside `0..=len`.
pub fn cuts_for(offsets: &[u16], len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = offsets
        .iter()
        .map(|&o| usize::from(o) % (len + 1))
        .collect();
    cuts.sort_unstable();
    cuts
}

/// Every cut point of `len` bytes: one byte per feed.
fn bytewise(len: usize) -> Vec<usize> {
    (1..len).collect()
}

/// Everything the engine observes about one parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Option<u16>,
    pub version: Option<u8>,
    pub body: u64,
    pub keep_alive: bool,
    /// Input bytes that belonged to the response.
    pub consumed: usize,
    /// Complete (possibly through EOF) rather than still partial.
    pub complete: bool,
}

/// Feeds `input` cut at `cuts` to `parser` (after `start`), then EOF if `eof` and partial.
/// Checks the per-feed contract along the way.
pub fn parse(
    parser: &mut ResponseParser,
    head: bool,
    input: &[u8],
    cuts: &[usize],
    eof: bool,
) -> Result<Outcome, ParseError> {
    parser.start(head);
    let (mut consumed, mut start, mut complete) = (0, 0, false);
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let piece = &input[start..end];
        match feed_checked(parser, piece)? {
            Progress::Complete { consumed: n } => {
                assert!(n <= piece.len(), "consumed {n} of {}", piece.len());
                consumed += n;
                complete = true;
                assert_eq!(parser.feed(b"x"), Ok(Progress::Complete { consumed: 0 }));
                break;
            }
            Progress::Partial => consumed += piece.len(),
        }
        start = end;
    }
    if !complete && eof {
        parser.finish_on_eof()?;
        complete = true;
    }
    assert!(parser.body_bytes() <= consumed as u64, "body beyond input");
    assert_eq!(parser.is_complete(), complete);
    Ok(Outcome {
        status: parser.status(),
        version: parser.version(),
        body: parser.body_bytes(),
        keep_alive: parser.keep_alive(),
        consumed,
        complete,
    })
}

/// One feed; an error must be sticky (the same error again on more input).
fn feed_checked(parser: &mut ResponseParser, piece: &[u8]) -> Result<Progress, ParseError> {
    let result = parser.feed(piece);
    if let Err(e) = result {
        assert_eq!(
            parser.feed(b"HTTP/1.1 200 OK\r\n\r\n"),
            Err(e),
            "not sticky"
        );
        assert_eq!(parser.finish_on_eof(), Err(e), "not sticky at EOF");
    }
    result
}

/// The response-parser properties for one fuzz input.
pub fn check_response(data: &[u8]) {
    let input = Input::decode(data);
    let (head, bytes) = (input.head_request(), input.payload);
    let mut parser = ResponseParser::new();
    let cuts = cuts_for(&input.offsets, bytes.len());
    for eof in [true, false] {
        let whole = parse(&mut parser, head, bytes, &[], eof);
        // `parser` is reused on purpose: `start` must forget everything of the last response.
        let split = parse(&mut parser, head, bytes, &cuts, eof);
        let trickled = parse(&mut parser, head, bytes, &bytewise(bytes.len()), eof);
        if eof {
            assert_eq!(split, whole, "cut at {cuts:?}");
            assert_eq!(trickled, whole, "fed one byte at a time");
        } else {
            let big = bytes.len() > SMALL_HEAD;
            assert_same_or_deferred(&split, &whole, big, &format!("cut at {cuts:?}"));
            assert_same_or_deferred(&trickled, &whole, big, "fed one byte at a time");
        }
        if let Ok(outcome) = &whole {
            assert!(outcome.consumed <= bytes.len());
            assert!(outcome.complete || outcome.consumed == bytes.len());
            assert!(!outcome.complete || outcome.status.is_some());
        }
    }
    check_valid(&input, &mut parser);
}

/// Heads up to this size are re-validated on every read, so splitting them never delays an
/// error (the parser's `RECHECK_EVERY_READ_UP_TO`).
const SMALL_HEAD: usize = 4 * 1024;

/// Without EOF, a split feed of a head over [`SMALL_HEAD`] may report a malformed head later
/// than a whole one: past that size a buffered head is re-parsed when a line completes (to
/// keep trickled heads cheap). Anything else must be identical.
fn assert_same_or_deferred(
    split: &Result<Outcome, ParseError>,
    whole: &Result<Outcome, ParseError>,
    big: bool,
    how: &str,
) {
    let deferred = big
        && matches!(
            (split, whole),
            (
                Ok(Outcome {
                    complete: false,
                    status: None,
                    ..
                }),
                Err(ParseError::InvalidHead(_) | ParseError::TooManyHeaders)
            )
        );
    assert!(deferred || split == whole, "{how}: {split:?} != {whole:?}");
}

/// A valid response built from the payload parses to what the model says, at every split.
fn check_valid(input: &Input<'_>, parser: &mut ResponseParser) {
    let built = valid::build(input.payload);
    let (head, eof, bytes) = (built.head_request, built.eof, &built.bytes);
    let expected = Ok(built.expected.clone());
    let show = || String::from_utf8_lossy(bytes).into_owned();
    assert_eq!(parse(parser, head, bytes, &[], eof), expected, "{}", show());
    let cuts = cuts_for(&input.offsets, bytes.len());
    let split = parse(parser, head, bytes, &cuts, eof);
    assert_eq!(split, expected, "cut at {cuts:?}: {}", show());
}

/// What decoding one chunked body reported: (consumed, payload, done).
pub type Decoded = Result<(usize, u64, bool), ChunkedError>;

/// Feeds `input` cut at `cuts` to `decoder` (after `reset`), checking the per-feed contract.
pub fn decode(decoder: &mut ChunkedDecoder, input: &[u8], cuts: &[usize]) -> Decoded {
    decoder.reset();
    let (mut consumed, mut payload, mut start) = (0, 0, 0);
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let piece = &input[start..end];
        let p = match decoder.feed(piece) {
            Ok(p) => p,
            Err(e) => {
                assert_eq!(decoder.feed(b"0\r\n\r\n"), Err(e), "not sticky");
                return Err(e);
            }
        };
        assert!(p.payload <= p.consumed as u64, "payload beyond input");
        consumed += p.consumed;
        payload += p.payload;
        if p.done {
            assert!(p.consumed <= piece.len());
            assert!(decoder.is_done());
            return Ok((consumed, payload, true));
        }
        assert_eq!(p.consumed, piece.len(), "partial feed left input behind");
        start = end;
    }
    Ok((consumed, payload, false))
}

/// The chunked-decoder properties for one fuzz input.
pub fn check_chunked(data: &[u8]) {
    let input = Input::decode(data);
    let bytes = input.payload;
    let mut decoder = ChunkedDecoder::new();
    let whole = decode(&mut decoder, bytes, &[]);
    let cuts = cuts_for(&input.offsets, bytes.len());
    assert_eq!(decode(&mut decoder, bytes, &cuts), whole, "cut at {cuts:?}");
    let trickled = decode(&mut decoder, bytes, &bytewise(bytes.len()));
    assert_eq!(trickled, whole, "fed one byte at a time");
    if let Ok((consumed, _, done)) = whole {
        assert!(done || consumed == bytes.len());
    }
}
