//! The recorder's latencies per interval, task and outcome: what
//! `--hdr-log` writes, one histogram each. Requests are binned exactly by
//! the moment they completed, as `report` bins results.csv, so that a log
//! and the CSV give the same time series. A request that reaches the
//! recorder after its interval was handed out gets a bin of its own for
//! that interval, handed out with the next one: late, never misplaced.

use super::outcomes::Outcome;
use super::sample::Sample;
use super::stats::Latencies;

/// One interval's requests of one task that ended the same way.
#[derive(Debug)]
pub(crate) struct Bin {
    /// Index of the interval, counted in ticks from the start.
    pub interval: u64,
    pub task: u16,
    pub outcome: Outcome,
    /// The status, as results.csv has it: with an error, whatever part of
    /// one had arrived (0 for none).
    pub status: u16,
    /// Latency from the due moment, in µs.
    pub latency: Latencies,
}

type Key = (u64, u16, Outcome, u16);

pub(crate) struct IntervalBins {
    tick_us: u64,
    /// Bins still taking requests.
    open: Vec<Bin>,
    /// Where each task's open bins are in `open`, indexed by task: a task
    /// has a few at a time (an interval or two, an outcome or two), so a
    /// scan of them beats hashing.
    by_task: Vec<Vec<usize>>,
    /// The bin the last request went to: runs of one task and outcome
    /// are the common case, and a compare is cheaper still.
    last: Option<(Key, usize)>,
    /// Bins handed out with the last snapshot, in (interval, task,
    /// outcome) order.
    closed: Vec<Bin>,
    /// Emptied latencies, for reuse: histograms are large.
    spare: Vec<Latencies>,
    /// When the last request that was sent ended, in µs from the start.
    sent_end_us: u64,
}

impl IntervalBins {
    pub(crate) fn new(tick_us: u64) -> IntervalBins {
        IntervalBins {
            tick_us: tick_us.max(1),
            open: Vec::new(),
            by_task: Vec::new(),
            last: None,
            closed: Vec::new(),
            spare: Vec::new(),
            sent_end_us: 0,
        }
    }

    pub(crate) fn tick_us(&self) -> u64 {
        self.tick_us
    }

    pub(crate) fn add(&mut self, s: &Sample) {
        let end_us = s.elapsed_us.saturating_add(s.latency_us);
        let outcome = Outcome::of(s);
        if outcome != Outcome::Error(super::ErrorKind::Unsent) {
            self.sent_end_us = self.sent_end_us.max(end_us);
        }
        let key = (end_us / self.tick_us, s.task, outcome, s.status.min(999));
        let i = match self.last {
            Some((last, i)) if last == key => i,
            _ => {
                let task = s.task as usize;
                if self.by_task.len() <= task {
                    self.by_task.resize_with(task + 1, Vec::new);
                }
                let open = &self.open;
                let found = self.by_task[task].iter().copied().find(|&i| {
                    let b = &open[i];
                    (b.interval, b.outcome, b.status) == (key.0, key.2, key.3)
                });
                let i = match found {
                    Some(i) => i,
                    None => {
                        self.open.push(Bin {
                            interval: key.0,
                            task: key.1,
                            outcome,
                            status: key.3,
                            latency: self.spare.pop().unwrap_or_default(),
                        });
                        self.by_task[task].push(self.open.len() - 1);
                        self.open.len() - 1
                    }
                };
                self.last = Some((key, i));
                i
            }
        };
        self.open[i].latency.record(s.latency_us);
    }

    /// Hand out the bins of every interval up to `through`, inclusive (all
    /// of them with `None`): `closed` holds them until `recycle`.
    pub(crate) fn close(&mut self, through: Option<u64>) {
        let done = |b: &Bin| through.is_none_or(|t| b.interval <= t);
        if !self.open.iter().any(done) {
            return;
        }
        let (closed, open): (Vec<Bin>, Vec<Bin>) =
            std::mem::take(&mut self.open).into_iter().partition(done);
        self.closed.extend(closed);
        self.closed
            .sort_by_key(|b| (b.interval, b.task, b.outcome, b.status));
        self.open = open;
        self.by_task.iter_mut().for_each(Vec::clear);
        for (i, b) in self.open.iter().enumerate() {
            self.by_task[b.task as usize].push(i);
        }
        self.last = None;
    }

    /// The bins handed out and not yet recycled.
    pub(crate) fn closed(&self) -> &[Bin] {
        &self.closed
    }

    /// Done with the closed bins: keep their memory for new ones.
    pub(crate) fn recycle(&mut self) {
        for mut bin in self.closed.drain(..) {
            bin.latency.reset();
            self.spare.push(bin.latency);
        }
    }

    /// When the last request that was sent ended, in µs from the start:
    /// where `report`'s time series ends (unsent requests are not in it).
    pub(crate) fn sent_end_us(&self) -> u64 {
        self.sent_end_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ErrorKind;

    fn sample(elapsed_ms: u64, latency_ms: u64, task: u16, status: u16) -> Sample {
        Sample {
            elapsed_us: elapsed_ms * 1000,
            latency_us: latency_ms * 1000,
            wait_us: 0,
            bytes: 0,
            status,
            task,
            error: None,
            connect_us: 0,
            tls_us: 0,
        }
    }

    fn summary(bins: &IntervalBins) -> Vec<(u64, u16, String, u64)> {
        bins.closed()
            .iter()
            .map(|b| {
                (
                    b.interval,
                    b.task,
                    b.outcome.label(),
                    b.latency.histogram().len(),
                )
            })
            .collect()
    }

    #[test]
    fn bins_by_completion_interval_task_and_outcome_and_a_late_request_keeps_its_interval() {
        let mut bins = IntervalBins::new(1_000_000);
        bins.add(&sample(900, 50, 0, 200)); // ends at 0.95 s
        bins.add(&sample(900, 150, 0, 200)); // ends at 1.05 s
        bins.add(&sample(100, 10, 1, 503));
        bins.add(&sample(200, 10, 0, 200));
        bins.close(Some(0));
        assert_eq!(
            summary(&bins),
            [(0, 0, "200".into(), 2), (0, 1, "503".into(), 1)]
        );
        bins.recycle();
        // Late: it ended in interval 0, which is already out.
        bins.add(&sample(500, 10, 0, 200));
        let mut unsent = sample(1990, 5, 1, 0);
        unsent.error = Some(ErrorKind::Unsent);
        bins.add(&unsent);
        bins.close(None);
        assert_eq!(
            summary(&bins),
            [
                (0, 0, "200".into(), 1),
                (1, 0, "200".into(), 1),
                (1, 1, "unsent".into(), 1)
            ]
        );
        assert_eq!(bins.sent_end_us(), 1_050_000, "unsent requests end nothing");
        bins.recycle();
        assert!(bins.closed().is_empty());
        assert_eq!(bins.spare.len(), 3, "their memory is kept for reuse");
    }
}
