//! Which row of a data file a user or a request takes, so that the rows
//! are dealt over the whole plan as its users and arrivals are: without
//! overlap across workers and `--segment`s while the file has enough rows,
//! and round again from the first when it has not.
//!
//! A worker's hand of the plan is `(index, of)` (`Segment::nest`): of the
//! plan's users (closed model) or connections (open model), it holds
//! `index`, `index + of`, `index + 2 * of`, ...

use std::num::NonZeroUsize;

/// Per user: the row of the worker's `local`-th user (slot group), which
/// is user `index + local * of` of the whole plan. User k takes row
/// k mod rows, so with fewer rows than users, users k and k + rows share
/// a row.
pub(crate) fn user_row((index, of): (usize, usize), local: usize, rows: NonZeroUsize) -> usize {
    let user = index as u128 + local as u128 * of as u128;
    (user % rows.get() as u128) as usize
}

/// Per request: hand `index` of `of` takes rows `index`, `index + of`,
/// `index + 2 * of`, ... in turn, each mod rows. While the plan's requests
/// that use the file are fewer than its rows, no two send the same row;
/// past that rows are sent again, and two hands may then send the same
/// row at about the same time.
#[derive(Clone, Debug)]
pub(crate) struct RequestRows {
    next: usize,
    step: usize,
    rows: usize,
}

impl RequestRows {
    pub(crate) fn new((index, of): (usize, usize), rows: NonZeroUsize) -> RequestRows {
        let rows = rows.get();
        RequestRows {
            next: index % rows,
            step: of % rows,
            rows,
        }
    }

    /// The row for the next request; no division, no allocation.
    #[inline]
    pub(crate) fn take(&mut self) -> usize {
        let row = self.next;
        // Both are below `rows`, so the sum wraps at most once.
        self.next += self.step;
        if self.next >= self.rows {
            self.next -= self.rows;
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::segment::{Segment, dealt};
    use std::collections::BTreeMap;

    fn n(rows: usize) -> NonZeroUsize {
        NonZeroUsize::new(rows).unwrap()
    }

    /// Every worker's hand of a plan over `segments`, each with its own
    /// worker count (boxes differ).
    fn hands(segments: usize) -> Vec<(usize, usize)> {
        (0..segments)
            .flat_map(|i| {
                let segment = Segment {
                    index: i,
                    count: segments,
                };
                let workers = 1 + i % 3;
                (0..workers).map(move |w| segment.nest(w, workers))
            })
            .collect()
    }

    #[test]
    fn users_take_distinct_rows_across_workers_and_segments() {
        for segments in [1, 2, 3, 7] {
            for users in [1, 5, 40] {
                let mut seen = BTreeMap::new();
                for hand in hands(segments) {
                    for local in 0..dealt(users, hand.0, hand.1) {
                        let row = user_row(hand, local, n(users));
                        assert!(seen.insert(row, hand).is_none(), "row {row} twice");
                    }
                }
                // Exactly rows 0..users, each once: user k has row k.
                assert_eq!(
                    seen.keys().copied().collect::<Vec<_>>(),
                    (0..users).collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn with_fewer_rows_users_wrap_around() {
        // 5 users over 2 rows: users 0, 2, 4 share row 0; 1, 3 row 1.
        let rows: Vec<usize> = (0..5).map(|k| user_row((0, 1), k, n(2))).collect();
        assert_eq!(rows, [0, 1, 0, 1, 0]);
        // One worker of two: its users are 1, 3, 5 of the plan.
        let rows: Vec<usize> = (0..3).map(|k| user_row((1, 2), k, n(4))).collect();
        assert_eq!(rows, [1, 3, 1]);
        assert_eq!(user_row((usize::MAX - 1, usize::MAX), usize::MAX, n(7)), {
            let k = (usize::MAX - 1) as u128 + usize::MAX as u128 * usize::MAX as u128;
            (k % 7) as usize
        });
    }

    #[test]
    fn one_hand_takes_consecutive_rows_and_wraps() {
        let mut r = RequestRows::new((0, 1), n(3));
        let rows: Vec<usize> = (0..7).map(|_| r.take()).collect();
        assert_eq!(rows, [0, 1, 2, 0, 1, 2, 0]);
        let mut one = RequestRows::new((0, 1), n(1));
        assert_eq!((one.take(), one.take()), (0, 0));
    }

    #[test]
    fn hands_take_distinct_rows_while_there_are_enough() {
        // The plan's first `count` requests, dealt over the hands as its
        // arrivals are, take rows 0..count, each once.
        for segments in [1, 2, 5] {
            for count in [1, 6, 100] {
                let mut seen = BTreeMap::new();
                for hand in hands(segments) {
                    let mut r = RequestRows::new(hand, n(count));
                    for _ in 0..dealt(count, hand.0, hand.1) {
                        assert!(seen.insert(r.take(), hand).is_none());
                    }
                }
                assert_eq!(
                    seen.keys().copied().collect::<Vec<_>>(),
                    (0..count).collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn hands_wrap_mod_rows() {
        // Hand 1 of 2 over 3 rows: 1, 3 mod 3 = 0, 5 mod 3 = 2, ...
        let mut r = RequestRows::new((1, 2), n(3));
        let rows: Vec<usize> = (0..6).map(|_| r.take()).collect();
        assert_eq!(rows, [1, 0, 2, 1, 0, 2]);
        // Hands far beyond the rows.
        let mut r = RequestRows::new((10, 12), n(5));
        let rows: Vec<usize> = (0..3).map(|_| r.take()).collect();
        assert_eq!(rows, [0, 2, 4]);
    }
}
