//! HdrHistograms as text: the standard V2 + DEFLATE serialization, base64-encoded.
//!
//! This is the encoding HdrHistogram's own log format uses, so a histogram written by vastar
//! is read by HdrHistogram in Java, Go, Python or C (`decodeFromCompressedByteBuffer`, or
//! `HdrHistogram.decode` in Python) and vice versa. Compression keeps a typical latency
//! histogram at a few hundred bytes of JSON.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::{AdditionError, Histogram};
use thiserror::Error;

use crate::engine::result::{new_latency_histogram, LATENCY_MAX_NS};

/// The first word of an uncompressed V2 histogram (HdrHistogram's `V2EncodingCookieBase`
/// with the word size 8 in its low byte).
const V2_COOKIE: u32 = 0x1c84_9303 | 0x10;
/// The first word of a V2 histogram compressed with DEFLATE (zlib framing).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9304 | 0x10;

/// Values up to which a full-range latency histogram counts: the top of the bucket holding
/// [`LATENCY_MAX_NS`] (buckets past the first end one below a power of two).
const LATENCY_TOP_NS: u64 = (LATENCY_MAX_NS + 1).next_power_of_two() - 1;

/// Why a histogram string could not be read back.
#[derive(Debug, Error)]
pub enum HdrError {
    /// Not base64 at all.
    #[error("histogram is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// Base64, but not a V2 (compressed or not) HdrHistogram.
    #[error("not an HdrHistogram: {0}")]
    Decode(String),
}

