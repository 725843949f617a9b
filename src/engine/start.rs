//! The moment the run starts: now, or the wall-clock moment of
//! `--start-at`, which every process of a segmented run shares.

use crate::plan::start::StartAt;
use crate::signal;
use std::time::{Duration, Instant, SystemTime};

/// The longest single sleep while waiting, so that Ctrl-C and a wall
/// clock that steps (NTP) are noticed.
const STEP: Duration = Duration::from_millis(50);

/// Wait for the start moment, if there is one, and return the `Instant`
/// that stands for it (from which `elapsed_us` counts) and, with
/// `--start-at`, the skew: when this process actually started, minus the
/// moment, in µs (positive when late).
///
/// A process that comes late (within `--start-grace`, checked when the
/// plan was made) still counts from the moment: what fell due meanwhile
/// goes out at once, its wait recorded, and the files keep one time axis.
/// A stop asked for while waiting starts the run at once, to end it.
pub(super) fn moment(start_at: Option<&StartAt>) -> (Instant, Option<i64>) {
    match start_at {
        Some(start_at) => wait_for(start_at, signal::stop_requested),
        None => (Instant::now(), None),
    }
}

/// `moment` with a start, `stopped` saying whether to give up waiting.
fn wait_for(start_at: &StartAt, stopped: impl Fn() -> bool) -> (Instant, Option<i64>) {
    while !stopped() {
        match start_at.at.duration_since(SystemTime::now()) {
            Ok(left) if !left.is_zero() => std::thread::sleep(left.min(STEP)),
            _ => break,
        }
    }
    let (wall, now) = (SystemTime::now(), Instant::now());
    let us = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
    let (start, skew_us) = match wall.duration_since(start_at.at) {
        Ok(late) => (now.checked_sub(late).unwrap_or(now), us(late)),
        // Stopped while waiting (or the wall clock stepped back as the wait
        // ended): the run starts now, to end at once; the skew says how early.
        Err(early) => (now, -us(early.duration())),
    };
    (start, Some(skew_us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_the_moment_and_counts_from_it() {
        let ahead = Duration::from_millis(30);
        let at = SystemTime::now() + ahead;
        let start_at = StartAt {
            at,
            grace: Duration::from_secs(1),
            text: String::new(),
        };
        let before = Instant::now();
        // Other tests in this process set the stop flag: not looked at here.
        let (start, skew) = wait_for(&start_at, || false);
        let skew = skew.unwrap();
        // Never before the moment; the skew is what the clock said on waking.
        assert!(skew >= 0, "{skew}");
        assert!(Instant::now() >= start);
        let waited = start.saturating_duration_since(before);
        assert!(waited + Duration::from_millis(5) >= ahead, "{waited:?}");
    }

    #[test]
    fn a_late_start_counts_from_the_moment_past() {
        let late = Duration::from_millis(300);
        let start_at = StartAt {
            at: SystemTime::now() - late,
            grace: Duration::from_secs(1),
            text: String::new(),
        };
        let (start, skew) = wait_for(&start_at, || false);
        assert!(skew.unwrap() >= 300_000, "{skew:?}");
        assert!(start.elapsed() >= late);
        assert_eq!(moment(None).1, None);
    }

    #[test]
    fn a_stop_ends_the_wait_and_the_run_starts_now() {
        let start_at = StartAt {
            at: SystemTime::now() + Duration::from_secs(3600),
            grace: Duration::from_secs(1),
            text: String::new(),
        };
        let before = Instant::now();
        let (start, skew) = wait_for(&start_at, || true);
        assert!(start >= before && start <= Instant::now());
        assert!(skew.unwrap() < -3_590_000_000, "{skew:?}");
    }
}
