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
                // The first 7 opened the connections; the rest reused them.
                connect_us: if i <= 7 { 100 + i * 10 } else { 0 },
                tls_us: 0,
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
            connect_us: 0,
            tls_us: 0,
        });
        let info = RunInfo {
            run_time: Duration::from_secs(2),
            users: Some(5),
            open_model: false,
            tasks: vec![("GET".into(), "GET /hello".into())],
            backpressure: Some(0),
            late: Some(0),
            stalls: Some(Stalls::default()),
            bytes_sent: Some(250_000),
            connections_opened: Some(7),
            tls_problem: None,
            init_problem: None,
            check_failures: Vec::new(),
            connections_resumed: Some(0),

            resent: None,
            connection_times: true,
            segment: None,
            start_skew_us: None,
            histograms_only: false,
        };
        let text = render(&stats, &info, 80);
        for needle in [
            "Requests        101",
            "Failures        1",
            "RPS             50.0 (responses per second)",
            "GET /hello",
            "Total",
            "p99.99",
            "avg 5.00 | stdev 2.92 | min 0.01",
            "Status codes    none: 1, 200: 100",
            "Latency histogram (ms; log-spaced buckets, each up to its value)\n  0.01   1  #\n  0.02   0\n",
            "Statuses and errors by task\nName        Status/error  Requests\n\
             GET /hello  200                100\n            connect              1\n",
            "Errors          connect: 1",
            "Received        0.10 MB (0.05 MB/s)",
            "Sent            0.25 MB (0.12 MB/s)",
            concat!(
                "Connection setup (ms; the requests that opened a connection)\n",
                "         count   avg   p50   p90   p99   max\n",
                "connect      7  0.14  0.14  0.17  0.17  0.17\n",
            ),
            "Connections     7 opened\n",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        assert!(!text.contains("WARNING"), "{text}");
        assert!(
            !text.contains("TLS"),
            "a plain run made no handshake: {text}"
        );
    }

    /// Opening `opened` connections, each with a 1 ms connect and, when
    /// `tls_us` > 0, a handshake; the requests after them reused them.
    fn connections(opened: u64, tls_us: u64) -> Stats {
        let mut stats = Stats::new(1);
        for i in 0..opened * 3 {
            let first = i < opened;
            stats.add(&Sample {
                elapsed_us: i,
                latency_us: 5_000,
                wait_us: 0,
                bytes: 100,
                status: 200,
                task: 0,
                error: None,
                connect_us: if first { 1_000 } else { 0 },
                tls_us: if first { tls_us } else { 0 },
            });
        }
        stats
    }

    #[test]
    fn tls_handshakes_and_resumptions_show_when_there_were_any() {
        let info = RunInfo {
            tasks: vec![("GET".into(), "GET /".into())],
            connections_opened: Some(4),
            connections_resumed: Some(3),

            resent: None,
            connection_times: true,
            ..RunInfo::default()
        };
        let text = render(&connections(4, 2_500), &info, 80);
        for needle in [
            "connect            4  1.00  1.00  1.00  1.00  1.00\n",
            "TLS handshake      4  2.50  2.50  2.50  2.50  2.50\n",
            "Connections     4 opened, 3 of them resumed a TLS session\n",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
    }

    #[test]
    fn connection_setup_shows_only_what_was_recorded() {
        let section = "Connection setup";
        // `report` on a CSV of 7 columns: the figures are not there.
        let old = RunInfo {
            tasks: vec![("GET".into(), "GET /".into())],
            ..RunInfo::default()
        };
        let text = render(&connections(2, 0), &old, 80);
        assert!(!text.contains(section), "{text}");
        // `report` on one of 9 columns: the CSV does not say how many
        // connections were opened, but the rows do.
        let csv = RunInfo {
            connection_times: true,
            ..old.clone()
        };
        let text = render(&connections(2, 0), &csv, 80);
        assert!(text.contains("connect      2  1.00"), "{text}");
        assert!(!text.contains("Connections     "), "{text}");
        // A run that opened no connection at all.
        let none = RunInfo {
            connections_opened: Some(0),
            connections_resumed: Some(0),

            resent: None,
            ..csv
        };
        let text = render(&Stats::new(1), &none, 80);
        assert!(!text.contains(section), "{text}");
        assert!(text.contains("Connections     0 opened\n"), "{text}");
    }

    #[test]
    fn names_the_first_failed_check_of_each_task_once() {
        let info = RunInfo {
            tasks: vec![("GET".into(), "a".into()), ("GET".into(), "b".into())],
            check_failures: vec![None, Some("size 15 B, expected < 10 B".into())],
            ..RunInfo::default()
        };
        let text = render(&Stats::new(2), &info, 80);
        let line = "Check failed    b: size 15 B, expected < 10 B (the first)\n";
        assert_eq!(text.matches(line).count(), 1, "{text}");
        assert_eq!(text.matches("Check failed").count(), 1, "{text}");
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
        let text = render(&Stats::new(0), &info, 80);
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
            connect_us: 0,
            tls_us: 0,
        });
        let text = render(&stats, &info, 80);
        assert!(
            text.contains(&format!("{}\u{2026}", "n".repeat(59))),
            "{text}"
        );
        assert!(!text.contains(&"n".repeat(60)), "{text}");
        assert!(text.lines().all(|l| l.chars().count() < 250), "{text}");
    }

    /// A busy run: long names, big counts, many statuses, slow outliers.
    fn busy() -> (Stats, RunInfo) {
        let mut stats = Stats::new(3);
        let statuses = [
            200, 201, 204, 301, 302, 400, 401, 403, 404, 429, 500, 502, 503,
        ];
        for i in 0..100_000u64 {
            let status = statuses[i as usize % statuses.len()];
            stats.add(&Sample {
                elapsed_us: i,
                latency_us: 300 + (i % 7) * 40_000_000,
                wait_us: i % 1000,
                bytes: 4_000_000,
                status,
                task: (i % 3) as u16,
                error: (i % 11 == 0).then_some(ErrorKind::ALL[(i % 8) as usize]),
                connect_us: if i % 100 == 0 { 1 + i * 1000 } else { 0 },
                tls_us: if i % 100 == 0 { u64::MAX } else { 0 },
            });
        }
        let info = RunInfo {
            run_time: Duration::from_millis(123_456),
            users: Some(10_000),
            open_model: false,
            tasks: vec![
                ("GET".into(), "GET /hello".into()),
                (
                    "POST".into(),
                    "a scenario task with quite a long name".into(),
                ),
                ("DELETE".into(), "x".into()),
            ],
            backpressure: Some(123_456_789),
            late: Some(98_765),
            stalls: Some(Stalls {
                count: 3,
                longest: Duration::from_millis(2160),
            }),
            bytes_sent: Some(u64::MAX),
            connections_opened: Some(u64::MAX),
            tls_problem: None,
            init_problem: None,
            check_failures: Vec::new(),
            connections_resumed: Some(u64::MAX),

            resent: None,
            connection_times: true,
            segment: None,
            start_skew_us: None,
            histograms_only: false,
        };
        (stats, info)
    }

    #[test]
    fn every_line_fits_the_width_and_no_figure_is_lost() {
        let (stats, info) = busy();
        for width in [80, 100, 120] {
            let text = render(&stats, &info, width);
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{width}: {line:?} in\n{text}"
                );
            }
            for needle in [
                "33334",
                "503: 7692",
                "io: 1136",
                "123456789",
                "98765",
                "200015.9",
                "TLS handshake",
                "resumed a TLS session",
            ] {
                assert!(text.contains(needle), "{width}: no {needle} in\n{text}");
            }
        }
    }

    #[test]
    fn a_wide_terminal_gets_one_line_per_task() {
        let (stats, info) = busy();
        let text = render(&stats, &info, 200);
        let row = text
            .lines()
            .find(|l| l.contains("quite a long name"))
            .unwrap();
        assert!(row.starts_with("POST  "), "{row}");
        assert!(row.contains(" 33333 "), "{row}");
        assert!(text.lines().any(|l| l.contains("| p90 ")), "{text}");
    }
}
