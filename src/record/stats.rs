//! Running figures: one `Tally` per task, one in total, plus counts by status
//! and error kind, in total and per task, and the connection setup times.
//! Every number in the live line and the summary comes from here.

use super::outcomes::{Outcome, Outcomes};
use super::sample::{ErrorKind, Sample};
use hdrhistogram::{Counter, Histogram};
use std::borrow::Cow;

/// Latency histograms cover 1 µs to 1 h.
pub(crate) const HIST_MAX_US: u64 = 3_600_000_000;

/// The figures of a run keep 3 significant digits.
const DIGITS: u8 = 3;

/// An empty latency histogram (µs) that keeps `digits` significant digits.
/// It starts at its smallest (at 3 digits: 2,048 counters, 16 KB, exact up
/// to 2 ms) and grows to the largest value recorded: sized for 1 h from the
/// start it took 188 KB, which a scenario of 10,000 tasks paid 10,000 times
/// over. Record into it with [`record_latency`].
pub(crate) fn latency_histogram<T: Counter>(digits: u8) -> Histogram<T> {
    Histogram::new(digits).expect("1 to 5 significant digits are valid")
}

/// Latencies a tally keeps as they are before it makes a histogram (16 KB
/// and more): a task of a few requests costs a few bytes, so a scenario or
/// a CSV of 65,536 tasks of one request each takes megabytes, not gigabytes.
const FEW: usize = 64;

/// Latencies: the first few as they are, then a histogram. A tally keeps
/// them, and so does each of the recorder's interval bins.
#[derive(Clone, Debug)]
pub(crate) enum Latencies {
    Few(Vec<u64>),
    Many(Histogram<u64>),
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies::Few(Vec::new())
    }
}

impl Latencies {
    pub(crate) fn record(&mut self, value: u64) {
        match self {
            Latencies::Many(h) => record_latency(h, value),
            Latencies::Few(few) if few.len() < FEW => few.push(value),
            Latencies::Few(_) => {
                let mut h = self.histogram().into_owned();
                record_latency(&mut h, value);
                *self = Latencies::Many(h);
            }
        }
    }

    /// Take in every value of `h` (a histogram read from an interval log),
    /// each clamped as `record_latency` clamps it. A value stands for its
    /// bucket, so the figures are those of the values recorded one by one.
    fn add_histogram(&mut self, h: &Histogram<u64>) {
        if h.is_empty() {
            return;
        }
        let mut mine = match std::mem::take(self) {
            Latencies::Many(mine) => mine,
            few @ Latencies::Few(_) => few.histogram().into_owned(),
        };
        for v in h.iter_recorded() {
            record_latencies(&mut mine, v.value_iterated_to(), v.count_at_value());
        }
        *self = Latencies::Many(mine);
    }

    /// The histogram, made on the spot from the few values kept.
    pub(crate) fn histogram(&self) -> Cow<'_, Histogram<u64>> {
        match self {
            Latencies::Many(h) => Cow::Borrowed(h),
            Latencies::Few(few) => {
                let mut h = latency_histogram(DIGITS);
                few.iter().for_each(|&v| record_latency(&mut h, v));
                Cow::Owned(h)
            }
        }
    }

    /// Forget the values, keeping the memory for reuse.
    pub(crate) fn reset(&mut self) {
        match self {
            Latencies::Many(h) => h.reset(),
            Latencies::Few(few) => few.clear(),
        }
    }
}

/// Record `value` in a histogram from [`latency_histogram`], clamped to 1 h.
/// (`saturating_record` would clamp to the histogram's current size instead
/// of growing it.)
pub(crate) fn record_latency<T: Counter>(h: &mut Histogram<T>, value: u64) {
    // Cannot fail: growing to 1 h fits any usize of 32 bits or more, and
    // counters saturate.
    let _ = h.record(value.min(HIST_MAX_US));
}

/// Record `count` latencies of `value` as [`record_latency`] records one.
pub(crate) fn record_latencies<T: Counter>(h: &mut Histogram<T>, value: u64, count: T) {
    let _ = h.record_n(value.min(HIST_MAX_US), count);
}

