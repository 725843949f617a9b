//! A value a server sends, bound for a request's head, cannot end that
//! head: a token with a line break in it would start a second request of
//! the server's making, whose reply the connection would take for the
//! next one's. The reply that gives it fails (`check`) instead.

mod common;

use common::*;
use std::time::Duration;

/// Every reply: a token holding a request of the server's own.
const INJECTING: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 51\r\n\r\n\
    {\"token\": \"t\\r\\n\\r\\nGET /evil HTTP/1.1\\r\\nHost: x\"}";

#[test]
fn a_value_for_a_header_with_a_line_break_fails_its_reply() {
    let (addr, seen) = recording_server(INJECTING);
    let base = format!("http://{addr}");
    let dir = scratch("head-values");
    let file = dir.join("s.http");
    std::fs::write(
        &file,
        "### login\n# @name login\nGET /login\n\n### me\nGET /me\n\
         Authorization: Bearer {{login.response.body.$.token}}\n",
    )
    .unwrap();
    let csv = dir.join("results.csv");
    let args = [
        "run",
        "-f",
        file.to_str().unwrap(),
        "--host",
        &base,
        "-c",
        "1",
        "-n",
        "4",
        "--sequence",
        "-q",
        "-o",
        csv.to_str().unwrap(),
    ];
    let out = stampede(&args, Duration::from_secs(20));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = read_csv(&csv);
    assert_eq!(rows.len(), 4);
    for r in &rows {
        let got = (r.task.as_str(), r.status, r.error.as_str());
        assert_eq!(got, ("login", 200, "check"), "{r:?}");
    }
    let sent = String::from_utf8_lossy(&seen.lock().unwrap().concat()).into_owned();
    assert_eq!(sent.matches("GET /login ").count(), 4, "{sent}");
    assert!(!sent.contains("/evil") && !sent.contains("/me"), "{sent}");
}
