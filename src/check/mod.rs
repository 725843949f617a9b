//! `stampede check`: the CI gate. It reads nothing but results.csv (one
//! run, possibly merged from several boxes), checks thresholds on it, and
//! optionally compares it with a baseline run; see `baseline` for the
//! method. It prints one aligned line per check and a summary, can write
//! the same verdict as JUnit XML, and exits 0 only when every check passes.

pub mod args;
pub mod baseline;
pub mod junit;
pub mod thresholds;
pub mod verdict;

pub use args::CheckArgs;

use crate::cli::USAGE_EXIT;
use crate::console::{errln, out};
use crate::record::stats::Tally;
use crate::report::Report;
use args::Plan;
use baseline::Side;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thresholds::{Figures, evaluate};
use verdict::Verdict;

/// Exit code when a check failed.
pub const FAIL_EXIT: i32 = 1;

/// Throughput is compared between runs over intervals of this length.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Validate, load, check, print; returns the exit code.
pub fn run(args: &CheckArgs) -> i32 {
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
    if verdicts.iter().all(|v| v.pass) {
        0
    } else {
        FAIL_EXIT
    }
}

/// Every check of `plan`, in the order given.
pub fn verdicts(plan: &Plan) -> Result<Vec<Verdict>, String> {
    // Per-task series only when a task's throughput is compared.
    let by_task = plan
        .groups
        .iter()
        .any(|g| g.task.is_some() && g.max_regression.is_some());
    let run = load(&plan.files, by_task)?;
    let base = match &plan.baseline {
        Some(path) => Some(load(std::slice::from_ref(path), by_task)?),
        None => None,
    };
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
            out.extend(baseline::compare(
                &side(base, base_index),
                &side(&run, index),
                pct,
                task,
            ));
        }
    }
    Ok(out)
}

fn load(paths: &[PathBuf], by_task: bool) -> Result<Report, String> {
    let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let report = Report::load(&paths, INTERVAL, by_task)?;
    for w in &report.warnings {
        errln!("stampede: warning: {w}");
    }
    Ok(report)
}

fn task_index(report: &Report, name: &str, whose: &str) -> Result<usize, String> {
    let names = &report.tasks.names;
    names.iter().position(|n| n == name).ok_or_else(|| {
        let list: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
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

/// A run as the baseline comparison sees it: latencies, and the requests
/// completed in each whole interval (the first and last are partial, and
/// dropped).
fn side(report: &Report, task: Option<usize>) -> Side<'_> {
    let total = &report.series.total;
    let mut counts: Vec<u64> = match (task, &report.series.by_task) {
        (Some(i), Some(by_task)) => by_task
            .get(i)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|b| b.requests)
            .collect(),
        _ => total.iter().map(|b| b.requests).collect(),
    };
    counts.resize(total.len(), 0);
    let whole = if counts.len() > 2 {
        counts[1..counts.len() - 1].to_vec()
    } else {
        Vec::new()
    };
    Side {
        tally: tally(report, task),
        counts: whole,
    }
}