/// Figures for one group of requests: a task, the whole run, or one interval.
///
/// `requests` counts every row, so that totals match the CSV. The latency
/// figures and the rate leave out `unsent` rows: those requests never
/// reached the server, and their "latency" is only how long they queued
/// before the run ended (they are counted, apart, by the error counts).
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    /// Latency from the due moment, in µs, of every request but the unsent.
    latency: Latencies,
    pub requests: u64,
    /// Requests that got a complete response, whatever its status: what
    /// the server achieved, and what every rate counts.
    pub responses: u64,
    pub failures: u64,
    pub bytes: u64,
    /// The longest wait before a request was written, in µs.
    pub max_wait_us: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, s: &Sample) {
        if s.error != Some(ErrorKind::Unsent) {
            self.latency.record(s.latency_us);
        }
        self.requests += 1;
        self.responses += s.is_response() as u64;
        self.failures += s.is_failure() as u64;
        self.bytes += s.bytes;
        self.max_wait_us = self.max_wait_us.max(s.wait_us);
    }

    /// Take in `h`: the latencies, read from an interval log, of requests
    /// that all ended with `outcome`. The figures are those their rows would
    /// give, but for the bytes and waits, which a log does not hold.
    pub(crate) fn add_histogram(&mut self, outcome: Outcome, h: &Histogram<u64>) {
        let n = h.len();
        if outcome != Outcome::Error(ErrorKind::Unsent) {
            self.latency.add_histogram(h);
        }
        // A log's counts are whatever its file says: they saturate.
        let responses = if outcome.is_response() { n } else { 0 };
        let failures = if outcome.is_failure() { n } else { 0 };
        self.requests = self.requests.saturating_add(n);
        self.responses = self.responses.saturating_add(responses);
        self.failures = self.failures.saturating_add(failures);
    }

    /// Latency from the due moment, in µs (empty when nothing was recorded).
    pub(crate) fn latency(&self) -> Cow<'_, Histogram<u64>> {
        self.latency.histogram()
    }

    /// Zero the figures, keeping the histogram's memory for reuse.
    pub(crate) fn reset(&mut self) {
        self.latency.reset();
        self.requests = 0;
        self.responses = 0;
        self.failures = 0;
        self.bytes = 0;
        self.max_wait_us = 0;
    }

    /// Responses per second over `span`: the one definition of a rate,
    /// used by the live line, the summary, `report` and `check`.
    pub(crate) fn rate(&self, span: std::time::Duration) -> f64 {
        crate::output::per_sec(self.responses, span)
    }

    /// Latency at `q` (0..=100), in µs; 0 when empty.
    pub(crate) fn percentile_us(&self, q: f64) -> u64 {
        if self.requests == 0 {
            0
        } else {
            self.latency().value_at_percentile(q)
        }
    }

    pub(crate) fn mean_us(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.latency().mean()
        }
    }

    /// The standard deviation of the latency, in µs; 0 when empty.
    pub(crate) fn stdev_us(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.latency().stdev()
        }
    }

    pub(crate) fn min_us(&self) -> u64 {
        if self.requests == 0 {
            0
        } else {
            self.latency().min()
        }
    }

    pub(crate) fn max_us(&self) -> u64 {
        if self.requests == 0 {
            0
        } else {
            self.latency().max()
        }
    }

    pub(crate) fn failure_pct(&self) -> f64 {
        failure_pct(self.failures, self.requests)
    }
}

/// `failures` as a percentage of `requests`; 0 when there were none.
pub(crate) fn failure_pct(failures: u64, requests: u64) -> f64 {
    if requests == 0 {
        0.0
    } else {
        100.0 * failures as f64 / requests as f64
    }
}

/// Everything recorded in a run.
#[derive(Clone, Debug)]
pub(crate) struct Stats {
    /// Indexed by task id.
    pub tasks: Vec<Tally>,
    /// How each task's requests ended, indexed by task id.
    outcomes: Vec<Outcomes>,
    pub total: Tally,
    /// Time from the due moment until the first byte was written, in µs.
    pub wait: Histogram<u64>,
    /// Latency less wait: the server's share, in µs, of the requests that
    /// were written (a request never written has no service time).
    pub service: Histogram<u64>,
    /// TCP connect time, in µs, of the requests that opened a connection.
    /// Like `tls`, one for the whole run (not per task or interval), so it
    /// costs the same whatever the plan.
    pub connect: Histogram<u64>,
    /// TLS handshake time, in µs, of the requests that made one.
    pub tls: Histogram<u64>,
    /// The latest moment a request ended, in µs from the start: the span
    /// every whole-run rate is over, which a CSV alone also tells.
    end_us: u64,
    /// Indexed by status code; 0 means no response.
    status: Box<[u64; 1000]>,
    errors: [u64; ErrorKind::ALL.len()],
}

