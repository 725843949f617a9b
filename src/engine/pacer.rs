//! When things fall due. A `Pacer` yields the offsets from the start of the
//! run at which successive events are due: user starts in the closed model,
//! and (later) request arrivals in the open model. Every load model is a
//! pacer feeding the same worker loop; no mode gets a loop of its own.

use std::time::Duration;

pub trait Pacer: Send {
    /// The offset of the next event from the start of the run, or None when
    /// the schedule has no more events.
    fn next_offset(&mut self) -> Option<Duration>;
}

/// `count` events at a steady `per_sec`, the first at offset zero. An
/// infinite rate puts every event at zero ("all at once").
pub struct Steady {
    interval_s: f64,
    next: u64,
    count: u64,
}

impl Steady {
    pub fn new(per_sec: f64, count: u64) -> Steady {
        Steady {
            interval_s: 1.0 / per_sec,
            next: 0,
            count,
        }
    }
}

impl Pacer for Steady {
    fn next_offset(&mut self) -> Option<Duration> {
        if self.next >= self.count {
            return None;
        }
        let at = Duration::from_secs_f64(self.interval_s * self.next as f64);
        self.next += 1;
        Some(at)
    }
}

/// One worker's share of a schedule: of every `of` events, the one at
/// position `index`. The shares of workers 0..of together give exactly the
/// whole schedule, interleaved evenly in time, and the same split can later
/// hand each of several machines its share.
pub struct Share<P> {
    inner: P,
    index: usize,
    of: usize,
}

impl<P: Pacer> Share<P> {
    pub fn new(inner: P, index: usize, of: usize) -> Share<P> {
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

    fn drain(mut p: impl Pacer) -> Vec<Duration> {
        std::iter::from_fn(|| p.next_offset()).collect()
    }

    #[test]
    fn steady_spaces_events_evenly() {
        let ms = |v| Duration::from_millis(v);
        assert_eq!(drain(Steady::new(10.0, 3)), vec![ms(0), ms(100), ms(200)]);
        assert_eq!(drain(Steady::new(f64::INFINITY, 3)), vec![ms(0); 3]);
    }

    #[test]
    fn shares_partition_the_schedule() {
        for workers in 1..5 {
            let mut all: Vec<Duration> = (0..workers)
                .flat_map(|w| drain(Share::new(Steady::new(100.0, 10), w, workers)))
                .collect();
            all.sort();
            assert_eq!(all, drain(Steady::new(100.0, 10)), "{workers} workers");
        }
    }

    #[test]
    fn share_interleaves_in_time() {
        let w1 = drain(Share::new(Steady::new(10.0, 4), 1, 2));
        assert_eq!(
            w1,
            vec![Duration::from_millis(100), Duration::from_millis(300)]
        );
    }
}
