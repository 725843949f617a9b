//! `/work/{us}`: service that holds its server thread, so that the
//! server's capacity is known: `threads x 1e6 / us` requests per second.
//!
//! `/delay` parks a response on a timer and the thread serves other
//! connections meanwhile, so delays overlap and there is no capacity to
//! find. Work instead blocks the thread's event loop for its whole time:
//! every other connection of that thread waits, as behind a CPU-bound
//! handler. A thread therefore serves one `/work` request at a time, and
//! each takes `us` µs of wall time plus the few µs of parsing and writing.
//!
//! The wait sleeps, then spins its last `SPIN`: a sleep alone ends late by
//! the timer slack (50 µs by default) and the wake-up, which would lower
//! the capacity by a varying amount; a spin alone burns a core that a
//! load generator on the same box may need.

use std::time::{Duration, Instant};

/// The end of the wait is spun rather than slept: more than the default
/// timer slack and a typical wake-up together.
const SPIN: Duration = Duration::from_micros(200);

/// Hold the calling thread for `us` µs (nothing for 0).
pub(super) fn hold(us: u64) {
    if us == 0 {
        return;
    }
    let end = Instant::now() + Duration::from_micros(us);
    let sleep = Duration::from_micros(us).saturating_sub(SPIN);
    if !sleep.is_zero() {
        std::thread::sleep(sleep);
    }
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_least_the_time_asked() {
        for us in [0, 50, 1500] {
            let before = Instant::now();
            hold(us);
            assert!(before.elapsed() >= Duration::from_micros(us), "{us}");
        }
    }
}
