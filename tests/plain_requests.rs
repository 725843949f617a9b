//! A plain run's requests, byte for byte: what the journey features
//! (references, checks, cookies, data files) add must cost a run without
//! them nothing, not even a changed byte. A server written here records
//! every byte each connection sends and answers a fixed 200.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const USER_AGENT: &str = concat!("stampede/", env!("CARGO_PKG_VERSION"));

/// A server on loopback that answers every request `200 ok` and keeps the
/// bytes it was sent, per connection, in order of arrival.
fn recording_server() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let record = Arc::clone(&record);
            std::thread::spawn(move || {
                let index = {
                    let mut all = record.lock().unwrap();
                    all.push(Vec::new());
                    all.len() - 1
                };
                let mut buf = [0u8; 4096];
                let mut pending = Vec::new();
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    record.lock().unwrap()[index].extend_from_slice(&buf[..n]);
                    pending.extend_from_slice(&buf[..n]);
                    // One reply per complete request: heads end in a blank
                    // line, and the bodies here say their length.
                    while let Some(end) = request_end(&pending) {
                        pending.drain(..end);
                        let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                        if stream.write_all(reply).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (format!("127.0.0.1:{}", addr.port()), seen)
}

/// Where the first complete request in `bytes` ends.
fn request_end(bytes: &[u8]) -> Option<usize> {
    let head = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let text = String::from_utf8_lossy(&bytes[..head]).to_ascii_lowercase();
    let length = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
    (bytes.len() >= head + length).then_some(head + length)
}

/// Run stampede; every request it sent was answered, so recorded, when
/// it exits.
fn run(args: &[&str]) {
    let out = stampede(args, Duration::from_secs(20));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_url_run_sends_the_same_bytes_as_before() {
    let (addr, seen) = recording_server();
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
    let (addr, seen) = recording_server();
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
