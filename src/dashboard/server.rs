//! The dashboard's HTTP/1.1 server: one thread, one mio Poll, every
//! socket non-blocking, so a slow or silent client holds up nobody and
//! `stop` is noticed at once (a Waker). One request per connection, then
//! `Connection: close`. Only requests naming this dashboard in `Host` are
//! answered (see `host`), and when the table is full the oldest idle or
//! slow connection makes room for the newcomer.

use super::host::Hosts;
use super::live::SharedLive;
use super::page;
use crate::http::status::reason;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest request head accepted; longer ones get 431.
pub(crate) const MAX_HEAD: usize = 8 * 1024;
/// Time a client has from connecting to the end of its request head. A
/// browser sends it at once; idle and slowloris clients go after this.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(1);
/// Time a client has to take the response.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a client has to close after the whole response was sent.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
/// Connections open at once, each holding at most a head of MAX_HEAD and
/// one response; a newcomer beyond this closes the least useful one.
const MAX_CONNECTIONS: usize = 64;
const MAX_HEADERS: usize = 64;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CONNECTION: usize = 2;

/// The running dashboard server. Dropping it stops it too.
pub(crate) struct Dashboard {
    addr: SocketAddr,
    quit: Arc<AtomicBool>,
    waker: Arc<Waker>,
    thread: Option<JoinHandle<()>>,
}

impl Dashboard {
    /// Bind `addr` (port 0: any free port) and serve `live` from a thread
    /// of its own, pinned to `core` when given (one the workers do not use).
    /// `name` is the host name the user gave for `addr`, if any: requests
    /// may then use it in `Host`. Returns once the socket is listening.
    pub(crate) fn start(
        addr: SocketAddr,
        name: Option<&str>,
        live: SharedLive,
        core: Option<usize>,
    ) -> io::Result<Dashboard> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let mut listener = TcpListener::from_std(std_listener);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let quit = Arc::new(AtomicBool::new(false));
        let server = Server {
            poll,
            listener,
            live,
            hosts: Hosts::new(name),
            quit: quit.clone(),
            stopping: false,
            connections: HashMap::new(),
            next: FIRST_CONNECTION,
        };
        let thread = std::thread::Builder::new()
            .name("dashboard".into())
            .spawn(move || {
                if let Some(core) = core {
                    crate::cores::pin_current(core);
                }
                server.run()
            })?;
        Ok(Dashboard {
            addr,
            quit,
            waker,
            thread: Some(thread),
        })
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving: open connections are closed, the thread is joined.
    pub(crate) fn stop(self) {
        drop(self);
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.quit.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Server {
    poll: Poll,
    listener: TcpListener,
    live: SharedLive,
    hosts: Hosts,
    quit: Arc<AtomicBool>,
    /// Stop was pressed here: the page says so instead of showing the button.
    stopping: bool,
    connections: HashMap<Token, Connection>,
    next: usize,
}

enum State {
    /// Reading the request head into `input`.
    Reading,
    /// Writing `output` from `written`.
    Writing,
    /// Response sent and write side shut: reading until the client closes,
    /// so unread request bytes do not turn the close into a reset.
    Draining,
}

impl State {
    /// Which connections go first when a newcomer needs room: those still
    /// sending their head (idle or slow), then those only closing, and last
    /// those still taking their response.
    fn eviction_rank(&self) -> u8 {
        match self {
            State::Reading => 0,
            State::Draining => 1,
            State::Writing => 2,
        }
    }
}

struct Connection {
    stream: TcpStream,
    state: State,
    input: Vec<u8>,
    output: Vec<u8>,
    written: usize,
    accepted: Instant,
    deadline: Instant,
}

impl Server {
    fn run(mut self) {
        let mut events = Events::with_capacity(128);
        while !self.quit.load(Ordering::SeqCst) {
            if let Err(e) = self
                .poll
                .poll(&mut events, Some(Duration::from_millis(100)))
            {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(),
                    WAKER => {}
                    token => self.advance(token),
                }
            }
            let now = Instant::now();
            self.connections.retain(|_, c| c.deadline > now);
        }
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((mut stream, _)) => {
                    if self.connections.len() >= MAX_CONNECTIONS {
                        self.evict();
                    }
                    let token = Token(self.next);
                    self.next = self.next.wrapping_add(1).max(FIRST_CONNECTION);
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    if self
                        .poll
                        .registry()
                        .register(&mut stream, token, interest)
                        .is_err()
                    {
                        continue;
                    }
                    let now = Instant::now();
                    let connection = Connection {
                        stream,
                        state: State::Reading,
                        input: Vec::with_capacity(1024),
                        output: Vec::new(),
                        written: 0,
                        accepted: now,
                        deadline: now + READ_TIMEOUT,
                    };
                    self.connections.insert(token, connection);
                    // Edge-triggered: the request may already be there.
                    self.advance(token);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // WouldBlock: all taken. Anything else (e.g. out of fds): try at the next event.
                Err(_) => return,
            }
        }
    }

    /// Close the connection that matters least, so that a newcomer is
    /// answered rather than refused: a flood of idle or slow clients then
    /// only pushes out the oldest of its own.
    fn evict(&mut self) {
        let victim = self
            .connections
            .iter()
            .min_by_key(|(_, c)| (c.state.eviction_rank(), c.accepted))
            .map(|(token, _)| *token);
        if let Some(mut c) = victim.and_then(|t| self.connections.remove(&t)) {
            let _ = self.poll.registry().deregister(&mut c.stream);
        }
    }

