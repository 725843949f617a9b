//! The console may go away: `run ... | head`, `2>&1 >/dev/null | true`.
//! Every file asked for is still written, and the exit code is the one the
//! run would have had with the console there. Also: outputs are created
//! only when the run starts, and a full disk is reported when it happens.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

/// Run the binary with stdout and stderr pipes whose readers are already
/// gone; returns its exit code.
fn run_with_closed_console(args: &[&str]) -> i32 {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stampede");
    drop(child.stdout.take());
    drop(child.stderr.take());
    finish_within_closed(child)
}

fn finish_within_closed(mut child: std::process::Child) -> i32 {
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(std::time::Instant::now() < deadline, "did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn run_report_and_check_write_their_files_when_the_console_is_gone() {
    let (_s, base) = start_serve();
    let dir = scratch("closed-pipes");
    let csv = dir.join("results.csv");
    let json = dir.join("summary.json");
    let (csv_s, json_s) = (csv.to_str().unwrap(), json.to_str().unwrap());
    let url = format!("{base}/hello");
    let code = run_with_closed_console(&[
        "run",
        &url,
        "-c",
        "2",
        "-d",
        "1s",
        "-o",
        csv_s,
        "--summary",
        json_s,
    ]);
    assert_eq!(code, 0, "exit as if the console were there");
    let rows = read_csv(&csv);
    assert!(!rows.is_empty());
    assert_accounting(&rows, &std::fs::read_to_string(&json).unwrap());

    let html = dir.join("report.html");
    let series = dir.join("series.csv");
    let code = run_with_closed_console(&[
        "report",
        csv_s,
        "--html",
        html.to_str().unwrap(),
        "--timeseries",
        series.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&html).unwrap().contains("</html>"));
    assert!(std::fs::metadata(&series).unwrap().len() > 0);
    assert_eq!(run_with_closed_console(&["report", csv_s, "--json"]), 0);

    let junit = dir.join("junit.xml");
    let code = run_with_closed_console(&[
        "check",
        csv_s,
        "--max-error-rate",
        "100",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuite")
    );
    assert_eq!(run_with_closed_console(&["--help"]), 0);
    assert_eq!(run_with_closed_console(&["--version"]), 0);
}

#[test]
fn a_run_that_fails_validation_creates_no_file() {
    let dir = scratch("no-leftovers");
    let csv = dir.join("new.csv");
    let out = stampede(
        &[
            "run",
            "http://127.0.0.1:9/",
            "-d",
            "1s",
            "-o",
            csv.to_str().unwrap(),
            "--summary",
            "/nonexistent/dir/s.json",
        ],
        LIMIT,
    );
    out.assert_one_line_error("--summary", "a summary in a missing directory");
    assert!(!csv.exists(), "validation created {}", csv.display());
    for (flag, path) in [("-o", "/nonexistent/dir/r.csv"), ("-o", "/tmp")] {
        let out = stampede(
            &["run", "http://127.0.0.1:9/", "-d", "1s", flag, path],
            LIMIT,
        );
        out.assert_one_line_error("cannot write", path);
    }
}

#[test]
fn a_full_disk_is_reported_when_it_happens() {
    let (_s, base) = start_serve();
    // /dev/full fails every write with ENOSPC, as a filled tmpfs does.
    let out = stampede(
        &[
            "run",
            &format!("{base}/hello"),
            "-c",
            "4",
            "-d",
            "3s",
            "-o",
            "/dev/full",
            "-q",
        ],
        LIMIT,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("writing /dev/full failed at"))
        .unwrap_or_else(|| panic!("no early report in {}", out.stderr));
    let at: f64 = line
        .split("failed at ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no time in {line}"));
    assert!(at < 3.0, "reported during the run, not at its end: {line}");
    assert!(out.stdout.contains("Requests"), "the summary still comes");
    assert!(
        !std::path::Path::new("/dev/full.meta").exists(),
        "no meta file beside a device"
    );
}
