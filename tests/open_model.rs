//! The open model and ramps, through the real binary against the built-in
//! server: the rate is kept, the queue never drops a request, and stages
//! shape the load in both models.

mod common;
use common::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// Requests due in each whole second of the run.
fn per_second(rows: &[Row], seconds: usize) -> Vec<usize> {
    let mut counts = vec![0; seconds];
    for r in rows {
        if let Some(c) = counts.get_mut((r.elapsed_us / 1_000_000) as usize) {
            *c += 1;
        }
    }
    counts
}

#[test]
fn a_constant_rate_is_kept() {
    let (_s, base) = start_serve();
    let (out, rows, json) = run_recorded(
        "rate",
        &format!("{base}/hello"),
        &["--rate", "500", "-d", "5s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let achieved = rows.len() as f64 / 5.0;
    assert!(
        (achieved - 500.0).abs() <= 10.0,
        "achieved {achieved}/s for --rate 500"
    );
    assert!(rows.iter().all(|r| r.status == 200 && r.error.is_empty()));
    for (second, n) in per_second(&rows, 5).into_iter().enumerate() {
        assert!(
            (490..=510).contains(&n),
            "second {second}: {n} requests due"
        );
    }
    assert_accounting(&rows, &json);
    // Whether the generator lagged depends on how loaded the test machine
    // is, so only the key's presence is checked here.
    assert!(json.contains("\"generator_lagging\":"), "{json}");
}

#[test]
fn poisson_arrivals_vary_and_repeat_with_the_seed() {
    let (_s, base) = start_serve();
    let args = [
        "--rate",
        "400",
        "--arrival",
        "poisson",
        "--seed",
        "3",
        "-d",
        "3s",
    ];
    let (out, rows, _) = run_recorded("poisson-a", &format!("{base}/hello"), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        (1080..=1320).contains(&rows.len()),
        "{} arrivals, 1200 expected",
        rows.len()
    );
    let mut due: Vec<u64> = rows.iter().map(|r| r.elapsed_us).collect();
    due.sort_unstable();
    let gaps: Vec<u64> = due.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().any(|&g| g > 7_500) && gaps.iter().any(|&g| g < 500),
        "exponential gaps, not even ones"
    );
    let (_, again, _) = run_recorded("poisson-b", &format!("{base}/hello"), &args);
    let mut due_again: Vec<u64> = again.iter().map(|r| r.elapsed_us).collect();
    due_again.sort_unstable();
    assert_eq!(due.len(), due_again.len(), "same seed, same schedule");
    // Due times are the schedule's, so they agree to the microsecond.
    assert!(due.iter().zip(&due_again).all(|(a, b)| a.abs_diff(*b) <= 1));
}

#[test]
fn a_slow_server_queues_requests_and_none_is_dropped() {
    let (_s, base) = start_serve();
    // 2 connections x 10 requests/s against 50 arriving per second.
    let (out, rows, json) = run_recorded(
        "queue",
        &format!("{base}/delay/100"),
        &["--rate", "50", "-c", "2", "-d", "2s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 100, "every request that fell due is in the CSV");
    let (sent, unsent): (Vec<&Row>, Vec<&Row>) = rows.iter().partition(|r| r.error != "unsent");
    // About 40 are served in 2 s; the rest were still queued at the end.
    assert!((30..=50).contains(&sent.len()), "{} sent", sent.len());
    assert!(sent.iter().all(|r| r.status == 200 && r.error.is_empty()));
    assert!(
        unsent
            .iter()
            .all(|r| r.status == 0 && r.latency_us == r.wait_us && r.bytes == 0)
    );
    let max_wait = sent.iter().map(|r| r.wait_us).max().unwrap();
    assert!(
        max_wait > 700_000,
        "the last requests sent waited long in the queue: {max_wait} µs"
    );
    // Latency counts from the due moment: the queue is in it.
    assert!(sent.iter().all(|r| r.latency_us >= r.wait_us + 100_000));
    assert_accounting(&rows, &json);
    // Waiting for a busy server is not the generator's lag: with both
    // connections busy, queued requests never count as late.
    let late = json_number(&json, "late_requests");
    assert!(late < 10.0, "{late} late of 100");
}

#[test]
fn queued_requests_past_the_timeout_are_recorded_as_timeouts() {
    let (_s, base) = start_serve();
    let (out, rows, json) = run_recorded(
        "queue-timeout",
        &format!("{base}/delay/400"),
        &["--rate", "10", "-c", "1", "-d", "2s", "--timeout", "700ms"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 20, "every request that fell due is in the CSV");
    let timeouts: Vec<&Row> = rows.iter().filter(|r| r.error == "timeout").collect();
    // One connection serves 2.5/s of 10/s: most time out waiting in the queue.
    assert!(timeouts.len() >= 5, "{} timeouts", timeouts.len());
    // Queued ones have status 0; one whose response came after the timeout
    // keeps its status and is still a timeout.
    assert!(
        timeouts
            .iter()
            .all(|r| r.latency_us >= 700_000 && r.latency_us < 900_000)
    );
    assert!(
        rows.iter()
            .all(|r| ["", "timeout", "unsent"].contains(&r.error.as_str()))
    );
    assert_accounting(&rows, &json);
}

#[test]
fn open_stages_ramp_the_rate() {
    let (_s, base) = start_serve();
    let (out, rows, _) = run_recorded(
        "open-stages",
        &format!("{base}/hello"),
        &["--open", "--stages", "2s:400,2s:0"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The integral of the ramp per second: 100, 300, 300, 100.
    let counts = per_second(&rows, 4);
    for (got, want) in counts.iter().zip([100, 300, 300, 100]) {
        assert!(
            got.abs_diff(want) <= want / 10 + 2,
            "per second {counts:?}, expected about [100, 300, 300, 100]"
        );
    }
}

#[test]
fn closed_stages_ramp_the_users() {
    let (_s, base) = start_serve();
    let (out, rows, json) = run_recorded(
        "closed-stages",
        &format!("{base}/delay/100"),
        &["--stages", "1s:4,1s:4,1s:0"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // About 10 requests per user-second: 0->4 users is 2 on average, then 4, then 4->0.
    let counts = per_second(&rows, 3);
    assert!((10..=30).contains(&counts[0]), "{counts:?}");
    assert!((32..=44).contains(&counts[1]), "{counts:?}");
    assert!((10..=30).contains(&counts[2]), "{counts:?}");
    assert_eq!(json_number(&json, "users"), 4.0);
}

#[test]
fn open_model_bad_inputs_exit_2() {
    let dir = scratch("open-bad");
    let out_csv = dir.join("r.csv");
    let ok = "http://127.0.0.1:9/";
    let cases: &[(&[&str], &str)] = &[
        (&["--rate", "0"], "--rate must be a number above 0"),
        (&["--rate", "-5"], "'--rate' with value '-5'"),
        (
            &["--rate", "100", "--think", "1s"],
            "--think is for the closed model",
        ),
        (
            &["--rate", "100", "-r", "5"],
            "--spawn-rate is for the closed model",
        ),
        (&["--stages", "10s"], "not DURATION:TARGET"),
        (&["--stages", "10s:x"], "not a number"),
        (&["--stages", "5s:10", "-d", "5s"], "drop --duration"),
        (&["--stages", "5s:10", "-c", "5"], "drop --users"),
        (&["--stages", "5s:10", "-r", "5"], "drop --spawn-rate"),
        (&["--rate", "10", "--stages", "5s:10"], "not both"),
        (&["--open"], "--open needs --stages"),
        (&["--arrival", "poisson"], "--arrival is for the open model"),
        (
            &["--rate", "10", "--arrival", "bursty"],
            "expected uniform or poisson",
        ),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["run", ok, "-o", out_csv.to_str().unwrap()];
        args.extend_from_slice(flags);
        let out = stampede(&args, LIMIT);
        out.assert_one_line_error(needle, &format!("{flags:?}"));
    }
}

/// Over capacity, the summary reports what the server achieved: responses
/// per second, with the unsent requests apart, and latency and service
/// time only of requests that were sent. `check --min-rps` gates on the
/// same rate, and `report` prints the same figure from the CSV.
#[test]
fn over_capacity_the_rate_is_what_the_server_achieved() {
    let (_s, base) = start_serve();
    let dir = scratch("over-capacity");
    let csv = dir.join("results.csv");
    let json_path = dir.join("summary.json");
    // Two connections to a 50 ms route serve about 40/s of the 200/s due.
    let out = stampede(
        &[
            "run",
            &format!("{base}/delay/50"),
            "--rate",
            "200",
            "-c",
            "2",
            "-d",
            "2s",
            "-q",
            "-o",
            csv.to_str().unwrap(),
            "--summary",
            json_path.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = read_csv(&csv);
    let json = std::fs::read_to_string(&json_path).unwrap();
    assert_accounting(&rows, &json);
    let responses = rows.iter().filter(|r| r.error.is_empty()).count() as f64;
    let unsent = rows.iter().filter(|r| r.error == "unsent").count() as f64;
    assert!(
        unsent > 100.0,
        "most of the 400 due were never sent: {unsent}"
    );
    assert_eq!(json_number(&json, "unsent"), unsent);
    assert_eq!(json_number(&json, "responses"), responses);
    let end_us = rows
        .iter()
        .map(|r| r.elapsed_us + r.latency_us)
        .max()
        .unwrap() as f64;
    let rps = json_number(&json, "rps");
    assert!(
        (rps - responses / (end_us / 1e6)).abs() < 0.01,
        "rps {rps} is responses / span"
    );
    assert!(rps < 60.0, "not the offered 200/s: {rps}");
    assert!(
        out.stdout.contains(&format!("Unsent          {unsent}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Connections     at most 2 (open model)")
            && !out.stdout.contains("Users"),
        "the cap is not called users: {}",
        out.stdout
    );
    // The 50 ms route: no sent request is faster, whatever the unsent did.
    let min_ms = json.split("\"latency_ms\":{").nth(1).unwrap();
    let min_ms: f64 = min_ms
        .split("\"min\":")
        .nth(1)
        .and_then(|v| v.split([',', '}']).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no latency min in {json}"));
    assert!(min_ms >= 49.0, "min {min_ms} ms comes from a sent request");
    let service_p50: f64 = json
        .split("\"service_ms\":{")
        .nth(1)
        .and_then(|s| s.split("\"p50\":").nth(1))
        .and_then(|v| v.split([',', '}']).next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(service_p50 >= 49.0, "service p50 {service_p50} ms");
    // check gates on the same rate; report prints it again from the CSV.
    let csv_s = csv.to_str().unwrap();
    let gate = stampede(&["check", csv_s, "--min-rps", "100"], LIMIT);
    assert_eq!(
        gate.code, 1,
        "the offered rate is not what was served: {}",
        gate.stdout
    );
    let report = stampede(&["report", csv_s], LIMIT);
    let rps_line = |text: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with("RPS"))
            .map(str::to_string)
    };
    assert_eq!(rps_line(&report.stdout), rps_line(&out.stdout), "one RPS");
}
