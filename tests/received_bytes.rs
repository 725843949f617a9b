//! Every row's `bytes` is what arrived for its request, whatever went wrong:
//! a peer on loopback answers each request with a scripted reply, then
//! closes, resets or stalls, and the CSV must count every byte it sent.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the peer does once its reply is written.
#[derive(Clone, Copy)]
enum Then {
    /// Close normally (FIN).
    Close,
    /// Abort the connection (RST), a moment later.
    Reset,
    /// Say nothing more until the client gives up and closes.
    Stall,
}

/// A hostile peer: one connection at a time, each request answered with
/// `reply`, then `then`. Stops (and is joined) when dropped.
struct Peer {
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Peer {
    fn start(reply: Vec<u8>, then: Then) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => answer(conn, &reply, then),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Peer {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Read one request head, write `reply`, then do `then`. Every wait is
/// bounded, so the peer never outlives its test by much.
fn answer(mut conn: TcpStream, reply: &[u8], then: Then) {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    if conn.write_all(reply).is_err() {
        return;
    }
    match then {
        Then::Close => {}
        Then::Reset => {
            // Let the reply arrive on its own first, as a real server's would.
            std::thread::sleep(Duration::from_millis(50));
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: setsockopt on a socket we own, with a valid linger struct.
            unsafe {
                libc::setsockopt(
                    conn.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    (&linger as *const libc::linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                )
            };
        }
        Then::Stall => {
            // Until the client closes (its timeout), or at most 2 s.
            let until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < until && !matches!(conn.read(&mut buf), Ok(0) | Err(_)) {}
        }
    }
}

/// Run one user against a peer that answers `reply` then does `then`;
/// every row must have `error` and `bytes` as given.
fn rows_against(name: &str, reply: Vec<u8>, then: Then) -> Vec<Row> {
    let peer = Peer::start(reply, then);
    let (out, rows, json) = run_recorded(
        name,
        &peer.url,
        &[
            "-c",
            "1",
            "-d",
            "400ms",
            "--think",
            "20ms",
            "--timeout",
            "300ms",
        ],
    );
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    assert!(!rows.is_empty(), "{name}: no rows");
    assert_accounting(&rows, &json);
    rows
}

fn assert_all(rows: &[Row], error: &str, bytes: usize, case: &str) {
    for r in rows {
        assert_eq!(
            (r.error.as_str(), r.bytes),
            (error, bytes as u64),
            "{case}: {r:?}"
        );
    }
}

#[test]
fn a_malformed_head_counts_every_byte_that_arrived() {
    // A 60 KB head whose last line is malformed: it fails only once all of
    // it has arrived.
    let mut reply = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    reply.resize(60_000, b'a');
    reply.extend_from_slice(b"\r\nBad Header\r\n\r\n");
    let rows = rows_against("bytes-parse-late", reply.clone(), Then::Close);
    assert_all(&rows, "parse", reply.len(), "malformed last header");
}

#[test]
fn garbage_counts_what_was_read() {
    // 64 KiB that is not HTTP at all fails at the first read, which took
    // some of it: not zero, and no more than was sent.
    let rows = rows_against("bytes-garbage", vec![b'#'; 64 * 1024], Then::Stall);
    for r in &rows {
        assert_eq!(r.error, "parse", "{r:?}");
        assert!((1..=64 * 1024).contains(&r.bytes), "{r:?}");
    }
}

#[test]
fn a_response_cut_mid_head_counts_its_bytes() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Le".to_vec();
    let rows = rows_against("bytes-closed-head", reply.clone(), Then::Close);
    assert_all(&rows, "closed", reply.len(), "closed mid-head");
}

#[test]
fn a_response_reset_mid_body_counts_its_bytes() {
    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
    reply.resize(reply.len() + 300, b'b');
    let rows = rows_against("bytes-reset-body", reply.clone(), Then::Reset);
    assert_all(&rows, "reset", reply.len(), "reset mid-body");
}

#[test]
fn a_response_stalled_mid_head_counts_its_bytes() {
    let reply = b"HTTP/1.1 200 OK\r\nX-Partial: yes".to_vec();
    let rows = rows_against("bytes-timeout-head", reply.clone(), Then::Stall);
    assert_all(&rows, "timeout", reply.len(), "stalled mid-head");
}
