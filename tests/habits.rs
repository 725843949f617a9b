//! Habits users bring from wrk, oha, k6 and Locust: `-h`, a bare number of
//! seconds, `-n` requests, and `--host` pointing a scenario at another
//! environment.

mod common;
use common::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn dash_h_prints_help_like_every_peer() {
    for args in [
        &["-h"][..],
        &["run", "-h"],
        &["report", "-h"],
        &["check", "-h"],
    ] {
        let out = stampede(args, LIMIT);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(out.stdout.starts_with("Usage: stampede"), "{args:?}");
    }
}

#[test]
fn a_bare_duration_is_seconds_and_host_retargets_a_scenario() {
    let (_s, base) = start_serve();
    // The shipped example names http://127.0.0.1:8080 in its {{host}}.
    let (out, rows, json) = run_recorded_args(
        "habits",
        &[
            "-f",
            "examples/hello.http",
            "--host",
            &base,
            "-c",
            "2",
            "-d",
            "1",
            "--timeout",
            "2",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.error.is_empty() && r.status == 200),
        "every request reached --host"
    );
    let last_due = rows.iter().map(|r| r.elapsed_us).max().unwrap();
    assert!(last_due < 1_000_000, "-d 1 is one second: {last_due}");
    assert_accounting(&rows, &json);
}

#[test]
fn dash_n_runs_exactly_that_many_requests() {
    let (_s, base) = start_serve();
    let url = format!("{base}/hello");
    for (extra, want) in [
        (&["-n", "1k", "-c", "10"][..], 1000),
        (&["-n", "3", "-c", "3", "-t", "2"], 3),
        (&["-n", "1", "-c", "4", "-t", "2"], 1),
        (&["-n", "200", "--rate", "2000", "-c", "5"], 200),
    ] {
        let (out, rows, json) = run_recorded("dash-n", &url, extra);
        assert_eq!(out.code, 0, "{extra:?}: {}", out.stderr);
        assert_eq!(rows.len(), want, "{extra:?}");
        assert!(rows.iter().all(|r| r.status == 200), "{extra:?}");
        assert_accounting(&rows, &json);
    }
    // Over capacity, -n still sends every one: the queue drains.
    let slow = format!("{base}/delay/5");
    let (out, rows, _) = run_recorded(
        "dash-n-queue",
        &slow,
        &["-n", "100", "--rate", "2k", "-c", "2"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 100);
    assert!(rows.iter().all(|r| r.status == 200), "none left unsent");
    // With -d too, whichever comes first.
    let (out, rows, _) = run_recorded("dash-n-d", &url, &["-n", "100000000", "-d", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!rows.is_empty() && rows.len() < 100_000_000);
    assert!(rows.iter().all(|r| r.elapsed_us < 1_000_000));
}
