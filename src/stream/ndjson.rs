//! Incremental newline-delimited JSON framing: each non-blank line is one event.
//!
//! Invariants: as for SSE, the events never depend on how the bytes were split; lines end
//! at LF (a CR before it is dropped) and blank lines are skipped; the only buffer is the
//! current line when it is split across reads, reused and bounded.

use super::lines::Lines;
use super::sse::Event;

/// Incremental NDJSON parser; one per connection, reset per response.
#[derive(Debug, Clone)]
pub struct NdjsonParser {
    lines: Lines,
}

impl Default for NdjsonParser {
    fn default() -> Self {
        Self::new()
    }
}

impl NdjsonParser {
    /// A parser at the start of a stream.
    pub fn new() -> NdjsonParser {
        NdjsonParser {
            lines: Lines::new(false),
        }
    }

    /// Forgets any partial line, for the next response.
    pub fn reset(&mut self) {
        self.lines.reset();
    }

    /// Feeds the next body bytes; calls `on_event` for every line they complete.
    pub fn feed(&mut self, input: &[u8], on_event: &mut impl FnMut(Event<'_>)) {
        self.lines.feed(input, &mut |line| {
            let data = line.trim_ascii();
            if !data.is_empty() {
                on_event(Event { error: false, data });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::NdjsonParser;

    fn events(parts: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut parser = NdjsonParser::new();
        let mut out = Vec::new();
        for part in parts {
            parser.feed(part, &mut |e| out.push(e.data.to_vec()));
        }
        out
    }

    #[test]
    fn every_split_gives_the_same_lines() {
        let sample = b"{\"a\":1}\r\n\n  \n{\"b\":\"x\\ny\"}\n{\"c\":3}";
        let want = events(&[sample]);
        assert_eq!(
            want,
            vec![b"{\"a\":1}".to_vec(), b"{\"b\":\"x\\ny\"}".to_vec()]
        );
        for i in 0..=sample.len() {
            let (a, b) = sample.split_at(i);
            assert_eq!(events(&[a, b]), want, "split at {i}");
        }
        let bytes: Vec<&[u8]> = sample.chunks(1).collect();
        assert_eq!(events(&bytes), want);
    }
}
