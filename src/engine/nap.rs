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
//! hundred replies when that is longer (at most 200 µs). Replies that slow
//! (1 ms or more: a deep pipeline's queue, a slow server) are also handled
//! in rounds: the worker naps after each round of replies too, so that the
//! next round is larger and costs fewer wakeups and `epoll_wait`s per
//! reply. A reply that comes during a nap waits for its end, so a nap is
//! the delay the worker adds to a latency: 10 µs (about 15 µs slept on the
//! VM), or about 1% of the shortest recent latency, plus the few µs a sleep
//! overruns. The nap after a round is chosen once its replies are handled,
//! and a nap never runs into what falls due (an arrival, a user's next
//! request after its think time, the timeout sweep, the end). Timeouts do
//! not count as replies, naps grow at most twice as long per few hundred
//! replies, and a worker with nothing in flight forgets them. A single
//! request in flight never naps, so one connection without `--pipeline`
//! measures as before.

use std::time::Duration;

/// The shortest nap: about one nginx response on this VM. Shorter naps
/// often found nothing.
const NAP: Duration = Duration::from_micros(10);
/// The longest nap, whatever the latency.
const MAX_NAP: Duration = Duration::from_micros(200);
/// A nap is at most this share of the shortest recent latency: 1/100.
const LATENCY_SHARE: u32 = 100;
/// Recent latency: the shortest of the last `RECENT` to `2 * RECENT - 1`
/// replies, so that a few fast replies among slow ones keep naps short.
const RECENT: u32 = 256;
/// Replies this slow or slower are handled in rounds: 1 ms, where a nap
/// is 10 µs, 1%.
const ROUNDS_FROM_US: u64 = 1_000;
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
    skip: u32,
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
        if in_flight == 0 {
            // Idle: the replies of before (a ramp down, a pause) say
            // nothing about the next ones.
            self.forget();
        }
        self.looking =
            self.napped || (self.nap_allowed(in_flight, queued, budget) && !self.backing_off());
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

    /// A request ended `latency_us` after it was due (replies only: a
    /// timeout's latency is the timeout's).
    #[inline]
    pub(super) fn note_latency(&mut self, latency_us: u64) {
        self.recent.note(latency_us);
    }

    fn forget(&mut self) {
        self.recent = ShortestLatency::default();
    }

    /// How long a nap lasts now (see `nap_for`).
    fn nap(&self) -> Duration {
        nap_for(self.recent.shortest()).max(NAP)
    }

    /// Replies are slow enough to be handled in rounds.
    fn rounds(&self) -> bool {
        self.recent.shortest() >= ROUNDS_FROM_US
    }

    /// After the poll, before its events are handled, `found_replies`
    /// saying whether a socket had news: true means nap once they are
    /// handled, if `nap_now` agrees.
    pub(super) fn after_poll(&mut self, found_replies: bool) -> bool {
        if !std::mem::take(&mut self.looking) {
            return false;
        }
        if std::mem::take(&mut self.napped) && !found_replies {
            self.skip = BACK_OFF;
            return false;
        }
        // Replies found: nap after them only when they are slow enough
        // that a longer nap costs them about 1%.
        !found_replies || self.rounds()
    }

    /// Once the poll's events are handled: how long to nap, given what is
    /// in flight and falls due now. The nap follows the replies just
    /// handled too.
    pub(super) fn nap_now(
        &mut self,
        in_flight: usize,
        queued: bool,
        budget: Duration,
    ) -> Option<Duration> {
        if !self.nap_allowed(in_flight, queued, budget) {
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

/// The shortest latency among the last `RECENT` to `2 * RECENT - 1`
/// replies: the shortest of the last whole block of `RECENT` and of the
/// block under way. A block's shortest may be at most twice the one
/// before, so that one block of slow replies (a server's pause) does not
/// lengthen naps at once.
#[derive(Debug)]
struct ShortestLatency {
    /// The last whole block's shortest, or 0 before the first is whole.
    last_block: u64,
    /// The shortest in the block under way (`u64::MAX` while it has none),
    /// and how many it has.
    block: u64,
    in_block: u32,
}

impl Default for ShortestLatency {
    fn default() -> Self {
        ShortestLatency {
            last_block: 0,
            block: u64::MAX,
            in_block: 0,
        }
    }
}

impl ShortestLatency {
    /// Counts one latency.
    #[inline]
    fn note(&mut self, latency_us: u64) {
        self.block = self.block.min(latency_us);
        self.in_block += 1;
        if self.in_block == RECENT {
            self.next_block();
        }
    }

    #[cold]
    fn next_block(&mut self) {
        self.last_block = match self.last_block {
            0 => self.block,
            last => self.block.min(last.saturating_mul(2)),
        };
        self.block = u64::MAX;
        self.in_block = 0;
    }

    fn shortest(&self) -> u64 {
        self.block.min(self.last_block)
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

    /// One loop turn with 50 in flight, nothing queued and no deadline
    /// near: the poll's timeout and the nap after it, if any.
    fn turn(n: &mut Napper, found: bool) -> (Duration, Option<Duration>) {
        turn_with(n, found, 50, false, LONG)
    }

    fn turn_with(
        n: &mut Napper,
        found: bool,
        in_flight: usize,
        queued: bool,
        budget: Duration,
    ) -> (Duration, Option<Duration>) {
        let timeout = n.poll_timeout(in_flight, queued, budget);
        let nap = n
            .after_poll(found)
            .then(|| n.nap_now(in_flight, queued, budget))
            .flatten();
        (timeout, nap)
    }

    fn note(n: &mut Napper, latency_us: u64, times: u32) {
        for _ in 0..times {
            n.note_latency(latency_us);
        }
    }

    const ZERO: Duration = Duration::ZERO;

    #[test]
    fn busy_worker_looks_then_naps_then_looks_again() {
        let mut n = Napper::default();
        assert_eq!(turn(&mut n, true), (ZERO, None), "found work: no nap");
        assert_eq!(turn(&mut n, false), (ZERO, Some(NAP)));
        assert_eq!(turn(&mut n, true), (ZERO, None), "look after the nap");
        assert_eq!(turn(&mut n, true), (ZERO, None));
    }

    #[test]
    fn a_queue_waiting_for_connections_blocks() {
        let mut n = Napper::default();
        assert_eq!(turn_with(&mut n, false, 50, true, LONG), (LONG, None));
    }

    #[test]
    fn one_request_in_flight_blocks() {
        let mut n = Napper::default();
        assert_eq!(turn_with(&mut n, false, 1, false, LONG), (LONG, None));
        assert_eq!(turn_with(&mut n, false, 0, false, LONG), (LONG, None));
    }

    #[test]
    fn a_deadline_near_the_nap_blocks_until_it() {
        let mut n = Napper::default();
        for soon in [NAP / 2, NAP * 2, DEADLINE_MARGIN, NAP + DEADLINE_MARGIN] {
            assert_eq!(turn_with(&mut n, false, 50, false, soon), (soon, None));
        }
        let later = DEADLINE_MARGIN + NAP + Duration::from_micros(1);
        assert_eq!(
            turn_with(&mut n, false, 50, false, later),
            (ZERO, Some(NAP))
        );
    }

    #[test]
    fn a_nap_that_finds_nothing_backs_off() {
        let mut n = Napper::default();
        assert_eq!(turn(&mut n, false), (ZERO, Some(NAP)));
        assert_eq!(turn(&mut n, false), (ZERO, None), "wasted nap: block next");
        for _ in 0..BACK_OFF {
            assert_eq!(turn(&mut n, true), (LONG, None));
        }
        assert_eq!(turn(&mut n, false), (ZERO, Some(NAP)), "naps resume");
    }

    #[test]
    fn fast_replies_are_handled_at_once() {
        let mut n = Napper::default();
        note(&mut n, 999, 2 * RECENT);
        assert_eq!(turn(&mut n, true), (ZERO, None), "under 1 ms: no rounds");
        assert_eq!(turn(&mut n, false), (ZERO, Some(NAP)));
    }

    #[test]
    fn slow_replies_come_in_rounds_a_hundredth_of_their_latency_apart() {
        let mut n = Napper::default();
        note(&mut n, 1_000, RECENT);
        assert_eq!(turn(&mut n, true), (ZERO, Some(NAP)), "from 1 ms");
        let mut n = Napper::default();
        note(&mut n, 4_000, RECENT);
        let round = Duration::from_micros(40);
        for _ in 0..3 {
            assert_eq!(
                turn(&mut n, true),
                (ZERO, Some(round)),
                "nap after the round"
            );
        }
        // A round and then nothing: the server is slow, block.
        assert_eq!(turn(&mut n, false), (ZERO, None));
        assert_eq!(turn(&mut n, true), (LONG, None));
    }

    #[test]
    fn a_round_naps_only_as_things_are_once_its_replies_are_handled() {
        let mut n = Napper::default();
        note(&mut n, 4_000, RECENT);
        let round = Duration::from_micros(40);
        // The poll allowed a nap; handling the replies changed that.
        let cases = [
            (
                50,
                false,
                round + DEADLINE_MARGIN,
                "something falls due within the nap",
            ),
            (1, false, LONG, "one request left in flight"),
            (50, true, LONG, "requests queued for a connection"),
        ];
        for (in_flight, queued, budget, why) in cases {
            assert_eq!(n.poll_timeout(50, false, LONG), ZERO);
            assert!(n.after_poll(true));
            assert_eq!(n.nap_now(in_flight, queued, budget), None, "{why}");
            assert_eq!(
                n.poll_timeout(50, false, LONG),
                ZERO,
                "{why}: no forced look"
            );
            assert!(n.after_poll(true));
            assert_eq!(n.nap_now(50, false, LONG), Some(round), "{why}");
            // The look after that nap.
            assert_eq!(turn(&mut n, true), (ZERO, Some(round)));
        }
    }

    #[test]
    fn a_round_naps_after_the_replies_it_handled() {
        let mut n = Napper::default();
        note(&mut n, 4_000, RECENT);
        assert_eq!(n.poll_timeout(50, false, LONG), ZERO);
        assert!(n.after_poll(true));
        note(&mut n, 2_000, 1);
        assert_eq!(n.nap_now(50, false, LONG), Some(Duration::from_micros(20)));
        assert_eq!(n.poll_timeout(50, false, LONG), ZERO);
        assert!(n.after_poll(true));
        note(&mut n, 500, 1);
        assert_eq!(n.nap_now(50, false, LONG), Some(NAP), "a fast one: 10 µs");
        assert!(!n.after_poll(true), "and no more rounds");
    }

    #[test]
    fn a_timer_event_alone_is_no_reply() {
        // The worker passes found_replies = false for its timer alone:
        // a look after a nap that only saw the timer backs off.
        let mut n = Napper::default();
        assert_eq!(turn(&mut n, false), (ZERO, Some(NAP)));
        assert_eq!(turn(&mut n, false), (ZERO, None));
        assert_eq!(n.skip, BACK_OFF);
    }

    #[test]
    fn naps_stop_at_their_longest() {
        let mut n = Napper::default();
        note(&mut n, 5_000_000, RECENT);
        assert_eq!(turn(&mut n, true), (ZERO, Some(MAX_NAP)));
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
        // ... and they grow again only once a whole block went by without
        // one, at most twice as long per block.
        note(&mut n, 8_000, RECENT - 2);
        assert_eq!(n.nap(), NAP, "the fast ones are in the last block");
        note(&mut n, 8_000, RECENT - 1);
        assert_eq!(n.nap(), NAP);
        note(&mut n, 8_000, 1);
        assert_eq!(n.nap(), NAP, "1 ms at most after 500 µs: 10 µs");
        note(&mut n, 8_000, RECENT);
        assert_eq!(n.nap(), Duration::from_micros(20));
        note(&mut n, 8_000, 2 * RECENT);
        assert_eq!(n.nap(), Duration::from_micros(80));
    }

    #[test]
    fn an_idle_worker_forgets_the_replies_of_before() {
        let mut n = Napper::default();
        note(&mut n, 8_000, RECENT);
        assert_eq!(n.nap(), Duration::from_micros(80));
        assert_eq!(n.poll_timeout(0, false, LONG), LONG);
        assert_eq!(n.nap(), NAP);
        assert_eq!(turn(&mut n, true), (ZERO, None), "no rounds");
    }
}