    /// Move a connection on as far as its socket allows; drop it when done.
    fn advance(&mut self, token: Token) {
        let Some(mut c) = self.connections.remove(&token) else {
            return;
        };
        if self.step(&mut c) {
            self.connections.insert(token, c);
        } else {
            let _ = self.poll.registry().deregister(&mut c.stream);
        }
    }

    /// False when the connection is finished with.
    fn step(&mut self, c: &mut Connection) -> bool {
        if let State::Reading = c.state {
            match read_head(&mut c.stream, &mut c.input) {
                Ok(None) => return true,
                Ok(Some(())) => {
                    c.output = self.respond(&c.input);
                    c.state = State::Writing;
                    c.deadline = Instant::now() + WRITE_TIMEOUT;
                }
                Err(_) => return false,
            }
        }
        if let State::Writing = c.state {
            while c.written < c.output.len() {
                match c.stream.write(&c.output[c.written..]) {
                    Ok(0) => return false,
                    Ok(n) => c.written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return false,
                }
            }
            let _ = c.stream.shutdown(Shutdown::Write);
            c.state = State::Draining;
            c.deadline = Instant::now() + DRAIN_TIMEOUT;
        }
        // Draining: discard input until EOF, an error or the deadline.
        let mut sink = [0u8; 4096];
        loop {
            match c.stream.read(&mut sink) {
                Ok(0) => return false,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    /// The whole response to one request head (or to a bad one).
    fn respond(&mut self, head: &[u8]) -> Vec<u8> {
        let request = match parse(head, &self.hosts) {
            Ok(r) => r,
            Err(status) => return response(status, &[], "text/plain", reason(status), false),
        };
        let path = request.path.split('?').next().unwrap_or("");
        let head_only = request.method == "HEAD";
        match (path, request.method.as_str()) {
            ("/" | "/live", "GET" | "HEAD") => {
                let live = {
                    let guard = self.live.lock().unwrap_or_else(|e| e.into_inner());
                    page::snapshot(&guard)
                };
                let body = if path == "/" {
                    page::page(&live, self.stopping)
                } else {
                    page::fragment(&live, self.stopping)
                };
                response(200, &[], "text/html; charset=utf-8", &body, head_only)
            }
            ("/stop", "POST") => {
                if request.cross_origin {
                    return response(403, &[], "text/plain", reason(403), false);
                }
                crate::signal::request_stop();
                self.stopping = true;
                response(303, &[("Location", "/")], "text/plain", "stopping", false)
            }
            ("/" | "/live" | "/stop", _) => {
                let allow = if path == "/stop" { "POST" } else { "GET, HEAD" };
                let allow = [("Allow", allow)];
                response(405, &allow, "text/plain", reason(405), head_only)
            }
            _ => response(404, &[], "text/plain", reason(404), head_only),
        }
    }
}

/// Read what is there; Some once there is enough to answer: a whole head,
/// one that is already malformed, or one too long.
fn read_head(stream: &mut TcpStream, input: &mut Vec<u8>) -> io::Result<Option<()>> {
    let mut buf = [0u8; 4096];
    loop {
        if head_ready(input) {
            return Ok(Some(()));
        }
        match stream.read(&mut buf) {
            Ok(0) => {
                // The client closed its side: answer what came, if anything.
                return if input.is_empty() {
                    Err(io::ErrorKind::UnexpectedEof.into())
                } else {
                    Ok(Some(()))
                };
            }
            Ok(n) => input.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

pub(crate) fn head_ready(input: &[u8]) -> bool {
    if input.is_empty() {
        return false;
    }
    if input.len() > MAX_HEAD {
        return true;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    !matches!(
        httparse::Request::new(&mut headers).parse(input),
        Ok(httparse::Status::Partial)
    )
}

pub(crate) struct Request {
    method: String,
    path: String,
    /// An `Origin` header other than this page's own: a POST from another
    /// site's page, which may not stop the run.
    cross_origin: bool,
}

/// The request line and headers, or the status to answer with: 421 when
/// `Host` names something `hosts` does not accept.
pub(crate) fn parse(input: &[u8], hosts: &Hosts) -> Result<Request, u16> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(input) {
        Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => {}
        Ok(_) if input.len() > MAX_HEAD => return Err(431),
        Ok(_) => return Err(400), // cut short: the client closed mid-head
        Err(httparse::Error::TooManyHeaders) => return Err(431),
        Err(_) if input.len() > MAX_HEAD => return Err(431),
        Err(_) => return Err(400),
    }
    let (Some(method), Some(path)) = (request.method, request.path) else {
        return Err(400);
    };
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let mut host_headers = request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"));
    let host = match (host_headers.next(), host_headers.next()) {
        (Some(h), None) => Some(std::str::from_utf8(h.value).map_err(|_| 421u16)?),
        // HTTP/1.0 predates Host; no browser leaves it out.
        (None, _) if request.version == Some(0) => None,
        // HTTP/1.1 needs exactly one (RFC 9112, 3.2).
        _ => return Err(400),
    };
    if host.is_some_and(|h| !hosts.accepts(h)) {
        return Err(421);
    }
    let cross_origin = match (header("origin"), host) {
        (Some(origin), Some(host)) => !hosts.same_origin(&origin, host),
        (Some(_), None) => true,
        (None, _) => false,
    };
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        cross_origin,
    })
}

/// Only inline styles and the page's own script; fetches go back here only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn response(
    status: u16,
    extra: &[(&str, &str)],
    content_type: &str,
    body: &str,
    head_only: bool,
) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: {CSP}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (name, value) in extra {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    if !head_only {
        out.push_str(body);
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests;
