//! The final summary on stdout: the headline block, a table per task, the
//! latency distribution, connection setup, counts by status and error, and
//! throughput.

use super::layout::{Align, Table, hang, hang_words};
use super::{
    COLUMN_MAX, DISTRIBUTION, RunInfo, SETUP_COLUMNS, TASK_COLUMNS, fit, ms, ms_f, per_sec,
    percentile, setup_figures, setup_rows, task_figures,
};
use crate::record::Stats;
use std::fmt::Write;

/// The summary, its lines at most `width` columns wherever the figures
/// allow (see `layout`).
pub(crate) fn render(stats: &Stats, info: &RunInfo, width: usize) -> String {
    let mut out = String::new();
    headline(&mut out, stats, info, width);
    task_table(&mut out, stats, info, width);
    outcome_table(&mut out, stats, info, width);
    distribution(&mut out, stats, info, width);
    connection_setup(&mut out, stats, info, width);
    let latency = stats.total.latency();
    if !latency.is_empty() {
        let _ = write!(
            out,
            "\nLatency histogram (ms; log-spaced buckets, each up to its value)\n{}",
            super::histogram::render(&latency, width)
        );
    }
    counts(&mut out, stats, info, width);
    out
}

fn headline(out: &mut String, stats: &Stats, info: &RunInfo, width: usize) {
    let t = &stats.total;
    let _ = writeln!(out, "Summary");
    let _ = writeln!(
        out,
        "  Run time        {:.2} s",
        info.run_time.as_secs_f64()
    );
    match info.users {
        Some(cap) if info.open_model => {
            let _ = writeln!(out, "  Connections     at most {cap} (open model)");
        }
        Some(users) => {
            let _ = writeln!(out, "  Users           {users}");
        }
        None => {}
    }
    let _ = writeln!(out, "  Requests        {}", t.requests);
    let _ = writeln!(out, "  Successes       {}", t.requests - t.failures);
    let _ = writeln!(out, "  Failures        {}", t.failures);
    let unsent = stats.unsent();
    if unsent > 0 {
        let why = format!(
            "{unsent} (fell due, never sent: no connection was free; not in RPS or latency)"
        );
        let _ = writeln!(out, "{}", hang_words("  Unsent          ", &why, width));
    }
    let _ = writeln!(
        out,
        "  RPS             {:.1} (responses per second)",
        stats.rate()
    );
    let _ = writeln!(out, "  Success rate    {:.2} %", 100.0 - t.failure_pct());
    let times = [
        format!("avg {}", ms_f(t.mean_us())),
        format!("stdev {}", ms_f(t.stdev_us())),
        format!("min {}", ms(t.min_us())),
        format!("max {}", ms(t.max_us())),
        format!("median {}", ms(t.percentile_us(50.0))),
        format!("p90 {} ms", ms(t.percentile_us(90.0))),
    ];
    let _ = writeln!(out, "{}", hang("  Response time   ", &times, " | ", width));
}

fn task_table(out: &mut String, stats: &Stats, info: &RunInfo, width: usize) {
    // Default names start with their method ("GET /hello"), and `report`
    // knows only those: the column then only takes room from the figures.
    let names_say_it = info.tasks.iter().all(|(m, n)| {
        m.is_empty()
            || n.strip_prefix(m.as_str())
                .is_some_and(|r| r.starts_with(' '))
    });
    let mut columns = vec![("Method", Align::Left), ("Name", Align::Left)];
    columns.extend(TASK_COLUMNS.map(|c| (c, Align::Right)));
    let skip = names_say_it as usize;
    let mut table = Table::new(&columns[skip..], 1 - skip);
    let mut row = |method: &str, name: &str, figures: [String; 9]| {
        let mut cells = vec![method.to_string(), name.to_string()];
        cells.extend(figures);
        table.row(cells.split_off(skip));
    };
    // Names are cut to COLUMN_MAX here; the JSON keeps them whole.
    for ((method, name), tally) in info.tasks.iter().zip(&stats.tasks) {
        row(
            &fit(method, COLUMN_MAX),
            &fit(name, COLUMN_MAX),
            task_figures(tally, stats.span()),
        );
    }
    row("", "Total", task_figures(&stats.total, stats.span()));
    let _ = write!(out, "\nTasks (times in ms)\n{}", table.render(width));
}

/// Locust's failures table, successes included: per task, how many
/// requests ended in each status (complete responses) or error.
fn outcome_table(out: &mut String, stats: &Stats, info: &RunInfo, width: usize) {
    let columns = [
        ("Name", Align::Left),
        ("Status/error", Align::Left),
        ("Requests", Align::Right),
    ];
    let mut table = Table::new(&columns, 0);
    for (task, (_, name)) in info.tasks.iter().enumerate() {
        for (i, (outcome, n)) in stats.outcomes(task).iter().enumerate() {
            // The name once, on its task's first row.
            let name = if i == 0 {
                fit(name, COLUMN_MAX).into_owned()
            } else {
                String::new()
            };
            table.row(vec![name, outcome.label(), n.to_string()]);
        }
    }
    let _ = write!(
        out,
        "\nStatuses and errors by task\n{}",
        table.render(width)
    );
}

