//! The latency histogram of the report, and the level scale that colors it.
//!
//! Invariants: bins run from fastest to slowest, their edges spaced evenly (linear, like hey)
//! or by a constant factor (log), and every recorded response lands in exactly one bin, so the
//! bin counts always add up to the number of responses.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::model::MAX_LEVEL;

/// The quantiles whose values become the thresholds of [`LevelScale::relative`]: ten
/// thresholds give the eleven levels of the color gradient, denser in the tail where
/// latency problems live.
pub const LEVEL_QUANTILES: [f64; MAX_LEVEL as usize] = [
    0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.975, 0.99, 0.995, 0.999,
];

/// Percentages of an SLO latency limit that become the thresholds of
/// [`LevelScale::around_limit`] (0.05 L to 1.5 L): dense below the limit, where a healthy run
/// lives, so its shape still shows in greens and yellows, and two steps at and past the limit
/// for runs that break it. Integers, so a latency exactly at the limit gets an exact level.
pub const SLO_LEVEL_PERCENTS: [u32; MAX_LEVEL as usize] = [5, 10, 20, 30, 40, 50, 60, 80, 100, 150];

/// Maps a latency to a color level `0..=MAX_LEVEL`: the number of thresholds strictly below it.
///
/// It is a policy object rather than a formula so the source of thresholds can change without
/// touching the renderers: by default they are the run's own percentiles
/// ([`LevelScale::relative`]); with `--slo` latency gates, absolute multiples of the top
/// gate's limit ([`LevelScale::around_limit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelScale {
    thresholds: [Duration; MAX_LEVEL as usize],
}

impl LevelScale {
    /// Thresholds at the run's own [`LEVEL_QUANTILES`], so the last bins past p99.9 are the
    /// darkest red whatever the absolute numbers are.
    pub fn relative(latency_ns: &Histogram<u64>) -> LevelScale {
        let thresholds =
            LEVEL_QUANTILES.map(|q| Duration::from_nanos(latency_ns.value_at_quantile(q)));
        LevelScale::from_thresholds(thresholds)
    }

    /// Absolute thresholds around an SLO latency limit, at [`SLO_LEVEL_PERCENTS`] of it:
    /// from 0.8 times the limit up to the limit itself is red (level 8), past the limit darker
    /// (9), past 1.5 times the limit the darkest red (10).
    pub fn around_limit(limit: Duration) -> LevelScale {
        LevelScale::from_thresholds(SLO_LEVEL_PERCENTS.map(|pct| limit * pct / 100))
    }

    /// Any ten thresholds (e.g. absolute SLO bounds); sorted here so callers cannot get the
    /// order wrong.
    pub fn from_thresholds(mut thresholds: [Duration; MAX_LEVEL as usize]) -> LevelScale {
        thresholds.sort_unstable();
        LevelScale { thresholds }
    }

    /// The level of `latency`: how many thresholds lie strictly below it.
    pub fn level(&self, latency: Duration) -> u8 {
        let below = self.thresholds.partition_point(|&t| t < latency);
        // At most MAX_LEVEL (10) thresholds exist, so this never saturates.
        u8::try_from(below).unwrap_or(MAX_LEVEL)
    }
}

/// One bar of the histogram: responses with latency in `(low, high]` (the first bin also
/// includes `low`, the fastest response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bin {
    /// Lower edge: the fastest response for the first bin, the previous bin's `high` otherwise.
    pub low: Duration,
    /// Upper edge, inclusive; the last bin's is the slowest response.
    pub high: Duration,
    /// Responses in this bin.
    pub count: u64,
    /// Color level of the lower edge, so a bin is as red as the best latency in it.
    pub level: u8,
}

/// How the histogram's bin edges are spaced between the fastest and the slowest response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistScale {
    /// Each bin's upper edge is a constant factor above the previous one. Latency spreads
    /// multiplicatively, so one slow outlier stretches the range without squeezing every
    /// other response into the first bar; on a narrow range it looks nearly linear.
    Log,
    /// Bins of equal width, as hey draws them: readable only when the slowest response is a
    /// small multiple of the fastest.
    Linear,
}

impl HistScale {
    /// The name used by `--hist-scale`, the JSON `histogram_scale` and the text heading.
    pub fn key(self) -> &'static str {
        match self {
            HistScale::Log => "log",
            HistScale::Linear => "linear",
        }
    }
}

