//! Connection behaviour against a real server on loopback: keep-alive,
//! pipelining, concurrency with delays, closing, bad input, shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::tests::{Client, server, server_on};

#[test]
fn keep_alive_serves_many_requests() {
    let server = server();
    let mut c = Client::connect(&server);
    for i in 0..50 {
        let r = c.get(if i % 2 == 0 { "/hello" } else { "/bytes/7" });
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), None);
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = server();
    let mut c = Client::connect(&server);
    c.send(
        b"GET /status/201 HTTP/1.1\r\n\r\n\
          POST /api/upload HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
          GET /chunked/5 HTTP/1.1\r\n\r\n\
          GET /bytes/100000 HTTP/1.1\r\n\r\n\
          GET /hello HTTP/1.1\r\n\r\n",
    );
    assert_eq!(c.response(false).status, 201);
    assert_eq!(c.response(false).body, b"abc");
    assert_eq!(c.response(false).body, b"xxxxx");
    assert_eq!(c.response(false).body.len(), 100_000);
    assert_eq!(c.response(false).status, 200);
}

#[test]
fn many_pipelined_requests() {
    let server = server();
    let mut c = Client::connect(&server);
    let batch = b"GET /hello HTTP/1.1\r\n\r\n".repeat(2000);
    // Write from a thread: the answers may fill the socket before all the
    // requests are written.
    let mut writer = c.stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || writer.write_all(&batch).unwrap());
    for _ in 0..2000 {
        assert_eq!(c.response(false).status, 200);
    }
    sender.join().unwrap();
}

