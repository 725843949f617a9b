//! The final summary on stdout: the headline block, a table per task, the
//! latency distribution, counts by status and error, and throughput.

use super::{
    COLUMN_MAX, DISTRIBUTION, RunInfo, TASK_COLUMNS, fit, ms, ms_f, per_sec, percentile,
    task_figures,
};
use crate::record::Stats;
use crate::record::stats::Tally;
use std::borrow::Cow;
use std::fmt::Write;

pub fn render(stats: &Stats, info: &RunInfo) -> String {
    let mut out = String::new();
    headline(&mut out, stats, info);
    task_table(&mut out, stats, info);
    distribution(&mut out, stats);
    counts(&mut out, stats, info);
    out
}

fn headline(out: &mut String, stats: &Stats, info: &RunInfo) {
    let t = &stats.total;
    let _ = writeln!(out, "Summary");
    let _ = writeln!(
        out,
        "  Run time        {:.2} s",
        info.run_time.as_secs_f64()
    );
    if let Some(users) = info.users {
        let _ = writeln!(out, "  Users           {users}");
    }
    let _ = writeln!(out, "  Requests        {}", t.requests);
    let _ = writeln!(out, "  Successes       {}", t.requests - t.failures);
    let _ = writeln!(out, "  Failures        {}", t.failures);
    let unsent = stats.unsent();
    if unsent > 0 {
        let _ = writeln!(
            out,
            "  Unsent          {unsent} (fell due, never sent: no connection was free; not in RPS or latency)"
        );
    }
    let _ = writeln!(
        out,
        "  RPS             {:.1} (responses per second)",
        stats.rate()
    );
    let _ = writeln!(out, "  Success rate    {:.2} %", 100.0 - t.failure_pct());
    let _ = writeln!(
        out,
        "  Response time   avg {} | min {} | max {} | median {} | p90 {} ms",
        ms_f(t.mean_us()),
        ms(t.min_us()),
        ms(t.max_us()),
        ms(t.percentile_us(50.0)),
        ms(t.percentile_us(90.0)),
    );
}

fn task_table(out: &mut String, stats: &Stats, info: &RunInfo) {
    // Names are cut to COLUMN_MAX here; the JSON keeps them whole.
    let tasks: Vec<(Cow<str>, Cow<str>)> = info
        .tasks
        .iter()
        .map(|(m, n)| (fit(m, COLUMN_MAX), fit(n, COLUMN_MAX)))
        .collect();
    let method_w = tasks
        .iter()
        .map(|(m, _)| m.chars().count())
        .fold(6, usize::max);
    let name_w = tasks
        .iter()
        .map(|(_, n)| n.chars().count())
        .fold(5, usize::max);
    // Requests and RPS get wider columns than the latencies.
    const WIDTHS: [usize; 9] = [9, 7, 9, 7, 7, 7, 7, 7, 7];
    let _ = write!(out, "\n{:<method_w$}  {:<name_w$}", "Method", "Name");
    for (column, width) in TASK_COLUMNS.iter().zip(WIDTHS) {
        let _ = write!(out, "  {column:>width$}");
    }
    let _ = writeln!(out, "   (ms)");
    let row = |out: &mut String, method: &str, name: &str, t: &Tally| {
        let _ = write!(out, "{method:<method_w$}  {name:<name_w$}");
        for (figure, width) in task_figures(t, stats.span()).iter().zip(WIDTHS) {
            let _ = write!(out, "  {figure:>width$}");
        }
        out.push('\n');
    };
    for ((method, name), tally) in tasks.iter().zip(&stats.tasks) {
        row(out, method, name, tally);
    }
    row(out, "", "Total", &stats.total);
}

/// Latency from the due moment, and its two parts: the wait before the
/// request was written, and the service time after.
fn distribution(out: &mut String, stats: &Stats) {
    let _ = write!(out, "\nLatency distribution (ms)\n{:<26}", "");
    for (label, _, _) in DISTRIBUTION {
        let _ = write!(out, "{label:>9}");
    }
    let _ = writeln!(out, "{:>9}", "max");
    let latency = stats.total.latency();
    let rows = [
        ("latency (from due)", &*latency),
        ("service (latency - wait)", &stats.service),
        ("wait (due to written)", &stats.wait),
    ];
    for (name, h) in rows {
        let _ = write!(out, "{name:<26}");
        for (_, _, q) in DISTRIBUTION {
            let _ = write!(out, "{:>9}", ms(percentile(h, q)));
        }
        let _ = writeln!(out, "{:>9}", ms(if h.is_empty() { 0 } else { h.max() }));
    }
}

