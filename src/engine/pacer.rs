//! When requests fall due. A `Pacer` yields the offsets from the start of the
//! run at which successive events are due. The open model's arrivals are a
//! pacer over the rate ramp; each worker takes its `Share` of one schedule.
//! (The closed model reads the same `Ramp` as a user count.)

use crate::plan::Arrival;
use crate::plan::ramp::Ramp;
use crate::rng::Rng;
use std::time::Duration;

pub(crate) trait Pacer: Send {
    /// The offset of the next event from the start of the run, or None when
    /// the schedule has no more events.
    fn next_offset(&mut self) -> Option<Duration>;
}

/// Arrivals whose rate follows a ramp. The k-th arrival is due when the
/// ramp's running integral (the expected count so far) reaches k, for
/// evenly spaced arrivals, or a running sum of Exp(1) draws, for a Poisson
/// process: the same inversion serves both, at any rate shape.
pub(crate) struct Arrivals {
    /// (start s, start rate, length s, end rate) per stage.
    segments: Vec<(f64, f64, f64, f64)>,
    kind: Arrival,
    rng: Rng,
    /// The running integral the next arrival is due at.
    next_area: f64,
    /// The segment the last arrival fell in, and the integral before it.
    cursor: usize,
    area_before: f64,
}

impl Arrivals {
    pub(crate) fn new(rate: &Ramp, kind: Arrival, seed: u64) -> Arrivals {
        let mut segments = Vec::with_capacity(rate.stages.len());
        let (mut t, mut v) = (0.0, rate.start);
        for s in &rate.stages {
            let len = s.duration.as_secs_f64();
            segments.push((t, v, len, s.target));
            t += len;
            v = s.target;
        }
        let mut arrivals = Arrivals {
            segments,
            kind,
            rng: Rng::new(seed),
            next_area: 0.0,
            cursor: 0,
            area_before: 0.0,
        };
        if kind == Arrival::Poisson {
            arrivals.next_area = arrivals.exp1();
        }
        arrivals
    }

    /// An Exp(1) draw: the gap between Poisson arrivals at rate 1.
    fn exp1(&mut self) -> f64 {
        -(1.0 - self.rng.unit()).ln()
    }
}

impl Pacer for Arrivals {
    fn next_offset(&mut self) -> Option<Duration> {
        let area = self.next_area;
        self.next_area += match self.kind {
            Arrival::Uniform => 1.0,
            Arrival::Poisson => self.exp1(),
        };
        while let Some(&(t0, v0, len, v1)) = self.segments.get(self.cursor) {
            let seg_area = (v0 + v1) / 2.0 * len;
            let rem = area - self.area_before;
            if rem < seg_area || (rem == 0.0 && v0 > 0.0) {
                // Solve v0*x + (v1-v0)/(2*len)*x^2 = rem for x in the segment,
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

/// One worker's share of a schedule: of every `of` events, the one at
/// position `index`. The shares of 0..of together give exactly the whole
/// schedule, interleaved evenly in time; the same split can hand each of
/// several machines its share (k6's execution segments).
pub(crate) struct Share<P> {
    inner: P,
    index: usize,
    of: usize,
}

impl<P: Pacer> Share<P> {
    pub(crate) fn new(inner: P, index: usize, of: usize) -> Share<P> {
        assert!(index < of, "share index {index} out of {of}");
        Share { inner, index, of }
    }
}

impl<P: Pacer> Pacer for Share<P> {
    fn next_offset(&mut self) -> Option<Duration> {
        for _ in 0..self.index {
            self.inner.next_offset()?;
        }
        let mine = self.inner.next_offset();
        for _ in self.index + 1..self.of {
            if self.inner.next_offset().is_none() {
                break;
            }
        }
        mine
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ramp::Ramp;

    fn drain(mut p: impl Pacer) -> Vec<Duration> {
        std::iter::from_fn(|| p.next_offset()).collect()
    }

    fn uniform(rate: f64, secs: f64) -> Arrivals {
        Arrivals::new(
            &Ramp::constant(rate, Duration::from_secs_f64(secs)),
            Arrival::Uniform,
            1,
        )
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
        let all = drain(Arrivals::new(&ramp, Arrival::Uniform, 1));
        assert!((499..=501).contains(&all.len()), "{}", all.len());
        let first_half = all.iter().filter(|d| d.as_secs_f64() < 5.0).count();
        assert!((124..=126).contains(&first_half), "{first_half}");
        assert!(all.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn poisson_arrivals_have_the_rate_and_vary() {
        let ramp = Ramp::constant(1000.0, Duration::from_secs(20));
        let all = drain(Arrivals::new(&ramp, Arrival::Poisson, 7));
        // 20000 expected; the standard deviation is about 141.
        assert!((19_500..=20_500).contains(&all.len()), "{}", all.len());
        let gaps: Vec<f64> = all
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        // Exponential gaps: the standard deviation equals the mean.
        assert!(
            (var.sqrt() / mean - 1.0).abs() < 0.05,
            "cv {}",
            var.sqrt() / mean
        );
        let again = drain(Arrivals::new(&ramp, Arrival::Poisson, 7));
        assert_eq!(all, again, "the same seed gives the same schedule");
    }

    #[test]
    fn shares_partition_the_schedule() {
        for workers in 1..5 {
            let mut all: Vec<Duration> = (0..workers)
                .flat_map(|w| drain(Share::new(uniform(100.0, 0.1), w, workers)))
                .collect();
            all.sort();
            assert_eq!(all, drain(uniform(100.0, 0.1)), "{workers} workers");
        }
    }

    #[test]
    fn share_interleaves_in_time() {
        let w1 = drain(Share::new(uniform(10.0, 0.4), 1, 2));
        assert_eq!(
            w1,
            vec![Duration::from_millis(100), Duration::from_millis(300)]
        );
    }
}
