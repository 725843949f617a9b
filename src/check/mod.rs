//! `stampede check`: the CI gate. It reads nothing but results.csv (one
//! run, possibly merged from several boxes), checks thresholds on it, and
//! optionally compares it with a baseline run; see `baseline` for the
//! method. It prints one aligned line per check and a summary, can write
//! the same verdict as JUnit XML, and exits 0 only when every check passes.

pub(crate) mod args;
pub(crate) mod baseline;
pub(crate) mod junit;
pub(crate) mod shift;
pub(crate) mod thresholds;
pub(crate) mod verdict;

pub use args::CheckArgs;

use crate::cli::USAGE_EXIT;
use crate::console::{errln, out};
use crate::output::{COLUMN_MAX, fit};
use crate::record::stats::Tally;
use crate::report::Report;
use crate::report::series::Bucket;
use crate::units::format_duration;
use args::Plan;
use baseline::{Margin, PERCENTILES, Side};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thresholds::{Figures, Kind, evaluate};
use verdict::{Status, Verdict};

/// Exit code when a check failed.
pub(crate) const FAIL_EXIT: i32 = 1;

/// Exit code when no check failed but a baseline comparison could not
/// decide: a CI job may retry, run longer, or let it through, but knows.
pub(crate) const INCONCLUSIVE_EXIT: i32 = 3;

/// Throughput is compared between runs over intervals of this length, or
/// coarser ones when a run is too long for `series::MAX_POINTS` of them.
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);

/// Validate, load, check, print; returns the exit code.
pub(crate) fn run(args: &CheckArgs) -> i32 {
    let verdicts = match args.validate().and_then(|plan| {
        let verdicts = verdicts(&plan)?;
        Ok((plan, verdicts))
    }) {
        Ok(v) => v,
        Err(e) => {
            errln!("stampede: {e}");
            return USAGE_EXIT;
        }
    };
    let (plan, verdicts) = verdicts;
    out!("{}", verdict::render(&verdicts));
    if let Some(path) = &plan.junit
        && let Err(e) = std::fs::write(path, junit::render(&verdicts))
    {
        errln!("stampede: --junit {}: {e}", path.display());
        return USAGE_EXIT;
    }
    match verdict::overall(&verdicts) {
        Status::Pass => 0,
        Status::Fail => FAIL_EXIT,
        Status::Inconclusive => INCONCLUSIVE_EXIT,
    }
}

/// Every check of `plan`, in the order given.
pub(crate) fn verdicts(plan: &Plan) -> Result<Vec<Verdict>, String> {
    // Per-task series only when a task is compared with the baseline.
    let by_task = plan
        .groups
        .iter()
        .any(|g| g.task.is_some() && g.max_regression.is_some());
    let mut run = load(plan, &plan.files, by_task)?;
    let mut base = match &plan.baseline {
        Some(path) => Some(load(plan, std::slice::from_ref(path), by_task)?),
        None => None,
    };
    if let Some(base) = &mut base {
        // Throughput is compared over the same intervals: the coarser of
        // the two, when a long run needed coarser ones.
        let interval_us = run.series.interval_us.max(base.series.interval_us);
        run.series.coarsen_to(interval_us);
        base.series.coarsen_to(interval_us);
        if interval_us != INTERVAL.as_micros() as u64 {
            errln!(
                "stampede: a long run: throughput is compared over intervals of {}",
                format_duration(Duration::from_micros(interval_us))
            );
        }
    }
    if let Some(w) = plan.scoping_warning(&run.tasks.names) {
        errln!("stampede: warning: {w}");
    }
    let mut out = Vec::new();
    for group in &plan.groups {
        let task = group.task.as_deref();
        let index = task.map(|name| task_index(&run, name, "")).transpose()?;
        let figures = Figures {
            tally: tally(&run, index),
            run_time: run.run_time,
        };
        out.extend(group.thresholds.iter().map(|t| evaluate(t, &figures, task)));
        if let (Some(pct), Some(base)) = (group.max_regression, &base) {
            let base_index = task
                .map(|name| task_index(base, name, "the baseline "))
                .transpose()?;
            let margin = Margin {
                pct,
                min_change_us: plan.min_change.as_secs_f64() * 1e6,
            };
            out.extend(baseline::compare(
                &side(base, base_index),
                &side(&run, index),
                margin,
                task,
            ));
        }
    }
    Ok(out)
}

/// A check that counts failures or responses cannot be made on a log that
/// does not tell them (one not from `run --hdr-log`): refused, rather than
/// passed on counts of zero.
fn needs_failures(plan: &Plan, report: &Report) -> Result<(), String> {
    let Some(log) = report.foreign_logs.first() else {
        return Ok(());
    };
    let flag = plan.groups.iter().find_map(|g| {
        let threshold = g.thresholds.iter().find_map(|t| match t.kind {
            Kind::ErrorRate => Some("--max-error-rate"),
            Kind::MinRps => Some("--min-rps"),
            _ => None,
        });
        threshold.or(g.max_regression.map(|_| "--max-regression"))
    });
    match flag {
        Some(flag) => Err(format!(
            "{flag}: {log} is not a log from stampede run --hdr-log, so it tells no failures or responses; give the run's results.csv or its own --hdr-log"
        )),
        None => Ok(()),
    }
}

fn load(plan: &Plan, paths: &[PathBuf], by_task: bool) -> Result<Report, String> {
    let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let report = Report::load(&paths, INTERVAL, by_task)?;
    needs_failures(plan, &report)?;
    for w in &report.warnings {
        errln!("stampede: warning: {w}");
    }
    Ok(report)
}

fn task_index(report: &Report, name: &str, whose: &str) -> Result<usize, String> {
    // The error stays one readable line, however many and long the names.
    const LISTED: usize = 10;
    let names = &report.tasks.names;
    names.iter().position(|n| n == name).ok_or_else(|| {
        let mut list: Vec<String> = names
            .iter()
            .take(LISTED)
            .map(|n| format!("{:?}", fit(n, COLUMN_MAX)))
            .collect();
        if names.len() > LISTED {
            list.push(format!("and {} more", names.len() - LISTED));
        }
        format!(
            "--task {name:?}: no such task in {whose}results.csv; its tasks are {}",
            list.join(", ")
        )
    })
}

fn tally(report: &Report, task: Option<usize>) -> &Tally {
    match task {
        Some(i) => &report.stats.tasks[i],
        None => &report.stats.total,
    }
}

/// A run as the baseline comparison sees it: the requests and the
/// percentiles of each whole interval (the first holds the ramp-up and the
/// last is partial: both are dropped).
fn side(report: &Report, task: Option<usize>) -> Side {
    let empty = Vec::new();
    let buckets = match (task, &report.series.by_task) {
        (Some(i), Some(by_task)) => by_task.get(i).unwrap_or(&empty),
        _ => &report.series.total,
    };
    let len = report.series.total.len();
    let whole = 1..len.saturating_sub(1);
    let default = Bucket::default();
    let bucket = |i: usize| buckets.get(i).unwrap_or(&default);
    Side {
        counts: whole.clone().map(|i| bucket(i).responses).collect(),
        percentiles: whole
            .map(bucket)
            .filter(|b| b.requests > 0)
            .map(|b| PERCENTILES.map(|q| b.percentile_ms(q) * 1000.0))
            .collect(),
    }
}
