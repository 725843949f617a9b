//! Regression against a baseline run.
//!
//! `--baseline BASE.csv --max-regression PCT` compares p50, p90, p99 and
//! throughput (RPS) of the run, in total or for one `--task`, with the same
//! figures of the baseline run. A figure FAILS only when both hold:
//!
//! 1. it is worse than the baseline's by more than PCT percent (latency
//!    higher, or RPS lower), and
//! 2. the difference is statistically significant at the 1% level.
//!
//! The margin keeps the ordinary run-to-run noise of a shared machine from
//! failing a build; the significance test keeps a handful of slow requests
//! in a short run from doing so.
//!
//! **Percentiles.** For the q-quantile of n samples, the ranks
//! `n*q - z*sqrt(n*q*(1-q))` (rounded down) and `n*q + z*sqrt(n*q*(1-q))`
//! (rounded up, plus one), with z = 2.576, bound a distribution-free 99%
//! confidence interval: the number of samples below the true quantile is
//! Binomial(n, q), so the order statistics at those ranks enclose it with
//! 99% probability whatever the latency distribution. Both order statistics
//! are read from the run's HDR histogram (the lower one at the bottom of
//! its bucket, the upper one at the top), so the cost does not grow with
//! the number of requests. The regression is significant when the run's
//! lower bound lies above the baseline's upper bound; two disjoint 99%
//! intervals are a stricter test than a 1% one on the difference. When a
//! rank falls outside 1..=n the interval is unbounded on that side and the
//! figure cannot be significant: a percentile needs at least 11 samples in
//! each run for p50, about 80 for p90 and 850 for p99 before any regression
//! in it can fail the check, however large.
//!
//! **Throughput.** Each run's requests are counted per 1 s interval of
//! completion (coarser when a run is too long for that, the same for both
//! runs); the first and the last interval are partial and dropped.
//! A one-sided Welch t-test on the two sets of counts (unequal variances,
//! Welch-Satterthwaite degrees of freedom) asks whether the run's mean is
//! below the baseline's, significant when p < 0.01. A run needs at least
//! two whole intervals (4 s) for this.
//!
//! Both tests treat samples (requests, intervals) as independent. Latencies
//! under load are correlated in time, which makes the intervals too narrow
//! for very long runs; the PCT margin is what guards against that.

use super::thresholds::latency;
use super::verdict::{Verdict, ms3, num, scoped};
use crate::record::stats::Tally;
use hdrhistogram::Histogram;
use std::time::Duration;

/// The two-sided 99% quantile of the standard normal distribution.
pub const Z: f64 = 2.576;

/// The one-sided 99% quantile of the standard normal distribution.
const Z_ONE_SIDED: f64 = 2.326_348;

/// One-sided 1% critical values of Student's t for 1 to 5 degrees of freedom.
const T_CRITICAL: [f64; 5] = [31.821, 6.965, 4.541, 3.747, 3.365];

/// The percentiles compared, 0..=100.
pub const PERCENTILES: [f64; 3] = [50.0, 90.0, 99.0];

/// One run, as the comparison sees it.
pub struct Side<'a> {
    pub tally: &'a Tally,
    /// Requests completed in each whole `interval`.
    pub counts: Vec<u64>,
    /// `INTERVAL`, or coarser for a long run; the same for both sides.
    pub interval: Duration,
}

/// A 99% confidence interval for a percentile, in µs; `None` where it is
/// unbounded because the run has too few samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub lo: Option<u64>,
    pub hi: Option<u64>,
}

/// The distribution-free confidence interval for the quantile `q` (0..1).
pub fn percentile_bounds(h: &Histogram<u64>, q: f64) -> Bounds {
    let n = h.len() as f64;
    let center = n * q;
    let half = Z * (n * q * (1.0 - q)).sqrt();
    let lo_rank = (center - half).floor();
    let hi_rank = (center + half).ceil() + 1.0;
    Bounds {
        lo: (lo_rank >= 1.0).then(|| h.lowest_equivalent(value_at_rank(h, lo_rank as u64))),
        hi: (hi_rank <= n).then(|| h.highest_equivalent(value_at_rank(h, hi_rank as u64))),
    }
}

/// The `rank`-th smallest sample (1-based), as its histogram bucket's value.
fn value_at_rank(h: &Histogram<u64>, rank: u64) -> u64 {
    let mut seen = 0;
    for v in h.iter_recorded() {
        seen += v.count_at_value();
        if seen >= rank {
            return v.value_iterated_to();
        }
    }
    h.max()
}

/// Whether the run's percentile is significantly above the baseline's.
pub fn significantly_slower(base: &Histogram<u64>, run: &Histogram<u64>, q: f64) -> bool {
    match (percentile_bounds(run, q).lo, percentile_bounds(base, q).hi) {
        (Some(run_lo), Some(base_hi)) => run_lo > base_hi,
        _ => false,
    }
}

