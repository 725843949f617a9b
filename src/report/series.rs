//! Time series: requests bucketed by the interval they completed in (as the
//! live line counts them), each bucket with its own small histogram.
//!
//! Only requests that were sent are in it: an `unsent` row only marks the
//! end of the run, and would show as a burst of "completions" there.

use crate::record::csv_out::csv_field;
use crate::record::outcomes::Outcome;
use crate::record::stats::{HIST_MAX_US, latency_histogram, record_latencies, record_latency};
use crate::record::{ErrorKind, Sample};
use crate::units::format_duration;
use hdrhistogram::Histogram;
use std::fmt::Write;
use std::time::Duration;

/// Per-bucket histograms keep 2 significant digits: a bucket's p99 within
/// 1% is plenty for a chart, and memory grows with the run's length, not
/// with its requests (at most about 13 KB a bucket).
fn bucket_histogram() -> Histogram<u32> {
    latency_histogram(2)
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Bucket {
    pub requests: u64,
    /// Requests with a complete response: what the rate counts.
    pub responses: u64,
    pub failures: u64,
    pub bytes: u64,
    /// Made when the first request lands here: an empty interval costs
    /// no histogram.
    pub latency: Option<Histogram<u32>>,
    /// Sum of the latencies of the requests that completed here, in µs:
    /// divided by the interval, the average number in flight (Little's law).
    pub busy_us: u64,
    /// Exact, unlike the histogram's 2 digits.
    pub max_us: u64,
}

impl Bucket {
    fn add(&mut self, s: &Sample) {
        self.requests += 1;
        self.responses += s.is_response() as u64;
        self.failures += s.is_failure() as u64;
        self.bytes += s.bytes;
        record_latency(
            self.latency.get_or_insert_with(bucket_histogram),
            s.latency_us,
        );
        self.busy_us = self.busy_us.saturating_add(s.latency_us);
        self.max_us = self.max_us.max(s.latency_us);
    }

    /// Take in `h`: the latencies, from an interval log, of requests that
    /// all ended with `outcome` in this interval. The sum and the maximum
    /// come from the histogram's buckets, so they are as exact as it is.
    fn add_histogram(&mut self, outcome: Outcome, h: &Histogram<u64>) {
        // A log's counts are whatever its file says: they saturate.
        let n = h.len();
        let responses = if outcome.is_response() { n } else { 0 };
        let failures = if outcome.is_failure() { n } else { 0 };
        self.requests = self.requests.saturating_add(n);
        self.responses = self.responses.saturating_add(responses);
        self.failures = self.failures.saturating_add(failures);
        let mine = self.latency.get_or_insert_with(bucket_histogram);
        for v in h.iter_recorded() {
            let (value, count) = (v.value_iterated_to().min(HIST_MAX_US), v.count_at_value());
            record_latencies(mine, value, u32::try_from(count).unwrap_or(u32::MAX));
            let busy = h.median_equivalent(value).saturating_mul(count);
            self.busy_us = self.busy_us.saturating_add(busy);
        }
        if n > 0 {
            self.max_us = self.max_us.max(h.max());
        }
    }

    /// Take in the requests of `other`, an adjacent interval.
    fn absorb(&mut self, other: Bucket) {
        self.requests += other.requests;
        self.responses += other.responses;
        self.failures += other.failures;
        self.bytes += other.bytes;
        self.busy_us = self.busy_us.saturating_add(other.busy_us);
        self.max_us = self.max_us.max(other.max_us);
        match (&mut self.latency, other.latency) {
            (Some(mine), Some(theirs)) => mine
                .add(&theirs)
                .expect("bucket histograms share their precision, and grow"),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
    }

    /// Latency at `q` (0..=100) in ms, the middle of its histogram bucket;
    /// 0 when empty.
    pub(crate) fn percentile_ms(&self, q: f64) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        let Some(h) = &self.latency else { return 0.0 };
        let v = h.value_at_percentile(q);
        h.median_equivalent(v).min(self.max_us) as f64 / 1000.0
    }

    pub(crate) fn mean_ms(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.busy_us as f64 / self.requests as f64 / 1000.0
        }
    }

    pub(crate) fn max_ms(&self) -> f64 {
        self.max_us as f64 / 1000.0
    }
}

/// The most buckets a time series holds, the total's and every task's
/// together: 27 hours at 1 s. A longer run gets coarser intervals.
pub(crate) const MAX_POINTS: usize = 100_000;

/// The coarser intervals after 1 s, each a whole multiple of the one
/// before; past the last, ten times the interval.
const COARSER_US: [u64; 4] = [10_000_000, 60_000_000, 600_000_000, 3_600_000_000];

