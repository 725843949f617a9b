//! HdrHistogram's own tools read what `run --hdr-log` writes: the Python
//! package's `HistogramLogReader` (PyPI `hdrhistogram`) and the Java
//! `HistogramLogProcessor` (Debian's `libhdrhistogram-java`). Each test is
//! skipped, with a note, when its tool is missing, unless
//! STAMPEDE_REQUIRE_HDRHISTOGRAM is set, so that CI cannot skip it silently.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// Where Debian's libhdrhistogram-java puts the jar.
const JAR: &str = "/usr/share/java/hdrhistogram.jar";

/// `None`, with a note, when the tool is missing (see the module comment).
fn tool(found: bool, what: &str, install: &str) -> Option<()> {
    if found {
        return Some(());
    }
    assert!(
        std::env::var_os("STAMPEDE_REQUIRE_HDRHISTOGRAM").is_none(),
        "{what} is required here but not installed"
    );
    eprintln!("SKIP: {what} is not installed ({install})");
    None
}

/// A 2 s run against `serve` of three tasks that end three ways (one with
/// a name the tags must encode), logged to `dir/r.hlog` only. Returns the
/// log's path and `report --json` on it.
fn logged_run(dir: &Path) -> (String, String) {
    let (_serve, base) = start_serve();
    let plan = dir.join("plan.http");
    std::fs::write(
        &plan,
        "### hello, world!\nGET /hello\n\n### gone\nGET /status/503\n\n### slow 100%\nGET /delay/900\n",
    )
    .unwrap();
    let log = dir.join("r.hlog").to_str().unwrap().to_string();
    let out = stampede(
        &[
            "run",
            "-q",
            "-f",
            plan.to_str().unwrap(),
            "--host",
            &base,
            "-c",
            "3",
            "-d",
            "2s",
            "--timeout",
            "300ms",
            "--no-out",
            "--hdr-log",
            &log,
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = stampede(&["report", &log, "--json"], LIMIT);
    assert_eq!(json.code, 0, "{}", json.stderr);
    (log, json.stdout)
}

/// `theirs` and `ours` (ms) agree to the histograms' 3 digits.
fn close(what: &str, theirs: f64, ours: f64) {
    assert!(
        (theirs - ours).abs() <= ours * 0.002 + 0.001,
        "{what}: theirs {theirs} ms, report's {ours} ms"
    );
}

/// Every interval of every tag but `!unsent`, added up, holds the requests
/// that were sent; its maximum and mean are report's. (Its percentiles round
/// counts their own way, a value apart at times: not compared.)
#[test]
fn the_python_package_reads_every_interval_and_tag() {
    let probe = Command::new("python3")
        .args(["-c", "import hdrh.log"])
        .output();
    let found = probe.is_ok_and(|o| o.status.success());
    if tool(
        found,
        "python3's hdrhistogram package",
        "pip install hdrhistogram",
    )
    .is_none()
    {
        return;
    }
    let dir = scratch("hdr-log-python");
    let (log, json) = logged_run(&dir);
    let script = r#"
import sys
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader
total = HdrHistogram(1, 3600 * 1000 * 1000, 3)
reader = HistogramLogReader(sys.argv[1], total)
tags = set()
while True:
    h = reader.get_next_interval_histogram()
    if h is None:
        break
    tags.add(h.get_tag())
    if not h.get_tag().endswith('!unsent'):
        total.add(h)
print(total.get_total_count(), total.get_max_value(), total.get_mean_value(), ' '.join(sorted(tags)))
"#;
    let py = Command::new("python3")
        .args(["-c", script, &log])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    let sent = json_number(&json, "requests") - json_number(&json, "unsent");
    assert_eq!(fields[0].parse::<f64>().unwrap(), sent, "{stdout}");
    for (k, key) in [(1, "max"), (2, "avg")] {
        let theirs = fields[k].parse::<f64>().unwrap() / 1000.0;
        close(key, theirs, json_field(&json, "latency_ms", key));
    }
    let tags = &fields[3..];
    assert!(tags.contains(&"hello%2C%20world%21"), "{stdout}");
    assert!(tags.contains(&"gone!503"), "{stdout}");
    assert!(
        tags.iter().any(|t| t.starts_with("slow%20100%25!timeout")),
        "{stdout}"
    );
}

/// The Java reference's HistogramLogProcessor, on one tag: its count, mean
/// and maximum are those of report's task.
#[test]
fn the_java_log_processor_reads_a_tag() {
    let java = Command::new("java").arg("-version").output();
    let found = java.is_ok_and(|o| o.status.success()) && Path::new(JAR).exists();
    if tool(
        found,
        "java with HdrHistogram's jar",
        "apt-get install default-jre-headless libhdrhistogram-java",
    )
    .is_none()
    {
        return;
    }
    let dir = scratch("hdr-log-java");
    let (log, json) = logged_run(&dir);
    let out = Command::new("java")
        .args([
            "-cp",
            JAR,
            "org.HdrHistogram.HistogramLogProcessor",
            "-i",
            &log,
        ])
        .args([
            "-tag",
            "hello%2C%20world%21",
            "-outputValueUnitRatio",
            "1000",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // #[Mean    =        0.035, StdDeviation   =        0.048]
    // #[Max     =        5.579, Total count    =       106956]
    let figure = |label: &str| -> f64 {
        let at = stdout
            .find(label)
            .unwrap_or_else(|| panic!("{label}: {stdout}"))
            + label.len();
        let rest = stdout[at..].trim_start_matches([' ', '=']);
        rest[..rest.find([',', ']']).unwrap()]
            .trim()
            .parse()
            .unwrap()
    };
    let task = json_tasks(&json)["hello, world!"];
    assert_eq!(figure("Total count") as u64, task, "{stdout}");
    // The task's own figures, from its object in the JSON.
    let at = json.find("\"name\":\"hello, world!\"").unwrap();
    let latency = &json[at..];
    close(
        "max",
        figure("Max"),
        json_field(latency, "latency_ms", "max"),
    );
    close(
        "mean",
        figure("Mean"),
        json_field(latency, "latency_ms", "avg"),
    );
}
