//! How far one sample sits above another: the Hodges-Lehmann estimate of
//! the shift (the median of all pairwise differences) and its
//! distribution-free confidence bounds from the Mann-Whitney U
//! distribution. The samples here are a run's per-second figures; unlike a
//! t-test on their means, one second in which the box stalled moves these
//! bounds by one rank, not by its size.
//!
//! With `n` and `m` values, the lower bound is the k-th smallest of the
//! `n*m` differences `run - base` and the upper bound the k-th largest,
//! for the largest k with `P(U <= k - 1) <= ALPHA` under no shift: each
//! bound is then wrong with probability at most `ALPHA`, whatever the
//! distribution of the values, as long as the two samples differ only by
//! the shift. When even k = 1 is too likely, the samples are too small to
//! bound the shift at all.

/// Each bound is wrong with probability at most this: together, the shift
/// lies between them with 98% confidence.
pub(crate) const ALPHA: f64 = 0.01;

/// The normal quantile of `1 - ALPHA`.
const Z: f64 = 2.326_348;

/// Up to this many pairs the U distribution is computed exactly, beyond
/// it the normal approximation (good there) is used.
const EXACT_PAIRS: usize = 2500;

/// The shift of `run` over `base`, with its bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shift {
    pub lo: f64,
    pub estimate: f64,
    pub hi: f64,
}

/// The shift `run - base` with its bounds; `None` when the samples are
/// too small to bound it.
pub(crate) fn shift(base: &[f64], run: &[f64]) -> Option<Shift> {
    let (n, m) = (base.len(), run.len());
    if n == 0 || m == 0 {
        return None;
    }
    let k = bound_rank(n, m)?;
    let (mut b, mut r) = (base.to_vec(), run.to_vec());
    b.sort_by(f64::total_cmp);
    r.sort_by(f64::total_cmp);
    let pairs = n * m;
    let kth = |k: usize| kth_difference(&b, &r, k);
    let estimate = if pairs % 2 == 1 {
        kth(pairs / 2 + 1)
    } else {
        (kth(pairs / 2) + kth(pairs / 2 + 1)) / 2.0
    };
    Some(Shift {
        lo: kth(k),
        estimate,
        hi: kth(pairs + 1 - k),
    })
}

/// The largest k with `P(U <= k - 1) <= ALPHA` for samples of `n` and `m`.
pub(crate) fn bound_rank(n: usize, m: usize) -> Option<usize> {
    if n * m <= EXACT_PAIRS {
        let mut cumulative = 0.0;
        let below = u_distribution(n, m)
            .into_iter()
            .take_while(|p| {
                cumulative += p;
                cumulative <= ALPHA
            })
            .count();
        return (below >= 1).then_some(below);
    }
    let (nf, mf) = (n as f64, m as f64);
    let mean = nf * mf / 2.0;
    let sd = (nf * mf * (nf + mf + 1.0) / 12.0).sqrt();
    let c = (mean - Z * sd - 0.5).floor();
    (c >= 0.0).then(|| c as usize + 1)
}

/// `P(U = u)` for u in `0..=n*m`, U the number of (base, run) pairs with
/// the base value larger, when all orders of the values are equally
/// likely. Counted by where the largest value comes from: a base value
/// outranks every run value (adding m), a run value adds nothing.
pub(crate) fn u_distribution(n: usize, m: usize) -> Vec<f64> {
    // U and n*m - U have the same distribution, so the roles may swap:
    // the rows kept grow with the square of m, which is the smaller.
    let (n, m) = (n.max(m), n.min(m));
    // ways[j][u] for i base values and j run values, row by row in i.
    let mut ways: Vec<Vec<f64>> = vec![vec![1.0]; m + 1];
    for i in 1..=n {
        let mut row: Vec<Vec<f64>> = Vec::with_capacity(m + 1);
        row.push(vec![1.0]);
        for j in 1..=m {
            let mut w = vec![0.0; i * j + 1];
            for (u, x) in ways[j].iter().enumerate() {
                w[u + j] += x;
            }
            for (u, x) in row[j - 1].iter().enumerate() {
                w[u] += x;
            }
            row.push(w);
        }
        ways = row;
    }
    let total: f64 = ways[m].iter().sum();
    ways[m].iter().map(|w| w / total).collect()
}