#[test]
fn a_delayed_request_blocks_only_its_own_connection() {
    let server = server();
    let mut slow = Client::connect(&server);
    let mut fast = Client::connect(&server);
    let start = Instant::now();
    slow.send(b"GET /delay/500 HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
    let r = fast.get("/hello");
    let fast_time = start.elapsed();
    assert_eq!(r.status, 200);
    assert!(
        fast_time < Duration::from_millis(250),
        "/hello took {fast_time:?}"
    );
    assert_eq!(slow.response(false).status, 200);
    assert!(start.elapsed() >= Duration::from_millis(500));
    // The request pipelined behind the delay waited for it.
    assert_eq!(slow.response(false).body, br#"{"message":"hello"}"#);
}

#[test]
fn work_holds_its_thread_so_requests_take_turns() {
    // One server thread: two connections' work is served one after the
    // other, while two delays would overlap.
    let server = server();
    let mut a = Client::connect(&server);
    let mut b = Client::connect(&server);
    let start = Instant::now();
    a.send(b"GET /work/150000 HTTP/1.1\r\n\r\n");
    b.send(b"GET /work/150000 HTTP/1.1\r\n\r\n");
    assert_eq!(a.response(false).body, br#"{"worked":true}"#);
    assert_eq!(b.response(false).status, 200);
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
}

#[test]
fn many_delays_finish_in_deadline_order() {
    let server = server();
    let mut clients: Vec<Client> = (0..20).map(|_| Client::connect(&server)).collect();
    let start = Instant::now();
    for (i, c) in clients.iter_mut().enumerate() {
        c.send(format!("GET /delay/{} HTTP/1.1\r\n\r\n", 200 - i * 10).as_bytes());
    }
    for c in &mut clients {
        assert_eq!(c.response(false).status, 200);
    }
    // All twenty ran at once: the whole lot took about the longest delay.
    assert!(start.elapsed() < Duration::from_millis(1500));
}

#[test]
fn connection_close_and_http10() {
    let server = server();
    let mut c = Client::connect(&server);
    c.send(b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
    let r = c.response(false);
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(c.closed());

    let mut c = Client::connect(&server);
    c.send(b"GET /hello HTTP/1.0\r\n\r\n");
    assert_eq!(c.response(false).header("connection"), Some("close"));
    assert!(c.closed());

    let mut c = Client::connect(&server);
    for _ in 0..3 {
        c.send(b"GET /chunked/20 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let r = c.response(false);
        assert_eq!(r.header("connection"), Some("keep-alive"));
        assert_eq!(r.header("content-length"), Some("20"));
        assert_eq!(r.body.len(), 20);
    }
}

#[test]
fn bad_requests_get_400_and_close() {
    let server = server();
    let garbage: [&[u8]; 4] = [
        b"\x00\x01\x02\x03 nonsense\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nContent-Length: nine\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ];
    for bytes in garbage {
        let mut c = Client::connect(&server);
        c.send(bytes);
        let r = c.response(false);
        assert_eq!(r.status, 400, "{bytes:?}");
        assert_eq!(r.header("connection"), Some("close"));
        assert!(c.closed());
    }
    // A good request before the bad one is still answered first.
    let mut c = Client::connect(&server);
    c.send(b"GET /hello HTTP/1.1\r\n\r\nBAD\x01\r\n\r\n");
    assert_eq!(c.response(false).status, 200);
    assert_eq!(c.response(false).status, 400);
    assert!(c.closed());
}

#[test]
fn oversized_head_gets_431() {
    let server = server();
    let mut c = Client::connect(&server);
    let mut head = b"GET /hello HTTP/1.1\r\nX-Big: ".to_vec();
    head.resize(100 * 1024, b'a');
    head.extend_from_slice(b"\r\n\r\n");
    c.send(&head);
    let r = c.response(false);
    assert_eq!(r.status, 431);
    assert!(c.closed());

    let mut c = Client::connect(&server);
    let mut many = String::from("GET /hello HTTP/1.1\r\n");
    for i in 0..70 {
        many.push_str(&format!("X-{i}: v\r\n"));
    }
    many.push_str("\r\n");
    c.send(many.as_bytes());
    assert_eq!(c.response(false).status, 431);
    assert!(c.closed());
}

#[test]
fn unsupported_bodies_are_refused() {
    let server = server();
    let mut c = Client::connect(&server);
    c.send(b"POST /api/upload HTTP/1.1\r\nContent-Length: 16777217\r\n\r\n");
    assert_eq!(c.response(false).status, 413);
    assert!(c.closed());

    let mut c = Client::connect(&server);
    c.send(b"POST /api/upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    assert_eq!(c.response(false).status, 411);
    assert!(c.closed());
}

#[test]
fn expect_continue() {
    let server = server();
    let mut c = Client::connect(&server);
    c.send(b"POST /api/upload HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    assert_eq!(c.response(false).status, 100);
    c.send(b"data");
    let r = c.response(false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"data"[..]));
}

#[test]
fn requests_split_at_every_byte() {
    let server = server();
    let mut c = Client::connect(&server);
    let text = b"POST /api/upload?q HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nwxyz";
    for &byte in text {
        c.send(&[byte]);
        std::thread::sleep(Duration::from_micros(200));
    }
    let r = c.response(false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"wxyz"[..]));
}

#[test]
fn vanishing_clients_do_not_hurt_the_server() {
    let server = server();
    // Half a head, then gone.
    let mut c = Client::connect(&server);
    c.send(b"GET /hel");
    drop(c);
    // A big body, read a little, then gone.
    let mut c = Client::connect(&server);
    c.send(b"GET /bytes/50000000 HTTP/1.1\r\n\r\n");
    let mut some = [0u8; 1000];
    let _ = c.stream.read(&mut some).unwrap();
    drop(c);
    // A delayed request, then gone before the answer.
    let mut c = Client::connect(&server);
    c.send(b"GET /delay/50 HTTP/1.1\r\n\r\n");
    drop(c);
    // Sent a request and shut down writing: still answered.
    let mut c = Client::connect(&server);
    c.send(b"GET /hello HTTP/1.1\r\n\r\n");
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(c.response(false).status, 200);
    assert!(c.closed());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(Client::connect(&server).get("/hello").status, 200);
}

#[test]
fn random_bytes_never_kill_the_server() {
    let server = server();
    let mut rng = crate::rng::Rng::new(7);
    for round in 0..200 {
        let mut stream = TcpStream::connect(server.local_addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let len = rng.between(1, 3000) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if round % 2 == 0 {
            // Mostly-valid heads reach deeper into the parser.
            let prefix = b"GET /status/2 HTTP/1.1\r\nContent-Length: ";
            bytes.splice(0..0, prefix.iter().copied());
        }
        let _ = stream.write_all(&bytes);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    }
    assert_eq!(Client::connect(&server).get("/hello").status, 200);
}

#[test]
fn several_threads() {
    let cores: Vec<usize> = crate::cores::available().into_iter().take(2).collect();
    let server = server_on(if cores.is_empty() { vec![0] } else { cores });
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let addr = server.local_addr();
            std::thread::spawn(move || {
                let mut c = Client::from_stream(TcpStream::connect(addr).unwrap());
                for _ in 0..200 {
                    assert_eq!(c.get("/hello").status, 200);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn stop_is_prompt_and_closes_the_port() {
    let server = server();
    let addr = server.local_addr();
    let mut idle = Client::connect(&server);
    assert_eq!(idle.get("/hello").status, 200);
    let mut waiting = Client::connect(&server);
    waiting.send(b"GET /delay/60000 HTTP/1.1\r\n\r\n");
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    server.stop();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "stop took {:?}",
        start.elapsed()
    );
    assert!(idle.closed());
    assert!(waiting.closed());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn a_burst_of_connections_waits_in_the_accept_queue() {
    // Nobody accepts, so every connection must find room in the queue:
    // one that did not would wait for a SYN retransmit and time out here.
    // The kernel's own cap (4096 by default since Linux 5.4) is the most
    // any listener gets.
    let cap = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(300);
    let listener = super::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let held: Vec<TcpStream> = (0..cap.min(300))
        .map(|i| {
            TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("connection {i} found no room: {e}"))
        })
        .collect();
    assert!(!held.is_empty());
}

#[test]
fn a_client_stuck_half_way_is_dropped_and_an_idle_one_is_kept() {
    let server = super::Server::start(super::ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        cores: Vec::new(),
        stall: None,
        tls: None,
        stuck_after: Duration::from_millis(300),
    })
    .expect("server starts");
    // Half an upload, then nothing: the server must not hold it for ever.
    let mut stuck = TcpStream::connect(server.local_addr()).unwrap();
    stuck
        .write_all(b"POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        .unwrap();
    stuck.write_all(&[b'x'; 10_000]).unwrap();
    // A client between requests is not stuck, however long it idles.
    let mut idle = Client::connect(&server);
    assert_eq!(idle.get("/hello").status, 200);
    stuck
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let n = stuck.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the stuck client's connection was closed");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "dropped within the sweep"
    );
    assert_eq!(
        idle.get("/hello").status,
        200,
        "the idle client still served"
    );
    let counts = server.stop();
    assert_eq!(counts.requests, 2);
}
