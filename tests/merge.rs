//! Results from several boxes merge exactly: `report` and `check` over the
//! parts of one results.csv, split by row, print what they print over the
//! whole file. The parts are made so that averaging their percentiles
//! would be wrong, and the test shows it would be.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);
const HEADER: &str = "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us";
const TASKS: [&str; 3] = ["GET /a", "POST /b, with a comma", "ping"];

/// Which of `parts` files row `i` goes to: the first rows (one per task, in
/// task order) to the first, so that tasks are first seen in the same order;
/// then blocks of 5 rows, in turn.
fn part_of(i: usize, parts: usize) -> usize {
    if i < TASKS.len() { 0 } else { (i / 5) % parts }
}

/// A 6 s run of 12,000 rows in completion order (not sorted by
/// `elapsed_us`): three tasks, statuses and errors, a few unsent rows at
/// the end. The rows that go to the last part are ten times slower, as a
/// slow box would make them.
fn rows(parts: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..12_000usize {
        // xorshift: varied, and the same every time.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let part = part_of(i, parts);
        let task = if i < TASKS.len() { i } else { (x % 3) as usize };
        let slow = if part == parts - 1 { 10 } else { 1 };
        let elapsed = (i as u64 * 500) + x % 400;
        let latency =
            (200 + (x >> 8) % 20_000 + if x.is_multiple_of(97) { 900_000 } else { 0 }) * slow;
        let (status, error) = match x % 50 {
            0 => (0, "timeout"),
            1 | 2 => (503, ""),
            3 => (404, ""),
            _ => (200, ""),
        };
        let name = TASKS[task];
        let name = if name.contains(',') {
            format!("\"{name}\"")
        } else {
            name.to_string()
        };
        let wait = latency / 7;
        let bytes = if error.is_empty() { 100 + x % 900 } else { 0 };
        let connect = if x.is_multiple_of(11) {
            150 + x % 300
        } else {
            0
        };
        out.push((
            part,
            format!("{elapsed},{latency},{status},{name},{wait},{bytes},{error},{connect},0"),
        ));
    }
    // Due before the end, never sent: they mark the end of the run.
    for k in 0..5u64 {
        out.push((
            (k as usize) % parts,
            format!(
                "{},{},0,ping,{w},0,unsent,0,0",
                5_990_000 + k,
                20_000 - k,
                w = 20_000 - k
            ),
        ));
    }
    out
}

/// The whole file and its `parts` parts.
fn write_split(dir: &Path, parts: usize) -> (String, Vec<String>) {
    let rows = rows(parts);
    let write = |name: &str, keep: &dyn Fn(usize) -> bool| {
        let path: PathBuf = dir.join(name);
        let body: Vec<&str> = rows
            .iter()
            .filter(|(p, _)| keep(*p))
            .map(|(_, r)| r.as_str())
            .collect();
        std::fs::write(&path, format!("{HEADER}\n{}\n", body.join("\n"))).unwrap();
        path.to_str().unwrap().to_string()
    };
    let whole = write("whole.csv", &|_| true);
    let split = (0..parts)
        .map(|k| write(&format!("part{k}.csv"), &|p| p == k))
        .collect();
    (whole, split)
}

/// `stampede report` on `files`: the summary, the JSON, and the per-second
/// series by task, as text.
fn report(files: &[String], dir: &Path, name: &str) -> String {
    let ts = dir.join(format!("{name}.ts.csv"));
    let mut args = vec!["report", "--by-task", "--timeseries", ts.to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let text = stampede(&args, LIMIT);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let mut args = vec!["report", "--json"];
    args.extend(files.iter().map(String::as_str));
    let json = stampede(&args, LIMIT);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let series = std::fs::read_to_string(ts).unwrap();
    format!("{}\n{}\n{series}", text.stdout, json.stdout)
}

fn check(files: &[String], extra: &[&str]) -> Outcome {
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    stampede(&args, LIMIT)
}

#[test]
fn report_and_check_over_the_parts_print_what_they_print_over_the_whole() {
    let dir = scratch("merge-csv");
    for parts in [2, 3, 7] {
        let (whole, split) = write_split(&dir, parts);
        let whole = vec![whole];
        assert_eq!(
            report(&split, &dir, "parts"),
            report(&whole, &dir, "whole"),
            "{parts} parts"
        );
        // Limits on both sides of the figures, so that both verdicts show.
        let thresholds = [
            "--p50",
            "10ms",
            "--p99",
            "950ms",
            "--p999",
            "9s",
            "--max",
            "1s",
            "--max-error-rate",
            "5",
            "--min-rps",
            "1900",
            "--task",
            "ping",
            "--p90",
            "20ms",
            "--max-error-rate",
            "0.1",
        ];
        let (a, b) = (check(&split, &thresholds), check(&whole, &thresholds));
        assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{parts} parts");
        assert!(
            a.stdout.contains("PASS") && a.stdout.contains("FAIL"),
            "{}",
            a.stdout
        );
        // A baseline made of parts compares like the whole file.
        let baseline = ["--baseline", &whole[0], "--max-regression", "10"];
        let (a, b) = (check(&split, &baseline), check(&whole, &baseline));
        assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{parts} parts");
    }
}

#[test]
fn averaging_the_parts_percentiles_would_be_wrong() {
    // What the test above guards against: the mean of the parts' p99s is
    // far from the p99 of the whole, which the merged report prints.
    let dir = scratch("merge-csv-average");
    let (whole, split) = write_split(&dir, 3);
    let p99 = |files: &[String]| {
        let mut args = vec!["report", "--json"];
        args.extend(files.iter().map(String::as_str));
        let out = stampede(&args, LIMIT);
        json_field(&out.stdout, "latency_ms", "p99")
    };
    let merged = p99(&split);
    let averaged = split
        .iter()
        .map(|f| p99(std::slice::from_ref(f)))
        .sum::<f64>()
        / 3.0;
    assert_eq!(merged, p99(&[whole]));
    assert!(
        (averaged - merged).abs() > merged * 0.05,
        "averaged {averaged} vs merged {merged}"
    );
}
