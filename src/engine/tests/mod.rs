//! In-process tests of the connection state machine, below the binary: a
//! `Connection` driven by a real mio `Poll`, as a worker drives it, against
//! a scripted peer on loopback (a `std` listener in threads that plays one
//! script per accepted connection). Every wait is bounded: a request that
//! gets no answer within `DEADLINE` fails its test instead of hanging it.

mod cookies;
mod pipeline;
mod plain;
mod tls;
mod tls_peer;

use super::connection::{Completion, Connection, End, Io, Link};
use super::worker::WorkerReport;
use crate::dynamic::Values;
use crate::http::protocol::Http1;
use crate::http::request::HttpRequest;
use crate::plan::RequestSpec;
use crate::record::ErrorKind;
use crate::rng::Rng;
use crate::tls::TlsClient;
use mio::{Events, Poll, Token};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long anything may take before the test counts it as a hang.
const DEADLINE: Duration = Duration::from_secs(5);
/// The worker's read buffer size (`worker::READ_BUF`): a response larger
/// than this takes several reads, as it does in a run.
const READ_BUF: usize = 64 * 1024;
/// A request body larger than the socket buffers take (the client's grows
/// to 4 MiB at most), for a peer that waits before it reads: the write
/// stops part way and goes on at later events.
const LARGE_BODY: usize = 8 << 20;
/// An idle connection has seen every event once none came for this long.
const QUIET: Duration = Duration::from_millis(50);

/// A GET of `/` encoded for `addr`; `closing`: the run closes connections
/// after some requests, so the closing form is prepared too.
fn get(addr: SocketAddr, closing: bool) -> HttpRequest {
    encode(addr, "GET", Vec::new(), closing)
}

/// A POST of `body` to `/` encoded for `addr`.
fn post(addr: SocketAddr, body: Vec<u8>) -> HttpRequest {
    encode(addr, "POST", body, false)
}

fn encode(addr: SocketAddr, method: &str, body: Vec<u8>, closing: bool) -> HttpRequest {
    let spec = RequestSpec {
        method: method.into(),
        authority: addr.to_string(),
        target: "/".into(),
        headers: Vec::new(),
        body,
        values: Vec::new(),
        capture: None,
    };
    HttpRequest::new(&spec, closing).unwrap()
}

/// Where the request a test sent stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    Pending,
    Done {
        status: u16,
        bytes: u64,
    },
    Failed {
        kind: ErrorKind,
        status: u16,
        bytes: u64,
    },
}

impl From<End> for Progress {
    fn from(end: End) -> Progress {
        match end {
            End::Done { status, bytes } => Progress::Done { status, bytes },
            End::Failed {
                kind,
                status,
                bytes,
            } => Progress::Failed {
                kind,
                status,
                bytes,
            },
        }
    }
}

/// One connection and what a worker gives it: the poll, the read buffer,
/// the report, the list of requests that ended.
struct Client<'a> {
    poll: Poll,
    events: Events,
    buf: Vec<u8>,
    report: WorkerReport,
    rng: Rng,
    scratch: Vec<u8>,
    link: Link<'a>,
    conn: Connection<'a, Http1>,
    done: Vec<Completion>,
    /// The last request that ended.
    last: Option<Completion>,
}

impl<'a> Client<'a> {
    fn new(addr: SocketAddr, tls: Option<&'a TlsClient>, requests_per_conn: Option<u32>) -> Self {
        Client {
            poll: Poll::new().unwrap(),
            events: Events::with_capacity(16),
            buf: vec![0; READ_BUF],
            report: WorkerReport::default(),
            rng: Rng::new(1),
            scratch: Vec::new(),
            link: Link {
                addr,
                tls,
                requests_per_conn,
            },
            conn: Connection::new(&Http1, Token(0), Instant::now()),
            done: Vec::new(),
            last: None,
        }
    }

