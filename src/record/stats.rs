//! Running figures: one `Tally` per task, one in total, plus counts by status
//! and error kind. Every number in the live line and the summary comes from here.

use super::sample::{ErrorKind, Sample};
use hdrhistogram::Histogram;

/// Latency histograms cover 1 µs to 1 h at 3 significant digits.
const HIST_MAX_US: u64 = 3_600_000_000;

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 3).expect("static histogram bounds are valid")
}

/// Figures for one group of requests: a task, the whole run, or one interval.
#[derive(Clone, Debug)]
pub struct Tally {
    /// Latency from the due moment, in µs.
    pub latency: Histogram<u64>,
    pub requests: u64,
    pub failures: u64,
    pub bytes: u64,
    /// The longest wait before a request was written, in µs.
    pub max_wait_us: u64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            latency: new_histogram(),
            requests: 0,
            failures: 0,
            bytes: 0,
            max_wait_us: 0,
        }
    }
}

impl Tally {
    pub fn add(&mut self, s: &Sample) {
        self.latency.saturating_record(s.latency_us);
        self.requests += 1;
        self.failures += s.is_failure() as u64;
        self.bytes += s.bytes;
        self.max_wait_us = self.max_wait_us.max(s.wait_us);
    }

    pub fn merge(&mut self, other: &Tally) {
        // Both histograms share the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.requests += other.requests;
        self.failures += other.failures;
        self.bytes += other.bytes;
        self.max_wait_us = self.max_wait_us.max(other.max_wait_us);
    }

    pub fn reset(&mut self) {
        self.latency.reset();
        self.requests = 0;
        self.failures = 0;
        self.bytes = 0;
        self.max_wait_us = 0;
    }

    /// Latency at `q` (0..=100), in µs; 0 when empty.
    pub fn percentile_us(&self, q: f64) -> u64 {
        if self.requests == 0 {
            0
        } else {
            self.latency.value_at_percentile(q)
        }
    }

    pub fn mean_us(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.latency.mean()
        }
    }

    pub fn min_us(&self) -> u64 {
        if self.requests == 0 {
            0
        } else {
            self.latency.min()
        }
    }

    pub fn max_us(&self) -> u64 {
        if self.requests == 0 {
            0
        } else {
            self.latency.max()
        }
    }

    pub fn failure_pct(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            100.0 * self.failures as f64 / self.requests as f64
        }
    }
}

/// Everything recorded in a run.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Indexed by task id.
    pub tasks: Vec<Tally>,
    pub total: Tally,
    /// Time from the due moment until the first byte was written, in µs.
    pub wait: Histogram<u64>,
    /// Latency less wait: the server's share, in µs.
    pub service: Histogram<u64>,
    /// Indexed by status code; 0 means no response.
    status: Box<[u64; 1000]>,
    errors: [u64; ErrorKind::ALL.len()],
}

impl Stats {
    pub fn new(task_count: usize) -> Stats {
        Stats {
            tasks: vec![Tally::default(); task_count],
            total: Tally::default(),
            wait: new_histogram(),
            service: new_histogram(),
            status: Box::new([0; 1000]),
            errors: [0; ErrorKind::ALL.len()],
        }
    }

    /// Make room for `count` tasks: a CSV reveals its tasks as it is read.
    pub fn ensure_tasks(&mut self, count: usize) {
        if self.tasks.len() < count {
            self.tasks.resize_with(count, Tally::default);
        }
    }

    pub fn add(&mut self, s: &Sample) {
        self.total.add(s);
        self.wait.saturating_record(s.wait_us);
        self.service
            .saturating_record(s.latency_us.saturating_sub(s.wait_us));
        if let Some(task) = self.tasks.get_mut(s.task as usize) {
            task.add(s);
        }
        self.status[(s.status as usize).min(999)] += 1;
        if let Some(e) = s.error {
            self.errors[e as usize] += 1;
        }
    }

    pub fn merge(&mut self, other: &Stats) {
        self.total.merge(&other.total);
        let _ = self.wait.add(&other.wait);
        let _ = self.service.add(&other.service);
        for (mine, theirs) in self.tasks.iter_mut().zip(&other.tasks) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.status.iter_mut().zip(other.status.iter()) {
            *mine += theirs;
        }
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
    }

    /// Non-zero counts by status code, ascending; status 0 means no response.
    pub fn status_counts(&self) -> Vec<(u16, u64)> {
        (0..1000u16)
            .zip(self.status.iter().copied())
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Non-zero counts by error kind, in `ErrorKind::ALL` order.
    pub fn error_counts(&self) -> Vec<(ErrorKind, u64)> {
        ErrorKind::ALL
            .into_iter()
            .zip(self.errors)
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Requests that got a complete response (whatever its status).
    pub fn responses(&self) -> u64 {
        self.total.requests - self.errors.iter().sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(task: u16, latency_us: u64, status: u16, error: Option<ErrorKind>) -> Sample {
        Sample {
            elapsed_us: 0,
            latency_us,
            wait_us: 0,
            bytes: 10,
            status,
            task,
            error,
        }
    }

    #[test]
    fn counts_by_task_status_and_error() {
        let mut st = Stats::new(2);
        st.add(&sample(0, 100, 200, None));
        st.add(&sample(1, 200, 500, None));
        st.add(&sample(1, 300, 0, Some(ErrorKind::Timeout)));
        assert_eq!(st.total.requests, 3);
        assert_eq!(st.total.failures, 2);
        assert_eq!(st.tasks[0].requests, 1);
        assert_eq!(st.tasks[1].failures, 2);
        assert_eq!(st.status_counts(), vec![(0, 1), (200, 1), (500, 1)]);
        assert_eq!(st.error_counts(), vec![(ErrorKind::Timeout, 1)]);
        assert_eq!(st.responses(), 2);
        assert_eq!(st.total.bytes, 30);
    }

    #[test]
    fn merging_equals_recording_together() {
        let (mut a, mut b, mut both) = (Stats::new(1), Stats::new(1), Stats::new(1));
        for i in 0..100 {
            let s = sample(0, i * 37 + 1, 200, None);
            if i % 2 == 0 {
                a.add(&s)
            } else {
                b.add(&s)
            }
            both.add(&s);
        }
        a.merge(&b);
        assert_eq!(a.total.latency, both.total.latency);
        assert_eq!(a.status_counts(), both.status_counts());
    }

    #[test]
    fn empty_tally_has_zero_figures() {
        let t = Tally::default();
        assert_eq!((t.percentile_us(99.0), t.min_us(), t.max_us()), (0, 0, 0));
        assert_eq!(t.failure_pct(), 0.0);
    }

    #[test]
    fn huge_latencies_saturate_instead_of_failing() {
        let mut t = Tally::default();
        t.add(&sample(0, u64::MAX, 200, None));
        assert_eq!(t.requests, 1);
        assert!(t.max_us() >= HIST_MAX_US);
    }
}
