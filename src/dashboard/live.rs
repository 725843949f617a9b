//! What the live page shows. The recorder's observer updates it once a
//! second; the dashboard's thread only reads it.

use crate::engine::Gauges;
use crate::record::Stats;
use crate::record::recorder::Snapshot;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One second of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Point {
    /// End of the second, from the start of the run.
    pub t_s: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub failures: u64,
    /// Users running (closed model) or connections busy (open model).
    pub active: usize,
    /// Requests due but not yet sent (open model).
    pub queued: usize,
}

#[derive(Debug)]
pub(crate) struct Live {
    /// The target URL.
    pub target: String,
    /// The plan in words, e.g. "50 users, all at once, for 10s".
    pub plan: String,
    pub open_model: bool,
    pub duration: Duration,
    pub elapsed: Duration,
    pub points: Vec<Point>,
    /// Everything recorded so far (a copy, taken each second).
    pub stats: Stats,
    /// (method, name) per task.
    pub tasks: Vec<(String, String)>,
    /// Set when the run is over; the page then shows `summary`.
    pub finished: bool,
    /// The final text summary, as printed on stdout.
    pub summary: Option<String>,
}

pub(crate) type SharedLive = Arc<Mutex<Live>>;

impl Live {
    pub(crate) fn new(
        target: String,
        plan: String,
        open_model: bool,
        duration: Duration,
        tasks: Vec<(String, String)>,
    ) -> Live {
        Live {
            target,
            plan,
            open_model,
            duration,
            elapsed: Duration::ZERO,
            points: Vec::new(),
            stats: Stats::new(tasks.len()),
            tasks,
            finished: false,
            summary: None,
        }
    }

    pub(crate) fn remaining(&self) -> Duration {
        self.duration.saturating_sub(self.elapsed)
    }

    /// Take in one of the recorder's snapshots: a point per interval, and
    /// the figures so far.
    pub(crate) fn record(&mut self, snap: &Snapshot, gauges: Gauges) {
        self.elapsed = snap.elapsed;
        // As on the console, the sliver of a second the run ends in is
        // counted in the totals, not drawn as a point.
        if !snap.is_final && crate::output::live::worth_printing(snap) {
            let i = snap.interval;
            let ms = |q: f64| i.percentile_us(q) as f64 / 1000.0;
            self.points.push(Point {
                t_s: snap.elapsed.as_secs_f64(),
                rps: i.rate(snap.interval_len),
                p50_ms: ms(50.0),
                p90_ms: ms(90.0),
                p99_ms: ms(99.0),
                failures: i.failures,
                active: gauges.active,
                queued: gauges.queued,
            });
        }
        self.stats.clone_from(snap.stats);
    }

    /// The run is over: show its summary.
    pub(crate) fn finish(&mut self, summary: String) {
        self.finished = true;
        self.summary = Some(summary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::stats::Tally;

    #[test]
    fn snapshots_become_points() {
        let mut live = Live::new(
            "http://x/".into(),
            "plan".into(),
            false,
            Duration::from_secs(10),
            vec![],
        );
        let (interval, stats) = (Tally::default(), Stats::new(0));
        let bins = crate::record::interval_bins::IntervalBins::new(1_000_000);
        let snap = |secs, is_final| Snapshot {
            elapsed: Duration::from_secs(secs),
            interval: &interval,
            interval_len: Duration::from_secs(1),
            stats: &stats,
            so_far: Default::default(),
            is_final,
            csv_error: None,
            bins: &bins,
        };
        live.record(
            &snap(1, false),
            Gauges {
                active: 5,
                queued: 2,
            },
        );
        live.record(
            &snap(2, false),
            Gauges {
                active: 6,
                queued: 0,
            },
        );
        live.record(
            &snap(2, true),
            Gauges {
                active: 0,
                queued: 0,
            },
        );
        assert_eq!(live.points.len(), 2, "the final snapshot adds no point");
        assert_eq!((live.points[0].active, live.points[0].queued), (5, 2));
        assert_eq!(live.remaining(), Duration::from_secs(8));
        live.finish("done".into());
        assert!(live.finished && live.summary.as_deref() == Some("done"));
    }
}
