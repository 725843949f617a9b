//! Short naps instead of blocking in epoll, while the server is busy.
//!
//! A worker that blocks in `epoll_wait` must be woken by the server's send:
//! the kernel wakes the sleeping thread from the server's own syscall, on the
//! server's CPU. On one box, where the server is the bottleneck, that cost
//! lowers the very throughput being measured. Measured on this project's
//! 2-core VM against nginx: a lean client that blocks got 5% fewer requests/s
//! than wrk (which never sleeps), and nginx spent 3% more CPU per request.
//!
//! So while requests are in flight and a look finds nothing ready, the
//! worker sleeps a few microseconds, with no socket able to wake it, then
//! looks again. Responses pile up meanwhile and are handled in a batch;
//! nobody pays for a wakeup. If a nap finds nothing either, the server is
//! slow, and the worker blocks as before and stops napping for a while.
//!
//! A nap is 10 µs, or 1/100 of the shortest latency among the last few
//! hundred replies when that is longer (at most 200 µs). Such slow replies
//! (a deep pipeline's queue, a slow server) are also handled in rounds: the
//! worker naps after each round of replies too, so that the next round is
//! larger and costs fewer wakeups and `epoll_wait`s per reply. A reply that
//! comes during a nap waits for its end, so every nap bounds the delay the
//! worker adds to a latency: 10 µs (about 15 µs slept on the VM), or 1% of
//! the shortest latency seen lately. One connection alone never naps, so
//! single-request latency is measured as before.

use std::time::Duration;

/// The shortest nap: about one nginx response on this VM. Shorter naps
/// often found nothing.
const NAP: Duration = Duration::from_micros(10);
/// The longest nap, whatever the latency.
const MAX_NAP: Duration = Duration::from_micros(200);
/// A nap is at most this share of the shortest recent latency: 1/100.
const LATENCY_SHARE: u32 = 100;
/// Recent latency: the shortest of the last `RECENT` to `2 * RECENT`
/// replies, so that a few fast replies among slow ones keep naps short.
const RECENT: u32 = 256;
/// Naps are worth it only when several requests are in flight.
const MIN_IN_FLIGHT: usize = 2;
/// A deadline closer than a nap and this comes first: a nap asked for 10
/// µs lasted about 15 µs at the median on the VM, and 23 µs at p99.
const DEADLINE_MARGIN: Duration = Duration::from_micros(20);
/// Chances to nap skipped after a nap that found nothing.
const BACK_OFF: u32 = 32;

#[derive(Debug, Default)]
pub(super) struct Napper {
    /// The next poll is a look before a nap, or just after one.
    looking: bool,
    napped: bool,
    /// Nothing forbids a nap after this poll (see `nap_allowed`).
    may_nap: bool,
    skip: u32,
    /// How long a nap lasts now (see `nap_for`).
    nap: Duration,
    recent: ShortestLatency,
}

impl Napper {
    /// How long the next poll may block. Zero means: look without blocking,
    /// and nap (see `after_poll`) if nothing is ready. `queued`: requests
    /// are waiting for a connection (open model), so a response that frees
    /// one must be read at once.
    pub(super) fn poll_timeout(
        &mut self,
        in_flight: usize,
        queued: bool,
        budget: Duration,
    ) -> Duration {
        self.may_nap = self.nap_allowed(in_flight, queued, budget);
        self.looking = self.napped || (self.may_nap && !self.backing_off());
        if self.looking { Duration::ZERO } else { budget }
    }

    fn nap_allowed(&self, in_flight: usize, queued: bool, budget: Duration) -> bool {
        // A deadline (an arrival, a timeout sweep) must not wait for a nap.
        in_flight >= MIN_IN_FLIGHT && !queued && budget > self.nap() + DEADLINE_MARGIN
    }

    fn backing_off(&mut self) -> bool {
        let skipping = self.skip > 0;
        self.skip = self.skip.saturating_sub(1);
        skipping
    }

    /// A request ended `latency_us` after it was due.
    #[inline]
    pub(super) fn note_latency(&mut self, latency_us: u64) {
        if self.recent.note(latency_us) {
            self.nap = nap_for(self.recent.shortest());
        }
    }

    fn nap(&self) -> Duration {
        self.nap.max(NAP)
    }

