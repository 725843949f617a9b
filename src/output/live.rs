//! The line printed once a second while a run goes on.

use super::{ms, per_sec};
use crate::engine::Gauges;
use crate::record::recorder::Snapshot;

/// Whether the console shows this snapshot: the final one, and every
/// interval except the sliver the run ends in (still counted in the totals).
pub fn worth_printing(snap: &Snapshot) -> bool {
    snap.is_final || snap.interval_len * 2 >= snap.elapsed.min(std::time::Duration::from_secs(1))
}

/// e.g. `[  3.0s] users 50/50 | 98123 rps | 294123 total | 0 fail (0.00%) | p50 0.41 p90 0.62 p99 1.20 max 5.30 ms`.
/// The open model shows busy connections, then the queue (requests due but
/// not yet sent) and the longest wait. The figures are for that second;
/// the final line is for the whole run.
pub fn line(snap: &Snapshot, gauges: Gauges, target_users: usize, open: bool) -> String {
    let i = snap.interval;
    let done = if snap.is_final {
        " done, whole run |"
    } else {
        ""
    };
    let who = if open {
        format!(
            "conns {}/{target_users} | queue {} | max wait {} ms",
            gauges.active,
            gauges.queued,
            ms(i.max_wait_us)
        )
    } else {
        format!("users {}/{target_users}", gauges.active)
    };
    format!(
        "[{:>6.1}s]{done} {who} | {:.0} rps | {} total | {} fail ({:.2}%) | p50 {} p90 {} p99 {} max {} ms",
        snap.elapsed.as_secs_f64(),
        per_sec(i.requests, snap.interval_len),
        snap.stats.total.requests,
        snap.stats.total.failures,
        snap.stats.total.failure_pct(),
        ms(i.percentile_us(50.0)),
        ms(i.percentile_us(90.0)),
        ms(i.percentile_us(99.0)),
        ms(i.max_us()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::stats::Tally;
    use crate::record::{Sample, Stats};
    use std::time::Duration;

    #[test]
    fn shows_the_interval_rate_and_percentiles() {
        let mut interval = Tally::default();
        let mut stats = Stats::new(1);
        for us in [1000, 2000, 3000, 4000] {
            let sample = Sample {
                elapsed_us: 0,
                latency_us: us,
                wait_us: 0,
                bytes: 0,
                status: 500,
                task: 0,
                error: None,
            };
            interval.add(&sample);
            stats.add(&sample);
        }
        let snap = Snapshot {
            elapsed: Duration::from_secs(2),
            interval: &interval,
            interval_len: Duration::from_millis(500),
            stats: &stats,
            is_final: false,
            csv_error: None,
        };
        assert_eq!(
            line(
                &snap,
                Gauges {
                    active: 3,
                    queued: 0
                },
                5,
                false
            ),
            "[   2.0s] users 3/5 | 8 rps | 4 total | 4 fail (100.00%) | p50 2.00 p90 4.00 p99 4.00 max 4.00 ms"
        );
        assert_eq!(
            line(
                &snap,
                Gauges {
                    active: 3,
                    queued: 7
                },
                5,
                true
            ),
            "[   2.0s] conns 3/5 | queue 7 | max wait 0.00 ms | 8 rps | 4 total | 4 fail (100.00%) | p50 2.00 p90 4.00 p99 4.00 max 4.00 ms"
        );
    }
}
