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