    /// After the poll, before its events are handled: `Some(nap)` means
    /// sleep that long once they are, then poll again.
    pub(super) fn after_poll(&mut self, found_events: bool) -> Option<Duration> {
        if !std::mem::take(&mut self.looking) {
            return None;
        }
        if std::mem::take(&mut self.napped) && !found_events {
            self.skip = BACK_OFF;
            return None;
        }
        // Replies found: nap after them only when they are slow enough
        // that a longer nap costs them at most 1%. The look after a nap
        // is made whatever the poll's conditions, so they are checked here.
        if !self.may_nap || (found_events && self.nap <= NAP) {
            return None;
        }
        self.napped = true;
        Some(self.nap())
    }
}

/// A nap for replies whose shortest recent latency is `shortest_us`.
fn nap_for(shortest_us: u64) -> Duration {
    Duration::from_micros(shortest_us / u64::from(LATENCY_SHARE)).min(MAX_NAP)
}

/// The shortest latency among the last `RECENT` to `2 * RECENT` replies:
/// the shortest of the last whole block of `RECENT` and of the block
/// under way.
#[derive(Debug, Default)]
struct ShortestLatency {
    /// The last whole block's shortest, or 0 before the first is whole.
    last_block: u64,
    /// The shortest in the block under way, and how many it has.
    block: Option<u64>,
    in_block: u32,
}

impl ShortestLatency {
    /// Counts one latency; true when the shortest may have changed.
    #[inline]
    fn note(&mut self, latency_us: u64) -> bool {
        let before = self.block.unwrap_or(u64::MAX);
        let shortest = before.min(latency_us);
        self.block = Some(shortest);
        self.in_block += 1;
        if self.in_block < RECENT {
            return shortest < before && shortest < self.last_block;
        }
        self.last_block = shortest;
        self.block = None;
        self.in_block = 0;
        true
    }

    fn shortest(&self) -> u64 {
        self.block
            .map_or(self.last_block, |b| b.min(self.last_block))
    }
}

