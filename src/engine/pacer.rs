//! When requests fall due. A `Pacer` yields the offsets from the start of the
//! run at which successive events are due. The open model's arrivals are a
//! pacer over the rate ramp; each worker computes its own share of them
//! directly, at a cost in proportion to that share, however many workers
//! and segments there are. (The closed model reads the same `Ramp` as a
//! user count.)

use crate::plan::Arrival;
use crate::plan::ramp::Ramp;
use crate::rng::Rng;
use std::time::Duration;

pub(crate) trait Pacer: Send {
    /// The offset of the next event from the start of the run, or None when
    /// the schedule has no more events.
    fn next_offset(&mut self) -> Option<Duration>;
}

/// One share (`index` of `of`) of the arrivals whose rate follows a ramp.
/// An arrival is due when the ramp's running integral (the expected count
/// so far) reaches its mark; one inversion serves every rate shape.
///
/// - Uniform: the whole schedule's k-th arrival has mark k, and the share
///   holds every arrival with k = `index` (mod `of`): marks `index`,
///   `index + of`, ..., each found directly, never stepping through the
///   other shares' arrivals.
/// - Poisson: the share is a Poisson process of its own, at 1/`of` of the
///   rate (marks a running sum of Exp(1) draws, each times `of`), drawn from
///   a seed derived from `seed` and `index`. The shares together are a
///   Poisson process at the full rate (the superposition of independent
///   Poisson processes is one), so the law of the schedule is the same
///   however it is split, though which arrivals are drawn depends on the
///   split (the count of segments and workers).
pub(crate) struct Arrivals {
    /// (start s, start rate, length s, end rate) per stage of the ramp.
    stages: Vec<(f64, f64, f64, f64)>,
    kind: Arrival,
    rng: Rng,
    /// Marks between this share's arrivals, on average: `of`.
    stride: f64,
    /// The running integral the next arrival is due at.
    next_area: f64,
    /// The stage the last arrival fell in, and the integral before it.
    cursor: usize,
    area_before: f64,
    /// This share as (index, of), and the seed the shares have in common.
    share: (usize, usize),
    seed: u64,
    /// Poisson under `-n`: the share's arrivals of the whole's first n.
    counted: Option<Box<Counted>>,
}

/// A share's part of the first `n` arrivals of a Poisson process (`-n`
/// with Poisson arrivals). Independent processes per share, each cut at its
/// deal of `n`, would end when the slowest share's does: with many shares,
/// seconds after the whole's n-th arrival, at a dwindling rate. Instead the
/// n-th arrival's mark `last` is drawn once, from the seed alone, so every
/// share draws the same one (a Gamma(n) draw: the sum of n Exp(1) gaps);
/// given it, the n - 1 arrivals before are independent and uniform on
/// [0, last], in any deal, so each share draws its own count of them (in
/// order, as uniform order statistics), and the share that the deal gives
/// arrival n - 1 also holds `last`. The union is then the first n arrivals
/// of one Poisson process at the full rate, however it is split.
struct Counted {
    last: f64,
    /// Uniform points this share has still to draw below `last`.
    left: u64,
    /// The latest point drawn, as a fraction of `last`.
    at: f64,
    /// Whether this share holds the n-th arrival, not yet given.
    holds_last: bool,
}

impl Counted {
    fn next_mark(&mut self, rng: &mut Rng) -> f64 {
        if self.left > 0 {
            // The least of `left` uniform points on [at, 1].
            let u = 1.0 - rng.unit();
            self.at = 1.0 - (1.0 - self.at) * u.powf(1.0 / self.left as f64);
            self.left -= 1;
            self.at * self.last
        } else if std::mem::take(&mut self.holds_last) {
            self.last
        } else {
            f64::INFINITY
        }
    }
}

/// A Gamma(`shape`, 1) draw, `shape` >= 1 (Marsaglia and Tsang).
fn gamma(shape: f64, rng: &mut Rng) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        // A standard normal draw (Box-Muller).
        let (u1, u2) = (1.0 - rng.unit(), rng.unit());
        let x = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - rng.unit();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

impl Arrivals {
    pub(crate) fn new(rate: &Ramp, kind: Arrival, seed: u64, index: usize, of: usize) -> Arrivals {
        assert!(index < of, "share index {index} out of {of}");
        let mut stages = Vec::with_capacity(rate.stages.len());
        let (mut t, mut v) = (0.0, rate.start);
        for s in &rate.stages {
            let len = s.duration.as_secs_f64();
            stages.push((t, v, len, s.target));
            t += len;
            v = s.target;
        }
        let mut arrivals = Arrivals {
            stages,
            kind,
            rng: Rng::new(stream_seed(seed, index)),
            stride: of as f64,
            next_area: index as f64,
            cursor: 0,
            area_before: 0.0,
            share: (index, of),
            seed,
            counted: None,
        };
        if kind == Arrival::Poisson {
            arrivals.next_area = arrivals.gap();
        }
        arrivals
    }