    /// Run one request to its end.
    fn send(&mut self, request: &'a HttpRequest) -> Progress {
        let progress = self.start(request);
        self.settle(progress)
    }

    /// Start a request, as the worker does when it falls due.
    fn start(&mut self, request: &'a HttpRequest) -> Progress {
        self.start_at(request, Instant::now())
    }

    /// Start a request at a loop turn that began at `now` (a worker starts
    /// many in one turn, with that turn's moment).
    fn start_at(&mut self, request: &'a HttpRequest, now: Instant) -> Progress {
        self.queue(0, request, now, false);
        self.next()
    }

    /// Start slot `slot`'s request; `corked`: it waits for `flush`.
    fn queue(&mut self, slot: usize, request: &'a HttpRequest, now: Instant, corked: bool) {
        let mut io = Io {
            registry: self.poll.registry(),
            buf: &mut self.buf,
            report: &mut self.report,
            done: &mut self.done,
        };
        let mut values = Values::new(&mut self.rng);
        let scratch = &mut self.scratch;
        self.conn.start(
            &self.link,
            &mut io,
            slot,
            request,
            &mut values,
            scratch,
            now,
            corked,
        )
    }

    /// Write what was queued corked.
    fn flush(&mut self) {
        let mut io = Io {
            registry: self.poll.registry(),
            buf: &mut self.buf,
            report: &mut self.report,
            done: &mut self.done,
        };
        // A depth of 1: whatever waits is worth a write.
        self.conn.flush(&mut io, Instant::now(), 1);
    }

    /// The next request that ended, if one did.
    fn next(&mut self) -> Progress {
        if self.done.is_empty() {
            return Progress::Pending;
        }
        let done = self.done.remove(0);
        let end = done.end;
        self.last = Some(done);
        end.into()
    }

    /// Hand the connection its events until `count` requests have ended
    /// (a test failure after `DEADLINE`), and say how, in order.
    fn ended(&mut self, count: usize) -> Vec<Completion> {
        let deadline = Instant::now() + DEADLINE;
        while self.done.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{count} requests did not end within {DEADLINE:?}"
            );
            self.poll.poll(&mut self.events, Some(left)).unwrap();
            self.feed_events();
        }
        self.done.drain(..).collect()
    }

    /// The connect and TLS times the last request that ended paid.
    fn opening_us(&self) -> (u64, u64) {
        (self.last.as_ref()).map_or((0, 0), |done| (done.connect_us, done.tls_us))
    }

    /// Hand the connection its events until the request it answered
    /// `progress` for ends; a test failure after `DEADLINE`.
    fn settle(&mut self, mut progress: Progress) -> Progress {
        let deadline = Instant::now() + DEADLINE;
        while progress == Progress::Pending {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no end to the request within {DEADLINE:?}");
            progress = self.turn(left);
        }
        progress
    }

    /// Between requests: hand the idle connection its events until none
    /// come for `QUIET`, as the worker's loop would. None of them may be
    /// taken for the end of a request.
    fn idle(&mut self) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            self.poll.poll(&mut self.events, Some(QUIET)).unwrap();
            if self.events.is_empty() {
                return;
            }
            assert_eq!(self.feed(), Progress::Pending, "an idle connection ended");
            assert!(Instant::now() < deadline, "events without end");
        }
    }

    /// One poll of at most `wait`, its events fed to the connection.
    fn turn(&mut self, wait: Duration) -> Progress {
        self.poll.poll(&mut self.events, Some(wait)).unwrap();
        self.feed()
    }

    fn feed(&mut self) -> Progress {
        self.feed_events();
        self.next()
    }

    fn feed_events(&mut self) {
        for event in self.events.iter() {
            let mut io = Io {
                registry: self.poll.registry(),
                buf: &mut self.buf,
                report: &mut self.report,
                done: &mut self.done,
            };
            let peer_closed = event.is_read_closed();
            self.conn
                .on_event(&self.link, &mut io, Instant::now(), peer_closed);
        }
    }
}

