//! The live line adds up: its totals count what completed by each mark and
//! end at the summary's, its last rate is the summary's, and the second the
//! run ends in still shows the users that ran it.

mod common;
use common::*;
use std::time::Duration;

/// A figure that follows `label` in `line`, e.g. `figure(l, "| ", " total")`.
fn figure_before(line: &str, suffix: &str) -> f64 {
    let end = line
        .find(suffix)
        .unwrap_or_else(|| panic!("no {suffix:?} in {line}"));
    let start = line[..end].rfind(' ').map_or(0, |i| i + 1);
    line[start..end].parse().unwrap()
}

/// The live lines on `stderr`, each joined with the lines it carried on
/// to (indented ones) when it was wider than the terminal.
fn live_lines(stderr: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for l in stderr.lines() {
        match lines.last_mut() {
            Some(last) if l.starts_with(' ') => {
                last.push(' ');
                last.push_str(l.trim_start());
            }
            _ if l.starts_with('[') => lines.push(l.to_string()),
            _ => {}
        }
    }
    lines
}

#[test]
fn live_lines_fit_in_80_columns_without_losing_a_figure() {
    let (_s, base) = start_serve();
    // Off a terminal the width is 80; the open model's line is the longest.
    let out = stampede(
        &[
            "run",
            &format!("{base}/hello"),
            "--rate",
            "200",
            "-c",
            "4",
            "-d",
            "1500ms",
            "--no-out",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let live = out.stderr.lines().filter(|l| l.starts_with(['[', ' ']));
    for l in live {
        assert!(l.chars().count() <= 80, "{l:?} in\n{}", out.stderr);
    }
    let lines = live_lines(&out.stderr);
    assert!(lines.len() >= 2, "{}", out.stderr);
    for l in &lines {
        for label in [
            "conns ",
            " | queue ",
            " | max wait ",
            " rps | ",
            " total | ",
            " fail (",
            "p50 ",
            " p90 ",
            " p99 ",
            " max ",
        ] {
            assert!(l.contains(label), "no {label:?} in {l}");
        }
    }
}

#[test]
fn live_lines_add_up_to_the_summary() {
    let (_s, base) = start_serve();
    let dir = scratch("live-line");
    let csv = dir.join("results.csv");
    let out = stampede(
        &[
            "run",
            &format!("{base}/hello"),
            "-c",
            "4",
            "-d",
            "2500ms",
            "-o",
            csv.to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = live_lines(&out.stderr);
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (last, shown) = lines.split_last().expect("live lines");
    assert!(last.contains("done, whole run"), "{last}");
    assert!(
        shown.iter().all(|l| l.contains("s/2.5s]")),
        "progress against the planned 2.5 s: {shown:?}"
    );
    assert!(
        shown.iter().all(|l| l.contains("users 4/4")),
        "every second, the last included, shows the users running: {shown:?}"
    );
    // A run shorter than the first report shows them too.
    let short = stampede(
        &[
            "run",
            &format!("{base}/hello"),
            "-c",
            "4",
            "-d",
            "600ms",
            "--no-out",
        ],
        Duration::from_secs(30),
    );
    assert!(
        short
            .stderr
            .lines()
            .filter(|l| l.starts_with('['))
            .all(|l| l.contains("users 4/4")),
        "{}",
        short.stderr
    );
    let totals: Vec<f64> = lines.iter().map(|l| figure_before(l, " total")).collect();
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "{totals:?}");
    let rows = read_csv(&csv);
    let (end, seconds) = shown.split_last().unwrap();
    assert_eq!(
        figure_before(end, " total"),
        rows.len() as f64,
        "the second the run ends in shows every request: {end}"
    );
    for line in seconds {
        let mark: f64 = line[1..line.find("s/").unwrap()].trim().parse().unwrap();
        let done_by_mark = rows
            .iter()
            .filter(|r| ((r.elapsed_us + r.latency_us) as f64) < mark * 1e6)
            .count() as f64;
        // At most: a batch a worker held past the mark may come later, but
        // nothing that completed after the mark may be in it.
        assert!(
            figure_before(line, " total") <= done_by_mark,
            "the total at the {mark} s mark counts only what completed by then ({done_by_mark}): {line}"
        );
    }
    let requests = summary_figure(&out.stdout, "Requests") as f64;
    assert_eq!(
        *totals.last().unwrap(),
        requests,
        "the final total is the summary's"
    );
    let rps_line = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("RPS"))
        .unwrap();
    let summary_rps: f64 = rps_line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let live_rps = figure_before(last, " rps");
    assert!(
        (live_rps - summary_rps).abs() <= 1.0,
        "one definition of the run's rate: live {live_rps}, summary {summary_rps}"
    );
}