    /// With `-n` (`requests`, the whole plan's count): Poisson arrivals
    /// stop where the whole's n-th does (see `Counted`). Uniform arrivals
    /// need nothing: each share's first ones are its deal of the whole's.
    pub(crate) fn up_to(mut self, requests: Option<u64>) -> Arrivals {
        let Some(n) = requests.filter(|&n| n > 0) else {
            return self;
        };
        if self.kind != Arrival::Poisson {
            return self;
        }
        let (index, of) = self.share;
        let mut shared = Rng::new(stream_seed(self.seed, usize::MAX));
        let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
        let holds_last = (n - 1) % of as u64 == index as u64;
        let mut counted = Counted {
            last: gamma(n as f64, &mut shared),
            left: crate::plan::segment::dealt(n_usize, index, of) as u64 - holds_last as u64,
            at: 0.0,
            holds_last,
        };
        self.next_area = counted.next_mark(&mut self.rng);
        self.counted = Some(Box::new(counted));
        self
    }

    /// The marks from one of this share's arrivals to the next.
    fn gap(&mut self) -> f64 {
        match self.kind {
            Arrival::Uniform => self.stride,
            // An Exp(1) draw: the gap between Poisson arrivals at rate 1.
            Arrival::Poisson => -(1.0 - self.rng.unit()).ln() * self.stride,
        }
    }
}

/// The seed of share `index`'s draws: distinct shares get unrelated
/// streams (SplitMix64 seeds that differ by a step would share one, shifted).
fn stream_seed(seed: u64, index: usize) -> u64 {
    Rng::new(seed ^ Rng::new(index as u64).next_u64()).next_u64()
}

