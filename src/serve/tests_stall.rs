//! Stall mode: parsing the schedule, and a real server on loopback that
//! holds its responses during `[300ms, 600ms)`. Times are measured from just
//! before `Server::start`, so they run a few microseconds ahead of the
//! server's own clock.

use std::io::Read;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::tests::Client;
use super::{ServeConfig, Server, Stall};

const WINDOW_START: Duration = Duration::from_millis(300);
const WINDOW_END: Duration = Duration::from_millis(600);

/// A server with stall 300ms/600ms, and the instant just before it started.
fn stalling_server() -> (Server, Instant) {
    let start = Instant::now();
    let server = Server::start(ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        cores: Vec::new(),
        stall: Some(Stall::parse("300ms/600ms").unwrap()),
        tls: None,
        stuck_after: super::STUCK,
    })
    .expect("server starts");
    (server, start)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn sleep_until(t: Instant) {
    sleep(t.saturating_duration_since(Instant::now()));
}

#[test]
fn parse_accepts_hold_every() {
    let s = Stall::parse("1s/4s").unwrap();
    assert_eq!((s.hold, s.every), (ms(1000), ms(4000)));
    let s = Stall::parse("300ms/600ms").unwrap();
    assert_eq!((s.hold, s.every), (ms(300), ms(600)));
    let s = Stall::parse("1.5s/1m").unwrap();
    assert_eq!((s.hold, s.every), (ms(1500), ms(60_000)));
}

#[test]
fn parse_rejects_bad_schedules() {
    for bad in [
        "", "1s", "1s-4s", "/", "1s/", "/4s", "x/4s", "1s/y", "1s/4s/8s", "0s/4s", "0ms/1s",
        "1s/0s", "4s/4s", "5s/4s", "1s/9000h",
    ] {
        let err = Stall::parse(bad).expect_err(bad);
        assert!(err.starts_with("--stall "), "{bad:?}: {err}");
        assert!(!err.contains('\n'), "{bad:?}: {err}");
    }
    assert!(
        Stall::parse("0s/4s")
            .unwrap_err()
            .contains("more than zero")
    );
    assert!(Stall::parse("5s/4s").unwrap_err().contains("shorter"));
}

#[test]
fn start_rejects_an_invalid_stall() {
    for (hold, every) in [(0, 1000), (1000, 1000), (2000, 1000), (1, 0)] {
        let err = Server::start(ServeConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            cores: Vec::new(),
            stall: Some(Stall {
                hold: ms(hold),
                every: ms(every),
            }),
            tls: None,
            stuck_after: super::STUCK,
        })
        .err()
        .expect("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().starts_with("--stall "), "{err}");
    }
}

#[test]
fn a_request_before_the_stall_is_answered_at_once() {
    let (server, start) = stalling_server();
    let mut c = Client::connect(&server);
    sleep_until(start + ms(50));
    let sent = Instant::now();
    assert_eq!(c.get("/hello").status, 200);
    assert!(sent.elapsed() < ms(100), "took {:?}", sent.elapsed());
    server.stop();
}

#[test]
fn a_request_during_the_stall_is_answered_when_it_ends() {
    let (server, start) = stalling_server();
    let mut c = Client::connect(&server);
    sleep_until(start + ms(350));
    assert_eq!(c.get("/hello").status, 200);
    let at = start.elapsed();
    assert!(at >= ms(550) && at <= ms(750), "answered at {at:?}");
    // After the stall, answers are prompt again.
    let sent = Instant::now();
    assert_eq!(c.get("/hello").status, 200);
    assert!(sent.elapsed() < ms(100), "took {:?}", sent.elapsed());
    server.stop();
}

#[test]
fn a_delay_ending_in_the_stall_waits_for_its_end() {
    let (server, start) = stalling_server();
    let mut early = Client::connect(&server);
    let mut late = Client::connect(&server);
    // Sent at ~50ms, due at ~150ms: before the stall.
    sleep_until(start + ms(50));
    early.send(b"GET /delay/100 HTTP/1.1\r\n\r\n");
    // Sent at ~250ms, due at ~350ms: inside the stall.
    sleep_until(start + ms(250));
    late.send(b"GET /delay/100 HTTP/1.1\r\n\r\n");
    assert_eq!(early.response(false).status, 200);
    let at = start.elapsed();
    assert!(at >= ms(150) && at < ms(300), "early answered at {at:?}");
    assert_eq!(late.response(false).status, 200);
    let at = start.elapsed();
    assert!(at >= ms(550) && at <= ms(750), "late answered at {at:?}");
    server.stop();
}