/// Encodes `hist` as base64 of its V2 + DEFLATE serialization.
///
/// Written here rather than by hdrhistogram's `V2DeflateSerializer`, byte for byte as it
/// writes, for two reasons. Its serializer sets aside 9 bytes per bucket up to the largest
/// value and writes zeros over them first (140 KiB for a 30 ms maximum, written at the end
/// of every run) where the encoded counts take a few hundred bytes. And a histogram from
/// [`new_latency_histogram`] grows as values arrive, so the highest trackable value in its
/// header depends on how it grew (recorded or added to); the header names the layout's
/// bound instead, so a result written, read back and written again is the same bytes, and
/// the same as when latency histograms were full-range from the start.
pub fn encode(hist: &Histogram<u64>) -> String {
    let high = if hist.is_auto_resize() {
        LATENCY_MAX_NS
    } else {
        hist.high()
    };
    let mut v2 = Vec::with_capacity(256);
    for word in [V2_COOKIE, 0, 0, u32::from(hist.sigfig())] {
        v2.extend_from_slice(&word.to_be_bytes());
    }
    v2.extend_from_slice(&hist.low().to_be_bytes());
    v2.extend_from_slice(&high.to_be_bytes());
    v2.extend_from_slice(&1.0f64.to_be_bytes());
    let header = v2.len();
    write_counts(hist, &mut v2);
    // Counts of a latency histogram take far less than 4 GiB.
    let counts_len = u32::try_from(v2.len() - header).unwrap_or(u32::MAX);
    v2[4..8].copy_from_slice(&counts_len.to_be_bytes());
    let mut out = Vec::with_capacity(v2.len() / 2 + 16);
    out.extend_from_slice(&V2_COMPRESSED_COOKIE.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    let mut zlib = ZlibEncoder::new(out, Compression::default());
    // Writing into a Vec cannot fail.
    let mut out = match zlib.write_all(&v2).and_then(|()| zlib.finish()) {
        Ok(out) => out,
        Err(_) => return String::new(),
    };
    let compressed_len = u32::try_from(out.len() - 8).unwrap_or(u32::MAX);
    out[4..8].copy_from_slice(&compressed_len.to_be_bytes());
    STANDARD.encode(out)
}

/// V2's counts: each bucket's count up to the one holding the maximum, a run of two or
/// more empty buckets as its negated length, each number zigzag-encoded as a LEB128 varint
/// of at most 9 bytes (the ninth holds 8 bits).
fn write_counts(hist: &Histogram<u64>, out: &mut Vec<u8>) {
    let max = hist.max();
    let mut zeros: i64 = 0;
    for bucket in hist.iter_all() {
        // Counts past i64::MAX are beyond any run's requests.
        let count = i64::try_from(bucket.count_at_value()).unwrap_or(i64::MAX);
        if count == 0 {
            zeros += 1;
        } else {
            flush_zeros(&mut zeros, out);
            write_varint(zigzag(count), out);
        }
        if bucket.value_iterated_to() >= max {
            break;
        }
    }
    flush_zeros(&mut zeros, out);
}

/// Writes a pending run of empty buckets: one is written as a count of 0, more as -length.
fn flush_zeros(zeros: &mut i64, out: &mut Vec<u8>) {
    match *zeros {
        0 => {}
        1 => write_varint(0, out),
        n => write_varint(zigzag(-n), out),
    }
    *zeros = 0;
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// LEB128-64b9B: 7 bits per byte, high bit set while more follow; a ninth byte, if
/// reached, carries the remaining 8 bits whole.
fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    for _ in 0..8 {
        if value < 0x80 {
            out.push(value as u8);
            return;
        }
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Decodes a histogram written by [`encode`] (or by any HdrHistogram implementation, V2 with
/// or without DEFLATE) into one with vastar's latency bounds, so it merges with the
/// histograms of this process whatever bounds the writer used.
pub fn decode(text: &str) -> Result<Histogram<u64>, HdrError> {
    decode_into(text, new_latency_histogram())
}

/// Decodes a histogram like [`decode`], adding its counts into `hist` (empty, of the layout
/// the caller keeps, such as an `--interval` histogram's) instead of a full-range one.
pub fn decode_into(text: &str, mut hist: Histogram<u64>) -> Result<Histogram<u64>, HdrError> {
    let bytes = STANDARD.decode(text.trim())?;
    let read: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| HdrError::Decode(format!("{e:?}")))?;
    // A growing latency histogram would take anything; its layout ends at an hour.
    if hist.is_auto_resize() && read.max() > LATENCY_TOP_NS {
        return Err(HdrError::Decode(format!(
            "{:?}",
            AdditionError::OtherAddendValueExceedsRange
        )));
    }
    hist.add(&read)
        .map_err(|e| HdrError::Decode(format!("{e:?}")))?;
    Ok(hist)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};

    #[test]
    fn round_trip_keeps_every_count() {
        let mut hist = new_latency_histogram();
        for v in [1, 999, 1_000, 123_456, 50_000_000, 3_600_000_000_000] {
            hist.record_n(v, v % 7 + 1).unwrap();
        }
        let back = decode(&encode(&hist)).unwrap();
        assert_eq!(back, hist);
        assert_eq!(back.len(), hist.len());
        assert_eq!(back.max(), hist.max());
    }

    /// What hdrhistogram's own serializer writes for these values in a full-range
    /// histogram, the layout latency histograms had before they grew on demand.
    fn reference(hist: &Histogram<u64>) -> String {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(hist, &mut bytes)
            .unwrap();
        STANDARD.encode(bytes)
    }

    fn full_range(values: &[(u64, u64)]) -> Histogram<u64> {
        let mut hist = Histogram::new_with_bounds(1, LATENCY_MAX_NS, 3).unwrap();
        for &(v, n) in values {
            hist.record_n(v, n).unwrap();
        }
        hist
    }

    #[test]
    fn writes_the_bytes_hdrhistogram_writes_however_the_histogram_grew() {
        let cases: [&[(u64, u64)]; 7] = [
            &[],
            &[(0, 1)],
            &[(1, 1)],
            &[(37_000, 5), (36_000_000, 2)],
            &[(2_047, 1), (2_048, 1), (4_095, 3), (4_096, 1)],
            &[(1, 3), (999, 1), (123_456, 7), (3_600_000_000_000, 4)],
            &[(5_000, 1 << 40), (7_000, u64::MAX >> 1)],
        ];
        for values in cases {
            let expected = reference(&full_range(values));
            let mut recorded = new_latency_histogram();
            for &(v, n) in values {
                recorded.record_n(v, n).unwrap();
            }
            assert_eq!(encode(&recorded), expected, "{values:?}");
            let mut added = new_latency_histogram();
            added.add(&recorded).unwrap();
            assert_eq!(encode(&added), expected, "{values:?}, added");
        }
    }

    #[test]
    fn a_fixed_layout_keeps_its_own_bounds() {
        let mut hist = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 2).unwrap();
        for v in [3, 1_500_000, 1_600_000, 9_999_999_999] {
            hist.record(v).unwrap();
        }
        assert_eq!(encode(&hist), reference(&hist));
    }

    proptest::proptest! {
        #[test]
        fn any_latencies_encode_as_hdrhistogram_does(
            values in proptest::collection::vec((1u64..=LATENCY_MAX_NS, 1u64..1_000), 0..40)
        ) {
            let mut hist = new_latency_histogram();
            for &(v, n) in &values {
                hist.record_n(v, n).unwrap();
            }
            proptest::prop_assert_eq!(encode(&hist), reference(&full_range(&values)));
        }
    }

    #[test]
    fn a_value_past_the_layout_is_refused_as_before() {
        let mut wide = Histogram::<u64>::new_with_bounds(1, LATENCY_TOP_NS * 4, 3).unwrap();
        wide.record(LATENCY_TOP_NS).unwrap();
        assert!(decode(&reference(&wide)).is_ok());
        wide.record(LATENCY_TOP_NS + 1).unwrap();
        assert!(matches!(
            decode(&reference(&wide)),
            Err(HdrError::Decode(_))
        ));
    }

    #[test]
    fn empty_histogram_round_trips() {
        let hist = new_latency_histogram();
        assert_eq!(decode(&encode(&hist)).unwrap().len(), 0);
    }

    #[test]
    fn reads_the_reference_encoding() {
        // HdrHistogram's documented example shape: "HISTF" is the base64 of the V2
        // compressed cookie 0x1c849304, which any implementation writes first.
        let text = encode(&new_latency_histogram());
        assert!(text.starts_with("HISTF"), "{text}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(decode("***"), Err(HdrError::Base64(_))));
        assert!(matches!(decode("AAAA"), Err(HdrError::Decode(_))));
        assert!(decode("HISTFAAAAB").is_err());
    }
}
