//! The generator's own stalls, counted so that they are not passed off as
//! the server's.
//!
//! A worker that does not get back to its sockets leaves responses unread
//! and timeouts unswept, and every user it drives seems to stall at once.
//! Nothing in the loop waits long by itself: a poll sleeps until the next
//! timeout sweep at most (50 ms), a nap 200 µs, and batches go to the
//! recorder without waiting. But the kernel can keep the thread off its
//! core: on a busy 2-core VM, `perf sched` showed a pinned worker runnable
//! and not run for 2.16 s while two threads of another process ping-ponged
//! on that core, and its timeout rows came out at 2.16 s for `--timeout 1s`.
//! Pinning makes it worse, as a pinned thread cannot be moved to a free
//! core: next to such a pair, a spinning thread pinned to the same core was
//! kept off it for up to 4.9 s, an unpinned one for 60 ms at most.
//!
//! So each loop turn is timed against the sleeps it asked for. A turn that
//! overruns them by `STALL` or more is a stall; the summary reports how
//! many and the longest, and so says when the figures include the
//! generator's own delay.

use std::time::{Duration, Instant};

/// An overrun this long is a stall: far beyond the few milliseconds a busy
/// scheduler usually keeps a thread waiting, and short enough to catch the
/// pauses that distort a run.
const STALL: Duration = Duration::from_millis(100);

/// A worker's stalls, or every worker's together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stalls {
    pub count: u64,
    pub longest: Duration,
}

impl Stalls {
    /// Another worker's stalls added to these.
    pub(crate) fn merge(&mut self, other: Stalls) {
        self.count += other.count;
        self.longest = self.longest.max(other.longest);
    }
}

/// Times the turns of one worker's loop.
pub(crate) struct StallWatch {
    /// When the current turn began, and how long it may sleep in all.
    began: Instant,
    sleeps: Duration,
    stalls: Stalls,
}

impl StallWatch {
    pub(crate) fn new(now: Instant) -> StallWatch {
        StallWatch {
            began: now,
            sleeps: Duration::ZERO,
            stalls: Stalls::default(),
        }
    }

    /// A new turn begins at `now`: note a stall if the last one overran.
    pub(crate) fn turn(&mut self, now: Instant) {
        let over = now
            .saturating_duration_since(self.began)
            .saturating_sub(self.sleeps);
        if over >= STALL {
            self.stalls.merge(Stalls {
                count: 1,
                longest: over,
            });
        }
        self.began = now;
        self.sleeps = Duration::ZERO;
    }

    /// The current turn is about to sleep for at most `d`.
    pub(crate) fn sleep(&mut self, d: Duration) {
        self.sleeps += d;
    }

    pub(crate) fn stalls(&self) -> Stalls {
        self.stalls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_turn_within_its_sleeps_is_no_stall() {
        let t0 = Instant::now();
        let mut w = StallWatch::new(t0);
        w.sleep(ms(100));
        w.sleep(ms(50));
        // Slept 150 ms as asked, then worked for just under STALL.
        w.turn(t0 + ms(150) + STALL - ms(1));
        assert_eq!(w.stalls(), Stalls::default());
    }

    #[test]
    fn overruns_are_counted_and_the_longest_kept() {
        let t0 = Instant::now();
        let mut w = StallWatch::new(t0);
        w.sleep(ms(10));
        w.turn(t0 + ms(10) + ms(2160));
        let t1 = t0 + ms(2170);
        w.turn(t1 + STALL);
        // Sleeps belong to the turn that asked for them only.
        w.sleep(ms(50));
        w.turn(t1 + STALL + ms(50));
        assert_eq!(
            w.stalls(),
            Stalls {
                count: 2,
                longest: ms(2160)
            }
        );
    }

    #[test]
    fn workers_merge_counts_and_the_longest() {
        let mut all = Stalls {
            count: 1,
            longest: ms(300),
        };
        all.merge(Stalls {
            count: 2,
            longest: ms(200),
        });
        all.merge(Stalls::default());
        assert_eq!(
            all,
            Stalls {
                count: 3,
                longest: ms(300)
            }
        );
    }
}