pub(crate) struct Series {
    /// The interval asked for, or a coarser one (see `add`).
    pub interval_us: u64,
    /// Bucket i covers completions in [i, i+1) intervals from the start.
    pub total: Vec<Bucket>,
    /// Per task, when asked for.
    pub by_task: Option<Vec<Vec<Bucket>>>,
    /// Buckets in `total` and `by_task`: at most `MAX_POINTS` (or two a
    /// series at the widest interval, for absurd timestamps).
    points: usize,
    /// When the last request in the series ended, in µs from the start:
    /// the last interval lasts only until then.
    end_us: u64,
}

impl Series {
    pub(crate) fn new(interval_us: u64, by_task: bool) -> Series {
        Series {
            interval_us: interval_us.max(1),
            total: Vec::new(),
            by_task: by_task.then(Vec::new),
            points: 0,
            end_us: 0,
        }
    }

    /// Count a request in its interval. When that would take the series
    /// past `MAX_POINTS` buckets, the interval first grows (1 s, 10 s, 1 m,
    /// 10 m, 1 h, then tenfold) and the buckets so far merge into the
    /// coarser ones, exactly: memory stays bounded however long the run.
    pub(crate) fn add(&mut self, s: &Sample) {
        if s.error == Some(ErrorKind::Unsent) {
            return;
        }
        let end_us = s.elapsed_us.saturating_add(s.latency_us);
        self.end_us = self.end_us.max(end_us);
        self.place(end_us, s.task as usize, |b| b.add(s));
    }

    /// Count `h` (see `Bucket::add_histogram`), an interval log's histogram
    /// of task `task` over the interval from `start_us` lasting `length_us`;
    /// an error when that interval is not inside one of the series'.
    pub(crate) fn add_histogram(
        &mut self,
        (start_us, length_us): (u64, u64),
        task: u16,
        outcome: Outcome,
        h: &Histogram<u64>,
    ) -> Result<(), String> {
        if (start_us % self.interval_us).saturating_add(length_us) > self.interval_us {
            return Err(format!(
                "its histograms cover {}, more than the time series' intervals of {}: give --interval a whole multiple of it",
                format_duration(Duration::from_micros(length_us)),
                format_duration(Duration::from_micros(self.interval_us))
            ));
        }
        if outcome != Outcome::Error(ErrorKind::Unsent) {
            self.place(start_us, task as usize, |b| b.add_histogram(outcome, h));
        }
        Ok(())
    }

    /// The last request in the series ended at `end_us`: what a log says,
    /// which its histograms cannot.
    pub(crate) fn extend_end(&mut self, end_us: u64) {
        self.end_us = self.end_us.max(end_us);
    }

    /// Count in the interval of `at_us` (and task `t`'s) with `add`,
    /// coarsening first when the series would grow past `MAX_POINTS`.
    fn place(&mut self, at_us: u64, t: usize, add: impl Fn(&mut Bucket)) {
        // At the widest interval every series has at most two buckets.
        while self.interval_us < u64::MAX {
            let need = |len: usize| {
                (at_us / self.interval_us)
                    .saturating_add(1)
                    .saturating_sub(len as u64)
            };
            let task_len = self
                .by_task
                .as_ref()
                .map(|tasks| tasks.get(t).map_or(0, Vec::len));
            let more = need(self.total.len()).saturating_add(task_len.map_or(0, need));
            if more <= (MAX_POINTS - self.points.min(MAX_POINTS)) as u64 {
                break;
            }
            self.coarsen();
        }
        let i = (at_us / self.interval_us) as usize;
        let before = self.total.len();
        add(grow(&mut self.total, i));
        self.points += self.total.len() - before;
        if let Some(tasks) = &mut self.by_task {
            if tasks.len() <= t {
                tasks.resize_with(t + 1, Vec::new);
            }
            let before = tasks[t].len();
            add(grow(&mut tasks[t], i));
            self.points += tasks[t].len() - before;
        }
    }

    /// The next coarser interval, and the buckets merged into it.
    fn coarsen(&mut self) {
        let next = COARSER_US
            .into_iter()
            .find(|&c| {
                c > self.interval_us
                    && c.is_multiple_of(self.interval_us)
                    && c / self.interval_us <= 10
            })
            .unwrap_or(self.interval_us.saturating_mul(10));
        let k = (next / self.interval_us).max(1) as usize;
        self.interval_us = next;
        merge(&mut self.total, k);
        self.points = self.total.len();
        for buckets in self.by_task.iter_mut().flatten() {
            merge(buckets, k);
            self.points += buckets.len();
        }
    }

    /// Coarsen until the interval is at least `interval_us`: a series read
    /// alongside another, which started at the same interval and grew
    /// further, then counts over the same intervals.
    pub(crate) fn coarsen_to(&mut self, interval_us: u64) {
        while self.interval_us < interval_us {
            self.coarsen();
        }
    }

