//! `--segment i/N`: this process's share of a test that N processes run together.
//!
//! Like k6's execution segments, segment `i` of `N` owns the part `[i/N, (i+1)/N)` of the
//! test, and every total (`-n`, `-c`, `--rate`) is cut at the same boundaries: share `i` is
//! `floor(total·(i+1)/N) − floor(total·i/N)`. The shares of N processes therefore add up to
//! exactly the total, and no process gets more than one unit above another.

use std::fmt;

/// Segment `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Segment {
    pub index: u32,
    pub count: u32,
}

impl Segment {
    /// Parses `i/N` with `0 <= i < N`.
    pub fn parse(text: &str) -> Result<Segment, String> {
        let bad = || format!("invalid --segment {text:?}: expected i/N with 0 <= i < N, e.g. 0/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        (index < count)
            .then_some(Segment { index, count })
            .ok_or_else(bad)
    }

    /// This segment's share of a whole number of units.
    pub fn share(self, total: u64) -> u64 {
        let cut = |k: u32| {
            let k = u128::from(k);
            // total · k / N fits u128 for any u64 total and u32 k.
            (u128::from(total) * k / u128::from(self.count)) as u64
        };
        cut(self.index + 1) - cut(self.index)
    }

    /// This segment's share of a rate: the same boundaries, in real numbers.
    pub fn share_of_rate(self, total: f64) -> f64 {
        let cut = |k: u32| total * f64::from(k) / f64::from(self.count);
        cut(self.index + 1) - cut(self.index)
    }
}

/// `i/N`, as `--segment` takes it.
impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(count: u32) -> impl Iterator<Item = Segment> {
        (0..count).map(move |index| Segment { index, count })
    }

    #[test]
    fn shares_add_up_exactly_and_differ_by_at_most_one() {
        for total in [0, 1, 2, 7, 10, 1000, 999_999_999_999, u64::MAX] {
            for count in [1, 2, 3, 7, 64, 1000] {
                let shares: Vec<u64> = all(count).map(|s| s.share(total)).collect();
                let sum: u128 = shares.iter().map(|&s| u128::from(s)).sum();
                assert_eq!(sum, u128::from(total), "{total} over {count}");
                let (lo, hi) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
                assert!(hi - lo <= 1, "{total} over {count}: {shares:?}");
            }
        }
    }

    #[test]
    fn rate_shares_add_up() {
        for total in [1.0, 333.3, 10_000.0, 1e9] {
            let sum: f64 = all(7).map(|s| s.share_of_rate(total)).sum();
            assert!((sum - total).abs() <= total * 1e-12, "{total}: {sum}");
        }
    }

    #[test]
    fn parses_i_of_n() {
        assert_eq!(Segment::parse("0/4"), Ok(Segment { index: 0, count: 4 }));
        assert_eq!(Segment::parse("3/4").unwrap().to_string(), "3/4");
        for bad in ["4/4", "1", "-1/4", "0/0", "a/b", "1/4/2", ""] {
            let err = Segment::parse(bad).unwrap_err();
            assert!(err.contains("--segment"), "{bad}: {err}");
        }
    }
}
