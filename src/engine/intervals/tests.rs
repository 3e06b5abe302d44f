use super::*;

fn series(length_ms: u64, entries: &[(u64, u64)]) -> Intervals {
    let entries = entries
        .iter()
        .map(|&(index, responses)| {
            let mut e = Interval::empty(index, None);
            e.requests = responses + 1;
            e.responses = responses;
            e.errors = 1;
            for v in 0..responses {
                e.latency_ns.record(1_000 + v).unwrap();
            }
            e
        })
        .collect();
    Intervals {
        length: Duration::from_millis(length_ms),
        entries,
    }
}

fn shape(s: &Intervals) -> Vec<(u64, u64, u64)> {
    s.entries
        .iter()
        .map(|e| (e.index, e.responses, e.latency_ns.len()))
        .collect()
}

#[test]
fn adding_sums_counts_per_index_and_keeps_them_sorted() {
    let mut a = series(1_000, &[(0, 3), (2, 5)]);
    a.add(&series(1_000, &[(1, 1), (2, 2), (4, 7)])).unwrap();
    assert_eq!(shape(&a), vec![(0, 3, 3), (1, 1, 1), (2, 7, 7), (4, 7, 7)]);
    assert_eq!(a.responses(), 18);
    assert_eq!(a.errors(), 5);
    assert_eq!(a.requests(), 23);
}

#[test]
fn a_later_process_shifts_by_whole_intervals_of_its_wall_clock_offset() {
    let mut a = series(1_000, &[(0, 1), (1, 1)]);
    // 2.004 s later: two intervals, the 4 ms of start-up skew rounded away.
    a.merge(&series(1_000, &[(0, 2), (1, 3)]), 2_004_000_000)
        .unwrap();
    assert_eq!(shape(&a), vec![(0, 1, 1), (1, 1, 1), (2, 2, 2), (3, 3, 3)]);
    // A few milliseconds apart: the same intervals.
    let mut b = series(1_000, &[(0, 1)]);
    b.merge(&series(1_000, &[(0, 2)]), -3_000_000).unwrap();
    assert_eq!(shape(&b), vec![(0, 3, 3)]);
}

#[test]
fn an_earlier_process_moves_this_series_instead() {
    let mut a = series(500, &[(0, 1), (1, 1)]);
    a.merge(&series(500, &[(0, 4)]), -1_000_000_000).unwrap();
    assert_eq!(shape(&a), vec![(0, 4, 4), (2, 1, 1), (3, 1, 1)]);
}

#[test]
fn offsets_round_to_the_nearest_interval() {
    let s = Duration::from_secs(1);
    assert_eq!(whole_intervals(0, s), 0);
    assert_eq!(whole_intervals(499_999_999, s), 0);
    assert_eq!(whole_intervals(500_000_000, s), 1);
    assert_eq!(whole_intervals(-500_000_000, s), -1);
    assert_eq!(whole_intervals(-499_999_999, s), 0);
    assert_eq!(whole_intervals(-2_600_000_000, s), -3);
}

#[test]
fn series_of_different_lengths_do_not_merge() {
    let mut a = series(1_000, &[(0, 1)]);
    let err = a.merge(&series(500, &[(0, 1)]), 0).unwrap_err();
    assert_eq!(
        err,
        LengthMismatch {
            ours: Duration::from_secs(1),
            theirs: Duration::from_millis(500)
        }
    );
    assert_eq!(shape(&a), vec![(0, 1, 1)]);
    assert!(err.to_string().contains("--interval 1s"), "{err}");
}

#[test]
fn coarsening_groups_consecutive_intervals() {
    let s = series(100, &[(0, 1), (1, 2), (2, 3), (5, 4), (6, 5)]);
    let coarse = s.coarsen(3);
    assert_eq!(coarse.length, Duration::from_millis(300));
    assert_eq!(shape(&coarse), vec![(0, 6, 6), (1, 4, 4), (2, 5, 5)]);
    assert_eq!(coarse.requests(), s.requests());
}

#[test]
fn absorbing_into_an_empty_series_moves_and_otherwise_adds() {
    let mut merged = Intervals::new(Duration::from_secs(1));
    merged.absorb(series(1_000, &[(0, 2)])).unwrap();
    merged.absorb(series(1_000, &[(0, 1), (3, 1)])).unwrap();
    assert_eq!(shape(&merged), vec![(0, 3, 3), (3, 1, 1)]);
    assert!(merged.absorb(series(10, &[])).is_err());
}
