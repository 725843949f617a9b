//! The recorder thread: drains sample batches, writes results.csv, keeps the
//! stats, and hands a snapshot to the live output once per interval.

use super::csv_out::CsvOut;
use super::interval_bins::IntervalBins;
use super::sample::Sample;
use super::stats::{Stats, Tally};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter};
use std::time::{Duration, Instant};

/// Samples a worker collects before it hands them over.
pub(crate) const BATCH_SIZE: usize = 2048;
/// Batches that may wait in the channel before workers have to hold on to theirs.
pub(crate) const CHANNEL_BATCHES: usize = 256;

/// What the live output sees: once per interval, and once at the end.
pub(crate) struct Snapshot<'a> {
    /// Time from the start of the run to the end of this interval.
    pub elapsed: Duration,
    /// Requests that completed during this interval; at the end, the whole run.
    pub interval: &'a Tally,
    /// Length of the interval; at the end, of the whole run.
    pub interval_len: Duration,
    /// Everything recorded so far, including requests that completed after
    /// this interval and before the recorder looked.
    pub stats: &'a Stats,
    /// Requests and failures that completed by the end of this interval:
    /// the intervals shown so far, added up. At the end, the whole run.
    pub so_far: Counts,
    /// True for the one snapshot taken after the last sample.
    pub is_final: bool,
    /// Latencies by task and outcome of the intervals that are complete
    /// (`closed()`, all that is left in the final snapshot): what
    /// `--hdr-log` writes.
    pub bins: &'a IntervalBins,
    /// Why results.csv could not be written, once it failed: the run goes
    /// on for the live figures, and the user hears of it at once.
    pub csv_error: Option<&'a io::Error>,
}

/// Requests and failures, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub requests: u64,
    pub failures: u64,
}

impl Counts {
    pub(crate) fn failure_pct(&self) -> f64 {
        super::stats::failure_pct(self.failures, self.requests)
    }
}

/// The pair of channels between the workers and the recorder. Emptied batch
/// vectors travel back so that workers do not allocate new ones.
pub(crate) struct Pipes {
    pub samples: Sender<Vec<Sample>>,
    pub empties: Receiver<Vec<Sample>>,
}

pub(crate) struct Recorder {
    samples: Receiver<Vec<Sample>>,
    empties: Sender<Vec<Sample>>,
    csv: Option<CsvOut<BufWriter<File>>>,
    csv_error: Option<io::Error>,
    stats: Stats,
    intervals: Intervals,
    bins: IntervalBins,
    /// Whether `bins` are wanted (`--hdr-log`): sorting every sample into
    /// them costs about half what the run's own histograms do.
    keep_bins: bool,
}

/// What the recorder leaves behind.
pub(crate) struct Recorded {
    pub stats: Stats,
    /// The first error writing results.csv, if any; rows after it are missing.
    pub csv_error: Option<io::Error>,
}

impl Recorder {
    /// Create the recorder and the pipes workers send into. The CSV header is
    /// written here, before any request is sent. `keep_bins`: each
    /// interval's histograms by task and outcome are kept for a log.
    pub(crate) fn new(
        out: Option<File>,
        task_names: &[String],
        keep_bins: bool,
    ) -> io::Result<(Recorder, Pipes)> {
        let (tx, rx) = crossbeam_channel::bounded(CHANNEL_BATCHES);
        let (empty_tx, empty_rx) = crossbeam_channel::unbounded();
        let csv = match out {
            Some(f) => Some(CsvOut::new(
                BufWriter::with_capacity(256 * 1024, f),
                task_names,
            )?),
            None => None,
        };
        let recorder = Recorder {
            samples: rx,
            empties: empty_tx,
            csv,
            csv_error: None,
            stats: Stats::new(task_names.len()),
            intervals: Intervals::default(),
            bins: IntervalBins::new(0),
            keep_bins,
        };
        Ok((
            recorder,
            Pipes {
                samples: tx,
                empties: empty_rx,
            },
        ))
    }