fn mean_var(xs: &[u64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// The one-sided 1% critical value of Student's t with `df` degrees of
/// freedom, rounded down (which is conservative): a table up to 5, then the
/// Cornish-Fisher expansion around the normal quantile.
pub fn t_critical(df: f64) -> f64 {
    let d = df.floor().max(1.0);
    if d <= 5.0 {
        return T_CRITICAL[d as usize - 1];
    }
    let z = Z_ONE_SIDED;
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    z + (z3 + z) / (4.0 * d)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * d * d)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * d.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92160.0 * d.powi(4))
}

/// One-sided Welch t-test: is the mean of `run` below the mean of `base`
/// with p < 0.01? `None` when either has fewer than two values.
pub fn significantly_fewer(base: &[u64], run: &[u64]) -> Option<bool> {
    if base.len() < 2 || run.len() < 2 {
        return None;
    }
    let (mb, vb) = mean_var(base);
    let (mr, vr) = mean_var(run);
    let (sb, sr) = (vb / base.len() as f64, vr / run.len() as f64);
    let se2 = sb + sr;
    if se2 == 0.0 {
        return Some(mr < mb);
    }
    let t = (mb - mr) / se2.sqrt();
    let df = se2 * se2 / (sb * sb / (base.len() - 1) as f64 + sr * sr / (run.len() - 1) as f64);
    Some(t > t_critical(df))
}

/// Percent by which `run` is worse than `base`; positive is worse.
fn worse_pct(base: f64, run: f64, higher_is_worse: bool) -> f64 {
    if base > 0.0 {
        let ratio = run / base;
        100.0
            * if higher_is_worse {
                ratio - 1.0
            } else {
                1.0 - ratio
            }
    } else if (run > 0.0) == higher_is_worse {
        f64::INFINITY
    } else {
        0.0
    }
}

fn signed(pct: f64) -> String {
    if pct.is_infinite() {
        "+inf%".into()
    } else if pct >= 0.0 {
        format!("+{}%", num((pct * 10.0).round() / 10.0))
    } else {
        format!("{}%", num((pct * 10.0).round() / 10.0))
    }
}

/// Compare the run with the baseline: p50, p90, p99, then RPS.
pub fn compare(base: &Side, run: &Side, max_regression: f64, task: Option<&str>) -> Vec<Verdict> {
    let limit = format!("worse by <= {}%", num(max_regression));
    let mut out = Vec::new();
    for q in PERCENTILES {
        let name = scoped(&format!("p{} vs baseline", num(q)), task);
        let b = latency(base.tally, Some(q)).us as f64;
        let r = latency(run.tally, Some(q)).us as f64;
        let worse = worse_pct(b, r, true);
        let significant =
            significantly_slower(&base.tally.latency(), &run.tally.latency(), q / 100.0);
        out.push(verdict(
            name,
            &limit,
            (ms3(b), ms3(r)),
            worse,
            significant,
            max_regression,
        ));
    }
    let name = scoped("rps vs baseline", task);
    let secs = run.interval.as_secs_f64();
    match significantly_fewer(&base.counts, &run.counts) {
        None => out.push(Verdict {
            message: format!(
                "{name}: too few whole {}s intervals to compare (a run needs at least {} s)",
                num(secs),
                num(4.0 * secs)
            ),
            name,
            limit,
            measured: "too short to compare".into(),
            pass: true,
        }),
        Some(significant) => {
            let b = mean_var(&base.counts).0 / secs;
            let r = mean_var(&run.counts).0 / secs;
            let worse = worse_pct(b, r, false);
            out.push(verdict(
                name,
                &limit,
                (num(b), num(r)),
                worse,
                significant,
                max_regression,
            ));
        }
    }
    out
}

fn verdict(
    name: String,
    limit: &str,
    (base, run): (String, String),
    worse: f64,
    significant: bool,
    max_regression: f64,
) -> Verdict {
    let pass = !(worse > max_regression && significant);
    let sig = if significant {
        "significant"
    } else {
        "not significant"
    };
    let measured = format!("{} ({base} -> {run}), {sig}", signed(worse));
    let message = if pass {
        format!("{name}: {measured}; within the limit {limit} or not significant")
    } else {
        format!(
            "{name}: worse by {} ({base} -> {run}), over the limit {limit}, and significant at the 1% level",
            signed(worse)
        )
    };
    Verdict {
        name,
        limit: limit.to_string(),
        measured,
        pass,
        message,
    }
}

#[cfg(test)]
#[path = "baseline_tests.rs"]
mod tests;
