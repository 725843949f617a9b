//! A plain run's requests, byte for byte: what the journey features
//! (references, checks, cookies, data files) add must cost a run without
//! them nothing, not even a changed byte. A server written here records
//! every byte each connection sends and answers a fixed 200.

mod common;

use common::*;
use std::time::Duration;

const USER_AGENT: &str = concat!("stampede/", env!("CARGO_PKG_VERSION"));

/// Run stampede; every request it sent was answered, so recorded, when
/// it exits.
fn run(args: &[&str]) {
    let out = stampede(args, Duration::from_secs(20));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_url_run_sends_the_same_bytes_as_before() {
    let (addr, seen) = recording_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let url = format!("http://{addr}/hello?x=1");
    run(&[
        "run", &url, "-n", "3", "-c", "1", "-t", "1", "-q", "--no-out", "-H", "X-A: 1",
    ]);
    let expected = format!(
        "GET /hello?x=1 HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {USER_AGENT}\r\nX-A: 1\r\n\r\n"
    )
    .repeat(3);
    assert_eq!(
        String::from_utf8_lossy(&seen.lock().unwrap().concat()),
        expected
    );
}

#[test]
fn a_plain_scenario_sends_the_same_bytes_as_before() {
    let (addr, seen) = recording_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let path = scratch("plain-requests").join("plain.http");
    // No @name, @expect, @data or Set-Cookie: nothing of a journey. A
    // `{{word.word}}` that names nothing stays as it is written.
    std::fs::write(
        &path,
        format!(
            "@host = http://{addr}\n\n### list\nGET {{{{host}}}}/items\nAccept: application/json\n\n\
             ### add\nPOST {{{{host}}}}/items\nContent-Type: application/json\n\n\
             {{\"name\": \"{{{{user.name}}}}\"}}\n"
        ),
    )
    .unwrap();
    run(&[
        "run",
        "-f",
        path.to_str().unwrap(),
        "--sequence",
        "-n",
        "4",
        "-c",
        "1",
        "-t",
        "1",
        "-q",
        "--no-out",
    ]);
    let list = format!(
        "GET /items HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {USER_AGENT}\r\n\
         Accept: application/json\r\n\r\n"
    );
    let body = "{\"name\": \"{{user.name}}\"}";
    let add = format!(
        "POST /items HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {USER_AGENT}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(
        String::from_utf8_lossy(&seen.lock().unwrap().concat()),
        format!("{list}{add}{list}{add}")
    );
}
