//! What the live page shows. The recorder's observer updates it once a
//! second; the dashboard's thread only reads it.

use crate::record::Stats;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One second of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Point {
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
pub struct Live {
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

pub type SharedLive = Arc<Mutex<Live>>;

impl Live {
    pub fn new(
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

    pub fn remaining(&self) -> Duration {
        self.duration.saturating_sub(self.elapsed)
    }
}
