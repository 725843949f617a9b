//! The open model's free slots: which one a request that falls due takes.

/// Free connection slots (`--pipeline`: slot `u` is on connection
/// `u / depth`), handed out from a connection with the fewest requests in
/// flight: a request takes an idle connection first, and piles onto a busy
/// one only when none is idle. Among equals, the connection that changed
/// last goes first: at depth 1, the one freed last, warm and open.
pub(super) struct FreeSlots {
    depth: usize,
    /// Per connection, its free slots, the next to take last.
    slots: Vec<Vec<usize>>,
    /// `levels[k]`: the connections with `k` requests in flight and a
    /// slot free (`k < depth`), the next to take last.
    levels: Vec<Vec<usize>>,
    /// Where each connection is in its level.
    at: Vec<usize>,
    /// No level below this one holds a connection.
    lowest: usize,
    /// Free slots in all.
    count: usize,
}

impl FreeSlots {
    /// Every slot of `conns` connections of `depth` slots free.
    pub(super) fn new(conns: usize, depth: usize) -> FreeSlots {
        let mut levels = vec![Vec::new(); depth];
        levels[0] = (0..conns).rev().collect();
        FreeSlots {
            depth,
            slots: (0..conns)
                .map(|c| (c * depth..(c + 1) * depth).rev().collect())
                .collect(),
            at: (0..conns).map(|c| conns - 1 - c).collect(),
            levels,
            lowest: 0,
            count: conns * depth,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// A free slot on a connection with the fewest requests in flight.
    pub(super) fn take(&mut self) -> Option<usize> {
        while self.levels.get(self.lowest)?.is_empty() {
            self.lowest += 1;
        }
        let k = self.lowest;
        let c = self.levels[k].pop()?;
        let u = self.slots[c].pop()?;
        if k + 1 < self.depth {
            self.enter(k + 1, c);
        }
        self.count -= 1;
        Some(u)
    }

    /// Slot `u`, taken before, is free again.
    pub(super) fn give(&mut self, u: usize) {
        let c = u / self.depth;
        let k = self.depth - self.slots[c].len();
        if k < self.depth {
            let at = self.at[c];
            self.levels[k].swap_remove(at);
            if let Some(&moved) = self.levels[k].get(at) {
                self.at[moved] = at;
            }
        }
        self.slots[c].push(u);
        self.enter(k - 1, c);
        self.lowest = self.lowest.min(k - 1);
        self.count += 1;
    }

    fn enter(&mut self, k: usize, c: usize) {
        self.at[c] = self.levels[k].len();
        self.levels[k].push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::FreeSlots;

    /// Connection of slot `u` at depth `depth`.
    fn conn(u: usize, depth: usize) -> usize {
        u / depth
    }

    #[test]
    fn free_slots_spread_over_the_connections() {
        let mut free = FreeSlots::new(3, 2);
        let order: Vec<usize> = std::iter::from_fn(|| free.take()).collect();
        // One on each connection, then a second on each.
        let conns: Vec<usize> = order.iter().map(|&u| conn(u, 2)).collect();
        assert_eq!(
            conns[..3]
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            3
        );
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2, 3, 4, 5]);
        assert!(free.is_empty());
        let mut one = FreeSlots::new(2, 1);
        assert_eq!(
            (one.take(), one.take(), one.take()),
            (Some(0), Some(1), None)
        );
    }

    #[test]
    fn a_request_takes_an_idle_connection_before_a_busy_one() {
        // Two connections, two slots each.
        let mut free = FreeSlots::new(2, 2);
        let (a, b) = (free.take().unwrap(), free.take().unwrap());
        assert_ne!(conn(a, 2), conn(b, 2));
        // A third request piles onto one of them.
        let c = free.take().unwrap();
        let (busy, other) = if conn(c, 2) == conn(a, 2) {
            (a, b)
        } else {
            (b, a)
        };
        // The connection with one request finishes it, then one of the two
        // on the other finishes: that one still has one in flight.
        free.give(other);
        free.give(busy);
        // Next: the idle connection, not the one still busy.
        let next = free.take().unwrap();
        assert_eq!(
            conn(next, 2),
            conn(other, 2),
            "took {next}, on a busy connection"
        );
    }

    #[test]
    fn the_last_connection_freed_is_taken_first() {
        // Depth 1: the connection freed last is warm and open; the others
        // may have closed or never opened.
        let mut free = FreeSlots::new(4, 1);
        let taken: Vec<usize> = (0..3).map(|_| free.take().unwrap()).collect();
        free.give(taken[1]);
        assert_eq!(free.take(), Some(taken[1]));
    }

    #[test]
    fn any_order_of_takes_and_gives_keeps_the_rule() {
        let mut rng = crate::rng::Rng::new(7);
        for (conns, depth) in [(1, 1), (3, 1), (1, 4), (3, 2), (5, 3), (4, 16)] {
            let mut free = FreeSlots::new(conns, depth);
            let mut taken: Vec<usize> = Vec::new();
            for _ in 0..2000 {
                let busy =
                    |taken: &[usize], c: usize| taken.iter().filter(|&&u| u / depth == c).count();
                if rng.unit() < 0.5 && !taken.is_empty() {
                    let i = rng.between(0, taken.len() as u64 - 1) as usize;
                    free.give(taken.swap_remove(i));
                } else if let Some(u) = free.take() {
                    let least = (0..conns)
                        .filter(|&c| busy(&taken, c) < depth)
                        .map(|c| busy(&taken, c))
                        .min();
                    assert_eq!(
                        Some(busy(&taken, u / depth)),
                        least,
                        "{conns}x{depth}: took {u}"
                    );
                    assert!(!taken.contains(&u));
                    taken.push(u);
                } else {
                    assert_eq!(taken.len(), conns * depth);
                }
                assert_eq!(free.is_empty(), taken.len() == conns * depth);
            }
        }
    }
}
