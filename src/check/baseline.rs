//! Regression against a baseline run.
//!
//! `--baseline BASE.csv --max-regression PCT [--min-change D]` compares
//! p50, p90, p99 and throughput (RPS) of the run, in total or for one
//! `--task`, with the same figures of the baseline run, and says for each
//! PASS, FAIL or INCONCLUSIVE.
//!
//! **Second by second.** Each run is cut into its whole seconds of
//! completions (the first, with the ramp-up, and the last, partial, are
//! dropped) and each figure is measured in each second: its requests, and
//! the p50, p90 and p99 of the requests that completed in it. How much a
//! figure moves from second to second within a run is what chance, the
//! box's hiccups included, can do to it; a test that takes a run's
//! requests as independent samples misses that, and called identical runs
//! different (p50 0.049 ms against 0.061 ms, "significant").
//!
//! **The change.** The Hodges-Lehmann shift between the two runs'
//! per-second figures, with distribution-free bounds that each hold with
//! 99% confidence (see `shift`). A second in which the box stalled moves
//! the bounds by one rank, not by its size. Positive is worse: latencies
//! up, requests down.
//!
//! **The allowance.** A figure may get worse by PCT percent of the
//! baseline's (the median of its seconds); a latency also by D (default
//! 1 ms), whichever is larger. The floor is there because
//! sub-millisecond latencies on a shared box move by hundreds of percent
//! between identical runs (a p90 of 0.115 ms against 0.640 ms was seen),
//! which says nothing about the service.
//!
//! **The verdict.**
//! - PASS when the upper bound of the change is within the allowance;
//! - FAIL when its lower bound is beyond the allowance;
//! - INCONCLUSIVE when the bounds straddle it, and when the data are too
//!   few to bound the change at all: fewer than about 5 whole seconds in
//!   a run (4 and 5, or 3 and 7; never fewer than `MIN_SECONDS`), or
//!   seconds too small for a percentile to be more than the second's
//!   slowest request (p99 needs a typical second of 100 requests, p90 of
//!   10).
//!
//! The seconds are taken as independent of each other; a slow drift
//! across a run, or a box busier during one whole run than during the
//! other, is not noise this can see, and is what the allowance is for.

use super::INTERVAL;
use super::shift::shift;
use super::verdict::{Status, Verdict, ms, ms3, num, scoped};

/// Fewer whole seconds than this in a run never decide, however long the
/// other run: one second's figure could be one hiccup of the box.
pub(crate) const MIN_SECONDS: usize = 3;

/// The percentiles compared, 0..=100.
pub(crate) const PERCENTILES: [f64; 3] = [50.0, 90.0, 99.0];

/// How much worse a figure may get.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Margin {
    /// Percent of the baseline's figure.
    pub pct: f64,
    /// The least latency change that can fail, in µs.
    pub min_change_us: f64,
}

/// One run, as the comparison sees it.
pub(crate) struct Side {
    /// Requests completed in each whole `INTERVAL`.
    pub counts: Vec<u64>,
    /// The `PERCENTILES` in µs of each whole `INTERVAL` that has requests.
    pub percentiles: Vec<[f64; 3]>,
}

/// PASS, FAIL or INCONCLUSIVE for a change between `lo` and `hi` (positive
/// is worse) against `allowance`.
pub(crate) fn judge(lo: f64, hi: f64, allowance: f64) -> Status {
    if hi <= allowance {
        Status::Pass
    } else if lo > allowance {
        Status::Fail
    } else {
        Status::Inconclusive
    }
}

/// One figure of both runs, second by second.
struct Figure {
    name: String,
    base: Vec<f64>,
    run: Vec<f64>,
    /// Latency in µs (higher is worse), or requests per second.
    latency: bool,
    /// Why the data cannot decide before any arithmetic, if so.
    too_few: Option<String>,
}

