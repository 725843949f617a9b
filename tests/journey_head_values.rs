//! A value a server sends, bound for a request's head, cannot end that
//! head: a token with a line break in it would start a second request of
//! the server's making, whose reply the connection would take for the
//! next one's. The reply that gives it fails (`check`) instead.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server on loopback that answers every request (no bodies here) with
/// a token holding a request of its own, and keeps the bytes it was sent.
fn injecting_server() -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let record = Arc::clone(&record);
            std::thread::spawn(move || {
                let body = r#"{"token": "t\r\n\r\nGET /evil HTTP/1.1\r\nHost: x"}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let (mut buf, mut pending) = ([0u8; 4096], Vec::new());
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        pending.drain(..end + 4);
                        if stream.write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (format!("http://127.0.0.1:{}", addr.port()), seen)
}

#[test]
fn a_value_for_a_header_with_a_line_break_fails_its_reply() {
    let (base, seen) = injecting_server();
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
    let sent = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert_eq!(sent.matches("GET /login ").count(), 4, "{sent}");
    assert!(!sent.contains("/evil") && !sent.contains("/me"), "{sent}");
}
