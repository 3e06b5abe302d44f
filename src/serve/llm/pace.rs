//! When each event of a stream leaves: a fixed schedule from the request's start, with
//! optional seeded jitter on every gap.
//!
//! Precision: tokio's timer wheel has a 1 ms tick and rounds every deadline up to the next
//! tick. Events are timed with `sleep_until(start + offset)`, never `sleep(gap)`, so the
//! rounding and wake-up delays do not accumulate: each event leaves less than 1 ms (plus
//! scheduling latency) after its scheduled instant, every measured gap is within about
//! ±1 ms of its schedule, and the mean gap over a stream is exact. On an idle loopback a
//! client recovers time to first token and inter-token latency to well under a millisecond
//! on average; a loaded machine adds its own scheduling delay on top.

use std::time::Duration;

/// Seeded gap variation: each gap is scaled by a factor drawn uniformly from
/// `[1 - pct/100, 1 + pct/100]`, so a connection's sequence of gaps repeats run after run.
#[derive(Debug, Clone)]
pub(super) struct Jitter {
    /// SplitMix64 state; a few lines of well-known generator instead of a dependency.
    state: u64,
    /// Half-width of the variation, as a fraction (0.1 for `--jitter 10`).
    spread: f64,
}

impl Jitter {
    /// A generator for one connection; `seed` distinguishes connections.
    pub fn new(seed: u64, pct: f64) -> Jitter {
        Jitter {
            state: seed,
            spread: (pct / 100.0).clamp(0.0, 1.0),
        }
    }

    /// `base` varied by this generator's next draw (unchanged without jitter).
    pub fn vary(&mut self, base: Duration) -> Duration {
        if self.spread == 0.0 {
            return base;
        }
        // 53 random bits make a uniform draw in [0, 1).
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        base.mul_f64(1.0 + self.spread * (2.0 * unit - 1.0))
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS20: Duration = Duration::from_millis(20);

    #[test]
    fn no_jitter_keeps_every_gap() {
        let mut j = Jitter::new(7, 0.0);
        assert!((0..100).all(|_| j.vary(MS20) == MS20));
    }

    #[test]
    fn jitter_stays_within_its_band_and_spreads_over_it() {
        let mut j = Jitter::new(1, 10.0);
        let gaps: Vec<Duration> = (0..10_000).map(|_| j.vary(MS20)).collect();
        let (lo, hi) = (Duration::from_millis(18), Duration::from_millis(22));
        assert!(gaps.iter().all(|g| (lo..=hi).contains(g)));
        assert!(gaps.iter().any(|g| *g < Duration::from_micros(18_200)));
        assert!(gaps.iter().any(|g| *g > Duration::from_micros(21_800)));
        let mean = gaps.iter().sum::<Duration>() / 10_000;
        assert!(mean.abs_diff(MS20) < Duration::from_micros(100), "{mean:?}");
    }

    #[test]
    fn the_same_seed_repeats_and_another_differs() {
        let draw = |seed| {
            let mut j = Jitter::new(seed, 50.0);
            (0..20).map(|_| j.vary(MS20)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }
}