impl Pacer for Arrivals {
    fn next_offset(&mut self) -> Option<Duration> {
        let area = self.next_area;
        self.next_area = match &mut self.counted {
            Some(counted) => counted.next_mark(&mut self.rng),
            None => area + self.gap(),
        };
        while let Some(&(t0, v0, len, v1)) = self.stages.get(self.cursor) {
            let seg_area = (v0 + v1) / 2.0 * len;
            let rem = area - self.area_before;
            if rem < seg_area || (rem == 0.0 && v0 > 0.0) {
                // Solve v0*x + (v1-v0)/(2*len)*x^2 = rem for x in the stage,
                // in the form that stays exact when the rate barely changes.
                let a = (v1 - v0) / (2.0 * len);
                let root = (v0 * v0 + 4.0 * a * rem).max(0.0).sqrt();
                let x = if v0 + root > 0.0 {
                    2.0 * rem / (v0 + root)
                } else {
                    0.0
                };
                return Some(Duration::from_secs_f64(t0 + x.clamp(0.0, len)));
            }
            self.area_before += seg_area;
            self.cursor += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ramp::Ramp;
    use crate::plan::segment::{Segment, dealt};

    /// The counts of segments the plan is split over in these tests.
    const COUNTS: [usize; 5] = [1, 2, 3, 7, 1000];

    fn drain(mut p: impl Pacer) -> Vec<Duration> {
        std::iter::from_fn(|| p.next_offset()).collect()
    }

    fn uniform(rate: f64, secs: f64) -> Arrivals {
        Arrivals::new(
            &Ramp::constant(rate, Duration::from_secs_f64(secs)),
            Arrival::Uniform,
            1,
            0,
            1,
        )
    }

    /// Segments of `n`, each with its own worker count (boxes differ), and
    /// each worker's share of the plan: (segment, worker, index, of).
    fn hands(n: usize) -> impl Iterator<Item = (usize, usize, usize, usize)> {
        (0..n).flat_map(move |i| {
            let segment = Segment { index: i, count: n };
            let workers = 1 + i % 3;
            (0..workers).map(move |w| {
                let (index, of) = segment.nest(w, workers);
                (i, w, index, of)
            })
        })
    }

    #[test]
    fn uniform_arrivals_are_evenly_spaced() {
        let ms = |v| Duration::from_millis(v);
        assert_eq!(
            drain(uniform(10.0, 0.35)),
            vec![ms(0), ms(100), ms(200), ms(300)]
        );
        assert_eq!(drain(uniform(1000.0, 5.0)).len(), 5000);
    }

    #[test]
    fn ramped_arrivals_follow_the_integral() {
        // 0 -> 100/s over 10 s: 500 arrivals, a quarter of them in the first half.
        let ramp = Ramp::parse_stages("10s:100").unwrap();
        let all = drain(Arrivals::new(&ramp, Arrival::Uniform, 1, 0, 1));
        assert!((499..=501).contains(&all.len()), "{}", all.len());
        let first_half = all.iter().filter(|d| d.as_secs_f64() < 5.0).count();
        assert!((124..=126).contains(&first_half), "{first_half}");
        assert!(all.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn poisson_arrivals_have_the_rate_and_vary() {
        let ramp = Ramp::constant(1000.0, Duration::from_secs(20));
        let all = drain(Arrivals::new(&ramp, Arrival::Poisson, 7, 0, 1));
        // 20000 expected; the standard deviation is about 141.
        assert!((19_500..=20_500).contains(&all.len()), "{}", all.len());
        assert_exponential_gaps(&all);
        let again = drain(Arrivals::new(&ramp, Arrival::Poisson, 7, 0, 1));
        assert_eq!(all, again, "the same seed gives the same schedule");
    }

    /// Exponential gaps: their standard deviation equals their mean.
    fn assert_exponential_gaps(sorted: &[Duration]) {
        let gaps: Vec<f64> = sorted
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        let cv = var.sqrt() / mean;
        assert!((cv - 1.0).abs() < 0.05, "cv {cv}");
    }

    #[test]
    fn segments_and_workers_hold_the_uniform_schedule_event_by_event() {
        // A ramp up, a jump, a hold and a ramp down: 7750 arrivals.
        let ramp = Ramp::parse_stages("1s:3000,0s:5000,1s:5000,500ms:0").unwrap();
        let whole = drain(Arrivals::new(&ramp, Arrival::Uniform, 1, 0, 1));
        assert_eq!(whole.len(), 7750);
        for n in COUNTS {
            let mut held = 0;
            for (i, w, index, of) in hands(n) {
                // Arrival k is segment k mod N's, and within it the
                // (k div N)-th, dealt on over the segment's workers.
                let workers = of / n;
                let expected: Vec<Duration> = (0..whole.len())
                    .filter(|k| k % n == i && (k / n) % workers == w)
                    .map(|k| whole[k])
                    .collect();
                let mine = drain(Arrivals::new(&ramp, Arrival::Uniform, 1, index, of));
                assert_eq!(mine, expected, "segment {i}/{n}, worker {w}/{workers}");
                held += mine.len();
            }
            assert_eq!(held, whole.len(), "{n} segments");
        }
    }

    #[test]
    fn a_request_count_keeps_the_first_arrivals_of_the_whole_schedule() {
        // `-n`: each hand stops after its deal of the count, which for
        // uniform arrivals is exactly its part of the whole's first n.
        let ramp = Ramp::constant(2000.0, Duration::from_secs(1));
        let whole = drain(Arrivals::new(&ramp, Arrival::Uniform, 1, 0, 1));
        for n in COUNTS {
            for count in [1, 999, 1001] {
                let mut union: Vec<Duration> = hands(n)
                    .flat_map(|(_, _, index, of)| {
                        let mut p = Arrivals::new(&ramp, Arrival::Uniform, 1, index, of);
                        std::iter::from_fn(move || p.next_offset()).take(dealt(count, index, of))
                    })
                    .collect();
                union.sort();
                assert_eq!(union, whole[..count], "{n} segments, -n {count}");
            }
        }
    }

    #[test]
    fn poisson_segments_superpose_to_one_poisson_process() {
        // Each hand draws its own process; there is no one-box draw to
        // match event by event, so the union is checked for the law of a
        // Poisson process at the full rate: the count, exponential gaps,
        // and counts per window as dispersed as Poisson counts (copies of
        // one stream, or correlated ones, would clump).
        let ramp = Ramp::constant(20_000.0, Duration::from_secs(1));
        for n in COUNTS {
            let mut union: Vec<Duration> = hands(n)
                .flat_map(|(_, _, index, of)| {
                    drain(Arrivals::new(&ramp, Arrival::Poisson, 7, index, of))
                })
                .collect();
            union.sort();
            // 20000 expected; the standard deviation is about 141.
            assert!(
                (19_300..=20_700).contains(&union.len()),
                "{n}: {}",
                union.len()
            );
            assert_exponential_gaps(&union);
            let mut windows = [0u32; 100];
            for d in &union {
                windows[((d.as_secs_f64() * 100.0) as usize).min(99)] += 1;
            }
            let mean = windows.iter().sum::<u32>() as f64 / 100.0;
            let var = windows
                .iter()
                .map(|&c| (c as f64 - mean).powi(2))
                .sum::<f64>()
                / 99.0;
            assert!(
                (0.6..1.4).contains(&(var / mean)),
                "{n}: dispersion {}",
                var / mean
            );
            let again: Vec<Duration> = hands(n)
                .flat_map(|(_, _, index, of)| {
                    drain(Arrivals::new(&ramp, Arrival::Poisson, 7, index, of))
                })
                .collect();
            let mut again = again;
            again.sort();
            assert_eq!(
                union, again,
                "{n}: the same seed and split, the same schedule"
            );
        }
    }

    #[test]
    fn a_request_count_of_poisson_arrivals_ends_when_the_whole_would() {
        // `-n 1000 --rate 1000 --arrival poisson`: one process draws one
        // Poisson process and stops at its 1000th arrival, about 1 s in
        // (a Gamma(1000) mark: the standard deviation is about 32 ms).
        // Split, the union of the hands' first arrivals must end there too,
        // not when the slowest of many small independent processes does.
        let ramp = Ramp::constant(1000.0, Duration::from_secs(3600));
        let count = 1000;
        for n in COUNTS {
            let mut union: Vec<Duration> = hands(n)
                .flat_map(|(_, _, index, of)| {
                    let p = Arrivals::new(&ramp, Arrival::Poisson, 7, index, of)
                        .up_to(Some(count as u64));
                    let mine = drain(p);
                    // Exactly its deal of the count, and nothing after.
                    assert_eq!(mine.len(), dealt(count, index, of), "{n} segments");
                    mine
                })
                .collect();
            union.sort();
            assert_eq!(union.len(), count, "{n} segments");
            let last = union[count - 1].as_secs_f64();
            assert!(
                (0.85..1.15).contains(&last),
                "{n} segments: the last of -n {count} at {last:.3}s"
            );
            assert_exponential_gaps(&union);
            // And no slow tail: the last tenth of the requests falls due in
            // about a tenth of the time, as at the full rate.
            let tail = last - union[count * 9 / 10].as_secs_f64();
            assert!(tail < 0.2, "{n} segments: the last 100 took {tail:.3}s");
        }
    }

    #[test]
    fn gamma_draws_have_their_mean_and_variance() {
        let mut rng = Rng::new(3);
        for shape in [1.0, 2.0, 30.0, 1000.0, 1e9] {
            let draws: Vec<f64> = (0..20_000).map(|_| gamma(shape, &mut rng)).collect();
            let mean = draws.iter().sum::<f64>() / draws.len() as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64;
            // Mean and variance are both the shape.
            assert!(
                (mean / shape - 1.0).abs() < 0.03 / shape.sqrt().min(10.0) + 1e-3,
                "{shape}: mean {mean}"
            );
            assert!((var / shape - 1.0).abs() < 0.06, "{shape}: variance {var}");
        }
    }

    #[test]
    fn share_interleaves_in_time() {
        let ramp = Ramp::constant(10.0, Duration::from_secs_f64(0.4));
        let w1 = drain(Arrivals::new(&ramp, Arrival::Uniform, 1, 1, 2));
        assert_eq!(
            w1,
            vec![Duration::from_millis(100), Duration::from_millis(300)]
        );
    }

    /// The CPU this thread has used.
    fn thread_cpu() -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes the timespec it is given.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }

    /// Not a test: the pacing CPU per arrival of one hand, computed
    /// directly and, as before, by stepping through the whole schedule.
    /// `cargo test --release --lib pacing_cost -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn pacing_cost() {
        let ramp = Ramp::constant(1_000_000.0, Duration::from_secs(10));
        for kind in [Arrival::Uniform, Arrival::Poisson] {
            for n in [1, 1000] {
                let before = thread_cpu();
                let mut own = Arrivals::new(&ramp, kind, 1, 0, n);
                let mut mine = 0;
                while own.next_offset().is_some() {
                    mine += 1;
                }
                let direct = thread_cpu() - before;
                let before = thread_cpu();
                let mut whole = Arrivals::new(&ramp, kind, 1, 0, 1);
                let mut stepped = 0;
                while whole.next_offset().is_some() {
                    for _ in 1..n {
                        whole.next_offset();
                    }
                    stepped += 1;
                }
                let stepping = thread_cpu() - before;
                let per = |d: Duration, count: usize| d.as_nanos() as f64 / count as f64;
                println!(
                    "{kind:?}, hand 0 of {n}: {mine} arrivals, {:.1} ns each directly; {stepped} by stepping, {:.1} ns each",
                    per(direct, mine),
                    per(stepping, stepped)
                );
            }
        }
    }
}
