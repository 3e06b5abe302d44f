//! HdrHistograms as text: the standard V2 + DEFLATE serialization, base64-encoded.
//!
//! This is the encoding HdrHistogram's own log format uses, so a histogram written by vastar
//! is read by HdrHistogram in Java, Go, Python or C (`decodeFromCompressedByteBuffer`, or
//! `HdrHistogram.decode` in Python) and vice versa. Compression keeps a typical latency
//! histogram at a few hundred bytes of JSON.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use thiserror::Error;

use crate::engine::result::new_latency_histogram;

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
pub fn encode(hist: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    // Serializing into a Vec only fails on histograms too large to count (u64 overflow of
    // the payload length), which latency histograms cannot reach.
    if V2DeflateSerializer::new()
        .serialize(hist, &mut bytes)
        .is_err()
    {
        bytes.clear();
    }
    STANDARD.encode(bytes)
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
    hist.add(&read)
        .map_err(|e| HdrError::Decode(format!("{e:?}")))?;
    Ok(hist)
}

#[cfg(test)]
mod tests {
    use super::*;

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