/// Splits the recorded latencies into `bins` bins from fastest to slowest, spaced by
/// `spacing`.
///
/// Returns no bins for an empty histogram and one bin when every response had the same
/// latency (within histogram precision); fewer than `bins` when the range has fewer distinct
/// nanoseconds. Counts come from `iter_recorded`, using the value each recorded bucket
/// reports (its highest equivalent), the same value the percentiles use.
pub(crate) fn bins(
    latency_ns: &Histogram<u64>,
    bins: usize,
    spacing: HistScale,
    scale: &LevelScale,
) -> Vec<Bin> {
    if latency_ns.is_empty() {
        return Vec::new();
    }
    let (fastest, slowest) = (latency_ns.min(), latency_ns.max());
    let n = bins.max(1) as u64;
    let uppers = if latency_ns.equivalent(fastest, slowest) {
        vec![slowest]
    } else {
        match spacing {
            HistScale::Linear => linear_uppers(fastest, slowest, n),
            HistScale::Log => log_uppers(fastest, slowest, n),
        }
    };
    let mut counts = vec![0u64; uppers.len()];
    for v in latency_ns.iter_recorded() {
        let value = v.value_iterated_to();
        let index = uppers.partition_point(|&u| u < value).min(uppers.len() - 1);
        counts[index] += v.count_since_last_iteration();
    }
    let lows = std::iter::once(fastest).chain(uppers.iter().copied());
    lows.zip(&uppers)
        .zip(counts)
        .map(|((low, &high), count)| Bin {
            low: Duration::from_nanos(low),
            high: Duration::from_nanos(high),
            count,
            level: scale.level(Duration::from_nanos(low)),
        })
        .collect()
}

/// Upper edges `fastest + span * i / n`; never more bins than nanoseconds in the span.
fn linear_uppers(fastest: u64, slowest: u64, n: u64) -> Vec<u64> {
    let span = slowest.saturating_sub(fastest);
    let n = n.min(span.max(1));
    (1..=n)
        .map(|i| fastest + (u128::from(span) * u128::from(i) / u128::from(n)) as u64)
        .collect()
}

