//! What a person (or a CI job) reads: the live line, the final summary, the
//! summary JSON. Everything here formats figures it is given; it measures nothing.

pub(crate) mod histogram;
pub(crate) mod json;
pub(crate) mod layout;
pub(crate) mod live;
pub(crate) mod summary;

use crate::engine::Stalls;
use crate::plan::segment::Segment;
use crate::record::Stats;
use hdrhistogram::Histogram;
use std::borrow::Cow;
use std::time::Duration;

/// Facts about a run that the samples alone do not hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunInfo {
    pub run_time: Duration,
    /// The planned number of users, when known; in the open model, the
    /// most connections at once.
    pub users: Option<usize>,
    /// The open model: `users` is a connection cap, not users.
    pub open_model: bool,
    /// (method, name) per task, in task order.
    pub tasks: Vec<(String, String)>,
    /// Times a worker found the recorder's channel full, when known.
    pub backpressure: Option<u64>,
    /// Requests the generator itself sent late although a connection was
    /// free, when known (see `engine::worker::LATE`).
    pub late: Option<u64>,
    /// Times a worker did not get back to its connections for far longer
    /// than it meant to sleep, when known (see `engine::stall`).
    pub stalls: Option<Stalls>,
    /// Request bytes written, when known (the run knows; a CSV does not).
    pub bytes_sent: Option<u64>,
    /// Connections opened, when known.
    pub connections_opened: Option<u64>,
    /// Why the first failed TLS handshake failed, if one did.
    pub tls_problem: Option<String>,
    /// Why the server first refused a new connection's setup, if it did.
    pub init_problem: Option<String>,
    /// Per task, in task order: how the first reply that failed its
    /// `@expect` checks failed ("status 503, expected 2xx"), if one did.
    /// Empty when not known (a CSV does not say).
    pub check_failures: Vec<Option<String>>,
    /// Of those, TLS connections whose session was resumed, when known.
    pub connections_resumed: Option<u64>,
    /// Requests sent again on a new connection because the server closed
    /// the kept-alive one as they went out, when known.
    pub(crate) resent: Option<u64>,
    /// The samples carry `connect_us` and `tls_us`: a run's always do;
    /// `report`'s when a file has those columns.
    pub connection_times: bool,
    /// The part of the plan the run ran (`--segment`); None from `report`.
    pub segment: Option<Segment>,
    /// With `--start-at`: the actual start minus that moment, in µs.
    pub start_skew_us: Option<i64>,
    /// Read from HdrHistogram logs alone: there are no bytes, wait or
    /// service times, which are then left out rather than shown as 0.
    pub histograms_only: bool,
}

impl RunInfo {
    /// More than 1% of requests went out late through the generator's own
    /// fault: the figures then include its delay.
    pub(crate) fn generator_lagging(&self, requests: u64) -> bool {
        self.late.is_some_and(|late| late * 100 > requests)
    }

    /// The generator itself stalled: latencies around then include its delay.
    pub(crate) fn generator_stalled(&self) -> bool {
        self.stalls.is_some_and(|s| s.count > 0)
    }

    /// Connect times are worth a row: recorded, and connections were
    /// opened (as far as is known: a CSV does not say).
    pub(crate) fn shows_connects(&self) -> bool {
        self.connection_times && self.connections_opened.is_none_or(|n| n > 0)
    }
}

/// A histogram's value at `q` (0..=100), 0 when empty.
pub(crate) fn percentile(h: &hdrhistogram::Histogram<u64>, q: f64) -> u64 {
    if h.is_empty() {
        0
    } else {
        h.value_at_percentile(q)
    }
}

/// The most characters a console table gives a column of names (tasks,
/// methods, checks). Longer ones are cut there with an ellipsis; the JSON,
/// the HTML and the JUnit file keep them whole. It also keeps every width
/// passed to `format!` far below the 65,535 that std accepts.
pub(crate) const COLUMN_MAX: usize = 60;

