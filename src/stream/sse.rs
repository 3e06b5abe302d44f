//! Incremental Server-Sent Events parser (the WHATWG `text/event-stream` rules that frame
//! events; `id` and `retry` are read past, a leading byte-order mark is not expected).
//!
//! Invariants: the events found never depend on how the bytes were split across `feed`
//! calls (lines end at CRLF, LF or CR, any of them split at any byte). An event is
//! dispatched at the blank line that ends it, and only if it had a `data` field; its
//! `data` lines are joined with `\n`. Comment lines (`:`) are skipped. The only buffers are
//! the current line (when split across reads) and the current event's data, both reused
//! across events and bounded (see [`MAX_DATA`]); an event cut off by the end of the body
//! is never dispatched.

use super::lines::Lines;

/// Most data bytes kept for one event; the rest is dropped (the event still counts).
pub const MAX_DATA: usize = 1024 * 1024;

/// One event of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event's type was `error` (`event: error`).
    pub error: bool,
    /// The event's data: its `data` lines joined with `\n` (for NDJSON, the line).
    pub data: &'a [u8],
}

/// The state of the event being read.
#[derive(Debug, Clone, Default)]
struct Pending {
    data: Vec<u8>,
    has_data: bool,
    error: bool,
}

/// Incremental SSE parser; one per connection, reset per response.
#[derive(Debug, Clone)]
pub struct SseParser {
    lines: Lines,
    event: Pending,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> SseParser {
        SseParser {
            lines: Lines::new(true),
            event: Pending::default(),
        }
    }

    /// Forgets any partial line or event, for the next response.
    pub fn reset(&mut self) {
        self.lines.reset();
        self.event.data.clear();
        self.event.has_data = false;
        self.event.error = false;
    }

    /// Feeds the next body bytes; calls `on_event` for every event they complete.
    pub fn feed(&mut self, input: &[u8], on_event: &mut impl FnMut(Event<'_>)) {
        let event = &mut self.event;
        self.lines
            .feed(input, &mut |line| event.line(line, &mut *on_event));
    }
}

impl Pending {
    /// Applies one complete line: a field, a comment, or the blank line ending the event.
    fn line(&mut self, line: &[u8], on_event: &mut impl FnMut(Event<'_>)) {
        if line.is_empty() {
            if self.has_data {
                on_event(Event {
                    error: self.error,
                    data: &self.data,
                });
            }
            self.data.clear();
            self.has_data = false;
            self.error = false;
            return;
        }
        if line.first() == Some(&b':') {
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let value = line.get(i + 1..).unwrap_or_default();
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (line.get(..i).unwrap_or_default(), value)
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.push(b"\n");
                }
                self.push(value);
                self.has_data = true;
            }
            b"event" => self.error = value == b"error",
            _ => {}
        }
    }

    /// Appends to the event's data, up to [`MAX_DATA`].
    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_DATA.saturating_sub(self.data.len());
        self.data
            .extend_from_slice(bytes.get(..room).unwrap_or(bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::{Event, SseParser};

    /// `(error, data)` of every event, feeding `parts` in order to one parser.
    fn events(parts: &[&[u8]]) -> Vec<(bool, Vec<u8>)> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        for part in parts {
            parser.feed(part, &mut |e: Event<'_>| {
                out.push((e.error, e.data.to_vec()))
            });
        }
        out
    }

    const SAMPLES: &[&[u8]] = &[
        b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n",
        b": comment\r\nevent: error\r\ndata: a\r\ndata:b\r\n\r\ndata\r\rid: 7\rdata: c\r\r",
        b"data: one\n\n: keep-alive\n\nevent: ping\n\nretry: 10\ndata:  two\n\n",
    ];

    #[test]
    fn samples_frame_as_expected() {
        assert_eq!(
            events(&[SAMPLES[1]]),
            vec![
                (true, b"a\nb".to_vec()),
                (false, b"".to_vec()),
                (false, b"c".to_vec())
            ]
        );
        assert_eq!(
            events(&[SAMPLES[2]]),
            vec![(false, b"one".to_vec()), (false, b" two".to_vec())]
        );
        assert_eq!(events(&[SAMPLES[0]]).len(), 2);
    }

    #[test]
    fn every_two_way_split_gives_the_same_events() {
        for sample in SAMPLES {
            let want = events(&[sample]);
            for i in 0..=sample.len() {
                let (a, b) = sample.split_at(i);
                assert_eq!(events(&[a, b]), want, "split at {i}");
            }
        }
    }

    #[test]
    fn byte_by_byte_gives_the_same_events() {
        for sample in SAMPLES {
            let bytes: Vec<&[u8]> = sample.chunks(1).collect();
            assert_eq!(events(&bytes), events(&[sample]));
        }
    }

    #[test]
    fn an_event_cut_off_by_the_end_is_not_dispatched_and_reset_forgets_it() {
        let mut parser = SseParser::new();
        let mut n = 0;
        parser.feed(b"data: half", &mut |_| n += 1);
        parser.reset();
        parser.feed(b"\n\ndata: x\n\n", &mut |_| n += 1);
        assert_eq!(n, 1);
    }
}
