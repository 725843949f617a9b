//! The real binary against servers we did not write: nginx and Python's
//! http.server, on loopback.

mod common;
use common::*;

#[test]
fn nginx_counts_statuses_and_accounting() {
    let Some((_nginx, base)) = start_nginx("counts") else {
        return;
    };
    let (out, rows, json) = run_recorded(
        "nginx-counts",
        &format!("{base}/hello"),
        &["-c", "20", "-d", "2s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.len() > 100, "only {} requests", rows.len());
    assert!(
        rows.iter()
            .all(|r| r.status == 200 && r.error.is_empty() && r.task == "GET /hello")
    );
    assert!(rows.iter().all(|r| r.latency_us >= r.wait_us));
    assert_eq!(summary_figure(&out.stdout, "Requests"), rows.len() as u64);
    assert_accounting(&rows, &json);
}

#[test]
fn nginx_404_counts_as_failure_and_close_reconnects() {
    let Some((_nginx, base)) = start_nginx("404") else {
        return;
    };
    let (out, rows, json) = run_recorded(
        "nginx-404",
        &format!("{base}/missing"),
        &["-c", "4", "-d", "1s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.status == 404 && r.error.is_empty()));
    assert_eq!(json_number(&json, "failures"), rows.len() as f64);
    assert_accounting(&rows, &json);

    let (out, rows, json) = run_recorded(
        "nginx-close",
        &format!("{base}/close"),
        &["-c", "4", "-d", "1s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.len() > 20);
    assert!(
        rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
        "Connection: close is not an error"
    );
    assert_accounting(&rows, &json);
}

#[test]
fn python_http_server_keep_alive_and_chunked() {
    let (_py, base) = start_python();
    let (out, rows, json) = run_recorded(
        "python-hello",
        &format!("{base}/hello"),
        &["-c", "4", "-d", "1s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.len() > 20, "only {} requests", rows.len());
    assert!(rows.iter().all(|r| r.status == 200 && r.error.is_empty()));
    assert_accounting(&rows, &json);

    let (out, rows, json) = run_recorded(
        "python-chunked",
        &format!("{base}/chunked"),
        &["-c", "2", "-d", "1s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
        "chunked with extensions and trailers"
    );
    let sizes: std::collections::BTreeSet<u64> = rows.iter().map(|r| r.bytes).collect();
    assert_eq!(
        sizes.len(),
        1,
        "every chunked response has the same size: {sizes:?}"
    );
    assert_accounting(&rows, &json);

    let (out, rows, json) = run_recorded(
        "python-untilclose",
        &format!("{base}/untilclose"),
        &["-c", "2", "-d", "1s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.len() > 10, "{} requests", rows.len());
    assert!(
        rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
        "a body read until close, then a new connection"
    );
    assert_accounting(&rows, &json);
}

#[test]
fn nginx_counts_the_connections_of_no_keepalive_and_requests_per_conn() {
    let dir = common::scratch_path("nginx-perconn");
    let log = format!("access_log {}/access.log counted;", dir.display());
    let Some((_nginx, port, dir)) =
        common::start_nginx_with("perconn", "", common::NGINX_LOG, &log)
    else {
        return;
    };
    let url = format!("http://127.0.0.1:{port}/hello");
    let (out, rows, json) = run_recorded_args(
        "run-nokeepalive",
        &[&url, "-n", "40", "-c", "2", "-t", "1", "--no-keepalive"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    common::assert_accounting(&rows, &json);
    let conns = common::nginx_connections(&dir);
    assert_eq!(conns.len(), 40, "a connection per request: {conns:?}");
    assert_eq!(common::json_number(&json, "connections_opened"), 40.0);
    std::fs::write(dir.join("access.log"), "").unwrap();
    // Open model: 30 arrivals on at most 3 connections at once, at most 5
    // per connection; each slot's last connection may carry fewer.
    let (out, rows, json) = run_recorded_args(
        "run-perconn",
        &[
            &url,
            "--rate",
            "300",
            "-n",
            "30",
            "-c",
            "3",
            "-t",
            "1",
            "--requests-per-conn",
            "5",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    common::assert_accounting(&rows, &json);
    let conns = common::nginx_connections(&dir);
    assert_eq!(conns.values().map(|c| c.0).sum::<u64>(), 30);
    assert!(conns.values().all(|c| c.0 <= 5), "{conns:?}");
    assert!(conns.values().filter(|c| c.0 < 5).count() <= 3, "{conns:?}");
}
