//! Tests of the summary's text: each part, and the whole at each width.

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