#[test]
fn keep_alive_requests_across_the_stall_stay_in_order() {
    let (server, start) = stalling_server();
    let mut c = Client::connect(&server);
    let mut writer = c.stream.try_clone().unwrap();
    // Request i asks for i bytes and is sent at i * 50ms: 50ms .. 800ms.
    const N: u64 = 16;
    let sender = std::thread::spawn(move || {
        let mut sent = Vec::new();
        for i in 1..=N {
            sleep_until(start + ms(i * 50));
            let request = format!("GET /bytes/{i} HTTP/1.1\r\n\r\n");
            sent.push(start.elapsed());
            std::io::Write::write_all(&mut writer, request.as_bytes()).unwrap();
        }
        sent
    });
    let mut answered = Vec::new();
    for i in 1..=N {
        let r = c.response(false);
        assert_eq!((r.status, r.body.len()), (200, i as usize), "response {i}");
        answered.push(start.elapsed());
    }
    let sent = sender.join().unwrap();
    for (i, (sent, answered)) in sent.iter().zip(&answered).enumerate() {
        let i = i + 1;
        if *sent >= WINDOW_START + ms(10) && *sent < WINDOW_END - ms(10) {
            assert!(
                *answered >= WINDOW_END - ms(50) && *answered <= WINDOW_END + ms(150),
                "request {i} sent at {sent:?} answered at {answered:?}"
            );
        } else if *sent < WINDOW_START - ms(10) || *sent >= WINDOW_END + ms(10) {
            assert!(
                answered.saturating_sub(*sent) < ms(100),
                "request {i} sent at {sent:?} answered at {answered:?}"
            );
        }
    }
    server.stop();
}

#[test]
fn a_response_being_written_pauses_during_the_stall() {
    let (server, start) = stalling_server();
    let mut c = Client::connect(&server);
    // Far more than loopback can carry in a second, so the transfer is
    // still running when the stall begins.
    c.send(&b"GET /bytes/104857600 HTTP/1.1\r\n\r\n".repeat(100));
    let mut buf = vec![0u8; 256 * 1024];
    let mut before = 0usize;
    let mut during = 0usize;
    let mut after = 0usize;
    while start.elapsed() < ms(800) {
        let n = c.stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed early");
        let at = start.elapsed();
        // What the kernel buffered before the stall can still arrive in
        // its first moments.
        if at < WINDOW_START {
            before += n;
        } else if at >= WINDOW_START + ms(50) && at < WINDOW_END - ms(20) {
            during += n;
        } else if at >= WINDOW_END {
            after += n;
        }
    }
    assert!(before > 0, "nothing before the stall");
    assert_eq!(during, 0, "bytes arrived during the stall");
    assert!(after > 0, "nothing after the stall");
    server.stop();
}

#[test]
fn connections_are_accepted_during_the_stall() {
    let (server, start) = stalling_server();
    sleep_until(start + ms(350));
    let mut c = Client::connect(&server);
    assert!(
        start.elapsed() < ms(450),
        "connect took until {:?}",
        start.elapsed()
    );
    assert_eq!(c.get("/hello").status, 200);
    let at = start.elapsed();
    assert!(at >= ms(550) && at <= ms(750), "answered at {at:?}");
    server.stop();
}

#[test]
fn stop_is_prompt_during_the_stall() {
    let (server, start) = stalling_server();
    let mut c = Client::connect(&server);
    sleep_until(start + ms(350));
    c.send(b"GET /hello HTTP/1.1\r\n\r\n");
    sleep(ms(20));
    let stopping = Instant::now();
    server.stop();
    assert!(
        stopping.elapsed() < ms(100),
        "stop took {:?}",
        stopping.elapsed()
    );
    // The held request is abandoned: the connection closes unanswered.
    assert!(c.closed());
}

#[test]
fn multiple_threads_stall_together() {
    // Three threads, on distinct cores where there are enough.
    let cores = crate::cores::available();
    let cores: Vec<usize> = cores.iter().copied().cycle().take(3).collect();
    let start = Instant::now();
    let server = Server::start(ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        cores,
        stall: Some(Stall::parse("300ms/600ms").unwrap()),
        tls: None,
        stuck_after: super::STUCK,
    })
    .expect("server starts");
    let mut clients: Vec<Client> = (0..6).map(|_| Client::connect(&server)).collect();
    sleep_until(start + ms(350));
    for c in &mut clients {
        c.send(b"GET /hello HTTP/1.1\r\n\r\n");
    }
    for c in &mut clients {
        assert_eq!(c.response(false).status, 200);
        let at = start.elapsed();
        assert!(at >= ms(550) && at <= ms(750), "answered at {at:?}");
    }
    server.stop();
}
