//! The real binary against the built-in server: counts, framing paths,
//! latency against known delays, timeouts, and the accounting invariant.

mod common;
use common::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn hello_counts_match_everywhere() {
    let (_s, base) = start_serve();
    let (out, rows, json) =
        run_recorded("hello", &format!("{base}/hello"), &["-c", "10", "-d", "2s"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.len() > 1000, "only {} requests", rows.len());
    assert!(
        rows.iter()
            .all(|r| r.status == 200 && r.error.is_empty() && r.task == "GET /hello")
    );
    assert!(
        rows.iter()
            .all(|r| r.latency_us >= r.wait_us && r.bytes > 0)
    );
    assert!(
        rows.iter().all(|r| r.elapsed_us < 2_000_000),
        "no request is due at or after the end of the duration"
    );
    assert_eq!(summary_figure(&out.stdout, "Requests"), rows.len() as u64);
    assert_eq!(summary_figure(&out.stdout, "Failures"), 0);
    assert_accounting(&rows, &json);
}

#[test]
fn bytes_sent_and_connections_opened_add_up() {
    let (_s, base) = start_serve();
    let host = base.strip_prefix("http://").unwrap();
    for (path, users) in [("hello", 4), ("close", 3)] {
        // What stampede writes for this request, byte for byte.
        let request = format!(
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: stampede/{}\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        let (out, rows, json) = run_recorded(
            &format!("sent-{path}"),
            &format!("{base}/{path}"),
            &["-c", &users.to_string(), "-n", "300"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(rows.len(), 300);
        assert!(rows.iter().all(|r| r.error.is_empty() && r.status == 200));
        let sent = json_number(&json, "bytes_sent") as usize;
        assert_eq!(
            sent,
            rows.len() * request.len(),
            "{path}: every byte of every request"
        );
        let opened = json_number(&json, "connections_opened") as usize;
        if path == "close" {
            assert_eq!(opened, rows.len(), "the server closes after each response");
        } else {
            assert!(
                (users..=rows.len()).contains(&opened),
                "{opened} connections for {users} users"
            );
        }
        assert!(
            out.stdout
                .contains(&format!("Connections     {opened} opened")),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("Sent            0.0"), "{}", out.stdout);
    }
}

#[test]
fn statuses_are_recorded_and_4xx_5xx_fail() {
    let (_s, base) = start_serve();
    let (out, rows, json) = run_recorded(
        "status",
        &format!("{base}/status/503"),
        &["-c", "4", "-d", "1s", "--name", "flaky"],
    );
    assert_eq!(
        out.code, 0,
        "a run that got responses exits 0, whatever their status"
    );
    assert!(
        rows.iter()
            .all(|r| r.status == 503 && r.error.is_empty() && r.task == "flaky")
    );
    assert_eq!(json_number(&json, "failures"), rows.len() as f64);
    assert_accounting(&rows, &json);
}

#[test]
fn connection_close_path_reconnects_without_errors() {
    let (_s, base) = start_serve();
    let (out, rows, json) =
        run_recorded("close", &format!("{base}/close"), &["-c", "4", "-d", "1s"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.len() > 50, "only {} requests", rows.len());
    assert!(rows.iter().all(|r| r.status == 200 && r.error.is_empty()));
    // Every request after the first on a user reconnects; the connect is in its wait.
    assert!(rows.iter().all(|r| r.wait_us > 0));
    assert_accounting(&rows, &json);
}

#[test]
fn chunked_and_sized_bodies_are_framed() {
    let (_s, base) = start_serve();
    for (name, path) in [
        ("chunked", "/chunked/100000"),
        ("bytes", "/bytes/100000"),
        ("head", "/bytes/100"),
    ] {
        let method = if name == "head" { "HEAD" } else { "GET" };
        let (out, rows, json) = run_recorded(
            name,
            &format!("{base}{path}"),
            &["-c", "2", "-d", "1s", "-m", method],
        );
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert!(
            rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
            "{name}"
        );
        let sizes: std::collections::BTreeSet<u64> = rows.iter().map(|r| r.bytes).collect();
        assert_eq!(
            sizes.len(),
            1,
            "{name}: one size for every response, got {sizes:?}"
        );
        let size = *sizes.iter().next().unwrap();
        match name {
            "head" => assert!(size < 300, "HEAD reads no body: {size}"),
            _ => assert!(
                size > 100_000,
                "{name}: head + body over 100000 bytes: {size}"
            ),
        }
        assert_accounting(&rows, &json);
    }
}

#[test]
fn post_body_is_sent() {
    let (_s, base) = start_serve();
    let (out, rows, _) = run_recorded(
        "post",
        &format!("{base}/api/upload"),
        &[
            "-c",
            "2",
            "-d",
            "500ms",
            "-H",
            "Content-Type: application/json",
            "-b",
            "{\"n\":12345}",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        rows.iter()
            .all(|r| r.status == 200 && r.task == "POST /api/upload")
    );
    // The echo carries the 11-byte body back, so every response is that much bigger than an empty one.
    let (_, empty, _) = run_recorded(
        "post-empty",
        &format!("{base}/api/upload"),
        &[
            "-c",
            "1",
            "-d",
            "300ms",
            "-m",
            "POST",
            "-H",
            "Content-Type: application/json",
        ],
    );
    assert_eq!(
        rows[0].bytes,
        empty[0].bytes + 11 + 1,
        "echoed body (and one more Content-Length digit)"
    );
}

#[test]
fn latency_matches_a_known_server_delay() {
    let (_s, base) = start_serve();
    let (out, rows, _) = run_recorded(
        "delay",
        &format!("{base}/delay/100"),
        &["-c", "5", "-d", "2s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        rows.len() >= 50,
        "5 users x 2 s / 100 ms is about 100 requests, got {}",
        rows.len()
    );
    for r in &rows {
        assert!(r.status == 200 && r.error.is_empty());
        assert!(
            r.latency_us >= 100_000,
            "latency {} µs is below the server's 100 ms delay",
            r.latency_us
        );
        assert!(
            r.latency_us < 100_000 + 150_000,
            "latency {} µs is far above 100 ms",
            r.latency_us
        );
    }
}

#[test]
fn think_time_spaces_requests() {
    let (_s, base) = start_serve();
    let (out, rows, _) = run_recorded(
        "think",
        &format!("{base}/hello"),
        &["-c", "2", "-d", "1s", "--think", "100ms-200ms"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Each user: 1 s / (150 ms average think + a little) is about 7 requests.
    assert!(
        (8..=24).contains(&rows.len()),
        "2 users thinking 100-200 ms made {} requests in 1 s",
        rows.len()
    );
}

#[test]
fn timeouts_are_recorded_with_status_0() {
    let (_s, base) = start_serve();
    let (out, rows, json) = run_recorded(
        "timeout",
        &format!("{base}/delay/5000"),
        &["-c", "3", "-d", "1s", "--timeout", "300ms"],
    );
    // Not one response arrived: said plainly, exit 1.
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("not one response arrived"),
        "{}",
        out.stderr
    );
    assert!(!rows.is_empty());
    // A busy machine may keep the generator off its CPU: then the sweep is
    // late by as long, and the summary says so.
    let stall_us = (json_number(&json, "longest_stall_ms") * 1000.0) as u64;
    for r in &rows {
        assert_eq!((r.status, r.error.as_str()), (0, "timeout"));
        assert!(
            (300_000..300_000 + 150_000 + stall_us).contains(&r.latency_us),
            "timeout after {} µs",
            r.latency_us
        );
    }
    // 3 users, each timing out every 300 ms over 1 s: 3 x 4 (the last drains).
    assert!((9..=15).contains(&rows.len()), "{} rows", rows.len());
    assert_accounting(&rows, &json);
}

#[test]
fn unreachable_target_records_connect_errors_and_exits_1() {
    let port = free_port();
    let (out, rows, json) = run_recorded(
        "unreachable",
        &format!("http://127.0.0.1:{port}/"),
        &["-c", "2", "-d", "500ms"],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("not one response arrived"),
        "{}",
        out.stderr
    );
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.status == 0 && r.error == "connect"));
    assert_accounting(&rows, &json);
}

#[test]
fn no_out_writes_no_csv_but_still_summarises() {
    let (_s, base) = start_serve();
    let dir = scratch("no-out");
    let csv = dir.join("results.csv");
    let out = stampede(
        &[
            "run",
            &format!("{base}/hello"),
            "-c",
            "2",
            "-d",
            "500ms",
            "--no-out",
            "-o",
            csv.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!csv.exists());
    assert!(summary_figure(&out.stdout, "Requests") > 0);
    assert!(
        out.stderr.contains("done, whole run"),
        "the final live line on stderr: {}",
        out.stderr
    );
}

#[test]
fn spawn_rate_ramps_users_up() {
    let (_s, base) = start_serve();
    let (out, rows, _) = run_recorded(
        "spawn",
        &format!("{base}/delay/200"),
        &["-c", "10", "-r", "10", "-d", "1s", "-t", "2"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // User k starts at k x 100 ms and sends every 200 ms: sum over k of
    // ceil((1000 - 100k) / 200) = 30 requests due in the first second, where
    // all users at once would make 50.
    let due_in_first_second = rows.iter().filter(|r| r.elapsed_us < 1_000_000).count();
    assert!(
        (25..=35).contains(&due_in_first_second),
        "{due_in_first_second} requests due in the first second"
    );
    // The tenth user starts at 900 ms, not before.
    let late_starters = rows
        .iter()
        .filter(|r| r.elapsed_us % 200_000 > 50_000 && r.elapsed_us % 200_000 < 150_000)
        .count();
    assert!(
        late_starters >= 10,
        "odd users start on the odd 100 ms marks: {late_starters}"
    );
}

#[test]
fn demo_runs_against_the_built_in_server() {
    let dir = scratch("demo");
    let csv = dir.join("demo.csv");
    let out = stampede(
        &["demo", "-d", "1s", "-c", "5", "-o", csv.to_str().unwrap()],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = read_csv(&csv);
    assert_eq!(summary_figure(&out.stdout, "Requests"), rows.len() as u64);
    assert!(rows.iter().all(|r| r.status == 200));
}
