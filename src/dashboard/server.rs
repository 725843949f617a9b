//! The dashboard's HTTP/1.1 server: one thread, one mio Poll, every
//! socket non-blocking, so a slow or silent client holds up nobody and
//! `stop` is noticed at once (a Waker). One request per connection, then
//! `Connection: close`.

use super::live::SharedLive;
use super::page;
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
pub const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Time a client has to take the response (and to close, after it).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections open at once; more are closed as soon as accepted.
const MAX_CONNECTIONS: usize = 64;
const MAX_HEADERS: usize = 64;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CONNECTION: usize = 2;

/// The running dashboard server. Dropping it stops it too.
pub struct Dashboard {
    addr: SocketAddr,
    quit: Arc<AtomicBool>,
    waker: Arc<Waker>,
    thread: Option<JoinHandle<()>>,
}

impl Dashboard {
    /// Bind `addr` (port 0: any free port) and serve `live` from a new thread.
    /// Returns once the socket is listening.
    /// Serve `live` at `addr` from a thread of its own, pinned to `core`
    /// when given (one the workers do not use).
    pub fn start(addr: SocketAddr, live: SharedLive, core: Option<usize>) -> io::Result<Dashboard> {
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

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving: open connections are closed, the thread is joined.
    pub fn stop(self) {
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

struct Connection {
    stream: TcpStream,
    state: State,
    input: Vec<u8>,
    output: Vec<u8>,
    written: usize,
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
                        continue; // dropped: closed
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
                    let connection = Connection {
                        stream,
                        state: State::Reading,
                        input: Vec::with_capacity(1024),
                        output: Vec::new(),
                        written: 0,
                        deadline: Instant::now() + READ_TIMEOUT,
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
        let request = match parse(head) {
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
    /// An `Origin` header naming another host than `Host`: a POST from
    /// another site's page, which may not stop the run.
    cross_origin: bool,
}

/// The request line and headers, or the status to answer with.
pub(crate) fn parse(input: &[u8]) -> Result<Request, u16> {
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
    let cross_origin = match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
            !origin_host.eq_ignore_ascii_case(&host)
        }
        (Some(_), None) => true,
        _ => false,
    };
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        cross_origin,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
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