    /// Run until every sender is gone. Requests are binned by the moment
    /// they completed; `on_interval` sees each `tick`-long interval once
    /// `GRACE` has passed after its end (so that late batches are in it),
    /// and then once more at the end with the whole run.
    pub(crate) fn run(
        mut self,
        start: Instant,
        tick: Duration,
        mut on_interval: impl FnMut(&Snapshot),
    ) -> Recorded {
        self.intervals.tick_us = tick.as_micros().max(1) as u64;
        self.bins = IntervalBins::new(self.intervals.tick_us);
        loop {
            let due = start + tick * (self.intervals.first as u32 + 1) + GRACE;
            match self.samples.recv_deadline(due) {
                Ok(batch) => self.take(batch),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            while Instant::now() >= start + tick * (self.intervals.first as u32 + 1) + GRACE {
                let tally = self.intervals.pop_first();
                self.bins.close(Some(self.intervals.first - 1));
                on_interval(&Snapshot {
                    elapsed: tick * self.intervals.first as u32,
                    interval: &tally,
                    interval_len: tick,
                    stats: &self.stats,
                    so_far: self.intervals.reported,
                    is_final: false,
                    csv_error: self.csv_error.as_ref(),
                    bins: &self.bins,
                });
                self.intervals.recycle(tally);
                self.bins.recycle();
            }
        }
        let run_time = start.elapsed();
        // Report what is left: the intervals the run ended inside.
        while !self.intervals.open.is_empty() {
            let began = tick * self.intervals.first as u32;
            let tally = self.intervals.pop_first();
            self.bins.close(Some(self.intervals.first - 1));
            on_interval(&Snapshot {
                elapsed: (began + tick).min(run_time),
                interval: &tally,
                interval_len: run_time.saturating_sub(began).min(tick),
                stats: &self.stats,
                so_far: self.intervals.reported,
                is_final: false,
                csv_error: self.csv_error.as_ref(),
                bins: &self.bins,
            });
            self.intervals.recycle(tally);
            self.bins.recycle();
        }
        // The last rows are flushed first, so that the final snapshot
        // knows whether the file is whole.
        if let Some(csv) = self.csv.take()
            && let Err(e) = csv.finish()
        {
            self.csv_error.get_or_insert(e);
        }
        self.bins.close(None);
        on_interval(&Snapshot {
            elapsed: run_time,
            interval: &self.stats.total,
            interval_len: run_time,
            stats: &self.stats,
            so_far: Counts {
                requests: self.stats.total.requests,
                failures: self.stats.total.failures,
            },
            is_final: true,
            csv_error: self.csv_error.as_ref(),
            bins: &self.bins,
        });
        Recorded {
            stats: self.stats,
            csv_error: self.csv_error,
        }
    }

    fn take(&mut self, mut batch: Vec<Sample>) {
        for s in &batch {
            self.stats.add(s);
            self.intervals.slot(s).add(s);
        }
        if self.keep_bins {
            batch.iter().for_each(|s| self.bins.add(s));
        }
        if let Some(csv) = &mut self.csv
            && let Err(e) = batch.iter().try_for_each(|s| csv.write(s))
        {
            // Keep counting; the run reports the CSV as incomplete at the end.
            self.csv_error = Some(e);
            self.csv = None;
        }
        batch.clear();
        // Workers may all be gone at the end; then the vector is simply dropped.
        let _ = self.empties.send(batch);
    }
}

/// How long after an interval ends it is reported: longer than a worker
/// holds on to its batch, so the interval is complete when it is shown.
const GRACE: Duration = Duration::from_millis(250);
/// Intervals kept open at once; a sample completing further ahead (which
/// only happens when the recorder lags) counts in the last open one.
const MAX_OPEN: usize = 4;

/// Per-interval tallies, binned by completion time.
#[derive(Default)]
struct Intervals {
    tick_us: u64,
    /// Index of the oldest interval not yet reported.
    first: u64,
    open: VecDeque<Tally>,
    spare: Vec<Tally>,
    /// The intervals popped so far, added up.
    reported: Counts,
}

impl Intervals {
    fn slot(&mut self, s: &Sample) -> &mut Tally {
        let index = (s.elapsed_us.saturating_add(s.latency_us)) / self.tick_us;
        // A sample for an interval already reported counts in the oldest open one.
        let i = (index.saturating_sub(self.first) as usize).min(MAX_OPEN - 1);
        while self.open.len() <= i {
            let fresh = self.spare.pop().unwrap_or_default();
            self.open.push_back(fresh);
        }
        &mut self.open[i]
    }

    fn pop_first(&mut self) -> Tally {
        self.first += 1;
        let tally = self
            .open
            .pop_front()
            .unwrap_or_else(|| self.spare.pop().unwrap_or_default());
        self.reported.requests += tally.requests;
        self.reported.failures += tally.failures;
        tally
    }

    /// Histograms are large; reuse them rather than allocate one a second.
    fn recycle(&mut self, mut tally: Tally) {
        tally.reset();
        self.spare.push(tally);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_everything_sent_and_recycles_batches() {
        let (rec, pipes) = Recorder::new(None, &["t".to_string()], false).unwrap();
        let start = Instant::now();
        let worker = std::thread::spawn(move || {
            for i in 0..10u64 {
                let batch = (0..100)
                    .map(|j| Sample {
                        elapsed_us: i,
                        latency_us: j + 1,
                        wait_us: 0,
                        bytes: 1,
                        status: 200,
                        task: 0,
                        error: None,
                        connect_us: 0,
                        tls_us: 0,
                    })
                    .collect();
                pipes.samples.send(batch).unwrap();
            }
            drop(pipes.samples);
            pipes.empties
        });
        let (mut finals, mut shown, mut so_far) = (0, 0, Counts::default());
        let recorded = rec.run(start, Duration::from_millis(50), |snap| {
            finals += snap.is_final as u32;
            if !snap.is_final {
                shown += snap.interval.requests;
                assert_eq!(snap.so_far.requests, shown, "so far = intervals shown");
                so_far = snap.so_far;
            }
        });
        assert_eq!(so_far.requests, 1000, "the intervals add up to the run");
        let empties = worker.join().unwrap();
        assert_eq!(recorded.stats.total.requests, 1000);
        assert_eq!(finals, 1);
        assert_eq!(empties.try_iter().count(), 10);
    }
}