/// A scripted server on 127.0.0.1: every connection it accepts gets its
/// own thread running `script(index, socket)`, index counting from 0.
struct Peer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<usize>>,
}

impl Peer {
    fn spawn<F>(script: F) -> Peer
    where
        F: Fn(usize, TcpStream) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let acceptor = thread::spawn(move || {
            let began = Instant::now();
            thread::scope(|scope| {
                let mut accepted = 0;
                while !stopping.load(Ordering::Relaxed) && began.elapsed() < 2 * DEADLINE {
                    match listener.accept() {
                        Ok((sock, _)) => {
                            sock.set_nonblocking(false).unwrap();
                            sock.set_nodelay(true).unwrap();
                            sock.set_read_timeout(Some(DEADLINE)).unwrap();
                            sock.set_write_timeout(Some(DEADLINE)).unwrap();
                            let (index, script) = (accepted, &script);
                            scope.spawn(move || script(index, sock));
                            accepted += 1;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(1));
                        }
                        Err(e) => panic!("accept: {e}"),
                    }
                }
                accepted
            })
        });
        Peer {
            addr,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// Stop accepting, wait for every script to end (drop the client
    /// first, so that they see it go) and say how many connections came.
    /// A script's failed assertion fails the test here.
    fn connections(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let acceptor = self.acceptor.take().unwrap();
        acceptor.join().expect("the peer's script failed")
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Read one request head (its body, if any, is the script's to read:
/// `read_body`); None when the client closed the connection instead.
fn read_head(stream: &mut impl Read) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => head.push(byte[0]),
            // A TLS client may go without a close_notify; a client that
            // closes with a response unread resets.
            Err(e) if gone(&e) => break,
            Err(e) => panic!("the peer could not read a request: {e}"),
        }
    }
    match head.is_empty() {
        true => None,
        false => Some(String::from_utf8(head).unwrap()),
    }
}

/// The body a request head announces (Content-Length), read whole.
fn read_body(stream: &mut impl Read, head: &str) -> Vec<u8> {
    let len = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .map_or(0, |len| len.parse().unwrap());
    let mut body = vec![0; len];
    stream.read_exact(&mut body).unwrap();
    body
}

/// Whether a read error only says that the client is gone.
fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
    )
}

/// A 200 response with a body of `len` bytes.
fn ok(len: usize) -> Vec<u8> {
    let mut response = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n").into_bytes();
    response.resize(response.len() + len, b'x');
    response
}

/// Answer one request with `response`; false when the client closed the
/// connection instead.
fn answer(stream: &mut (impl Read + Write), response: &[u8]) -> bool {
    if read_head(stream).is_none() {
        return false;
    }
    stream.write_all(response).unwrap();
    stream.flush().unwrap();
    true
}

/// Answer every request on the connection with `response` until the
/// client closes it; how many there were.
fn answer_all(stream: &mut (impl Read + Write), response: &[u8]) -> usize {
    let mut answered = 0;
    while answer(stream, response) {
        answered += 1;
    }
    answered
}

/// A `Done` with a 200 of `bytes` bytes.
fn done(bytes: usize) -> Progress {
    Progress::Done {
        status: 200,
        bytes: bytes as u64,
    }
}

/// A one-way signal between a test and a peer's script (raised once),
/// with a bounded wait.
#[derive(Clone, Default)]
struct Signal(Arc<(Mutex<bool>, Condvar)>);

impl Signal {
    fn raise(&self) {
        let (raised, changed) = &*self.0;
        *raised.lock().unwrap() = true;
        changed.notify_all();
    }

    fn wait(&self) {
        let (raised, changed) = &*self.0;
        let guard = raised.lock().unwrap();
        let (guard, _) = changed
            .wait_timeout_while(guard, DEADLINE, |raised| !*raised)
            .unwrap();
        assert!(*guard, "a signal did not come within {DEADLINE:?}");
    }
}
