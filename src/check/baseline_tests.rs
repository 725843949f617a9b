use super::*;
use crate::rng::Rng;

/// `seconds` whole seconds of a run at about `rps` requests a second
/// (a few percent of noise), with log-normal latencies around `median_ms`
/// (sigma 0.5: p99 about 3.2x the median), as a loaded service gives.
fn run(seed: u64, seconds: usize, rps: f64, median_ms: f64) -> Side {
    let mut rng = Rng::new(seed);
    let mut side = Side {
        counts: Vec::new(),
        percentiles: Vec::new(),
    };
    for _ in 0..seconds {
        let n = (rps * (0.97 + 0.06 * rng.unit())) as usize;
        let mut latencies: Vec<f64> = (0..n)
            .map(|_| {
                let (u1, u2) = (rng.unit().max(1e-12), rng.unit());
                let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                median_ms * 1000.0 * (0.5 * normal).exp()
            })
            .collect();
        latencies.sort_by(f64::total_cmp);
        let at = |q: f64| latencies[((q / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1];
        side.counts.push(n as u64);
        side.percentiles.push(PERCENTILES.map(at));
    }
    side
}

const TEN_PCT: Margin = Margin {
    pct: 10.0,
    min_change_us: 1000.0,
};

fn statuses(verdicts: &[Verdict]) -> Vec<Status> {
    verdicts.iter().map(|v| v.status).collect()
}

fn all(status: Status) -> Vec<Status> {
    vec![status; 4]
}

#[test]
fn judging_a_change_against_its_allowance() {
    assert_eq!(judge(-1.0, 9.0, 10.0), Status::Pass);
    assert_eq!(judge(-1.0, 10.0, 10.0), Status::Pass);
    assert_eq!(judge(10.5, 20.0, 10.0), Status::Fail);
    assert_eq!(judge(9.0, 11.0, 10.0), Status::Inconclusive);
    // Identical constant figures and no allowance at all: still a pass.
    assert_eq!(judge(0.0, 0.0, 0.0), Status::Pass);
}

#[test]
fn identical_runs_pass() {
    let r = run(1, 30, 2000.0, 10.0);
    let v = compare(&r, &r, TEN_PCT, None);
    assert_eq!(statuses(&v), all(Status::Pass), "{v:#?}");
    // With no allowance at all, an identical run cannot pass (its bounds
    // straddle zero) but never fails.
    let none = Margin {
        pct: 0.0,
        min_change_us: 0.0,
    };
    let v = compare(&r, &r, none, None);
    assert!(v.iter().all(|v| v.status != Status::Fail), "{v:#?}");
}

#[test]
fn same_server_noise_passes() {
    let v = compare(
        &run(1, 30, 2000.0, 10.0),
        &run(2, 30, 2000.0, 10.0),
        TEN_PCT,
        None,
    );
    assert_eq!(statuses(&v), all(Status::Pass), "{v:#?}");
}

#[test]
fn thirty_percent_slower_fails() {
    let v = compare(
        &run(1, 30, 2000.0, 10.0),
        &run(2, 30, 2000.0 / 1.3, 13.0),
        TEN_PCT,
        Some("GET /a"),
    );
    assert_eq!(statuses(&v), all(Status::Fail), "{v:#?}");
    assert_eq!(v[0].name, "p50 vs baseline [GET /a]");
    assert_eq!(v[0].limit, "worse by <= 10% or 1ms");
    assert!(
        v[0].measured.starts_with("10.0ms -> 13.0ms, worse by +2."),
        "{}",
        v[0].measured
    );
    assert!(
        v[0].message.contains("beyond the allowance of 1.00ms"),
        "{}",
        v[0].message
    );
    assert!(
        v[3].measured.starts_with("2006 -> 1528.5, worse by +4"),
        "{}",
        v[3].measured
    );
}

#[test]
fn three_percent_slower_within_the_margin_passes() {
    let v = compare(
        &run(1, 30, 2000.0, 10.0),
        &run(2, 30, 2000.0 / 1.03, 10.3),
        TEN_PCT,
        None,
    );
    assert_eq!(statuses(&v), all(Status::Pass), "{v:#?}");
}

#[test]
fn a_change_near_the_margin_is_inconclusive() {
    // 10% slower against a 10% margin: the data cannot say which side.
    let v = compare(
        &run(1, 30, 2000.0, 10.0),
        &run(2, 30, 2000.0, 11.0),
        TEN_PCT,
        None,
    );
    assert_eq!(v[0].status, Status::Inconclusive, "{v:#?}");
    assert!(v[0].message.contains("straddle"), "{}", v[0].message);
}

#[test]
fn short_runs_are_inconclusive_however_large_the_drop() {
    // A 3 s run has at most two whole seconds: an 80% drop in throughput
    // and a 5x latency cannot be told from a box that paused.
    let v = compare(
        &run(1, 2, 400.0, 2.0),
        &run(2, 2, 80.0, 10.0),
        TEN_PCT,
        None,
    );
    assert_eq!(statuses(&v), all(Status::Inconclusive), "{v:#?}");
    assert_eq!(v[3].measured, "399 -> 80.5, too short");
    assert!(
        v[3].message.contains("the baseline has 2, the run 2"),
        "{}",
        v[3].message
    );
    // Four seconds each are still too few for a bound at 1%; five are enough.
    let v = compare(
        &run(1, 4, 400.0, 2.0),
        &run(2, 4, 80.0, 10.0),
        TEN_PCT,
        None,
    );
    assert_eq!(statuses(&v), all(Status::Inconclusive), "{v:#?}");
    let v = compare(
        &run(1, 5, 400.0, 2.0),
        &run(2, 5, 150.0, 10.0),
        TEN_PCT,
        None,
    );
    assert_eq!(statuses(&v), all(Status::Fail), "{v:#?}");
}

#[test]
fn a_run_of_two_seconds_never_decides_even_against_a_long_baseline() {
    let v = compare(
        &run(1, 200, 400.0, 2.0),
        &run(2, 2, 80.0, 10.0),
        TEN_PCT,
        None,
    );
    assert_eq!(statuses(&v), all(Status::Inconclusive), "{v:#?}");
    let v = compare(
        &run(1, 200, 400.0, 2.0),
        &run(2, 3, 150.0, 10.0),
        TEN_PCT,
        None,
    );
    assert_eq!(statuses(&v), all(Status::Fail), "{v:#?}");
}

#[test]
fn a_percentile_needs_requests_beyond_it_every_second() {
    // 50 requests a second: a second's p99 would be its slowest request.
    let v = compare(
        &run(1, 30, 50.0, 10.0),
        &run(2, 30, 50.0, 30.0),
        TEN_PCT,
        None,
    );
    assert_eq!(v[0].status, Status::Fail, "{v:#?}");
    assert_eq!(v[1].status, Status::Fail, "{v:#?}");
    assert_eq!(v[2].status, Status::Inconclusive, "{v:#?}");
    assert!(
        v[2].measured.ends_with("too few requests"),
        "{}",
        v[2].measured
    );
    assert!(
        v[2].message.contains("at least 100 requests"),
        "{}",
        v[2].message
    );
}

#[test]
fn sub_millisecond_jitter_stays_under_the_floor() {
    // The identical runs of the issue: p90 from 0.115 ms to 0.640 ms.
    let v = compare(
        &run(1, 10, 1000.0, 0.08),
        &run(2, 10, 1000.0, 0.4),
        TEN_PCT,
        None,
    );
    assert_eq!(v[1].status, Status::Pass, "{v:#?}");
    // Without the floor, it fails.
    let pct_only = Margin {
        pct: 10.0,
        min_change_us: 0.0,
    };
    let v = compare(
        &run(1, 10, 1000.0, 0.08),
        &run(2, 10, 1000.0, 0.4),
        pct_only,
        None,
    );
    assert_eq!(v[1].status, Status::Fail, "{v:#?}");
    assert_eq!(v[1].limit, "worse by <= 10% or 0ms");
}

#[test]
fn a_stalled_second_neither_fails_nor_hides_a_regression() {
    let base = run(1, 10, 1000.0, 1.0);
    let mut stalled = run(2, 10, 1000.0, 1.0);
    stalled.percentiles[4] = [300_000.0, 700_000.0, 800_000.0];
    stalled.counts[4] = 10;
    let v = compare(&base, &stalled, TEN_PCT, None);
    assert!(v.iter().all(|v| v.status == Status::Pass), "{v:#?}");
    let mut slower = run(3, 10, 500.0, 5.0);
    slower.percentiles[0] = [1.0, 1.0, 1.0];
    let mut base = base;
    base.percentiles[7] = [300_000.0, 700_000.0, 800_000.0];
    let v = compare(&base, &slower, TEN_PCT, None);
    assert!(v.iter().all(|v| v.status == Status::Fail), "{v:#?}");
}