    /// How long interval `i` lasted, in µs: the whole interval, but the
    /// last, which lasted until the last request ended.
    pub(crate) fn length_us(&self, i: usize) -> u64 {
        let start = (i as u64).saturating_mul(self.interval_us);
        // At least 1 µs: a request may end on the interval's first µs.
        self.end_us.saturating_sub(start).clamp(1, self.interval_us)
    }

    /// A last interval shorter than half of one, after others: a rate
    /// over such a sliver is noise, so it is neither drawn nor given one.
    /// A run that lasted less than half an interval keeps its one.
    fn is_sliver(&self, i: usize) -> bool {
        i > 0 && i + 1 == self.total.len() && self.length_us(i) * 2 < self.interval_us
    }

    /// The intervals to draw, as (middle in s, bucket): each point stands
    /// where its figure belongs. A last interval shorter than half an
    /// interval is left out: a rate over a sliver is noise. `buckets` is
    /// the total's or a task's.
    pub(crate) fn points<'a>(&self, buckets: &'a [Bucket]) -> Vec<(f64, f64, &'a Bucket)> {
        buckets
            .iter()
            .enumerate()
            .filter(|&(i, _)| !self.is_sliver(i))
            .map(|(i, b)| {
                let len_us = self.length_us(i);
                let start = i as f64 * self.interval_us as f64;
                ((start + len_us as f64 / 2.0) / 1e6, len_us as f64 / 1e6, b)
            })
            .collect()
    }

    /// Whether the last interval is a sliver `points` leaves out.
    pub(crate) fn drops_a_sliver(&self) -> bool {
        self.is_sliver(self.total.len().saturating_sub(1))
    }

    /// A line for stderr when the interval is not the one asked for:
    /// `flag` is the `--interval` value if the user gave one.
    pub(crate) fn interval_note(&self, asked_us: u64, flag: Option<&str>) -> Option<String> {
        if self.interval_us == asked_us {
            return None;
        }
        let used = format_duration(Duration::from_micros(self.interval_us));
        Some(match flag {
            Some(text) => format!(
                "warning: --interval {text} would make more than {MAX_POINTS} time-series points; used {used}"
            ),
            None => format!(
                "a long run: time-series intervals of {used}, to stay within {MAX_POINTS} points"
            ),
        })
    }

    /// The time-series CSV: one row per interval, or per interval and task
    /// (with a `task` column) when the series was built by task.
    pub(crate) fn to_csv(&self, task_names: &[String]) -> String {
        let by_task = self.by_task.as_ref();
        let mut out = String::from("start_s");
        if by_task.is_some() {
            out.push_str(",task");
        }
        out.push_str(",requests,rps,failures,avg_ms,p50_ms,p90_ms,p99_ms,max_ms,bytes,length_s\n");
        let secs = self.interval_us as f64 / 1e6;
        let row = |out: &mut String, i: usize, task: Option<&str>, b: &Bucket| {
            let length_s = self.length_us(i) as f64 / 1e6;
            // A sliver's requests are counted; it has no rate.
            let rps = if self.is_sliver(i) {
                String::new()
            } else {
                round3(b.responses as f64 / length_s)
            };
            let _ = write!(out, "{}", round3(i as f64 * secs));
            if let Some(task) = task {
                let _ = write!(out, ",{}", csv_field(task));
            }
            let _ = writeln!(
                out,
                ",{},{},{},{},{},{},{},{},{},{}",
                b.requests,
                rps,
                b.failures,
                round3(b.mean_ms()),
                round3(b.percentile_ms(50.0)),
                round3(b.percentile_ms(90.0)),
                round3(b.percentile_ms(99.0)),
                round3(b.max_ms()),
                b.bytes,
                round3(length_s)
            );
        };
        match by_task {
            None => self
                .total
                .iter()
                .enumerate()
                .for_each(|(i, b)| row(&mut out, i, None, b)),
            Some(tasks) => {
                let empty = Bucket::default();
                for i in 0..self.total.len() {
                    for (t, name) in task_names.iter().enumerate() {
                        let b = tasks.get(t).and_then(|v| v.get(i)).unwrap_or(&empty);
                        row(&mut out, i, Some(name), b);
                    }
                }
            }
        }
        out
    }
}

fn grow(buckets: &mut Vec<Bucket>, i: usize) -> &mut Bucket {
    if buckets.len() <= i {
        buckets.resize_with(i + 1, Bucket::default);
    }
    &mut buckets[i]
}

/// Every `k` buckets in a row become one.
fn merge(buckets: &mut Vec<Bucket>, k: usize) {
    let mut merged: Vec<Bucket> = Vec::with_capacity(buckets.len().div_ceil(k));
    for (i, b) in std::mem::take(buckets).into_iter().enumerate() {
        match merged.last_mut() {
            Some(last) if i % k != 0 => last.absorb(b),
            _ => merged.push(b),
        }
    }
    *buckets = merged;
}

/// Three decimals, without trailing zeros.
pub(crate) fn round3(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests;
