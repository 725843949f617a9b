//! A small latency histogram for the terminal, as oha and hey print one:
//! a row per bucket with its count and a bar of `#`. Buckets are evenly
//! spaced on a log scale from the fastest request to the slowest, so that
//! one slow outlier does not squeeze every other request into one row.

use super::ms;
use hdrhistogram::Histogram;
use std::fmt::Write;

/// Rows at most; fewer when the spread is narrower than the labels' 10 µs.
const BUCKETS: usize = 10;
/// The longest bar, when the line has room for it.
const BAR: usize = 40;

/// (upper bound in µs, requests up to it and above the bound before) per
/// bucket, in order; empty for an empty histogram.
pub(crate) fn buckets(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let (low, high) = (h.min().max(1), h.max().max(1));
    let step = (high as f64 / low as f64).powf(1.0 / BUCKETS as f64);
    let mut bounds: Vec<u64> = Vec::with_capacity(BUCKETS);
    for i in 1..=BUCKETS {
        let bound = if i == BUCKETS {
            high
        } else {
            ((low as f64 * step.powi(i as i32)).round() as u64).min(high)
        };
        match bounds.last_mut() {
            // Two bounds that print alike would be two rows with one
            // label: the later one stands for both.
            Some(last) if ms(*last) == ms(bound) => *last = bound,
            _ => bounds.push(bound),
        }
    }
    let mut counts = vec![0; bounds.len()];
    for v in h.iter_recorded() {
        let at = bounds.partition_point(|&b| b < v.value_iterated_to());
        counts[at.min(bounds.len() - 1)] += v.count_at_value();
    }
    bounds.into_iter().zip(counts).collect()
}

/// The histogram's rows, each within `width` where it can be.
pub(crate) fn render(h: &Histogram<u64>, width: usize) -> String {
    let rows = buckets(h);
    let most = rows.iter().map(|&(_, n)| n).max().unwrap_or(0);
    let labels: Vec<String> = rows.iter().map(|&(b, _)| ms(b)).collect();
    let label_w = labels.iter().map(String::len).max().unwrap_or(0);
    let count_w = most.to_string().len();
    let bar_w = BAR
        .min(width.saturating_sub(2 + label_w + 2 + count_w + 2))
        .max(1);
    let mut out = String::new();
    for (label, &(_, n)) in labels.iter().zip(&rows) {
        // A bucket with requests always shows some bar.
        let bar = (n as u128 * bar_w as u128).div_ceil(most.max(1) as u128) as usize;
        let row = format!("  {label:>label_w$}  {n:>count_w$}  {}", "#".repeat(bar));
        let _ = writeln!(out, "{}", row.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::stats::latency_histogram;

    fn histogram(values: &[u64]) -> Histogram<u64> {
        let mut h = latency_histogram(3);
        for &v in values {
            h.record(v).unwrap();
        }
        h
    }

    #[test]
    fn buckets_hold_every_request_on_a_log_scale() {
        let mut values: Vec<u64> = (0..1000).map(|i| 200 + i % 100).collect();
        values.push(10_000_000);
        let rows = buckets(&histogram(&values));
        assert_eq!(rows.iter().map(|&(_, n)| n).sum::<u64>(), 1001);
        assert_eq!(rows.len(), BUCKETS);
        // 200 µs to 10 s in ten steps: each bound ~2.95 times the one before.
        assert_eq!(rows[0], (590, 1000));
        assert_eq!(rows.last().unwrap().1, 1, "the outlier alone");
        assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "{rows:?}");
    }

    #[test]
    fn a_narrow_spread_has_as_many_rows_as_labels_differ() {
        let rows = buckets(&histogram(&[300, 301, 302, 305, 310]));
        let labels: Vec<String> = rows.iter().map(|&(b, _)| ms(b)).collect();
        assert_eq!(labels, ["0.30", "0.31"]);
        assert_eq!(rows.iter().map(|&(_, n)| n).sum::<u64>(), 5);
        assert_eq!(buckets(&histogram(&[7, 7])), [(7, 2)]);
        assert!(buckets(&latency_histogram(3)).is_empty());
    }

    #[test]
    fn bars_scale_to_the_fullest_bucket_and_fit_the_line() {
        let mut values = vec![1000; 400];
        values.extend([10_000; 3]);
        let text = render(&histogram(&values), 80);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.first(),
            Some(&format!("  1.26  400  {}", "#".repeat(BAR)).as_str())
        );
        assert_eq!(lines.last(), Some(&"  10.0    3  #"));
        for width in [20, 30, 50] {
            let text = render(&histogram(&values), width);
            assert!(text.lines().all(|l| l.len() <= width), "{text}");
        }
    }
}