/// Upper edges `fastest * (slowest / fastest)^(i / n)`, the last exactly `slowest`. Edges that
/// round to the same nanosecond (a very narrow range) are merged.
fn log_uppers(fastest: u64, slowest: u64, n: u64) -> Vec<u64> {
    let low = fastest.max(1) as f64;
    let ratio = slowest as f64 / low;
    let mut uppers: Vec<u64> = (1..n)
        .map(|i| (low * ratio.powf(i as f64 / n as f64)).round() as u64)
        .filter(|&u| u > fastest && u < slowest)
        .collect();
    uppers.dedup();
    uppers.push(slowest);
    uppers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::result::new_latency_histogram;

    fn hist(values_ns: impl IntoIterator<Item = u64>) -> Histogram<u64> {
        let mut h = new_latency_histogram();
        for v in values_ns {
            h.record(v).expect("value within bounds");
        }
        h
    }

    fn bins_of(h: &Histogram<u64>, n: usize) -> Vec<Bin> {
        bins(h, n, HistScale::Linear, &LevelScale::relative(h))
    }

    fn log_bins_of(h: &Histogram<u64>, n: usize) -> Vec<Bin> {
        bins(h, n, HistScale::Log, &LevelScale::relative(h))
    }

    /// 99,990 responses between 1 and 3 ms and ten stalls of one second: the shape of the
    /// issue's run, whose linear histogram put all but 50 of 862,819 responses in its first bar.
    fn outlier_run() -> Histogram<u64> {
        let bulk = (0..99_990u64).map(|i| 1_000_000 + (i * 7_919) % 2_000_000);
        hist(bulk.chain([1_000_000_000; 10]))
    }

    #[test]
    fn log_bins_count_every_response_once_with_geometric_edges() {
        let h = hist((1..=1000u64).map(|i| 20_000 + (i * i * 7919) % 5_000_000));
        for n in [1, 2, 7, 11, 40] {
            let bins = log_bins_of(&h, n);
            assert_eq!(bins.len(), n);
            assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 1000, "n={n}");
            assert!(bins.windows(2).all(|w| w[0].high == w[1].low));
            assert_eq!(bins[0].low, Duration::from_nanos(h.min()));
            assert_eq!(bins[n - 1].high, Duration::from_nanos(h.max()));
        }
        let bins = log_bins_of(&h, 11);
        let factors: Vec<f64> = bins
            .iter()
            .map(|b| b.high.as_secs_f64() / b.low.as_secs_f64())
            .collect();
        let expected = (h.max() as f64 / h.min() as f64).powf(1.0 / 11.0);
        assert!(
            factors.iter().all(|f| (f / expected - 1.0).abs() < 0.01),
            "{factors:?} vs {expected}"
        );
    }

    #[test]
    fn one_outlier_squeezes_linear_bins_but_not_log_ones() {
        let h = outlier_run();
        let linear = bins_of(&h, 11);
        assert_eq!(linear[0].count, 99_990, "{linear:?}");
        let log = log_bins_of(&h, 11);
        assert_eq!(log.iter().map(|b| b.count).sum::<u64>(), 100_000);
        assert_eq!(log.last().map(|b| b.count), Some(10));
        let bulk: Vec<u64> = log.iter().map(|b| b.count).filter(|&c| c > 1_000).collect();
        assert!(
            bulk.len() >= 2,
            "the bulk spreads over several bars: {log:?}"
        );
    }

    #[test]
    fn log_bins_of_a_narrow_range_merge_instead_of_repeating_edges() {
        let h = hist([1_000, 1_001, 1_002, 1_003]);
        let bins = log_bins_of(&h, 11);
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 4);
        assert!(bins.windows(2).all(|w| w[0].high < w[1].high), "{bins:?}");
        assert!(bins.len() <= 3, "{bins:?}");
        assert_eq!(log_bins_of(&hist([5_000_000; 42]), 11).len(), 1);
        assert!(log_bins_of(&new_latency_histogram(), 11).is_empty());
    }

    #[test]
    fn every_response_counted_once() {
        let h = hist((1..=1000u64).map(|i| 20_000 + (i * i * 7919) % 5_000_000));
        for n in [1, 2, 7, 11, 40] {
            let bins = bins_of(&h, n);
            assert_eq!(bins.len(), n);
            assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 1000, "n={n}");
            assert!(bins.windows(2).all(|w| w[0].high == w[1].low));
            assert_eq!(bins[n - 1].high, Duration::from_nanos(h.max()));
        }
    }

    #[test]
    fn uniform_run_fills_bins_evenly() {
        let h = hist((1..=100u64).map(|i| i * 1_000_000));
        let bins = bins_of(&h, 11);
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 100);
        assert!(bins.iter().all(|b| (8..=11).contains(&b.count)), "{bins:?}");
        assert_eq!(bins[0].level, 0);
        assert!(bins.windows(2).all(|w| w[0].level <= w[1].level));
    }

    #[test]
    fn single_value_run_has_one_bin() {
        let h = hist([5_000_000; 42]);
        let bins = bins_of(&h, 11);
        assert_eq!(bins.len(), 1);
        assert_eq!(bins[0].count, 42);
        assert_eq!(bins[0].level, 0);
    }

    #[test]
    fn empty_histogram_has_no_bins() {
        assert!(bins_of(&new_latency_histogram(), 11).is_empty());
    }

    #[test]
    fn bins_past_p99_9_are_darkest() {
        let fast = (0..9_990u64).map(|i| 1_000_000 + i * 10);
        let h = hist(fast.chain([100_000_000; 10]));
        let bins = bins_of(&h, 11);
        assert_eq!(
            bins.last().map(|b| (b.count, b.level)),
            Some((10, MAX_LEVEL))
        );
        assert_eq!(bins[0].level, 0);
    }

    #[test]
    fn level_counts_thresholds_strictly_below() {
        let ms = Duration::from_millis;
        let scale = LevelScale::from_thresholds([10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map(ms));
        assert_eq!(scale.level(ms(1)), 0);
        assert_eq!(scale.level(ms(1) + Duration::from_nanos(1)), 1);
        assert_eq!(scale.level(ms(5)), 4);
        assert_eq!(scale.level(ms(11)), MAX_LEVEL);
    }

    #[test]
    fn slo_scale_is_absolute_around_the_limit() {
        let ms = Duration::from_millis;
        let scale = LevelScale::around_limit(ms(100));
        let levels =
            [1, 5, 6, 45, 55, 79, 80, 81, 100, 101, 150, 151, 9_000].map(|v| scale.level(ms(v)));
        assert_eq!(levels, [0, 0, 1, 5, 6, 7, 7, 8, 8, 9, 9, 10, 10]);
    }
}