/// `text` in at most `max` characters (max >= 1): cut, the last one an
/// ellipsis, when longer.
pub(crate) fn fit(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let keep = text.char_indices().nth(max - 1).map_or(0, |(i, _)| i);
            Cow::Owned(format!("{}\u{2026}", &text[..keep]))
        }
    }
}

/// Milliseconds from microseconds: 2 decimals below 10 ms, 1 above.
pub(crate) fn ms(us: u64) -> String {
    ms_f(us as f64)
}

pub(crate) fn ms_f(us: f64) -> String {
    let ms = us / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

/// Requests per second over `d`, 0 for an empty span.
pub(crate) fn per_sec(count: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { count as f64 / s } else { 0.0 }
}

/// The per-task table's figure columns (after Method and Name), shared by
/// the text summary and the HTML report.
pub(crate) const TASK_COLUMNS: [&str; 9] = [
    "Requests", "Fails", "RPS", "Median", "Avg", "Min", "Max", "p90", "p99",
];

/// One task's figures for `TASK_COLUMNS`, latencies in ms; the rate is
/// over `span`, the whole run's (`Stats::span`).
pub(crate) fn task_figures(t: &crate::record::stats::Tally, span: Duration) -> [String; 9] {
    // One histogram for every figure: a task of a few requests makes it
    // from its values, which 65,536 such tasks would otherwise do 6 times.
    let h = t.latency();
    [
        t.requests.to_string(),
        t.failures.to_string(),
        format!("{:.1}", t.rate(span)),
        ms(percentile(&h, 50.0)),
        ms_f(h.mean()),
        ms(h.min()),
        ms(h.max()),
        ms(percentile(&h, 90.0)),
        ms(percentile(&h, 99.0)),
    ]
}

/// The connection-setup table's figure columns (after the row's label),
/// shared by the text summary and the HTML report.
pub(crate) const SETUP_COLUMNS: [&str; 6] = ["count", "avg", "p50", "p90", "p99", "max"];

/// The connection-setup rows worth showing, as k6 shows
/// `http_req_connecting` and `http_req_tls_handshaking`: connect times when
/// `connects` (see `RunInfo::shows_connects`), handshake times when there
/// were handshakes. Both count only the requests that opened a connection.
pub(crate) fn setup_rows(stats: &Stats, connects: bool) -> Vec<(&'static str, &Histogram<u64>)> {
    let mut rows = Vec::new();
    if connects {
        rows.push(("connect", &stats.connect));
    }
    if !stats.tls.is_empty() {
        rows.push(("TLS handshake", &stats.tls));
    }
    rows
}

/// One connection-setup row's figures for `SETUP_COLUMNS`, in ms.
pub(crate) fn setup_figures(h: &Histogram<u64>) -> [String; 6] {
    let mean = if h.is_empty() { 0.0 } else { h.mean() };
    [
        h.len().to_string(),
        ms_f(mean),
        ms(percentile(h, 50.0)),
        ms(percentile(h, 90.0)),
        ms(percentile(h, 99.0)),
        ms(if h.is_empty() { 0 } else { h.max() }),
    ]
}

/// The percentiles of the latency distribution, with their labels.
pub(crate) const DISTRIBUTION: [(&str, &str, f64); 7] = [
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
    fn fit_cuts_long_text_with_an_ellipsis() {
        assert_eq!(fit("GET /a", 6), "GET /a");
        assert_eq!(fit("GET /ab", 6), "GET /\u{2026}");
        assert_eq!(fit("éééé", 3), "éé\u{2026}");
        assert_eq!(
            fit(&"x".repeat(70_000), COLUMN_MAX).chars().count(),
            COLUMN_MAX
        );
    }

    #[test]
    fn per_sec_handles_zero_spans() {
        assert_eq!(per_sec(10, Duration::ZERO), 0.0);
        assert_eq!(per_sec(10, Duration::from_millis(500)), 20.0);
    }
}
