//! Stop signals: SIGINT, SIGTERM and SIGHUP drain the run and leave complete
//! files (exit 130); a second signal aborts at once, still writing every
//! file, with the requests in flight recorded as `aborted` (exit 3).

mod common;
use common::*;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

/// A 30 s run against `path`, recording into a scratch directory.
fn start_run(name: &str, base: &str, path: &str, users: &str) -> (Child, PathBuf, PathBuf) {
    let dir = scratch(name);
    let csv = dir.join("results.csv");
    let json = dir.join("summary.json");
    let child = Command::new(BIN)
        .args(["run", &format!("{base}{path}"), "-c", users, "-d", "30s"])
        .args(["-q", "--timeout", "25s"])
        .args(["-o", csv.to_str().unwrap()])
        .args(["--summary", json.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, csv, json)
}

#[test]
fn every_stop_signal_drains_and_leaves_complete_files() {
    let (_s, base) = start_serve();
    for (sig, name) in [
        (libc::SIGINT, "SIGINT"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGHUP, "SIGHUP"),
    ] {
        // Requests of 300 ms are in flight when the signal comes.
        let (child, csv, json) = start_run(name, &base, "/delay/300", "8");
        std::thread::sleep(Duration::from_millis(1200));
        let sent = Instant::now();
        signal(&child, sig);
        let out = finish_within(child, LIMIT);
        // Far below the 30 s the run was for: the drain of 300 ms
        // requests, with room for a slow box.
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "{name}: stopped within the drain, took {:?}",
            sent.elapsed()
        );
        assert_eq!(out.code, 130, "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains("stopped early by"),
            "{name}: {}",
            out.stderr
        );
        assert!(out.stdout.contains("Requests"), "{name}: the summary");
        let rows = read_csv(&csv);
        assert!(
            rows.len() >= 8,
            "{name}: at least the 8 requests in flight, got {}",
            rows.len()
        );
        assert!(
            rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
            "{name}: in-flight requests drained and completed"
        );
        assert_accounting(&rows, &std::fs::read_to_string(json).unwrap());
    }
}

#[test]
fn a_second_signal_aborts_at_once_and_still_writes_everything() {
    let (_s, base) = start_serve();
    let (child, csv, json) = start_run("abort", &base, "/delay/20000", "2");
    std::thread::sleep(Duration::from_millis(800));
    signal(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    signal(&child, libc::SIGINT);
    let out = finish_within(child, LIMIT);
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "the second signal does not wait for the 20 s requests"
    );
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("aborted"), "{}", out.stderr);
    assert!(out.stdout.contains("Requests"), "the summary is printed");
    let rows = read_csv(&csv);
    assert_eq!(rows.len(), 2, "one row per user in flight: {rows:?}");
    for r in &rows {
        assert_eq!((r.status, r.error.as_str()), (0, "aborted"), "{r:?}");
        assert!(r.latency_us >= 1_000_000, "in flight for over a second");
    }
    assert_accounting(&rows, &std::fs::read_to_string(json).unwrap());
}

#[test]
fn a_second_signal_after_the_drain_aborts_nothing() {
    let (_s, base) = start_serve();
    let dir = scratch("late-second-signal");
    let stdout = dir.join("stdout");
    let child = Command::new(BIN)
        .args([
            "run",
            &format!("{base}/hello"),
            "-c",
            "2",
            "-d",
            "30s",
            "-q",
        ])
        .args(["--no-out", "--dashboard", "127.0.0.1:0"])
        .args(["--dashboard-linger", "20s"])
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    signal(&child, libc::SIGTERM);
    // The run drains and prints its summary; the page then lingers.
    let deadline = Instant::now() + LIMIT;
    while !std::fs::read_to_string(&stdout)
        .unwrap_or_default()
        .contains("Summary")
    {
        assert!(Instant::now() < deadline, "no summary");
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&child, libc::SIGINT);
    let mut child = child;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the linger did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "stopped early, not aborted: {stderr}"
    );
    assert!(!stderr.contains("aborted by a second signal"), "{stderr}");
}
