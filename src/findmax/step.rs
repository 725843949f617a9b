//! One step: the plan run by the engine as it is, at one fixed open-model
//! rate for the step time, its tasks named after the step; then its
//! figures, read from the recorder's histograms, the workers' reports
//! and the live gauges.

use super::slo::Slo;
use super::verdict::Figures;
use super::{Step, text};
use crate::console::errln;
use crate::engine::{self, Gauges};
use crate::output::percentile;
use crate::plan::ramp::Ramp;
use crate::plan::{Arrival, Load, Plan};
use crate::protocol::Protocol;
use crate::record::recorder::Snapshot;
use std::fs::File;
use std::io;
use std::path::Path;
use std::time::Duration;

/// What every step shares.
pub(crate) struct Steps<'a, P: Protocol> {
    pub plan: &'a Plan,
    pub protocol: &'a P,
    pub requests: &'a [P::Request],
    pub slos: &'a [Slo],
    pub step_time: Duration,
}

impl<P: Protocol> Steps<'_, P> {
    /// Run step `index` (from 1) at `target` requests/s, writing its rows
    /// to `csv` if given. Its verdict is left to the caller, which knows
    /// the steps before it.
    pub(crate) fn run(&self, index: usize, target: f64, csv: Option<&Path>) -> io::Result<Step> {
        let plan = self.plan_at(index, target);
        let out = csv.map(File::create).transpose()?;
        let mut busy_max = 0;
        let mut cpu_busy = None;
        let began = std::time::Instant::now();
        let quiet = plan.quiet;
        let of = self.step_time.as_secs_f64();
        let on_interval = |snap: &Snapshot, gauges: Gauges| {
            busy_max = busy_max.max(gauges.active);
            // The workers are gone by the final snapshot.
            if !snap.is_final {
                cpu_busy = super::cpu::busiest_worker(began.elapsed()).or(cpu_busy);
            }
            if !quiet && !snap.is_final && crate::output::live::worth_printing(snap) {
                errln!("{}", text::live(index, target, snap, gauges, of));
            }
        };
        let outcome = engine::run(&plan, self.protocol, self.requests, out, on_interval)?;
        if let Some(e) = outcome.recorded.csv_error {
            return Err(e);
        }
        let stats = &outcome.recorded.stats;
        let t = &stats.total;
        let figures = Figures {
            target,
            step_time: self.step_time,
            requests: t.requests,
            responses: t.responses,
            span: stats.span(),
            min_latency: Duration::from_micros(t.min_us()),
            unsent: stats.unsent(),
            late: outcome.workers.late,
            stalls: outcome.workers.stalls,
            cpu_busy,
            busy_max,
            connections: plan.users,
            service_p50_us: percentile(&stats.service, 50.0),
            service_min_us: (!stats.service.is_empty()).then(|| stats.service.min()),
            failed: t.failures.saturating_sub(stats.unsent()),
            service_breaks_slo: self.slos.iter().any(|slo| slo.broken_by(&stats.service)),
            slo_breaches: self
                .slos
                .iter()
                .filter_map(|slo| slo.breach(t, self.step_time))
                .collect(),
        };
        Ok(Step {
            index,
            figures,
            // Read as the objectives are judged, so the table and the
            // reasons show the same figure.
            latency_us: [50.0, 90.0, 99.0]
                .map(|q| crate::check::thresholds::latency(t, Some(q)).us),
            error_pct: t.failure_pct(),
            verdict: None,
        })
    }

    /// The plan of one step: the search's, at `target` for the step time,
    /// its tasks' names prefixed with the step's.
    fn plan_at(&self, index: usize, target: f64) -> Plan {
        let mut plan = self.plan.clone();
        let arrival = match &plan.load {
            Load::Open { arrival, .. } => *arrival,
            Load::Closed { .. } => Arrival::Uniform,
        };
        plan.load = Load::Open {
            rate: Ramp::constant(target, self.step_time),
            arrival,
        };
        plan.duration = self.step_time;
        let prefix = text::task_prefix(index, target);
        for task in &mut plan.tasks {
            task.name.insert_str(0, &prefix);
        }
        plan
    }
}