/// Compare the run with the baseline: p50, p90, p99, then RPS.
pub(crate) fn compare(base: &Side, run: &Side, margin: Margin, task: Option<&str>) -> Vec<Verdict> {
    let mut figures = Vec::new();
    let secs = INTERVAL.as_secs_f64();
    let typical = |s: &Side| {
        let counts: Vec<f64> = s.counts.iter().map(|&c| c as f64).collect();
        median(&counts).unwrap_or(0.0)
    };
    let (base_typical, run_typical) = (typical(base), typical(run));
    for (i, q) in PERCENTILES.into_iter().enumerate() {
        let label = format!("p{}", num(q));
        // Fewer, and a second's p99 is just its slowest request.
        let needed = (1.0 / (1.0 - q / 100.0)).round();
        let too_few = base_typical.min(run_typical) < needed;
        let seconds = |s: &Side| s.percentiles.iter().map(|p| p[i]).collect();
        figures.push(Figure {
            name: scoped(&format!("{label} vs baseline"), task),
            base: seconds(base),
            run: seconds(run),
            latency: true,
            too_few: too_few.then(|| {
                format!(
                    "too few requests to decide: {label} needs a typical second with at least {needed} requests in each run, or it is just the second's slowest; the baseline's have {}, the run's {}",
                    num(base_typical),
                    num(run_typical)
                )
            }),
        });
    }
    let rates = |s: &Side| s.counts.iter().map(|&c| c as f64 / secs).collect();
    figures.push(Figure {
        name: scoped("rps vs baseline", task),
        base: rates(base),
        run: rates(run),
        latency: false,
        too_few: None,
    });
    figures.iter().map(|f| verdict(f, margin)).collect()
}

/// The middle value, the figure of a typical second.
fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn verdict(f: &Figure, margin: Margin) -> Verdict {
    let show = |v: f64| if f.latency { ms3(v) } else { num(v) };
    let signed_show = |v: f64| format!("{}{}", sign(v), show(v.abs()));
    let medians = median(&f.base).zip(median(&f.run));
    let base = medians.map_or(0.0, |m| m.0);
    let by_pct = base * margin.pct / 100.0;
    let (limit, allowance, allowance_text) = if f.latency {
        let floor = margin.min_change_us;
        let allowance = by_pct.max(floor);
        (
            format!("worse by <= {}% or {}", num(margin.pct), ms(floor)),
            allowance,
            format!(
                "{} (the larger of {}% and {})",
                ms3(allowance),
                num(margin.pct),
                ms(floor)
            ),
        )
    } else {
        let limit = format!("worse by <= {}%", num(margin.pct));
        (
            limit,
            by_pct,
            format!("{} ({}%)", num(by_pct), num(margin.pct)),
        )
    };
    let figures = match medians {
        Some((b, r)) => format!("{} -> {}", show(b), show(r)),
        None => "no whole second".into(),
    };
    // Worse is positive: latencies up, requests down.
    let enough = f.base.len().min(f.run.len()) >= MIN_SECONDS;
    let worse = match (enough, f.latency) {
        (false, _) => None,
        (true, true) => shift(&f.base, &f.run),
        (true, false) => shift(&f.run, &f.base),
    };
    let name = f.name.clone();
    let (status, measured, message) = match (&f.too_few, worse) {
        (Some(why), _) => (
            Status::Inconclusive,
            format!("{figures}, too few requests"),
            format!("{name}: {why}"),
        ),
        (None, None) => (
            Status::Inconclusive,
            format!("{figures}, too short"),
            format!(
                "{name}: too short to decide: each run needs about 5 whole seconds between its first and last (7 s of load) for a bound at the 1% level; the baseline has {}, the run {}",
                f.base.len(),
                f.run.len()
            ),
        ),
        (None, Some(w)) => {
            let status = judge(w.lo, w.hi, allowance);
            let pct = if base > 0.0 {
                format!(", {}", signed(100.0 * w.estimate / base))
            } else {
                String::new()
            };
            let bounds = format!("{}..{}", signed_show(w.lo), signed_show(w.hi));
            let change = format!(
                "worse by {}{pct} (98% between {bounds}), medians of the seconds {figures}",
                signed_show(w.estimate)
            );
            let message = match status {
                Status::Pass => {
                    format!("{name}: {change}: within the allowance of {allowance_text}")
                }
                Status::Fail => {
                    format!("{name}: {change}: beyond the allowance of {allowance_text}")
                }
                Status::Inconclusive => format!(
                    "{name}: {change}: the bounds straddle the allowance of {allowance_text}, so the runs cannot tell; run longer, or set the allowance with --max-regression{}",
                    if f.latency { " or --min-change" } else { "" }
                ),
            };
            (status, format!("{figures}, worse by {bounds}"), message)
        }
    };
    Verdict {
        name,
        limit,
        measured,
        status,
        message,
    }
}

fn sign(v: f64) -> &'static str {
    if v < 0.0 { "-" } else { "+" }
}

fn signed(pct: f64) -> String {
    if pct.is_infinite() {
        "+inf%".into()
    } else {
        let rounded = (pct * 10.0).round() / 10.0;
        format!("{}{}%", sign(rounded), num(rounded.abs()))
    }
}

#[cfg(test)]
#[path = "baseline_tests.rs"]
mod tests;
