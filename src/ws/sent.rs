//! When each frame of a session left, by sequence number, for as long as an ack may name it.

use std::collections::VecDeque;

use tokio::time::Instant;

/// Frames remembered at most per session: at 50 frames a second, over 5 minutes of frames
/// no ack has passed yet. Older ones are forgotten (an ack naming one counts as unknown),
/// so a server that never acks cannot grow the client without bound.
const REMEMBERED: usize = 1 << 14;

/// The send instants of a session's frames, from the oldest an ack may still name.
#[derive(Debug, Default)]
pub struct SentFrames {
    /// Sequence number of `times[0]`.
    base: u64,
    times: VecDeque<Instant>,
}

impl SentFrames {
    /// Frames sent so far: the next frame's sequence number.
    pub fn count(&self) -> u64 {
        self.base + self.times.len() as u64
    }

    /// Notes that the next frame left at `at`.
    pub fn push(&mut self, at: Instant) {
        if self.times.len() == REMEMBERED {
            self.times.pop_front();
            self.base += 1;
        }
        self.times.push_back(at);
    }

    /// When frame `seq` left; `None` if it was never sent or is forgotten.
    pub fn get(&self, seq: u64) -> Option<Instant> {
        let index = usize::try_from(seq.checked_sub(self.base)?).ok()?;
        self.times.get(index).copied()
    }

    /// Forgets the frames before `seq`: no ack will name them again.
    pub fn forget_before(&mut self, seq: u64) {
        while self.base < seq && !self.times.is_empty() {
            self.times.pop_front();
            self.base += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn frames_are_found_by_sequence_until_forgotten() {
        let start = Instant::now();
        let mut sent = SentFrames::default();
        for k in 0..5 {
            sent.push(start + Duration::from_millis(20 * k));
        }
        assert_eq!(sent.count(), 5);
        assert_eq!(sent.get(3), Some(start + Duration::from_millis(60)));
        assert_eq!(sent.get(5), None);
        sent.forget_before(2);
        assert_eq!(sent.get(1), None);
        assert_eq!(sent.get(2), Some(start + Duration::from_millis(40)));
        assert_eq!(sent.count(), 5);
        sent.forget_before(100);
        assert_eq!(sent.count(), 5);
        assert_eq!(sent.get(4), None);
    }
}
