//! Absolute thresholds: latency percentiles and maximum, error rate, and
//! throughput, each evaluated on all requests or on one task.
//!
//! Latencies are read from the run's histograms (1 µs to 1 h, 3
//! significant digits, so each recorded value stands for a bucket about
//! 0.1% wide). A latency meets its limit when its bucket starts at or below
//! the limit: a limit equal to a recorded latency passes, and a latency
//! fails once it is over its limit by more than that resolution. Figures
//! print with 3 significant digits, the precision they have.

use super::verdict::{Status, Verdict, ms, ms3, num, scoped};
use crate::record::stats::Tally;
use std::time::Duration;

/// Relative slack for comparing floating-point figures with their limits,
/// so that 1 failure in 100 meets `--max-error-rate 1`.
const EPSILON: f64 = 1e-9;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A latency percentile, 0..=100.
    Latency(f64),
    /// The slowest request.
    Max,
    /// Failures per 100 requests.
    ErrorRate,
    /// Requests per second, at least.
    MinRps,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub kind: Kind,
    /// µs for latencies, percent for the error rate, requests/s for MinRps.
    pub limit: f64,
}

/// The figures a threshold is checked against.
pub(crate) struct Figures<'a> {
    pub tally: &'a Tally,
    /// From the start of the run to its last completion.
    pub run_time: Duration,
}

/// A latency read from a histogram: the middle of its bucket (the figure
/// to show and compare runs by) and the bottom of it (what a limit is
/// checked against).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Latency {
    pub us: u64,
    pub lowest_us: u64,
}

/// The latency at percentile `q` (0..=100), or the maximum with `None`;
/// zero with no requests.
pub(crate) fn latency(tally: &Tally, q: Option<f64>) -> Latency {
    if tally.requests == 0 {
        return Latency {
            us: 0,
            lowest_us: 0,
        };
    }
    let h = tally.latency();
    let v = match q {
        Some(q) => h.value_at_percentile(q),
        None => h.max(),
    };
    Latency {
        us: h.median_equivalent(v),
        lowest_us: h.lowest_equivalent(v),
    }
}

fn percentile_name(q: f64) -> String {
    format!("p{}", num(q).replace('.', ""))
}

