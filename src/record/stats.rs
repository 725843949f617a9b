//! Running figures: one `Tally` per task, one in total, plus counts by status
//! and error kind, in total and per task. Every number in the live line and
//! the summary comes from here.

use super::outcomes::{Outcome, Outcomes};
use super::sample::{ErrorKind, Sample};
use hdrhistogram::Histogram;
use std::sync::OnceLock;

/// Latency histograms cover 1 µs to 1 h at 3 significant digits.
const HIST_MAX_US: u64 = 3_600_000_000;

/// An empty latency histogram. It starts at its smallest (2,048 counters,
/// 16 KB, exact up to 2 ms) and grows to the largest value recorded: sized
/// for 1 h from the start it took 188 KB, which a scenario of 10,000 tasks
/// paid 10,000 times over.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("static histogram bounds are valid")
}

/// Record `value` in a histogram from [`new_histogram`], clamped to 1 h.
/// (`saturating_record` would clamp to the histogram's current size instead
/// of growing it.)
fn record(h: &mut Histogram<u64>, value: u64) {
    // Cannot fail: growing to 1 h fits any usize of 32 bits or more.
    let _ = h.record(value.min(HIST_MAX_US));
}

/// Figures for one group of requests: a task, the whole run, or one interval.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Latency from the due moment, in µs. Made at the first sample, so a
    /// task that never ran costs no histogram.
    latency: Option<Histogram<u64>>,
    pub requests: u64,
    pub failures: u64,
    pub bytes: u64,
    /// The longest wait before a request was written, in µs.
    pub max_wait_us: u64,
}

impl Tally {
    pub fn add(&mut self, s: &Sample) {
        record(self.latency.get_or_insert_with(new_histogram), s.latency_us);
        self.requests += 1;
        self.failures += s.is_failure() as u64;
        self.bytes += s.bytes;
        self.max_wait_us = self.max_wait_us.max(s.wait_us);
    }

    pub fn merge(&mut self, other: &Tally) {
        if let Some(theirs) = &other.latency {
            // Ours grows to hold theirs, so adding cannot fail.
            let _ = self.latency.get_or_insert_with(new_histogram).add(theirs);
        }
        self.requests += other.requests;
        self.failures += other.failures;
        self.bytes += other.bytes;
        self.max_wait_us = self.max_wait_us.max(other.max_wait_us);
    }

    /// Latency from the due moment, in µs (empty when nothing was recorded).
    pub fn latency(&self) -> &Histogram<u64> {
        static EMPTY: OnceLock<Histogram<u64>> = OnceLock::new();
        self.latency
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(new_histogram))
    }

    /// Zero the figures, keeping the histogram's memory for reuse.
    pub fn reset(&mut self) {
        if let Some(h) = &mut self.latency {
            h.reset();
        }
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
            self.latency().value_at_percentile(q)
        }
    }

    pub fn mean_us(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.latency().mean()
        }
    }

    /// The standard deviation of the latency, in µs; 0 when empty.
    pub fn stdev_us(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.latency().stdev()
        }
    }

    pub fn min_us(&self) -> u64 {
        if self.requests == 0 {
            0
        } else {
            self.latency().min()
        }
    }

    pub fn max_us(&self) -> u64 {
        if self.requests == 0 {
            0
        } else {
            self.latency().max()
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
    /// How each task's requests ended, indexed by task id.
    outcomes: Vec<Outcomes>,
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
            outcomes: vec![Outcomes::default(); task_count],
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
            self.outcomes.resize_with(count, Outcomes::default);
        }
    }

    pub fn add(&mut self, s: &Sample) {
        self.total.add(s);
        record(&mut self.wait, s.wait_us);
        record(&mut self.service, s.latency_us.saturating_sub(s.wait_us));
        if let Some(task) = self.tasks.get_mut(s.task as usize) {
            task.add(s);
            self.outcomes[s.task as usize].add(Outcome::of(s));
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
        for (mine, theirs) in self.outcomes.iter_mut().zip(&other.outcomes) {
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

    /// Task `task`'s counts by outcome (status or error); empty for a task
    /// that never ran.
    pub fn outcomes(&self, task: usize) -> &[(Outcome, u64)] {
        self.outcomes.get(task).map_or(&[], Outcomes::counts)
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
        assert_eq!(st.outcomes(0), [(Outcome::Status(200), 1)]);
        assert_eq!(
            st.outcomes(1),
            [
                (Outcome::Status(500), 1),
                (Outcome::Error(ErrorKind::Timeout), 1)
            ]
        );
        assert_eq!(st.outcomes(7), []);
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
        assert_eq!(a.total.latency(), both.total.latency());
        assert_eq!(a.status_counts(), both.status_counts());
        assert_eq!(a.outcomes(0), both.outcomes(0));
    }

    #[test]
    fn stdev_is_the_population_standard_deviation() {
        let mut t = Tally::default();
        for us in [100, 200, 300, 400, 500] {
            t.add(&sample(0, us, 200, None));
        }
        // sqrt(((-200)² + (-100)² + 0 + 100² + 200²) / 5)
        assert!(
            (t.stdev_us() - 20_000f64.sqrt()).abs() < 0.01,
            "{}",
            t.stdev_us()
        );
    }

    #[test]
    fn empty_tally_has_zero_figures() {
        let t = Tally::default();
        assert_eq!(t.stdev_us(), 0.0);
        assert_eq!((t.percentile_us(99.0), t.min_us(), t.max_us()), (0, 0, 0));
        assert_eq!(t.failure_pct(), 0.0);
    }

    #[test]
    fn huge_latencies_saturate_instead_of_failing() {
        let mut t = Tally::default();
        t.add(&sample(0, u64::MAX, 200, None));
        assert_eq!(t.requests, 1);
        assert!(t.max_us() >= HIST_MAX_US);
        // Clamped to 1 h before it grows: 23 half-buckets of 1,024 counters.
        assert!(t.latency().distinct_values() <= 23 * 1024);
    }

    /// Latency counters held, in all of `stats`' histograms.
    fn counters(stats: &Stats) -> usize {
        let tasks: usize = stats
            .tasks
            .iter()
            .filter_map(|t| t.latency.as_ref())
            .map(|h| h.distinct_values())
            .sum();
        let others = [stats.total.latency(), &stats.wait, &stats.service];
        tasks + others.iter().map(|h| h.distinct_values()).sum::<usize>()
    }

    #[test]
    fn memory_grows_with_what_tasks_record_not_with_their_number() {
        // A histogram at its smallest holds 2,048 counters (16 KB).
        let mut st = Stats::new(10_000);
        assert!(counters(&st) <= 3 * 2048, "{}", counters(&st));
        st.add(&sample(7, 500, 200, None));
        assert!(counters(&st) <= 5 * 2048, "{}", counters(&st));
        // A slow task's histogram grows to hold it, and no further.
        st.add(&sample(8, 1_000_000, 200, None));
        let slow = st.tasks[8].latency().distinct_values();
        assert!(slow <= 11 * 1024, "{slow}");
        assert_eq!(st.tasks[8].percentile_us(50.0) / 1000, 1000);
    }
}
