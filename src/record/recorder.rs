//! The recorder thread: drains sample batches, writes results.csv, keeps the
//! stats, and hands a snapshot to the live output once per interval.

use super::csv_out::CsvOut;
use super::sample::Sample;
use super::stats::{Stats, Tally};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::fs::File;
use std::io::{self, BufWriter};
use std::time::{Duration, Instant};

/// Samples a worker collects before it hands them over.
pub const BATCH_SIZE: usize = 2048;
/// Batches that may wait in the channel before workers have to hold on to theirs.
pub const CHANNEL_BATCHES: usize = 256;

/// What the live output sees once per interval.
pub struct Snapshot<'a> {
    /// Time since the start of the run.
    pub elapsed: Duration,
    /// Requests recorded during this interval.
    pub interval: &'a Tally,
    /// Length of this interval (the last one may be short).
    pub interval_len: Duration,
    pub total: &'a Tally,
    /// True for the one snapshot taken after the last sample.
    pub is_final: bool,
}

/// The pair of channels between the workers and the recorder. Emptied batch
/// vectors travel back so that workers do not allocate new ones.
pub struct Pipes {
    pub samples: Sender<Vec<Sample>>,
    pub empties: Receiver<Vec<Sample>>,
}

pub struct Recorder {
    samples: Receiver<Vec<Sample>>,
    empties: Sender<Vec<Sample>>,
    csv: Option<CsvOut<BufWriter<File>>>,
    csv_error: Option<io::Error>,
    stats: Stats,
    interval: Tally,
}

/// What the recorder leaves behind.
pub struct Recorded {
    pub stats: Stats,
    /// The first error writing results.csv, if any; rows after it are missing.
    pub csv_error: Option<io::Error>,
}

impl Recorder {
    /// Create the recorder and the pipes workers send into. The CSV header is
    /// written here, before any request is sent.
    pub fn new(out: Option<File>, task_names: &[String]) -> io::Result<(Recorder, Pipes)> {
        let (tx, rx) = crossbeam_channel::bounded(CHANNEL_BATCHES);
        let (empty_tx, empty_rx) = crossbeam_channel::unbounded();
        let csv = match out {
            Some(f) => Some(CsvOut::new(BufWriter::with_capacity(256 * 1024, f), task_names)?),
            None => None,
        };
        let recorder = Recorder {
            samples: rx,
            empties: empty_tx,
            csv,
            csv_error: None,
            stats: Stats::new(task_names.len()),
            interval: Tally::default(),
        };
        Ok((recorder, Pipes { samples: tx, empties: empty_rx }))
    }

    /// Run until every sender is gone. `on_interval` is called every `tick`,
    /// aligned to `start`, and once more at the end.
    pub fn run(mut self, start: Instant, tick: Duration, mut on_interval: impl FnMut(&Snapshot)) -> Recorded {
        let mut interval_start = start;
        let mut next_tick = start + tick;
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            match self.samples.recv_timeout(wait) {
                Ok(batch) => self.take(batch),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let now = Instant::now();
            if now >= next_tick {
                self.emit(start, interval_start, next_tick, false, &mut on_interval);
                interval_start = next_tick;
                // Skip ticks we slept through rather than printing a burst of them.
                while next_tick <= now {
                    next_tick += tick;
                }
            }
        }
        self.emit(start, interval_start, Instant::now(), true, &mut on_interval);
        if let Some(csv) = self.csv.take() {
            if let Err(e) = csv.finish() {
                self.csv_error.get_or_insert(e);
            }
        }
        Recorded { stats: self.stats, csv_error: self.csv_error }
    }

    fn take(&mut self, mut batch: Vec<Sample>) {
        for s in &batch {
            self.stats.add(s);
            self.interval.add(s);
        }
        if let Some(csv) = &mut self.csv {
            if let Err(e) = batch.iter().try_for_each(|s| csv.write(s)) {
                // Keep counting; the run reports the CSV as incomplete at the end.
                self.csv_error = Some(e);
                self.csv = None;
            }
        }
        batch.clear();
        // Workers may all be gone at the end; then the vector is simply dropped.
        let _ = self.empties.send(batch);
    }

    fn emit(
        &mut self,
        start: Instant,
        from: Instant,
        to: Instant,
        is_final: bool,
        on_interval: &mut impl FnMut(&Snapshot),
    ) {
        on_interval(&Snapshot {
            elapsed: to.saturating_duration_since(start),
            interval: &self.interval,
            interval_len: to.saturating_duration_since(from),
            total: &self.stats.total,
            is_final,
        });
        self.interval.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_everything_sent_and_recycles_batches() {
        let (rec, pipes) = Recorder::new(None, &["t".to_string()]).unwrap();
        let start = Instant::now();
        let worker = std::thread::spawn(move || {
            for i in 0..10u64 {
                let batch = (0..100)
                    .map(|j| Sample { elapsed_us: i, latency_us: j + 1, wait_us: 0, bytes: 1, status: 200, task: 0, error: None })
                    .collect();
                pipes.samples.send(batch).unwrap();
            }
            drop(pipes.samples);
            pipes.empties
        });
        let mut finals = 0;
        let recorded = rec.run(start, Duration::from_millis(50), |snap| finals += snap.is_final as u32);
        let empties = worker.join().unwrap();
        assert_eq!(recorded.stats.total.requests, 1000);
        assert_eq!(finals, 1);
        assert_eq!(empties.try_iter().count(), 10);
    }
}