impl Stats {
    pub(crate) fn new(task_count: usize) -> Stats {
        Stats {
            tasks: vec![Tally::default(); task_count],
            outcomes: vec![Outcomes::default(); task_count],
            total: Tally::default(),
            wait: latency_histogram(DIGITS),
            service: latency_histogram(DIGITS),
            connect: latency_histogram(DIGITS),
            tls: latency_histogram(DIGITS),
            end_us: 0,
            status: Box::new([0; 1000]),
            errors: [0; ErrorKind::ALL.len()],
        }
    }

    /// Make room for `count` tasks: a CSV reveals its tasks as it is read.
    pub(crate) fn ensure_tasks(&mut self, count: usize) {
        if self.tasks.len() < count {
            self.tasks.resize_with(count, Tally::default);
            self.outcomes.resize_with(count, Outcomes::default);
        }
    }

    pub(crate) fn add(&mut self, s: &Sample) {
        self.total.add(s);
        record_latency(&mut self.wait, s.wait_us);
        // wait = latency: the request ended before its first byte went out
        // (unsent, expired in the queue, or a failed connect).
        if s.wait_us < s.latency_us {
            record_latency(&mut self.service, s.latency_us - s.wait_us);
        }
        // 0 means the request reused a connection (or, from an older CSV,
        // that the figure is not there): not a 0 µs connect.
        if s.connect_us > 0 {
            record_latency(&mut self.connect, s.connect_us);
        }
        if s.tls_us > 0 {
            record_latency(&mut self.tls, s.tls_us);
        }
        self.end_us = self.end_us.max(s.elapsed_us.saturating_add(s.latency_us));
        if let Some(task) = self.tasks.get_mut(s.task as usize) {
            task.add(s);
            self.outcomes[s.task as usize].add(Outcome::of(s));
        }
        self.status[(s.status as usize).min(999)] += 1;
        if let Some(e) = s.error {
            self.errors[e as usize] += 1;
        }
    }

    /// Take in `h`: the latencies, read from an interval log, of task
    /// `task`'s requests that all ended with `outcome`. What a log does not
    /// hold (bytes, wait, service, connect and TLS times, when the run
    /// ended) stays as it was: see `extend_span`.
    /// `status` is as results.csv has it (with an error, what part of one
    /// had arrived).
    pub(crate) fn add_histogram(
        &mut self,
        task: u16,
        (outcome, status): (Outcome, u16),
        h: &Histogram<u64>,
    ) {
        let n = h.len();
        self.total.add_histogram(outcome, h);
        if let Some(tally) = self.tasks.get_mut(task as usize) {
            tally.add_histogram(outcome, h);
            self.outcomes[task as usize].add_n(outcome, n);
        }
        let count = &mut self.status[(status as usize).min(999)];
        *count = count.saturating_add(n);
        if let Outcome::Error(e) = outcome {
            self.errors[e as usize] = self.errors[e as usize].saturating_add(n);
        }
    }

    /// A request ended `end_us` from the start: what a log says of the
    /// run's end, which its histograms cannot.
    pub(crate) fn extend_span(&mut self, end_us: u64) {
        self.end_us = self.end_us.max(end_us);
    }

