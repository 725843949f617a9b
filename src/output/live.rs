//! The line printed once a second while a run goes on.

use super::layout::hang;
use super::ms;
use crate::engine::Gauges;
use crate::record::recorder::Snapshot;
use std::time::Duration;

/// Whether the console shows this snapshot: the final one, and every
/// interval except the sliver the run ends in (still counted in the totals).
pub(crate) fn worth_printing(snap: &Snapshot) -> bool {
    snap.is_final || snap.interval_len * 2 >= snap.elapsed.min(Duration::from_secs(1))
}

/// What the live line knows of the plan and of how the run is going.
pub(crate) struct LineContext {
    /// Users (closed model) or the connection cap (open model).
    pub users: usize,
    pub open: bool,
    /// The planned run time, for the progress.
    pub duration: Duration,
    /// `-n`: the planned request count, shown as the progress when it
    /// alone bounds the run.
    pub requests: Option<u64>,
    /// A stop was asked for (Ctrl-C, a signal, the dashboard's Stop).
    pub stopping: bool,
    /// Columns the line may take (the terminal's, or 80).
    pub width: usize,
}

/// e.g. `[   3.0s/20s] users 50/50 | 98123 rps | 294123 total | 0 fail (0.00%) | p50 0.41 p90 0.62 p99 1.20 max 5.30 ms`.
/// The open model shows busy connections, then the queue (requests due but
/// not yet sent) and the longest wait. The rate and percentiles are for
/// that second, and the totals count what completed by its end; the final
/// line is for the whole run. Wider than `ctx.width`, it carries on on a
/// second line, indented under the figures, rather than lose one.
pub(crate) fn line(snap: &Snapshot, gauges: Gauges, ctx: &LineContext) -> String {
    let i = snap.interval;
    let mut parts = Vec::with_capacity(8);
    match (snap.is_final, ctx.stopping) {
        (true, true) => parts.push("stopped early, whole run".to_string()),
        (true, false) => parts.push("done, whole run".to_string()),
        (false, true) => parts.push("stopping".to_string()),
        (false, false) => {}
    }
    if ctx.open {
        parts.push(format!("conns {}/{}", gauges.active, ctx.users));
        parts.push(format!("queue {}", gauges.queued));
        parts.push(format!("max wait {} ms", ms(i.max_wait_us)));
    } else {
        parts.push(format!("users {}/{}", gauges.active, ctx.users));
    }
    let rate = if snap.is_final {
        snap.stats.rate()
    } else {
        i.rate(snap.interval_len)
    };
    parts.push(format!("{rate:.0} rps"));
    parts.push(format!("{} total", snap.so_far.requests));
    parts.push(format!(
        "{} fail ({:.2}%)",
        snap.so_far.failures,
        snap.so_far.failure_pct()
    ));
    parts.push(format!(
        "p50 {} p90 {} p99 {} max {} ms",
        ms(i.percentile_us(50.0)),
        ms(i.percentile_us(90.0)),
        ms(i.percentile_us(99.0)),
        ms(i.max_us()),
    ));
    let progress = match ctx.requests {
        Some(n) if ctx.duration >= crate::units::MAX_DURATION => {
            format!(" {}/{n}", snap.so_far.requests)
        }
        _ => format!("/{:?}", ctx.duration),
    };
    let first = format!("[{:>6.1}s{progress}] ", snap.elapsed.as_secs_f64());
    hang(&first, &parts, " | ", ctx.width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::recorder::Counts;
    use crate::record::stats::Tally;
    use crate::record::{Sample, Stats};

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
                connect_us: 0,
                tls_us: 0,
            };
            interval.add(&sample);
            stats.add(&sample);
        }
        // The totals count what completed by the end of the interval (3),
        // not all that the recorder holds (4).
        let so_far = Counts {
            requests: 3,
            failures: 3,
        };
        let snap = Snapshot {
            elapsed: Duration::from_secs(2),
            interval: &interval,
            interval_len: Duration::from_millis(500),
            stats: &stats,
            so_far,
            is_final: false,
            csv_error: None,
            bins: &crate::record::interval_bins::IntervalBins::new(1_000_000),
        };
        let mut ctx = LineContext {
            users: 5,
            open: false,
            duration: Duration::from_secs(20),
            requests: None,
            stopping: false,
            width: 200,
        };
        let gauges = |active, queued| Gauges { active, queued };
        assert_eq!(
            line(&snap, gauges(3, 0), &ctx),
            "[   2.0s/20s] users 3/5 | 8 rps | 3 total | 3 fail (100.00%) | p50 2.00 p90 4.00 p99 4.00 max 4.00 ms"
        );
        ctx.open = true;
        assert_eq!(
            line(&snap, gauges(3, 7), &ctx),
            "[   2.0s/20s] conns 3/5 | queue 7 | max wait 0.00 ms | 8 rps | 3 total | 3 fail (100.00%) | p50 2.00 p90 4.00 p99 4.00 max 4.00 ms"
        );
        ctx.requests = Some(10);
        assert!(line(&snap, gauges(3, 7), &ctx).starts_with("[   2.0s/20s] conns"));
        ctx.duration = crate::units::MAX_DURATION;
        assert!(line(&snap, gauges(3, 7), &ctx).starts_with("[   2.0s 3/10] conns"));
        ctx.duration = Duration::from_secs(20);
        ctx.stopping = true;
        assert!(line(&snap, gauges(3, 7), &ctx).starts_with("[   2.0s/20s] stopping | conns"));
    }

    #[test]
    fn a_line_wider_than_the_terminal_carries_on_below_with_every_figure() {
        let mut interval = Tally::default();
        let stats = Stats::new(1);
        for us in [330, 350, 560, 1_320] {
            interval.add(&Sample {
                elapsed_us: 0,
                latency_us: us,
                wait_us: 310,
                bytes: 0,
                status: 200,
                task: 0,
                error: None,
                connect_us: 0,
                tls_us: 0,
            });
        }
        let snap = Snapshot {
            elapsed: Duration::from_secs(2),
            interval: &interval,
            interval_len: Duration::from_micros(27),
            stats: &stats,
            so_far: Counts {
                requests: 325_632,
                failures: 0,
            },
            is_final: false,
            csv_error: None,
            bins: &crate::record::interval_bins::IntervalBins::new(1_000_000),
        };
        let ctx = LineContext {
            users: 10_000,
            open: true,
            duration: Duration::from_secs(10),
            requests: None,
            stopping: true,
            width: 80,
        };
        let gauges = Gauges {
            active: 9_999,
            queued: 123_456,
        };
        let text = line(&snap, gauges, &ctx);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(
            text.starts_with("[   2.0s/10s] stopping | conns 9999/10000 | queue 123456 |"),
            "{text}"
        );
        let rest: Vec<&str> = text.lines().skip(1).collect();
        assert!(
            !rest.is_empty() && rest.iter().all(|l| l.starts_with(&" ".repeat(14))),
            "{text}"
        );
        let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for figure in [
            "queue 123456",
            "max wait 0.31 ms",
            "148148 rps",
            "325632 total",
            "0 fail (0.00%)",
            "p50 0.35 p90 1.32 p99 1.32 max 1.32 ms",
        ] {
            assert!(joined.contains(figure), "no {figure:?} in\n{text}");
        }
    }
}
