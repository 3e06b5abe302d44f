//! Splits a byte stream into lines, whatever the reads' boundaries.
//!
//! Invariants: a line is handed out once, without its terminator; a line that lies inside
//! one input slice is handed out in place (no copy), and only a line split across inputs is
//! gathered in `partial`, whose allocation is reused. A CRLF split between two inputs is
//! one line end. Lines longer than [`MAX_LINE`] are cut to it (the rest is dropped), so a
//! peer cannot make us hold more.

/// Longest line kept; longer lines are truncated to this many bytes.
pub(crate) const MAX_LINE: usize = 1024 * 1024;

/// Incremental line splitter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lines {
    partial: Vec<u8>,
    /// The last input ended with a CR that ended a line: an LF next is part of it.
    skip_lf: bool,
    /// Does a lone CR end a line (SSE), or only LF (NDJSON)?
    cr_ends: bool,
}

impl Lines {
    /// A splitter where lines end at LF, CRLF and, when `cr_ends`, a lone CR.
    pub(crate) fn new(cr_ends: bool) -> Lines {
        Lines {
            partial: Vec::new(),
            skip_lf: false,
            cr_ends,
        }
    }

    /// Forgets any partial line, for the next response.
    pub(crate) fn reset(&mut self) {
        self.partial.clear();
        self.skip_lf = false;
    }

    /// Feeds the next bytes; calls `on_line` for every line they complete.
    pub(crate) fn feed(&mut self, mut input: &[u8], on_line: &mut impl FnMut(&[u8])) {
        if self.skip_lf && !input.is_empty() {
            self.skip_lf = false;
            if input.first() == Some(&b'\n') {
                input = input.get(1..).unwrap_or_default();
            }
        }
        while !input.is_empty() {
            let cr_ends = self.cr_ends;
            let Some(end) = input
                .iter()
                .position(|&b| b == b'\n' || (cr_ends && b == b'\r'))
            else {
                self.append(input);
                return;
            };
            let line = input.get(..end).unwrap_or_default();
            if self.partial.is_empty() {
                on_line(line);
            } else {
                self.append(line);
                on_line(&self.partial);
                self.partial.clear();
            }
            let mut next = end + 1;
            if input.get(end) == Some(&b'\r') {
                match input.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            input = input.get(next..).unwrap_or_default();
        }
    }

    /// Adds bytes to the partial line, up to [`MAX_LINE`].
    fn append(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(bytes.get(..room).unwrap_or(bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    fn split(cr_ends: bool, parts: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut lines = Lines::new(cr_ends);
        let mut out = Vec::new();
        for part in parts {
            lines.feed(part, &mut |l| out.push(l.to_vec()));
        }
        out
    }

    #[test]
    fn every_line_end_and_every_split_gives_the_same_lines() {
        let input = b"a\r\nbb\rccc\n\r\nd\r";
        let want = split(true, &[input]);
        assert_eq!(
            want,
            vec![
                b"a".to_vec(),
                b"bb".to_vec(),
                b"ccc".to_vec(),
                vec![],
                b"d".to_vec()
            ]
        );
        for i in 0..=input.len() {
            let (a, b) = input.split_at(i);
            assert_eq!(split(true, &[a, b]), want, "split at {i}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(split(true, &bytes), want);
    }

    #[test]
    fn without_cr_ends_a_cr_stays_in_the_line() {
        assert_eq!(split(false, &[b"a\rb\nc"]), vec![b"a\rb".to_vec()]);
    }
}
