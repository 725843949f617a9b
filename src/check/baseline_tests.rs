use super::*;
use crate::record::Sample;
use crate::rng::Rng;

/// Log-normal latencies around `median_ms` (sigma 0.5: p99 about 3.2x
/// the median), as a loaded service gives.
fn latencies(seed: u64, n: usize, median_ms: f64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let (u1, u2) = (rng.unit().max(1e-12), rng.unit());
            let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (median_ms * 1000.0 * (0.5 * normal).exp()) as u64
        })
        .collect()
}

fn tally(latencies: &[u64], scale: f64) -> Tally {
    let mut t = Tally::default();
    for &l in latencies {
        t.add(&Sample {
            elapsed_us: 0,
            latency_us: (l as f64 * scale) as u64,
            wait_us: 0,
            bytes: 1,
            status: 200,
            task: 0,
            error: None,
        });
    }
    t
}

/// Requests per 1 s interval around `rps`, with a few percent of noise.
fn counts(seed: u64, intervals: usize, rps: f64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..intervals)
        .map(|_| (rps * (0.97 + 0.06 * rng.unit())) as u64)
        .collect()
}

fn side(t: &Tally, counts: Vec<u64>) -> Side<'_> {
    Side {
        tally: t,
        counts,
        interval: std::time::Duration::from_secs(1),
    }
}

fn failed(verdicts: &[Verdict]) -> Vec<&str> {
    verdicts
        .iter()
        .filter(|v| !v.pass)
        .map(|v| v.name.as_str())
        .collect()
}

#[test]
fn identical_runs_pass() {
    let l = latencies(1, 20_000, 10.0);
    let t = tally(&l, 1.0);
    let c = counts(1, 30, 2000.0);
    let v = compare(&side(&t, c.clone()), &side(&t, c), 10.0, None);
    assert_eq!(v.len(), 4);
    assert!(failed(&v).is_empty(), "{v:#?}");
    assert!(v.iter().all(|v| v.measured.contains("not significant")));
    // Even a zero margin never fails an identical run.
    let c = counts(1, 30, 2000.0);
    assert!(failed(&compare(&side(&t, c.clone()), &side(&t, c), 0.0, None)).is_empty());
}

#[test]
fn same_server_noise_passes() {
    let (b, r) = (
        tally(&latencies(1, 20_000, 10.0), 1.0),
        tally(&latencies(2, 20_000, 10.0), 1.0),
    );
    let v = compare(
        &side(&b, counts(1, 30, 2000.0)),
        &side(&r, counts(2, 30, 2000.0)),
        10.0,
        None,
    );
    assert!(failed(&v).is_empty(), "{v:#?}");
}

#[test]
fn thirty_percent_slower_fails() {
    let l = latencies(1, 20_000, 10.0);
    let (b, r) = (tally(&l, 1.0), tally(&latencies(2, 20_000, 10.0), 1.3));
    let v = compare(
        &side(&b, counts(1, 30, 2000.0)),
        &side(&r, counts(2, 30, 2000.0 / 1.3)),
        10.0,
        Some("GET /a"),
    );
    assert_eq!(
        failed(&v),
        vec![
            "p50 vs baseline [GET /a]",
            "p90 vs baseline [GET /a]",
            "p99 vs baseline [GET /a]",
            "rps vs baseline [GET /a]",
        ],
        "{v:#?}"
    );
    assert!(v[0].measured.starts_with("+3"), "{}", v[0].measured);
    assert!(v[0].message.contains("significant at the 1% level"));
    assert!(v[3].measured.starts_with("+23"), "{}", v[3].measured);
}

#[test]
fn three_percent_slower_within_the_margin_passes() {
    let (b, r) = (
        tally(&latencies(1, 20_000, 10.0), 1.0),
        tally(&latencies(2, 20_000, 10.0), 1.03),
    );
    let v = compare(
        &side(&b, counts(1, 30, 2000.0)),
        &side(&r, counts(2, 30, 2000.0 / 1.03)),
        10.0,
        None,
    );
    assert!(failed(&v).is_empty(), "{v:#?}");
}

#[test]
fn a_big_regression_in_very_few_samples_is_not_significant() {
    // Five requests each, the run three times slower: no percentile can be
    // bounded from five samples, so nothing fails.
    let l = latencies(1, 5, 10.0);
    let (b, r) = (tally(&l, 1.0), tally(&l, 3.0));
    let v = compare(&side(&b, vec![5]), &side(&r, vec![2]), 10.0, None);
    assert!(failed(&v).is_empty(), "{v:#?}");
    assert!(v.iter().all(|v| !v.measured.contains(", significant")));
    assert_eq!(v[3].measured, "too short to compare");
    // 200 samples bound p50 and p90 but not p99.
    let l = latencies(1, 200, 10.0);
    let (b, r) = (tally(&l, 1.0), tally(&l, 3.0));
    let v = compare(&side(&b, vec![]), &side(&r, vec![]), 10.0, None);
    assert_eq!(failed(&v), vec!["p50 vs baseline", "p90 vs baseline"]);
}

#[test]
fn percentile_intervals_need_enough_samples() {
    let bounded = |n: usize, q: f64| {
        let t = tally(&latencies(3, n, 10.0), 1.0);
        let b = percentile_bounds(&t.latency(), q);
        (b.lo.is_some(), b.hi.is_some())
    };
    assert_eq!(bounded(10, 0.5), (false, false));
    assert_eq!(bounded(12, 0.5), (true, true));
    assert_eq!(bounded(70, 0.9), (true, false));
    assert_eq!(bounded(100, 0.9), (true, true));
    assert_eq!(bounded(800, 0.99), (true, false));
    assert_eq!(bounded(900, 0.99), (true, true));
}

#[test]
fn percentile_intervals_enclose_the_percentile() {
    let t = tally(&latencies(4, 50_000, 10.0), 1.0);
    for q in [0.5, 0.9, 0.99] {
        let b = percentile_bounds(&t.latency(), q);
        let p = t.latency().value_at_quantile(q);
        let (lo, hi) = (b.lo.unwrap(), b.hi.unwrap());
        assert!(lo <= p && p <= hi, "q {q}: {lo} {p} {hi}");
        // Narrow with this many samples: within a few percent.
        assert!((hi - lo) as f64 / (p as f64) < 0.1, "q {q}: {lo} {p} {hi}");
    }
}

#[test]
fn t_critical_values_match_the_tables() {
    for (df, t) in [
        (1.0, 31.821),
        (5.5, 3.365),
        (6.0, 3.143),
        (10.0, 2.764),
        (30.0, 2.457),
        (120.0, 2.358),
    ] {
        assert!(
            (t_critical(df) - t).abs() < 0.01,
            "df {df}: {}",
            t_critical(df)
        );
    }
}

#[test]
fn welch_test_on_interval_counts() {
    assert_eq!(significantly_fewer(&[100], &[50, 50]), None);
    assert_eq!(significantly_fewer(&[100, 100], &[100, 100]), Some(false));
    assert_eq!(significantly_fewer(&[100, 100], &[90, 90]), Some(true));
    assert_eq!(significantly_fewer(&[100, 100], &[110, 110]), Some(false));
    // Noisy and short: a 10% drop over three intervals is not significant.
    assert_eq!(
        significantly_fewer(&[100, 80, 120], &[90, 70, 110]),
        Some(false)
    );
    let (b, r) = (counts(1, 30, 1000.0), counts(2, 30, 700.0));
    assert_eq!(significantly_fewer(&b, &r), Some(true));
    assert_eq!(significantly_fewer(&r, &b), Some(false));
}
