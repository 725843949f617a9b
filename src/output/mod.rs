//! What a person (or a CI job) reads: the live line, the final summary, the
//! summary JSON. Everything here formats figures it is given; it measures nothing.

pub(crate) mod histogram;
pub mod json;
pub(crate) mod layout;
pub mod live;
pub mod summary;

use std::time::Duration;

/// Facts about a run that the samples alone do not hold.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    pub run_time: Duration,
    /// The planned number of users, when known.
    pub users: Option<usize>,
    /// (method, name) per task, in task order.
    pub tasks: Vec<(String, String)>,
    /// Times a worker found the recorder's channel full, when known.
    pub backpressure: Option<u64>,
    /// Requests the generator itself sent late although a connection was
    /// free, when known (see `engine::worker::LATE`).
    pub late: Option<u64>,
    /// Request bytes written, when known (the run knows; a CSV does not).
    pub bytes_sent: Option<u64>,
    /// Connections opened, when known.
    pub connections_opened: Option<u64>,
}

impl RunInfo {
    /// More than 1% of requests went out late through the generator's own
    /// fault: the figures then include its delay.
    pub fn generator_lagging(&self, requests: u64) -> bool {
        self.late.is_some_and(|late| late * 100 > requests)
    }
}

/// A histogram's value at `q` (0..=100), 0 when empty.
pub fn percentile(h: &hdrhistogram::Histogram<u64>, q: f64) -> u64 {
    if h.is_empty() {
        0
    } else {
        h.value_at_percentile(q)
    }
}

/// Milliseconds from microseconds: 2 decimals below 10 ms, 1 above.
pub fn ms(us: u64) -> String {
    ms_f(us as f64)
}

pub fn ms_f(us: f64) -> String {
    let ms = us / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

/// Requests per second over `d`, 0 for an empty span.
pub fn per_sec(count: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { count as f64 / s } else { 0.0 }
}

/// The per-task table's figure columns (after Method and Name), shared by
/// the text summary and the HTML report.
pub const TASK_COLUMNS: [&str; 9] = [
    "Requests", "Fails", "RPS", "Median", "Avg", "Min", "Max", "p90", "p99",
];

/// One task's figures for `TASK_COLUMNS`, latencies in ms.
pub fn task_figures(t: &crate::record::stats::Tally, run_time: Duration) -> [String; 9] {
    [
        t.requests.to_string(),
        t.failures.to_string(),
        format!("{:.1}", per_sec(t.requests, run_time)),
        ms(t.percentile_us(50.0)),
        ms_f(t.mean_us()),
        ms(t.min_us()),
        ms(t.max_us()),
        ms(t.percentile_us(90.0)),
        ms(t.percentile_us(99.0)),
    ]
}

/// The percentiles of the latency distribution, with their labels.
pub const DISTRIBUTION: [(&str, &str, f64); 7] = [
    ("p50", "p50", 50.0),
    ("p75", "p75", 75.0),
    ("p90", "p90", 90.0),
    ("p95", "p95", 95.0),
    ("p99", "p99", 99.0),
    ("p99.9", "p99_9", 99.9),
    ("p99.99", "p99_99", 99.99),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_has_two_decimals_below_ten() {
        assert_eq!(ms(1234), "1.23");
        assert_eq!(ms(9994), "9.99");
        assert_eq!(ms(12_345), "12.3");
        assert_eq!(ms(0), "0.00");
    }

    #[test]
    fn per_sec_handles_zero_spans() {
        assert_eq!(per_sec(10, Duration::ZERO), 0.0);
        assert_eq!(per_sec(10, Duration::from_millis(500)), 20.0);
    }
}
