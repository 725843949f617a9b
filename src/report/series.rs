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
        self.responses += s.error.is_none() as u64;
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
        let responses = if matches!(outcome, Outcome::Status(_)) {
            n
        } else {
            0
        };
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
mod tests {
    use super::*;

    fn sample(elapsed_ms: u64, latency_ms: u64, task: u16, status: u16) -> Sample {
        Sample {
            elapsed_us: elapsed_ms * 1000,
            latency_us: latency_ms * 1000,
            wait_us: 0,
            bytes: 10,
            status,
            task,
            error: None,
            connect_us: 0,
            tls_us: 0,
        }
    }

    #[test]
    fn buckets_by_completion_time() {
        let mut s = Series::new(1_000_000, false);
        s.add(&sample(900, 50, 0, 200)); // completes at 0.95 s
        s.add(&sample(900, 150, 0, 500)); // completes at 1.05 s
        s.add(&sample(2500, 10, 0, 200));
        assert_eq!(
            s.total.iter().map(|b| b.requests).collect::<Vec<_>>(),
            vec![1, 1, 1]
        );
        assert_eq!(s.total[1].failures, 1);
        assert_eq!(
            s.to_csv(&[]),
            "start_s,requests,rps,failures,avg_ms,p50_ms,p90_ms,p99_ms,max_ms,bytes,length_s\n\
             0,1,1,0,50,50,50,50,50,10,1\n\
             1,1,1,1,150,150,150,150,150,10,1\n\
             2,1,1.961,0,10,10,10,10,10,10,0.51\n"
        );
    }

    #[test]
    fn the_last_interval_lasts_until_the_run_ended_and_a_sliver_is_not_drawn() {
        // A 3 s run: 10 requests a second, and 2 that end just after 3 s.
        let mut s = Series::new(1_000_000, false);
        for i in 0..30 {
            s.add(&sample(i * 100, 5, 0, 200));
        }
        s.add(&sample(2995, 6, 0, 200));
        s.add(&sample(2996, 5, 0, 200));
        let points = s.points(&s.total);
        assert_eq!(
            points.len(),
            3,
            "the 1 ms into the fourth second is left out"
        );
        assert!(s.drops_a_sliver());
        let last_row = s.to_csv(&[]).lines().last().unwrap().to_string();
        assert!(
            last_row.starts_with("3,2,,"),
            "a sliver has no rate: {last_row}"
        );
        for (k, &(mid, len, b)) in points.iter().enumerate() {
            assert_eq!((mid, len), (k as f64 + 0.5, 1.0));
            assert_eq!(b.responses as f64 / len, 10.0, "no false drop at the end");
        }
        // A last interval of at least half an interval is drawn, at its
        // middle, with its rate over its own length.
        let mut s = Series::new(1_000_000, false);
        s.add(&sample(0, 5, 0, 200));
        s.add(&sample(1000, 599, 0, 200));
        let points = s.points(&s.total);
        assert_eq!(points.len(), 2);
        let (mid, len, b) = points[1];
        assert!((len - 0.599).abs() < 1e-9, "{len}");
        assert!((mid - (1.0 + len / 2.0)).abs() < 1e-9);
        assert_eq!(b.responses, 1);
        assert!(!s.drops_a_sliver());
    }

    #[test]
    fn a_run_shorter_than_half_an_interval_keeps_its_one_point() {
        let mut s = Series::new(1_000_000, false);
        s.add(&sample(0, 5, 0, 200));
        s.add(&sample(300, 100, 0, 200));
        assert!(!s.drops_a_sliver());
        let points = s.points(&s.total);
        assert_eq!(points.len(), 1);
        assert!((points[0].2.responses as f64 / points[0].1 - 5.0).abs() < 1e-9);
    }

    #[test]
    fn unsent_requests_are_not_in_the_series() {
        let mut s = Series::new(1_000_000, false);
        s.add(&sample(100, 5, 0, 200));
        let mut unsent = sample(900, 2100, 0, 0);
        unsent.error = Some(ErrorKind::Unsent);
        s.add(&unsent);
        assert_eq!(s.total.len(), 1, "no bucket at the end for the unsent");
        assert_eq!(s.length_us(0), 105_000);
    }

    #[test]
    fn by_task_has_a_row_per_task_per_interval() {
        let mut s = Series::new(500_000, true);
        s.add(&sample(0, 100, 0, 200));
        s.add(&sample(600, 100, 1, 200));
        let names = vec!["a".to_string(), "b,c".to_string()];
        assert_eq!(
            s.to_csv(&names),
            "start_s,task,requests,rps,failures,avg_ms,p50_ms,p90_ms,p99_ms,max_ms,bytes,length_s\n\
             0,a,1,2,0,100,100,100,100,100,10,0.5\n\
             0,\"b,c\",0,0,0,0,0,0,0,0,0,0.5\n\
             0.5,a,0,,0,0,0,0,0,0,0,0.2\n\
             0.5,\"b,c\",1,,0,100,100,100,100,100,10,0.2\n"
        );
    }