/// Ask the kernel to end this thread's sleeps on time: by default a sleep
/// may run 50 µs late (timer slack), five naps' worth.
pub(super) fn precise_sleeps() {
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and only changes
    // the calling thread's timer slack.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_millis(100);

    #[test]
    fn busy_worker_looks_then_naps_then_looks_again() {
        let mut n = Napper::default();
        assert_eq!(n.poll_timeout(50, false, LONG), Duration::ZERO);
        assert_eq!(n.after_poll(true), None, "found work: no nap");
        assert_eq!(n.poll_timeout(50, false, LONG), Duration::ZERO);
        assert_eq!(n.after_poll(false), Some(NAP));
        assert_eq!(
            n.poll_timeout(50, false, LONG),
            Duration::ZERO,
            "look after the nap"
        );
        assert_eq!(n.after_poll(true), None);
        assert_eq!(n.poll_timeout(50, false, LONG), Duration::ZERO);
    }

    #[test]
    fn a_queue_waiting_for_connections_blocks() {
        let mut n = Napper::default();
        assert_eq!(n.poll_timeout(50, true, LONG), LONG);
        assert_eq!(n.after_poll(false), None);
    }

    #[test]
    fn one_request_in_flight_blocks() {
        let mut n = Napper::default();
        assert_eq!(n.poll_timeout(1, false, LONG), LONG);
        assert_eq!(n.after_poll(false), None);
        assert_eq!(n.poll_timeout(0, false, LONG), LONG);
    }

    #[test]
    fn a_deadline_near_the_nap_blocks_until_it() {
        let mut n = Napper::default();
        for soon in [NAP / 2, NAP * 2, DEADLINE_MARGIN] {
            assert_eq!(n.poll_timeout(50, false, soon), soon);
            assert_eq!(n.after_poll(false), None);
        }
        let later = DEADLINE_MARGIN + NAP + Duration::from_micros(1);
        assert_eq!(n.poll_timeout(50, false, later), Duration::ZERO);
        assert_eq!(n.after_poll(false), Some(NAP));
    }

    fn note(n: &mut Napper, latency_us: u64, times: u32) {
        for _ in 0..times {
            n.note_latency(latency_us);
        }
    }

    #[test]
    fn fast_replies_are_handled_at_once() {
        let mut n = Napper::default();
        note(&mut n, 900, 2 * RECENT);
        assert_eq!(n.poll_timeout(50, false, LONG), Duration::ZERO);
        assert_eq!(n.after_poll(true), None, "replies under 1 ms: no round");
        assert_eq!(n.poll_timeout(50, false, LONG), Duration::ZERO);
        assert_eq!(n.after_poll(false), Some(NAP));
    }

    #[test]
    fn slow_replies_come_in_rounds_a_hundredth_of_their_latency_apart() {
        let mut n = Napper::default();
        note(&mut n, 4_000, RECENT);
        let round = Duration::from_micros(40);
        for _ in 0..3 {
            assert_eq!(n.poll_timeout(50, false, LONG), Duration::ZERO);
            assert_eq!(n.after_poll(true), Some(round), "nap after the round");
        }
        // A round and then nothing: the server is slow, block.
        assert_eq!(n.poll_timeout(50, false, LONG), Duration::ZERO);
        assert_eq!(n.after_poll(false), None);
        assert_eq!(n.poll_timeout(50, false, LONG), LONG);
        // The look after a round's nap finds replies, but the conditions
        // for a nap no longer hold: no nap.
        let mut n = Napper::default();
        note(&mut n, 4_000, RECENT);
        n.poll_timeout(50, false, LONG);
        assert_eq!(n.after_poll(true), Some(round));
        assert_eq!(n.poll_timeout(50, false, round), Duration::ZERO, "look");
        assert_eq!(n.after_poll(true), None, "a deadline within the nap");
        n.poll_timeout(50, false, LONG);
        assert_eq!(n.after_poll(true), Some(round));
        assert_eq!(n.poll_timeout(1, false, LONG), Duration::ZERO, "look");
        assert_eq!(n.after_poll(true), None, "one request in flight");
        n.poll_timeout(50, false, LONG);
        assert_eq!(n.after_poll(true), Some(round));
        assert_eq!(n.poll_timeout(50, true, LONG), Duration::ZERO, "look");
        assert_eq!(n.after_poll(true), None, "requests queued");
        // A deadline within the longer nap comes first.
        let mut n = Napper::default();
        note(&mut n, 4_000, RECENT);
        let soon = round + DEADLINE_MARGIN;
        assert_eq!(n.poll_timeout(50, false, soon), soon);
        assert_eq!(n.after_poll(true), None);
        assert_eq!(n.poll_timeout(50, false, soon * 2), Duration::ZERO);
        assert_eq!(n.after_poll(true), Some(round));
    }

    #[test]
    fn naps_stop_at_their_longest() {
        let mut n = Napper::default();
        note(&mut n, 5_000_000, RECENT);
        n.poll_timeout(50, false, LONG);
        assert_eq!(n.after_poll(true), Some(MAX_NAP));
    }

    #[test]
    fn naps_follow_the_shortest_recent_latency() {
        let mut n = Napper::default();
        note(&mut n, 8_000, RECENT - 1);
        assert_eq!(n.nap(), NAP, "no whole block yet");
        note(&mut n, 8_000, 1);
        assert_eq!(n.nap(), Duration::from_micros(80));
        // One fast reply shortens naps at once ...
        note(&mut n, 2_000, 1);
        assert_eq!(n.nap(), Duration::from_micros(20));
        note(&mut n, 500, 1);
        assert_eq!(n.nap(), NAP);
        // ... and they grow again only once two blocks went by without one.
        note(&mut n, 8_000, RECENT - 2);
        assert_eq!(n.nap(), NAP, "the fast ones are in the last block");
        note(&mut n, 8_000, RECENT - 1);
        assert_eq!(n.nap(), NAP);
        note(&mut n, 8_000, 1);
        assert_eq!(n.nap(), Duration::from_micros(80));
    }

    #[test]
    fn a_nap_that_finds_nothing_backs_off() {
        let mut n = Napper::default();
        n.poll_timeout(50, false, LONG);
        assert_eq!(n.after_poll(false), Some(NAP));
        assert_eq!(n.poll_timeout(50, false, LONG), Duration::ZERO);
        assert_eq!(n.after_poll(false), None, "wasted nap: block next");
        for _ in 0..BACK_OFF {
            assert_eq!(n.poll_timeout(50, false, LONG), LONG);
            assert_eq!(n.after_poll(true), None);
        }
        assert_eq!(
            n.poll_timeout(50, false, LONG),
            Duration::ZERO,
            "naps resume"
        );
        assert_eq!(n.after_poll(false), Some(NAP));
    }
}
