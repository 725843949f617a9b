//! A server thread's timers: connection deadlines (delayed responses,
//! lingering closes), earliest first, and when the next stall begins. Its
//! own file because both the worker and each connection use it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Deadlines of connections, earliest first, and when the next stall
/// begins.
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    /// With a stall schedule, the start of the next stall window: a
    /// connection running at that instant stops writing and sets
    /// `Conn::paused`. None without a schedule (and while stalled, when no connection
    /// runs).
    pub pause_at: Option<Instant>,
}

impl Timers {
    /// No deadlines yet; the first stall (if any) begins at `pause_at`.
    pub(super) fn new(pause_at: Option<Instant>) -> Timers {
        Timers {
            heap: BinaryHeap::new(),
            pause_at,
        }
    }

    /// Call the connection in `slot` back at `deadline`, if it is still the
    /// same connection (`generation`) by then.
    pub(super) fn add(&mut self, deadline: Instant, slot: usize, generation: u64) {
        self.heap.push(Reverse((deadline, slot, generation)));
    }

    /// The earliest deadline, if any.
    pub(super) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((deadline, _, _))| *deadline)
    }

    /// Remove and return the earliest timer if it is due at `now`.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<(usize, u64)> {
        match self.heap.peek() {
            Some(Reverse((deadline, _, _))) if *deadline <= now => self
                .heap
                .pop()
                .map(|Reverse((_, slot, generation))| (slot, generation)),
            _ => None,
        }
    }
}
