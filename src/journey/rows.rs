//! Which row of a data file a user or a request takes: without overlap
//! across workers and `--segment`s while the file has enough rows, and
//! round again from the first when it has not. A user's row follows how
//! the plan deals its users; a request's, how many requests of its
//! process took a row before it (one count for all its workers), dealt
//! over the segments.
//!
//! A worker's hand of the plan is `(index, of)` (`Segment::nest`): of the
//! plan's users (closed model) or connections (open model), it holds
//! `index`, `index + of`, `index + 2 * of`, ...

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::data::Mode;
use super::{Journey, Source, User};

/// Per user: the row of the worker's slot `slot`. With `depth` slots per
/// user (`--pipeline`), slot `slot` belongs to the worker's user
/// `slot / depth`, which is user `index + (slot / depth) * of` of the
/// whole plan, and each of its slots is a user of the journey: user k's
/// slot i is plan slot `k * depth + i`. Plan slot s takes row s mod rows,
/// so with fewer rows than slots, slots s and s + rows share a row.
pub(crate) fn user_row(
    (index, of): (usize, usize),
    depth: usize,
    slot: usize,
    rows: NonZeroUsize,
) -> usize {
    let user = index as u128 + (slot / depth) as u128 * of as u128;
    let slot = user * depth as u128 + (slot % depth) as u128;
    (slot % rows.get() as u128) as usize
}

/// Per request: the process runs segment `index` of `of` (`--segment`;
/// 0 of 1 alone), and its requests that read the set take rows `index`,
/// `index + of`, `index + 2 * of`, ... in the order they take them, each
/// mod rows, over all its threads: they share one count. No two requests
/// send the same row while each segment sends fewer than its share of the
/// rows (the rows below `rows` in its sequence); one past its share takes
/// its rows again, even while other segments' rows are unsent.
#[derive(Debug)]
pub(crate) struct RequestRows<'a> {
    /// The process's requests that took a row of this set so far.
    taken: &'a AtomicUsize,
    first: usize,
    step: usize,
    rows: usize,
}

impl<'a> RequestRows<'a> {
    pub(crate) fn new(
        (index, of): (usize, usize),
        rows: NonZeroUsize,
        taken: &'a AtomicUsize,
    ) -> RequestRows<'a> {
        let rows = rows.get();
        RequestRows {
            taken,
            first: index % rows,
            step: of % rows,
            rows,
        }
    }

    /// The row for the next request of the process.
    #[inline]
    pub(crate) fn take(&mut self) -> usize {
        // Relaxed: the count only has to give each take its own number.
        let k = self.taken.fetch_add(1, Ordering::Relaxed) % self.rows;
        // Both factors are below `rows`, which a data file's size bounds
        // far below 2^32, so the product fits.
        (self.first + k * self.step) % self.rows
    }
}

/// A worker's share of the data files' rows.
#[derive(Debug)]
pub(crate) struct Deal<'a> {
    hand: (usize, usize),
    /// Slots per user (`--pipeline`).
    depth: usize,
    /// Per data set: the process's next rows, for a per-request set.
    next: Vec<Option<RequestRows<'a>>>,
    /// Per task: the per-request data sets its request reads, each once.
    takes: Vec<Vec<usize>>,
}