fn counts(out: &mut String, stats: &Stats, info: &RunInfo) {
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
    let _ = writeln!(out, "\nStatus codes    {}", list_or_none(&statuses));
    let errors: Vec<String> = stats
        .error_counts()
        .iter()
        .map(|(k, n)| format!("{}: {n}", k.as_str()))
        .collect();
    let _ = writeln!(out, "Errors          {}", list_or_none(&errors));
    let bytes = stats.total.bytes;
    let _ = writeln!(
        out,
        "Received        {:.2} MB ({:.2} MB/s)",
        bytes as f64 / 1e6,
        per_sec(bytes, info.run_time) / 1e6
    );
    if info.generator_lagging(stats.total.requests) {
        let _ = writeln!(
            out,
            "WARNING         the generator itself sent {} requests more than 1 ms late with a connection free; \
             the figures include its own delay",
            info.late.unwrap_or(0)
        );
    }
    if let Some(s) = info.stalls.filter(|_| info.generator_stalled()) {
        let _ = writeln!(
            out,
            "WARNING         the generator itself stalled {} times, the longest for {} ms: a worker \
             did not get back to its connections, so latencies then include its own delay",
            s.count,
            s.longest.as_millis()
        );
    }
    if let Some(n) = info.backpressure {
        let _ = writeln!(
            out,
            "Recorder waits  {n} (batches held back while the recorder caught up; none lost)"
        );
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Stalls;
    use crate::record::{ErrorKind, Sample};
    use std::time::Duration;

    #[test]
    fn renders_every_section() {
        let mut stats = Stats::new(1);
        for i in 1..=100 {
            stats.add(&Sample {
                elapsed_us: 0,
                latency_us: i * 100,
                wait_us: 0,
                bytes: 1000,
                status: 200,
                task: 0,
                error: None,
            });
        }
        // The last request ends at 2 s: the span of the rate.
        stats.add(&Sample {
            elapsed_us: 1_999_995,
            latency_us: 5,
            wait_us: 5,
            bytes: 0,
            status: 0,
            task: 0,
            error: Some(ErrorKind::Connect),
        });
        let info = RunInfo {
            run_time: Duration::from_secs(2),
            users: Some(5),
            tasks: vec![("GET".into(), "GET /hello".into())],
            backpressure: Some(0),
            late: Some(0),
            stalls: Some(Stalls::default()),
        };
        let text = render(&stats, &info);
        for needle in [
            "Requests        101",
            "Failures        1",
            "RPS             50.0 (responses per second)",
            "GET /hello",
            "Total",
            "p99.99",
            "Status codes    none: 1, 200: 100",
            "Errors          connect: 1",
            "Received        0.10 MB (0.05 MB/s)",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        assert!(!text.contains("WARNING"), "{text}");
    }

    #[test]
    fn says_when_the_generator_stalled() {
        let info = RunInfo {
            stalls: Some(Stalls {
                count: 2,
                longest: Duration::from_millis(2160),
            }),
            ..RunInfo::default()
        };
        let text = render(&Stats::new(0), &info);
        assert!(
            text.contains("the generator itself stalled 2 times, the longest for 2160 ms"),
            "{text}"
        );
    }

    #[test]
    fn a_huge_task_name_is_cut_in_the_table() {
        let mut stats = Stats::new(2);
        let name = "n".repeat(70_000);
        let info = RunInfo {
            run_time: Duration::from_secs(1),
            tasks: vec![("GET".into(), name), ("M".repeat(70_000), "b".into())],
            ..RunInfo::default()
        };
        stats.add(&Sample {
            elapsed_us: 0,
            latency_us: 5,
            wait_us: 0,
            bytes: 0,
            status: 200,
            task: 0,
            error: None,
        });
        let text = render(&stats, &info);
        assert!(
            text.contains(&format!("{}\u{2026}", "n".repeat(59))),
            "{text}"
        );
        assert!(!text.contains(&"n".repeat(60)), "{text}");
        assert!(text.lines().all(|l| l.chars().count() < 250), "{text}");
    }
}
