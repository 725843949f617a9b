//! results.csv back into figures: the summary, a time series, and a sample
//! of points for a scatter chart. `report` and `check` read nothing else,
//! so they work the same on a CSV from another box, from several boxes, or
//! from last month.

pub(crate) mod hlog;
pub(crate) mod html;
pub(crate) mod load;
pub(crate) mod series;
pub(crate) mod svg;

use crate::record::meta::RunMeta;
use crate::record::{Sample, Stats};
use crate::rng::Rng;
use load::Tasks;
use series::Series;
use std::path::Path;
use std::time::Duration;

/// Points kept for a scatter chart, whatever the number of rows.
pub(crate) const SCATTER_POINTS: usize = 5000;

/// Everything read from one or more results.csv files.
pub(crate) struct Report {
    pub tasks: Tasks,
    pub stats: Stats,
    pub series: Series,
    /// A uniform sample of (elapsed_us, latency_us, failed), at most `SCATTER_POINTS`.
    pub scatter: Vec<(u64, u64, bool)>,
    /// How many rows the scatter sample was drawn from.
    pub rows: u64,
    /// From the start to the last completion.
    pub run_time: Duration,
    /// A method per task: the run's, from its meta file, or else guessed
    /// from the default name `METHOD /path`.
    pub methods: Vec<String>,
    /// What the run wrote beside the first file that has a meta file.
    pub meta: Option<RunMeta>,
    /// Some file has the `connect_us` and `tls_us` columns, so the connect
    /// and TLS figures in `stats` mean something.
    pub connection_times: bool,
    /// The logs read that are not stampede's: they tell no failures, so
    /// the error rate and the rates of responses cannot come from them.
    pub foreign_logs: Vec<String>,
    pub warnings: Vec<String>,
}

impl Report {
    /// Read `paths` (merged into one run) with time-series buckets of
    /// `interval`, or coarser ones for a long run (see `Series::add`).
    pub(crate) fn load(
        paths: &[&Path],
        interval: Duration,
        by_task: bool,
    ) -> Result<Report, String> {
        let mut meta = None;
        for path in paths {
            if let Some(found) = RunMeta::find(path)? {
                meta = Some(found);
                break;
            }
        }
        let mut tasks = Tasks::default();
        if let Some(meta) = &meta {
            tasks.seed(meta.tasks.iter().map(|(_, name)| name.as_str()))?;
        }
        let mut stats = Stats::new(0);
        let mut series = Series::new(interval.as_micros() as u64, by_task);
        let mut scatter = Vec::with_capacity(SCATTER_POINTS);
        let mut rng = Rng::new(1);
        let mut rows = 0u64;
        let mut loaded = load::Loaded::default();
        let (mut csvs, mut logs, mut foreign_logs) = (0, Vec::new(), Vec::new());
        for &path in paths {
            if hlog::is_log(path)? {
                let read = hlog::read(path, &mut tasks, |e: &hlog::Entry| {
                    stats.ensure_tasks(e.task as usize + 1);
                    stats.add_histogram(e.task, (e.outcome, e.status), &e.latency);
                    series.add_histogram(e.interval_us, e.task, e.outcome, &e.latency)
                })?;
                stats.extend_span(read.span_us);
                series.extend_end(read.sent_us);
                loaded.warnings.extend(read.warnings);
                logs.push(path.display().to_string());
                if !read.outcomes_known {
                    foreign_logs.push(path.display().to_string());
                }
                continue;
            }
            csvs += 1;
            let more = load::read_all(&[path], &mut tasks, |s: &Sample| {
                stats.ensure_tasks(s.task as usize + 1);
                stats.add(s);
                series.add(s);
                // Reservoir sampling: every row has the same chance to be kept.
                rows += 1;
                let point = (s.elapsed_us, s.latency_us, s.is_failure());
                if scatter.len() < SCATTER_POINTS {
                    scatter.push(point);
                } else {
                    let j = rng.between(0, rows - 1) as usize;
                    if j < SCATTER_POINTS {
                        scatter[j] = point;
                    }
                }
                Ok(())
            })?;
            loaded.warnings.extend(more.warnings);
            loaded
                .without_connection_times
                .extend(more.without_connection_times);
        }
        if stats.total.requests == 0 {
            // A lone row cut off mid-write is the likely story: say so.
            if let Some(warning) = loaded.warnings.first() {
                return Err(format!("no complete request: {warning}"));
            }
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(format!(
                "{}: no requests in it, only the header",
                names.join(", ")
            ));
        }
        stats.ensure_tasks(tasks.names.len());
        let run_methods: std::collections::HashMap<&str, &str> = meta
            .iter()
            .flat_map(|m| &m.tasks)
            .map(|(method, name)| (name.as_str(), method.as_str()))
            .collect();
        let methods = tasks
            .names
            .iter()
            .map(|n| {
                run_methods
                    .get(n.as_str())
                    .map_or_else(|| guess_method(n), |m| m.to_string())
            })
            .collect();
        let run_time = stats.span();
        let mut warnings = loaded.warnings;
        let older = &loaded.without_connection_times;
        let connection_times = older.len() < csvs;
        if connection_times && !older.is_empty() {
            let their = if older.len() == 1 { "its" } else { "their" };
            warnings.push(format!(
                "{}: 7 columns, without connect_us and tls_us: the connect and TLS figures leave out {their} rows",
                older.join(", ")
            ));
        }
        if !logs.is_empty() {
            let their = if logs.len() == 1 { "its" } else { "their" };
            warnings.push(format!(
                "{}: an HdrHistogram log keeps latencies (to 3 significant digits) and counts by task, status and error, per 1 s interval: the bytes, wait, service, connect and TLS figures and the scatter chart leave out {their} requests",
                logs.join(", "),
            ));
        }
        Ok(Report {
            tasks,
            stats,
            series,
            scatter,
            rows,
            run_time,
            methods,
            meta,
            connection_times,
            foreign_logs,
            warnings,
        })
    }
}

/// The CSV keeps task names, not methods; a default name starts with one.
fn guess_method(name: &str) -> String {
    match name.split_once(' ') {
        Some((m, rest))
            if rest.starts_with('/')
                && !m.is_empty()
                && m.bytes().all(|b| b.is_ascii_uppercase()) =>
        {
            m.to_string()
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_come_from_default_names() {
        assert_eq!(guess_method("GET /hello"), "GET");
        assert_eq!(guess_method("upload"), "");
        assert_eq!(guess_method("get /x"), "");
    }
}