impl<'a> Deal<'a> {
    /// The rows of worker hand `hand`, with `depth` slots per user, in
    /// segment `segment` (its index and count), whose threads count the rows
    /// they take of each data set in `taken` (one per set).
    pub(crate) fn new(
        journey: &Journey,
        hand: (usize, usize),
        depth: usize,
        segment: (usize, usize),
        taken: &'a [AtomicUsize],
    ) -> Deal<'a> {
        let next = (journey.data.iter().zip(taken))
            .map(|(set, taken)| {
                (set.mode == Mode::PerRequest).then(|| RequestRows::new(segment, set.rows(), taken))
            })
            .collect();
        let takes = (journey.reads.iter())
            .map(|ids| {
                let mut sets: Vec<usize> = Vec::new();
                for &id in ids {
                    if let Source::Data { set, .. } = journey.values[id as usize]
                        && journey.data[set].mode == Mode::PerRequest
                        && !sets.contains(&set)
                    {
                        sets.push(set);
                    }
                }
                sets
            })
            .collect();
        Deal {
            hand,
            depth,
            next,
            takes,
        }
    }

    /// The user of slot `slot`, with its rows of the per-user sets, which
    /// stay the slot's for the run.
    pub(crate) fn user(&self, journey: &Journey, slot: usize) -> User {
        let mut user = User::new(journey);
        for (i, set) in journey.data.iter().enumerate() {
            if set.mode == Mode::PerUser {
                user.set_row(i, user_row(self.hand, self.depth, slot, set.rows()));
            }
        }
        user
    }

    /// `user` is about to send task `task`'s request: it takes the next
    /// row of each per-request set the request reads, one row a set
    /// however many of its columns the request reads.
    #[inline]
    pub(crate) fn take(&mut self, task: u16, user: &mut User) {
        let Some(sets) = self.takes.get(task as usize) else {
            return;
        };
        for &set in sets {
            if let Some(rows) = &mut self.next[set] {
                user.set_row(set, rows.take());
            }
        }
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
                        let row = user_row(hand, 1, local, n(users));
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
        let rows: Vec<usize> = (0..5).map(|k| user_row((0, 1), 1, k, n(2))).collect();
        assert_eq!(rows, [0, 1, 0, 1, 0]);
        // One worker of two: its users are 1, 3, 5 of the plan.
        let rows: Vec<usize> = (0..3).map(|k| user_row((1, 2), 1, k, n(4))).collect();
        assert_eq!(rows, [1, 3, 1]);
        assert_eq!(
            user_row((usize::MAX - 1, usize::MAX), 1, usize::MAX, n(7)),
            {
                let k = (usize::MAX - 1) as u128 + usize::MAX as u128 * usize::MAX as u128;
                (k % 7) as usize
            }
        );
    }

    #[test]
    fn pipelined_slots_are_users_of_their_own() {
        // Depth 3 over 2 workers: worker 1's slots 0..6 are plan users 1
        // and 3, so plan slots 3, 4, 5 and 9, 10, 11.
        let rows: Vec<usize> = (0..6).map(|u| user_row((1, 2), 3, u, n(100))).collect();
        assert_eq!(rows, [3, 4, 5, 9, 10, 11]);
        let mut seen = BTreeMap::new();
        for hand in hands(3) {
            for slot in 0..dealt(10, hand.0, hand.1) * 2 {
                assert!(seen.insert(user_row(hand, 2, slot, n(20)), hand).is_none());
            }
        }
        assert_eq!(seen.len(), 20);
    }

    fn counts(n: usize) -> Vec<AtomicUsize> {
        (0..n).map(|_| AtomicUsize::new(0)).collect()
    }

    #[test]
    fn one_process_takes_consecutive_rows_and_wraps() {
        let taken = AtomicUsize::new(0);
        let mut r = RequestRows::new((0, 1), n(3), &taken);
        let rows: Vec<usize> = (0..7).map(|_| r.take()).collect();
        assert_eq!(rows, [0, 1, 2, 0, 1, 2, 0]);
        let taken = AtomicUsize::new(0);
        let mut one = RequestRows::new((0, 1), n(1), &taken);
        assert_eq!((one.take(), one.take()), (0, 0));
    }

    #[test]
    fn threads_of_a_process_share_its_rows() {
        // Two threads, one much busier: still each row once.
        let taken = AtomicUsize::new(0);
        let mut busy = RequestRows::new((0, 1), n(10), &taken);
        let mut idle = RequestRows::new((0, 1), n(10), &taken);
        let mut rows: Vec<usize> = (0..8).map(|_| busy.take()).collect();
        rows.extend((0..2).map(|_| idle.take()));
        rows.sort();
        assert_eq!(rows, (0..10).collect::<Vec<_>>());
        // From threads at once.
        let taken = AtomicUsize::new(0);
        let mut rows: Vec<usize> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut r = RequestRows::new((0, 1), n(4000), &taken);
                        (0..1000).map(|_| r.take()).collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        rows.sort();
        assert_eq!(rows, (0..4000).collect::<Vec<_>>());
    }

    #[test]
    fn segments_take_distinct_rows_while_there_are_enough() {
        // Each segment, whatever its threads did, takes its share of rows
        // 0..count: together each once.
        for segments in [1, 2, 5] {
            for count in [1, 6, 100] {
                let mut seen = BTreeMap::new();
                for index in 0..segments {
                    let taken = AtomicUsize::new(0);
                    let mut r = RequestRows::new((index, segments), n(count), &taken);
                    for _ in 0..dealt(count, index, segments) {
                        assert!(seen.insert(r.take(), index).is_none());
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
    fn a_deal_seats_users_and_takes_a_row_a_set_per_request() {
        use crate::journey::UserView;
        use crate::journey::data::DataSet;
        use std::sync::Arc;
        let set = |name: &str, mode| {
            let mut set = DataSet::parse(name, "f.csv", b"a,b\n0a,0b\n1a,1b\n2a,2b\n").unwrap();
            set.mode = mode;
            Arc::new(set)
        };
        let data = |set, column| Source::Data { set, column };
        let journey = Journey {
            // u.a, u.b (per user), r.a, r.b (per request)
            values: vec![data(0, 0), data(0, 1), data(1, 0), data(1, 1)],
            // Task 0 reads both sets; task 1 only the per-user one.
            reads: vec![vec![0, 2, 3], vec![1]],
            data: vec![set("u", Mode::PerUser), set("r", Mode::PerRequest)],
            ..Journey::default()
        };
        // Worker 1 of 2, no pipelining: its slots are plan users 1, 3, ...
        let taken = counts(2);
        let mut deal = Deal::new(&journey, (1, 2), 1, (0, 1), &taken);
        let mut users: Vec<User> = (0..2).map(|u| deal.user(&journey, u)).collect();
        let value = |user: &User, id| {
            let view = UserView::of(user, &journey);
            String::from_utf8(view.value(id).to_vec()).unwrap()
        };
        assert_eq!(value(&users[0], 0), "1a");
        assert_eq!(value(&users[1], 1), "0b"); // user 3 of 3 rows: row 0
        let mut sent = Vec::new();
        for (task, u) in [(0, 0), (1, 1), (0, 1), (0, 0)] {
            deal.take(task, &mut users[u]);
            sent.push((value(&users[u], 2), value(&users[u], 3)));
        }
        // Task 1 reads no per-request set: it takes no row. The process
        // takes rows 0, 1, 2; both columns from one row.
        let row = |r: &str| (format!("{r}a"), format!("{r}b"));
        assert_eq!(sent, [row("0"), row("0"), row("1"), row("2")]);
        assert_eq!(taken[1].load(Ordering::Relaxed), 3);
        assert_eq!(taken[0].load(Ordering::Relaxed), 0, "per user: no count");
    }

    #[test]
    fn segments_wrap_mod_rows() {
        // Segment 1 of 2 over 3 rows: 1, 3 mod 3 = 0, 5 mod 3 = 2, ...
        let taken = AtomicUsize::new(0);
        let mut r = RequestRows::new((1, 2), n(3), &taken);
        let rows: Vec<usize> = (0..6).map(|_| r.take()).collect();
        assert_eq!(rows, [1, 0, 2, 1, 0, 2]);
        // Segments far beyond the rows.
        let taken = AtomicUsize::new(0);
        let mut r = RequestRows::new((10, 12), n(5), &taken);
        let rows: Vec<usize> = (0..3).map(|_| r.take()).collect();
        assert_eq!(rows, [0, 2, 4]);
        // A count that wrapped around usize goes on from row `first`.
        let taken = AtomicUsize::new(usize::MAX);
        let mut r = RequestRows::new((1, 2), n(3), &taken);
        assert_eq!(r.take(), (1 + (usize::MAX % 3) * 2) % 3);
        assert_eq!(r.take(), 1);
    }
}
