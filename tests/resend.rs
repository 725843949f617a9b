//! A kept-alive connection the server closes just as the next request goes
//! out on it: the request goes again on a new connection, once, and stays
//! one row, as curl and Go's client do, rather than a `closed` failure the
//! server never caused.

mod common;

use common::{assert_accounting, json_number, run_recorded};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// Read one request head; false when the client closed instead.
fn read_head(reader: &mut BufReader<std::net::TcpStream>) -> bool {
    let mut saw_any = false;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line == "\r\n" => return saw_any,
            Ok(_) => saw_any = true,
        }
    }
}

#[test]
fn a_request_on_a_connection_the_server_just_closed_goes_again_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        // First connection: answers one request, then takes the second and
        // closes without a word, as a keep-alive timeout firing does.
        let (sock, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        assert!(read_head(&mut reader));
        (&sock).write_all(ok).unwrap();
        assert!(read_head(&mut reader));
        drop((reader, sock));
        // Second connection: answers whatever comes.
        let (sock, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let mut answered = 0;
        while read_head(&mut reader) {
            (&sock).write_all(ok).unwrap();
            answered += 1;
        }
        answered
    });
    let url = format!("http://127.0.0.1:{port}/");
    let (out, rows, json) = run_recorded("resend", &url, &["-n", "3", "-c", "1", "-t", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_accounting(&rows, &json);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
        "{rows:?}"
    );
    assert_eq!(json_number(&json, "requests_resent"), 1.0);
    assert_eq!(json_number(&json, "connections_opened"), 2.0);
    // The resent request paid for its new connection in its wait.
    assert_eq!(rows.iter().filter(|r| r.connect_us > 0).count(), 2);
    assert!(
        out.stdout.contains("1 requests sent again on a new one"),
        "{}",
        out.stdout
    );
    assert_eq!(
        server.join().unwrap(),
        2,
        "the second connection got the rest"
    );
}