    const DAY_MS: u64 = 24 * 3600 * 1000;

    #[test]
    fn a_year_long_run_gets_10_minute_intervals() {
        let mut s = Series::new(1_000_000, false);
        for day in [0, 1, 100, 365] {
            s.add(&sample(day * DAY_MS, 5, 0, 200));
        }
        assert_eq!(s.interval_us, 600_000_000);
        assert_eq!(s.total.len(), (365 * 144 + 1) as usize);
        assert!(s.points <= MAX_POINTS);
        let at = |day: u64| s.total[(day * 144) as usize].requests;
        assert_eq!((at(0), at(1), at(100), at(365)), (1, 1, 1, 1));
        assert_eq!(s.total.iter().map(|b| b.requests).sum::<u64>(), 4);
        assert_eq!(
            s.interval_note(1_000_000, None).unwrap(),
            "a long run: time-series intervals of 10m, to stay within 100000 points"
        );
        assert!(
            s.interval_note(1_000_000, Some("1s"))
                .unwrap()
                .starts_with("warning: --interval 1s would make more than 100000")
        );
        assert_eq!(s.interval_note(600_000_000, Some("10m")), None);
    }

    #[test]
    fn coarsening_merges_exactly() {
        // A series grown at 1 s and coarsened reads the same as one built at 10 s.
        let samples: Vec<Sample> = (0..500u64)
            .map(|i| {
                sample(
                    i * 977 % 200_000,
                    i * 31 % 5000,
                    (i % 3) as u16,
                    200 + (i % 2) as u16 * 300,
                )
            })
            .collect();
        let (mut fine, mut coarse) = (Series::new(1_000_000, true), Series::new(10_000_000, true));
        for x in &samples {
            fine.add(x);
            coarse.add(x);
        }
        fine.coarsen_to(10_000_000);
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(fine.interval_us, 10_000_000);
        assert_eq!(fine.to_csv(&names), coarse.to_csv(&names));
        assert_eq!(fine.points, coarse.points);
    }

    #[test]
    fn per_task_buckets_count_toward_the_bound() {
        // 40,000 s fits at 1 s alone, but not with three tasks beside it.
        let mut s = Series::new(1_000_000, true);
        for t in 0..3 {
            s.add(&sample(40_000_000, 1, t, 200));
        }
        assert_eq!(s.interval_us, 10_000_000);
        assert!(s.points <= MAX_POINTS, "{}", s.points);
    }

    #[test]
    fn a_finer_interval_coarsens_tenfold_then_by_the_ladder() {
        let mut s = Series::new(500_000, false);
        s.add(&sample(200_000 * 1000, 1, 0, 200));
        assert_eq!(s.interval_us, 5_000_000);
        s.add(&sample(900_000 * 1000, 1, 0, 200));
        assert_eq!(s.interval_us, 10_000_000);
    }

    #[test]
    fn an_absurd_timestamp_still_fits() {
        let mut s = Series::new(1, true);
        let far = Sample {
            elapsed_us: u64::MAX,
            ..sample(0, 1, 0, 200)
        };
        s.add(&far);
        s.add(&sample(0, 1, 65_535, 200));
        assert!(s.points <= MAX_POINTS);
        assert_eq!(s.total.iter().map(|b| b.requests).sum::<u64>(), 2);
    }

    #[test]
    fn rounds_to_three_decimals() {
        assert_eq!(round3(1.23456), "1.235");
        assert_eq!(round3(2.0), "2");
        assert_eq!(round3(0.0004), "0");
    }

    #[test]
    fn bucket_histograms_grow_clamp_at_an_hour_and_merge() {
        let mut small = Bucket::default();
        small.add(&sample(0, 1, 0, 200));
        let mut huge = Bucket::default();
        huge.add(&Sample {
            latency_us: u64::MAX,
            ..sample(0, 0, 0, 200)
        });
        small.absorb(huge);
        assert_eq!(small.requests, 2);
        let p0 = small.percentile_ms(0.0);
        assert!((0.99..=1.01).contains(&p0), "{p0}");
        let hour_ms = 3_600_000.0;
        let p100 = small.percentile_ms(100.0);
        assert!((hour_ms * 0.99..=hour_ms * 1.01).contains(&p100), "{p100}");
    }
}