pub(crate) fn evaluate(t: &Threshold, figures: &Figures, task: Option<&str>) -> Verdict {
    let tally = figures.tally;
    let at_most = |measured: f64| measured <= t.limit * (1.0 + EPSILON);
    let (name, limit, measured, pass) = match t.kind {
        Kind::Latency(_) | Kind::Max => {
            let (name, q) = match t.kind {
                Kind::Latency(q) => (percentile_name(q), Some(q)),
                _ => ("max".to_string(), None),
            };
            let v = latency(tally, q);
            let pass = at_most(v.lowest_us as f64);
            (name, ms(t.limit), ms3(v.us as f64), pass)
        }
        Kind::ErrorRate => {
            let failures = tally.failures as f64 * 100.0;
            let requests = tally.requests as f64;
            let pass = failures <= t.limit * requests * (1.0 + EPSILON);
            let v = tally.failure_pct();
            (
                "error rate".into(),
                format!("{}%", num(t.limit)),
                format!("{}% ({} of {})", num(v), tally.failures, tally.requests),
                pass,
            )
        }
        Kind::MinRps => {
            let v = tally.rate(figures.run_time);
            let pass = v >= t.limit * (1.0 - EPSILON);
            ("rps".into(), num(t.limit), num(v), pass)
        }
    };
    let op = if t.kind == Kind::MinRps { ">=" } else { "<=" };
    let name = scoped(&name, task);
    let message = if pass {
        format!("{name} is {measured}, within the limit {op} {limit}")
    } else if t.kind == Kind::MinRps {
        format!("{name} is {measured}, under the limit {op} {limit}")
    } else {
        format!("{name} is {measured}, over the limit {op} {limit}")
    };
    Verdict {
        name,
        limit: format!("{op} {limit}"),
        measured,
        status: if pass { Status::Pass } else { Status::Fail },
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Sample;

    fn tally(latencies_us: &[u64], failures: usize) -> Tally {
        let mut t = Tally::default();
        for (i, &l) in latencies_us.iter().enumerate() {
            t.add(&Sample {
                elapsed_us: 0,
                latency_us: l,
                wait_us: 0,
                bytes: 1,
                status: if i < failures { 500 } else { 200 },
                task: 0,
                error: None,
                connect_us: 0,
                tls_us: 0,
            });
        }
        t
    }

    fn check(kind: Kind, limit: f64, t: &Tally, run_time: Duration) -> Verdict {
        let figures = Figures { tally: t, run_time };
        evaluate(&Threshold { kind, limit }, &figures, None)
    }

    /// 100 requests: 1..=100 ms.
    fn hundred() -> Tally {
        let l: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        tally(&l, 1)
    }

    #[test]
    fn latency_at_the_limit_passes_and_just_over_fails() {
        let t = hundred();
        let sec = Duration::from_secs(1);
        for (kind, at) in [
            (Kind::Latency(50.0), 50_000.0),
            (Kind::Latency(90.0), 90_000.0),
            (Kind::Latency(99.0), 99_000.0),
            (Kind::Latency(99.9), 100_000.0),
            (Kind::Max, 100_000.0),
        ] {
            let v = check(kind, at, &t, sec);
            assert_eq!(v.status, Status::Pass, "{kind:?} at the limit: {v:?}");
            // Just under the recorded value, beyond the histogram's resolution.
            let v = check(kind, at * 0.998, &t, sec);
            assert_eq!(v.status, Status::Fail, "{kind:?} just over: {v:?}");
            assert!(v.message.contains("over the limit"), "{}", v.message);
        }
        let v = check(Kind::Latency(99.0), 99_000.0, &t, sec);
        assert_eq!((v.name.as_str(), v.limit.as_str()), ("p99", "<= 99ms"));
        assert_eq!(v.measured, "99.0ms");
        assert_eq!(check(Kind::Latency(99.9), 1.0, &t, sec).name, "p999");
    }

    #[test]
    fn error_rate_at_the_limit_passes_and_just_over_fails() {
        let sec = Duration::from_secs(1);
        let t = hundred(); // 1 failure in 100
        assert_eq!(check(Kind::ErrorRate, 1.0, &t, sec).status, Status::Pass);
        assert_eq!(check(Kind::ErrorRate, 0.99, &t, sec).status, Status::Fail);
        assert_eq!(
            check(Kind::ErrorRate, 1.0, &t, sec).measured,
            "1% (1 of 100)"
        );
        let t = tally(&[1000; 1000], 1); // 0.1%
        assert_eq!(check(Kind::ErrorRate, 0.1, &t, sec).status, Status::Pass);
        assert_eq!(check(Kind::ErrorRate, 0.0999, &t, sec).status, Status::Fail);
        assert_eq!(
            check(Kind::ErrorRate, 0.0, &tally(&[5], 0), sec).status,
            Status::Pass
        );
    }

    #[test]
    fn rps_at_the_limit_passes_and_just_under_fails() {
        let t = hundred();
        let run = Duration::from_millis(500);
        let v = check(Kind::MinRps, 200.0, &t, run);
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert_eq!(v.limit, ">= 200");
        let v = check(Kind::MinRps, 200.001, &t, run);
        assert_eq!(v.status, Status::Fail);
        assert!(v.message.contains("under the limit"), "{}", v.message);
    }

    #[test]
    fn task_names_scope_the_verdict() {
        let t = hundred();
        let figures = Figures {
            tally: &t,
            run_time: Duration::from_secs(1),
        };
        let th = Threshold {
            kind: Kind::Max,
            limit: 1.0,
        };
        assert_eq!(evaluate(&th, &figures, Some("GET /a")).name, "max [GET /a]");
    }
}
