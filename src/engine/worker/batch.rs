//! A worker's samples on their way to the recorder: batched, handed over
//! without blocking, and never dropped.

use super::{FLUSH_EVERY, Worker};
use crate::protocol::Protocol;
use crate::record::Sample;
use crate::record::recorder::BATCH_SIZE;
use crossbeam_channel::TrySendError;
use std::time::Instant;

impl<P: Protocol> Worker<'_, P> {
    #[inline]
    pub(super) fn record(&mut self, sample: Sample) {
        self.batch.push(sample);
        if self.batch.len() == BATCH_SIZE {
            self.flush();
        }
    }

    /// Once a loop turn: hand over a batch that is full (a held one is
    /// retried here) or has waited `FLUSH_EVERY`.
    pub(super) fn retry_or_flush(&mut self, now: Instant) {
        let waited = now.saturating_duration_since(self.last_flush) >= FLUSH_EVERY;
        if self.batch.len() >= BATCH_SIZE || (!self.batch.is_empty() && waited) {
            self.flush();
        }
    }

    /// Hand the batch to the recorder without blocking. When the channel is
    /// full the batch stays here and grows; nothing is dropped.
    pub(super) fn flush(&mut self) {
        self.last_flush = Instant::now();
        match self.pipes.samples.try_send(std::mem::take(&mut self.batch)) {
            Ok(()) => {
                self.batch = self
                    .pipes
                    .empties
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH_SIZE));
            }
            Err(TrySendError::Full(batch) | TrySendError::Disconnected(batch)) => {
                self.report.backpressure += 1;
                self.batch = batch;
            }
        }
    }

    /// At the end, wait for room: every sample must reach the recorder.
    pub(super) fn flush_all(&mut self) {
        if !self.batch.is_empty() {
            let _ = self.pipes.samples.send(std::mem::take(&mut self.batch));
        }
    }
}
