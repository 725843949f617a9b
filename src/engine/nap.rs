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
//! worker sleeps a fixed few microseconds, with no socket able to wake it,
//! then looks again. Responses pile up meanwhile and are handled in a batch;
//! nobody pays for a wakeup. If a nap finds nothing either, the server is
//! slow, and the worker blocks as before and stops napping for a while.
//!
//! The price is bounded: a response can sit unread for one nap (10 µs asked,
//! about 15 µs slept on the VM), where a blocked worker took about 5 µs to
//! wake. One connection alone never naps, so single-request latency is
//! measured as before.

use std::time::Duration;

/// How long one nap asks to sleep: about one nginx response on this VM.
/// Shorter naps often found nothing; longer ones add more delay.
const NAP: Duration = Duration::from_micros(10);
/// Naps are worth it only when several requests are in flight.
const MIN_IN_FLIGHT: usize = 2;
/// A deadline this close comes first: a nap asked for 10 µs lasted about
/// 15 µs at the median on the VM, and 23 µs at p99.
const DEADLINE_MARGIN: Duration = Duration::from_micros(30);
/// Chances to nap skipped after a nap that found nothing.
const BACK_OFF: u32 = 32;

#[derive(Debug, Default)]
pub(super) struct Napper {
    /// The next poll is a look before a nap, or just after one.
    looking: bool,
    napped: bool,
    skip: u32,
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
        self.looking = self.napped || self.wants_nap(in_flight, queued, budget);
        if self.looking { Duration::ZERO } else { budget }
    }

    fn wants_nap(&mut self, in_flight: usize, queued: bool, budget: Duration) -> bool {
        // A deadline (an arrival, a timeout sweep) must not wait for a nap.
        if in_flight < MIN_IN_FLIGHT || queued || budget <= DEADLINE_MARGIN {
            return false;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return false;
        }
        true
    }

    /// After the poll: `Some(nap)` means sleep that long, then poll again.
    pub(super) fn after_poll(&mut self, found_events: bool) -> Option<Duration> {
        if !std::mem::take(&mut self.looking) {
            return None;
        }
        if std::mem::take(&mut self.napped) {
            if !found_events {
                self.skip = BACK_OFF;
            }
            return None;
        }
        if found_events {
            return None;
        }
        self.napped = true;
        Some(NAP)
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
        let later = DEADLINE_MARGIN + NAP;
        assert_eq!(n.poll_timeout(50, false, later), Duration::ZERO);
        assert_eq!(n.after_poll(false), Some(NAP));
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