    /// Non-zero counts by status code, ascending; status 0 means no response.
    pub(crate) fn status_counts(&self) -> Vec<(u16, u64)> {
        (0..1000u16)
            .zip(self.status.iter().copied())
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Non-zero counts by error kind, in `ErrorKind::ALL` order.
    pub(crate) fn error_counts(&self) -> Vec<(ErrorKind, u64)> {
        ErrorKind::ALL
            .into_iter()
            .zip(self.errors)
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Task `task`'s counts by outcome (status or error); empty for a task
    /// that never ran.
    pub(crate) fn outcomes(&self, task: usize) -> &[(Outcome, u64)] {
        self.outcomes.get(task).map_or(&[], Outcomes::counts)
    }

    /// Requests that got a complete response (whatever its status).
    pub(crate) fn responses(&self) -> u64 {
        self.total.responses
    }

    /// From the start to the moment the last request ended.
    pub(crate) fn span(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.end_us)
    }

    /// Responses per second over the whole run.
    pub(crate) fn rate(&self) -> f64 {
        self.total.rate(self.span())
    }

    /// Requests that fell due but were never sent (open model).
    pub(crate) fn unsent(&self) -> u64 {
        self.errors[ErrorKind::Unsent as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsent_requests_are_counted_but_have_no_latency_or_rate() {
        let mut stats = Stats::new(1);
        let at = |elapsed_us, latency_us, wait_us, status, error| Sample {
            elapsed_us,
            latency_us,
            wait_us,
            bytes: 0,
            status,
            task: 0,
            error,
            connect_us: 0,
            tls_us: 0,
        };
        // Two responses of 50 ms, written after 1 ms in the queue.
        stats.add(&at(0, 50_000, 1_000, 200, None));
        stats.add(&at(100_000, 50_000, 1_000, 200, None));
        // Queued 1 ms at the end of a 1 s run, never sent.
        stats.add(&at(999_000, 1_000, 1_000, 0, Some(ErrorKind::Unsent)));
        // Expired in the queue after a 200 ms timeout: never written.
        stats.add(&at(300_000, 200_000, 200_000, 0, Some(ErrorKind::Timeout)));
        assert_eq!(stats.total.requests, 4, "every row counts");
        assert_eq!((stats.total.responses, stats.unsent()), (2, 1));
        assert!(stats.total.min_us() > 49_000, "not the unsent row's 1 ms");
        assert_eq!(
            stats.service.len(),
            2,
            "only written requests have a service time"
        );
        assert!(stats.service.min() > 48_000);
        assert_eq!(stats.span(), std::time::Duration::from_secs(1));
        assert_eq!(stats.rate(), 2.0, "responses per second over the span");
    }

    #[test]
    fn connect_and_tls_times_count_only_the_requests_that_opened_a_connection() {
        let mut st = Stats::new(1);
        let opened = |connect_us, tls_us| Sample {
            connect_us,
            tls_us,
            ..sample(0, 5_000, 200, None)
        };
        st.add(&opened(300, 2_000));
        st.add(&opened(500, 0)); // plain, or a failed handshake
        st.add(&opened(0, 0)); // a reused connection
        st.add(&opened(0, 0));
        assert_eq!((st.connect.len(), st.tls.len()), (2, 1));
        assert_eq!((st.connect.min(), st.connect.max()), (300, 500));
        assert_eq!(st.tls.max(), 2_000);
        assert_eq!(st.total.requests, 4);
    }

    fn sample(task: u16, latency_us: u64, status: u16, error: Option<ErrorKind>) -> Sample {
        Sample {
            elapsed_us: 0,
            latency_us,
            wait_us: 0,
            bytes: 10,
            status,
            task,
            error,
            connect_us: 0,
            tls_us: 0,
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

    /// Latency counters held in the tasks' histograms, and values kept.
    fn task_memory(stats: &Stats) -> (usize, usize) {
        let (mut counters, mut values) = (0, 0);
        for t in &stats.tasks {
            match &t.latency {
                Latencies::Many(h) => counters += h.distinct_values(),
                Latencies::Few(few) => values += few.capacity(),
            }
        }
        (counters, values)
    }

    #[test]
    fn memory_grows_with_what_tasks_record_not_with_their_number() {
        let mut st = Stats::new(10_000);
        assert_eq!(task_memory(&st), (0, 0));
        // A task of a few requests keeps their values, not a histogram.
        st.add(&sample(7, 500, 200, None));
        st.add(&sample(8, 1_000_000, 200, None));
        let (counters, values) = task_memory(&st);
        assert_eq!(counters, 0);
        assert!(values <= 2 * 8, "{values}");
        assert_eq!(st.tasks[8].percentile_us(50.0) / 1000, 1000);
        // Past `FEW`, a histogram: it grows to hold the slowest, no further.
        for _ in 0..FEW {
            st.add(&sample(8, 1_000_000, 200, None));
        }
        let (counters, _) = task_memory(&st);
        assert!((2048..=11 * 1024).contains(&counters), "{counters}");
        assert_eq!(st.tasks[8].percentile_us(50.0) / 1000, 1000);
    }

    #[test]
    fn a_few_values_give_the_figures_a_histogram_gives() {
        let (mut few, mut many) = (Tally::default(), Tally::default());
        let mut h = latency_histogram(DIGITS);
        for i in 0..FEW as u64 {
            let s = sample(0, 1 + i * i * 997, 200, None);
            few.add(&s);
            record_latency(&mut h, s.latency_us);
        }
        many.latency = Latencies::Many(h);
        many.requests = few.requests;
        for q in [0.0, 50.0, 90.0, 99.0, 100.0] {
            assert_eq!(few.percentile_us(q), many.percentile_us(q), "p{q}");
        }
        assert_eq!(few.mean_us(), many.mean_us());
    }
}
