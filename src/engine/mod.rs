//! The engine: pinned worker threads, each with its own event loop, feeding
//! one recorder. `run` wires them together and waits for the end.

mod connection;
mod exchange;
mod nap;
pub(crate) mod pacer;
mod slot;
mod stall;
mod start;
mod tasks;
#[cfg(test)]
mod tests;
mod timer;
mod transport;
mod worker;

use crate::cores;
use crate::plan::Plan;
use crate::protocol::Protocol;
use crate::record::recorder::{Recorded, Recorder, Snapshot};
pub(crate) use stall::Stalls;
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use worker::Worker;
pub(crate) use worker::{Shared, WorkerReport, requests_share};

/// What a finished run leaves behind.
pub(crate) struct Outcome {
    pub recorded: Recorded,
    /// Every worker's report, added up.
    pub workers: WorkerReport,
    /// With `--start-at`: when the run actually started, minus that moment, in µs.
    pub start_skew_us: Option<i64>,
}

/// Gauges the live output reads once per interval.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gauges {
    /// Users running (closed model) or connections busy (open model);
    /// pipelined, busy slots over the depth, rounded up.
    pub active: usize,
    /// Requests due but not yet sent (open model).
    pub queued: usize,
}

/// Run the plan with `requests`, the tasks' requests as `protocol`
/// prepared them, in task order. `out` is results.csv, created (emptied)
/// once the run is sure to start.
/// `on_interval` runs on the recorder thread once a second and at the end,
/// with the snapshot and the gauges.
pub(crate) fn run<P: Protocol>(
    plan: &Plan,
    protocol: &P,
    requests: &[P::Request],
    out: Option<File>,
    mut on_interval: impl FnMut(&Snapshot, Gauges),
) -> io::Result<Outcome> {
    let names: Vec<String> = plan.tasks.iter().map(|t| t.name.clone()).collect();
    let (recorder, pipes) = Recorder::new(out, &names, plan.hdr_log.is_some())?;
    let (start, start_skew_us) = start::moment(plan.start_at.as_ref());
    let shared = Shared {
        start,
        active_users: AtomicUsize::new(0),
        queued: AtomicUsize::new(0),
        workers_done: AtomicUsize::new(0),
        active_at_stop: AtomicUsize::new(0),
        queued_at_stop: AtomicUsize::new(0),
        rows_taken: (plan.journey.data.iter())
            .map(|_| AtomicUsize::new(0))
            .collect(),
    };
    let of = plan.workers.len();
    let (recorded, reports) = std::thread::scope(|scope| {
        let handles: Vec<_> = plan
            .workers
            .iter()
            .enumerate()
            .map(|(index, core)| {
                let pipes = crate::record::recorder::Pipes {
                    samples: pipes.samples.clone(),
                    empties: pipes.empties.clone(),
                };
                let shared = &shared;
                std::thread::Builder::new()
                    .name(format!("worker-{index}"))
                    .spawn_scoped(scope, move || {
                        if let Some(core) = core {
                            cores::pin_current(*core);
                        }
                        // The worker's hand of the whole plan: its share of
                        // its segment's users and arrivals.
                        let (index, of) = plan.segment.nest(index, of);
                        let report =
                            Worker::new(plan, protocol, requests, shared, pipes, index, of)
                                .and_then(|worker| worker.run());
                        shared.workers_done.fetch_add(1, Ordering::Relaxed);
                        report
                    })
            })
            .collect();
        // The recorder stops when the last sender is gone, so ours must go.
        drop(pipes);
        let recorded = recorder.run(shared.start, Duration::from_secs(1), |snap| {
            // The intervals the run ended inside are shown once every worker
            // is done: they show the gauges as the run left them, not 0.
            let (active, queued) = if shared.workers_done.load(Ordering::Relaxed) < of {
                (&shared.active_users, &shared.queued)
            } else {
                (&shared.active_at_stop, &shared.queued_at_stop)
            };
            // Pipelined, a user or connection is `depth` slots.
            let gauges = Gauges {
                active: active.load(Ordering::Relaxed).div_ceil(plan.pipeline),
                queued: queued.load(Ordering::Relaxed),
            };
            on_interval(snap, gauges)
        });
        let reports: Vec<io::Result<WorkerReport>> = handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("a worker thread panicked"))),
                Err(e) => Err(e),
            })
            .collect();
        (recorded, reports)
    });
    let mut workers = WorkerReport::default();
    for report in reports {
        workers.absorb(report?);
    }
    Ok(Outcome {
        recorded,
        workers,
        start_skew_us,
    })
}