/// The k-th smallest (1-based) of the differences `r[j] - b[i]`, both
/// sorted, without listing all `n*m` of them: bisect on the value,
/// counting the differences at or below it, then take the largest actual
/// difference at or below the bound found.
fn kth_difference(b: &[f64], r: &[f64], k: usize) -> f64 {
    let (n, m) = (b.len(), r.len());
    // The differences <= d, and the largest of them.
    let at_most = |d: f64| {
        let (mut count, mut largest, mut i) = (0, f64::NEG_INFINITY, 0);
        for &rj in r {
            // r[j] - b[i] falls as i grows; the first i where it is <= d
            // only moves right as r[j] grows.
            while i < n && rj - b[i] > d {
                i += 1;
            }
            count += n - i;
            if i < n {
                largest = largest.max(rj - b[i]);
            }
        }
        (count, largest)
    };
    let (mut lo, mut hi) = (r[0] - b[n - 1], r[m - 1] - b[0]);
    if at_most(lo).0 >= k {
        return lo;
    }
    // at_most(lo) < k <= at_most(hi)
    for _ in 0..200 {
        let mid = lo + (hi - lo) / 2.0;
        if mid <= lo || mid >= hi {
            break;
        }
        if at_most(mid).0 >= k {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    at_most(hi).1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every difference, sorted: what `kth_difference` must agree with.
    fn all_differences(b: &[f64], r: &[f64]) -> Vec<f64> {
        let mut d: Vec<f64> = r
            .iter()
            .flat_map(|x| b.iter().map(move |y| x - y))
            .collect();
        d.sort_by(f64::total_cmp);
        d
    }

    #[test]
    fn the_u_distribution_matches_small_cases() {
        // n = m = 2: the 6 orders give U = 0, 1, 2, 2, 3, 4.
        let p = u_distribution(2, 2);
        let expect = [1.0, 1.0, 2.0, 1.0, 1.0].map(|w| w / 6.0);
        assert_eq!(p.len(), 5);
        for (a, b) in p.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{p:?}");
        }
        // n = m = 5: 252 orders, one with U = 0, one with U = 1, two with U = 2.
        let p = u_distribution(5, 5);
        assert!((p[0] - 1.0 / 252.0).abs() < 1e-12);
        assert!((p[2] - 2.0 / 252.0).abs() < 1e-12);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // One value against many: U is uniform, whichever side has it.
        for (n, m) in [(1, 2500), (2500, 1)] {
            let p = u_distribution(n, m);
            assert_eq!(p.len(), 2501);
            assert!(p.iter().all(|x| (x - 1.0 / 2501.0).abs() < 1e-12));
        }
        assert_eq!(bound_rank(1, 2500), Some(25));
    }

    #[test]
    fn bounds_need_enough_values() {
        // 4 and 4 values: P(U = 0) = 1/70, more than 1%.
        assert_eq!(bound_rank(4, 4), None);
        assert_eq!(bound_rank(2, 2), None);
        // 5 and 5: P(U <= 1) = 2/252 <= 1% < P(U <= 2) = 4/252.
        assert_eq!(bound_rank(5, 5), Some(2));
        // Exact and approximate agree closely where they meet.
        let exact = bound_rank(50, 50).unwrap();
        let approx = bound_rank(50, 51).unwrap();
        assert!(exact.abs_diff(approx) <= 30, "{exact} {approx}");
    }

    #[test]
    fn kth_difference_agrees_with_listing_them_all() {
        let b = [1.0, 2.5, 2.5, 7.0, 0.25, 3.0];
        let r = [2.0, 2.0, 9.5, 1.0, 4.0];
        let (mut b2, mut r2) = (b.to_vec(), r.to_vec());
        b2.sort_by(f64::total_cmp);
        r2.sort_by(f64::total_cmp);
        let all = all_differences(&b, &r);
        for k in 1..=all.len() {
            assert_eq!(kth_difference(&b2, &r2, k), all[k - 1], "k {k}");
        }
    }

    #[test]
    fn a_shifted_sample_is_bounded_around_its_shift() {
        let base: Vec<f64> = (0..20).map(|i| 100.0 + (i * 7 % 20) as f64).collect();
        let run: Vec<f64> = base.iter().map(|x| x + 50.0).collect();
        let s = shift(&base, &run).unwrap();
        assert_eq!(s.estimate, 50.0);
        assert!(
            s.lo > 40.0 && s.lo < 50.0 && s.hi > 50.0 && s.hi < 60.0,
            "{s:?}"
        );
        // Identical samples: the bounds straddle 0.
        let s = shift(&base, &base).unwrap();
        assert_eq!(s.estimate, 0.0);
        assert!(s.lo < 0.0 && s.hi > 0.0, "{s:?}");
        // Constant samples are exact.
        let s = shift(&[100.0; 8], &[90.0; 8]).unwrap();
        assert_eq!((s.lo, s.estimate, s.hi), (-10.0, -10.0, -10.0));
        assert_eq!(shift(&[1.0; 3], &[2.0; 3]), None);
    }

    #[test]
    fn one_wild_value_moves_the_bounds_by_a_rank_not_by_its_size() {
        let base = [1.0, 1.1, 0.9, 1.0, 1.2, 0.8, 1.0, 1.1];
        let mut stalled = base;
        stalled[3] = 370.0;
        let run = [5.0, 5.1, 4.9, 5.0, 5.2, 4.8, 5.0, 5.1];
        let s = shift(&stalled, &run).unwrap();
        assert!(s.lo > 3.5 && s.hi < 4.5, "{s:?}");
    }
}