/// Latency from the due moment, and its two parts: the wait before the
/// request was written, and the service time after.
fn distribution(out: &mut String, stats: &Stats, info: &RunInfo, width: usize) {
    let mut columns = vec![("", Align::Left)];
    columns.extend(DISTRIBUTION.map(|(label, _, _)| (label, Align::Right)));
    columns.push(("max", Align::Right));
    let mut table = Table::new(&columns, 0);
    let latency = stats.total.latency();
    let rows = [
        ("latency", &*latency),
        ("service", &stats.service),
        ("wait", &stats.wait),
    ];
    // HdrHistogram logs alone have no waits: latency is all there is.
    let shown = if info.histograms_only { 1 } else { rows.len() };
    for (name, h) in rows.into_iter().take(shown) {
        let mut cells = vec![name.to_string()];
        cells.extend(DISTRIBUTION.map(|(_, _, q)| ms(percentile(h, q))));
        cells.push(ms(if h.is_empty() { 0 } else { h.max() }));
        table.row(cells);
    }
    let legend = if info.histograms_only {
        "latency from the due moment (HdrHistogram logs hold no waits)"
    } else {
        "latency from the due moment = wait until the request is written + service"
    };
    let _ = write!(
        out,
        "\nLatency distribution (ms)\n{}\n{}",
        hang_words("  ", legend, width),
        table.render(width)
    );
}

/// How long opening connections took, over the requests that opened one;
/// nothing when no row is worth showing (see `setup_rows`).
fn connection_setup(out: &mut String, stats: &Stats, info: &RunInfo, width: usize) {
    let rows = setup_rows(stats, info.shows_connects());
    if rows.is_empty() {
        return;
    }
    let mut columns = vec![("", Align::Left)];
    columns.extend(SETUP_COLUMNS.map(|c| (c, Align::Right)));
    let mut table = Table::new(&columns, 0);
    for (name, h) in rows {
        let mut cells = vec![name.to_string()];
        cells.extend(setup_figures(h));
        table.row(cells);
    }
    let _ = write!(
        out,
        "\nConnection setup (ms; the requests that opened a connection)\n{}",
        table.render(width)
    );
}

fn counts(out: &mut String, stats: &Stats, info: &RunInfo, width: usize) {
    let statuses: Vec<String> = stats
        .status_counts()
        .iter()
        .map(|(code, n)| {
            if *code == 0 {
                format!("none: {n}")
            } else {
                format!("{code}: {n}")
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "\n{}",
        hang("Status codes    ", &or_none(statuses), ", ", width)
    );
    let errors: Vec<String> = stats
        .error_counts()
        .iter()
        .map(|(k, n)| format!("{}: {n}", k.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "{}",
        hang("Errors          ", &or_none(errors), ", ", width)
    );
    // The first failed `@expect` check of each task, once.
    for ((_, name), why) in info.tasks.iter().zip(&info.check_failures) {
        if let Some(why) = why {
            let first = format!("{}: {why} (the first)", fit(name, COLUMN_MAX));
            let _ = writeln!(out, "{}", hang_words("Check failed    ", &first, width));
        }
    }
    let bytes = stats.total.bytes;
    if !info.histograms_only {
        let _ = writeln!(
            out,
            "Received        {:.2} MB ({:.2} MB/s)",
            bytes as f64 / 1e6,
            per_sec(bytes, info.run_time) / 1e6
        );
    }
    if let Some(sent) = info.bytes_sent {
        let _ = writeln!(
            out,
            "Sent            {:.2} MB ({:.2} MB/s)",
            sent as f64 / 1e6,
            per_sec(sent, info.run_time) / 1e6
        );
    }
    if let Some(n) = info.connections_opened {
        let mut opened = format!("{n} opened");
        // Said once TLS is in play: a plain run has nothing to resume.
        if let Some(resumed) = info
            .connections_resumed
            .filter(|&r| r > 0 || !stats.tls.is_empty())
        {
            let _ = write!(opened, ", {resumed} of them resumed a TLS session");
        }
        if let Some(resent) = info.resent.filter(|&r| r > 0) {
            let _ = write!(
                opened,
                "; {resent} requests sent again on a new one (the server had closed a kept-alive connection as they went out)"
            );
        }
        let _ = writeln!(out, "{}", hang_words("Connections     ", &opened, width));
    }
    if let Some(why) = &info.tls_problem {
        let _ = writeln!(out, "{}", hang_words("TLS failed      ", why, width));
    }
    if let Some(why) = &info.init_problem {
        let _ = writeln!(out, "{}", hang_words("Setup refused   ", why, width));
    }
    if info.generator_lagging(stats.total.requests) {
        let warning = format!(
            "the generator itself sent {} requests more than 1 ms late with a connection free; \
             the figures include its own delay",
            info.late.unwrap_or(0)
        );
        let _ = writeln!(out, "{}", hang_words("WARNING         ", &warning, width));
    }
    if let Some(s) = info.stalls.filter(|_| info.generator_stalled()) {
        let warning = format!(
            "the generator itself stalled {} times, the longest for {} ms: a worker \
             did not get back to its connections, so latencies then include its own delay",
            s.count,
            s.longest.as_millis()
        );
        let _ = writeln!(out, "{}", hang_words("WARNING         ", &warning, width));
    }
    if let Some(n) = info.backpressure {
        let waits = format!("{n} (batches held back while the recorder caught up; none lost)");
        let _ = writeln!(out, "{}", hang_words("Recorder waits  ", &waits, width));
    }
}

fn or_none(items: Vec<String>) -> Vec<String> {
    if items.is_empty() {
        vec!["none".into()]
    } else {
        items
    }
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
