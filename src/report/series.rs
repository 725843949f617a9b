//! Time series: requests bucketed by the interval they completed in (as the
//! live line counts them), each bucket with its own small histogram.

use crate::record::Sample;
use hdrhistogram::Histogram;
use std::fmt::Write;

/// Per-bucket histograms keep 2 significant digits: a bucket's p99 within
/// 1% is plenty for a chart, and memory grows with the run's length, not
/// with its requests (about 13 KB a bucket).
fn bucket_histogram() -> Histogram<u32> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("static histogram bounds are valid")
}

#[derive(Clone, Debug, Default)]
pub struct Bucket {
    pub requests: u64,
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
        self.failures += s.is_failure() as u64;
        self.bytes += s.bytes;
        self.latency
            .get_or_insert_with(bucket_histogram)
            .saturating_record(s.latency_us);
        self.busy_us = self.busy_us.saturating_add(s.latency_us);
        self.max_us = self.max_us.max(s.latency_us);
    }

    /// Latency at `q` (0..=100) in ms, the middle of its histogram bucket;
    /// 0 when empty.
    pub fn percentile_ms(&self, q: f64) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        let Some(h) = &self.latency else { return 0.0 };
        let v = h.value_at_percentile(q);
        h.median_equivalent(v).min(self.max_us) as f64 / 1000.0
    }

    pub fn mean_ms(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.busy_us as f64 / self.requests as f64 / 1000.0
        }
    }

    pub fn max_ms(&self) -> f64 {
        self.max_us as f64 / 1000.0
    }
}

/// The most intervals a time series holds: 27 hours at 1 s.
pub const MAX_INTERVALS: u64 = 100_000;

pub struct Series {
    pub interval_us: u64,
    /// Bucket i covers completions in [i, i+1) intervals from the start.
    pub total: Vec<Bucket>,
    /// Per task, when asked for.
    pub by_task: Option<Vec<Vec<Bucket>>>,
}

impl Series {
    pub fn new(interval_us: u64, by_task: bool) -> Series {
        Series {
            interval_us: interval_us.max(1),
            total: Vec::new(),
            by_task: by_task.then(Vec::new),
        }
    }

    /// Count a request in its interval. A completion more than
    /// `MAX_INTERVALS` intervals in is an error (it would take gigabytes),
    /// which says to use a longer interval.
    pub fn add(&mut self, s: &Sample) -> Result<(), String> {
        let end_us = s.elapsed_us.saturating_add(s.latency_us);
        let i = end_us / self.interval_us;
        if i >= MAX_INTERVALS {
            return Err(format!(
                "a request completing {:.0} s into the run makes more than {MAX_INTERVALS} intervals of {} s; use a longer --interval",
                end_us as f64 / 1e6,
                self.interval_us as f64 / 1e6
            ));
        }
        let i = i as usize;
        grow(&mut self.total, i).add(s);
        if let Some(tasks) = &mut self.by_task {
            let t = s.task as usize;
            if tasks.len() <= t {
                tasks.resize_with(t + 1, Vec::new);
            }
            grow(&mut tasks[t], i).add(s);
        }
        Ok(())
    }

    /// The time-series CSV: one row per interval, or per interval and task
    /// (with a `task` column) when the series was built by task.
    pub fn to_csv(&self, task_names: &[String]) -> String {
        let by_task = self.by_task.as_ref();
        let mut out = String::from("start_s");
        if by_task.is_some() {
            out.push_str(",task");
        }
        out.push_str(",requests,rps,failures,avg_ms,p50_ms,p90_ms,p99_ms,max_ms,bytes\n");
        let secs = self.interval_us as f64 / 1e6;
        let row = |out: &mut String, i: usize, task: Option<&str>, b: &Bucket| {
            let _ = write!(out, "{}", round3(i as f64 * secs));
            if let Some(task) = task {
                let _ = write!(out, ",{}", csv_field(task));
            }
            let _ = writeln!(
                out,
                ",{},{},{},{},{},{},{},{},{}",
                b.requests,
                round3(b.requests as f64 / secs),
                b.failures,
                round3(b.mean_ms()),
                round3(b.percentile_ms(50.0)),
                round3(b.percentile_ms(90.0)),
                round3(b.percentile_ms(99.0)),
                round3(b.max_ms()),
                b.bytes
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

/// Three decimals, without trailing zeros.
pub fn round3(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
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
        }
    }

    #[test]
    fn buckets_by_completion_time() {
        let mut s = Series::new(1_000_000, false);
        s.add(&sample(900, 50, 0, 200)).unwrap(); // completes at 0.95 s
        s.add(&sample(900, 150, 0, 500)).unwrap(); // completes at 1.05 s
        s.add(&sample(2500, 10, 0, 200)).unwrap();
        assert_eq!(
            s.total.iter().map(|b| b.requests).collect::<Vec<_>>(),
            vec![1, 1, 1]
        );
        assert_eq!(s.total[1].failures, 1);
        assert_eq!(
            s.to_csv(&[]),
            "start_s,requests,rps,failures,avg_ms,p50_ms,p90_ms,p99_ms,max_ms,bytes\n\
             0,1,1,0,50,50,50,50,50,10\n\
             1,1,1,1,150,150,150,150,150,10\n\
             2,1,1,0,10,10,10,10,10,10\n"
        );
    }

    #[test]
    fn by_task_has_a_row_per_task_per_interval() {
        let mut s = Series::new(500_000, true);
        s.add(&sample(0, 100, 0, 200)).unwrap();
        s.add(&sample(600, 100, 1, 200)).unwrap();
        let names = vec!["a".to_string(), "b,c".to_string()];
        assert_eq!(
            s.to_csv(&names),
            "start_s,task,requests,rps,failures,avg_ms,p50_ms,p90_ms,p99_ms,max_ms,bytes\n\
             0,a,1,2,0,100,100,100,100,100,10\n\
             0,\"b,c\",0,0,0,0,0,0,0,0,0\n\
             0.5,a,0,0,0,0,0,0,0,0,0\n\
             0.5,\"b,c\",1,2,0,100,100,100,100,100,10\n"
        );
    }

    #[test]
    fn too_many_intervals_is_an_error_not_an_abort() {
        let mut s = Series::new(1_000_000, false);
        let far = Sample {
            elapsed_us: u64::MAX,
            ..sample(0, 1, 0, 200)
        };
        assert!(s.add(&far).unwrap_err().contains("use a longer --interval"));
        assert!(s.total.is_empty());
    }

    #[test]
    fn rounds_to_three_decimals() {
        assert_eq!(round3(1.23456), "1.235");
        assert_eq!(round3(2.0), "2");
        assert_eq!(round3(0.0004), "0");
    }
}
