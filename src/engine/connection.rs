//! One connection's state machine, the same for every transport and
//! protocol: connect, TLS handshake (if any), then, open, write the
//! requests queued on it and read their replies in order, until it idles
//! or closes. It owns a `Transport` (how bytes move) and an `Exchange`
//! (what they mean); the worker hands it events and requests, and records
//! each request it reports ended (`Completion`).

use super::exchange::{Exchange, InFlight, Reply};
use super::transport::{Transport, tls_error};
use super::worker::WorkerReport;
use crate::dynamic::Values;
use crate::journey::capture::Captured;
use crate::protocol::Protocol;
use crate::record::ErrorKind;
use crate::tls::{TlsClient, explain};
use mio::{Interest, Registry, Token};
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

/// Where a worker's connections go, and how long each lives.
pub(crate) struct Link<'a> {
    pub(crate) addr: SocketAddr,
    pub(crate) tls: Option<&'a TlsClient>,
    /// Close after this many requests (`--no-keepalive`: 1).
    pub(crate) requests_per_conn: Option<u32>,
}

/// What a connection needs from its worker while it runs.
pub(crate) struct Io<'w> {
    pub(crate) registry: &'w Registry,
    /// The worker's read buffer, shared by its connections.
    pub(crate) buf: &'w mut [u8],
    pub(crate) report: &'w mut WorkerReport,
    /// Requests that ended, oldest first, for the worker to record.
    pub(crate) done: &'w mut Vec<Completion>,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Done {
        status: u16,
        bytes: u64,
    },
    /// `status` and `bytes` are what had arrived.
    Failed {
        kind: ErrorKind,
        status: u16,
        bytes: u64,
    },
}

/// A request that ended, for the worker to record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Completion {
    pub(crate) slot: usize,
    pub(crate) end: End,
    /// When its first byte was written, if it was.
    pub(crate) wrote_at: Option<Instant>,
    /// The connect and TLS times it paid, in µs (0 when it did not open
    /// the connection).
    pub(crate) connect_us: u64,
    pub(crate) tls_us: u64,
    /// Whether the worker may send it again.
    pub(crate) retry: Retry,
    /// Its reply was captured (its task captures, `RequestSpec::capture`):
    /// the capture waits in its connection (`Connection::take_captured`),
    /// so that a completion stays a few figures, copied, not dropped.
    pub(crate) captured: bool,
}

/// Whether a request that failed may be sent again, on a new connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    No,
    /// The server closed the connection under it before a byte of its
    /// reply came, on a connection that had answered before: a race of
    /// keep-alive (or pipelining) the client absorbs, as curl and Go's
    /// client do, once: the server may have seen it. A connection closed
    /// before any reply is the server's failure, not a race.
    Once,
    /// It was pipelined behind a reply that closed the connection
    /// (`Connection: close`): the server did not process it (RFC 9112
    /// 9.6), so it goes again as often as that happens; each connection
    /// answers one request at least, and the worker sends these first on
    /// the next (`Worker::retries_first`), so each is answered in turn.
    Unseen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Closed,
    Connecting,
    Handshaking,
    /// Open: writing what is queued, reading replies, or idle.
    Open,
}

pub(crate) struct Connection<'a, P: Protocol> {
    token: Token,
    transport: Option<Transport>,
    stage: Stage,
    exchange: Exchange<'a, P>,
    /// When the TCP connect started, then when it completed.
    connect_began: Instant,
    connected_at: Instant,
    /// Requests started on the current connection.
    served: u32,
    /// A reply came on the current connection: it was alive, so a request
    /// that finds it closed met the keep-alive race (see `Retry::Once`).
    replied: bool,
    /// The last write stopped part way (a full socket, or TLS records not
    /// all out): the writable event that follows goes on with it.
    write_blocked: bool,
    /// Captured replies, in the order of their completions (`captured`),
    /// until the worker takes them; empty when no task captures.
    captures: VecDeque<Box<Captured>>,
}

impl<'a, P: Protocol> Connection<'a, P> {
    pub(crate) fn new(protocol: &'a P, token: Token, now: Instant) -> Connection<'a, P> {
        Connection {
            token,
            transport: None,
            stage: Stage::Closed,
            exchange: Exchange::new(protocol),
            connect_began: now,
            connected_at: now,
            served: 0,
            replied: false,
            write_blocked: false,
            captures: VecDeque::new(),
        }
    }

    /// Start slot `slot`'s request: queue it behind those in flight and
    /// write it on the open connection, or open one. `corked`: more
    /// requests follow at once, so it waits for `flush` to go out with them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start(
        &mut self,
        link: &Link<'_>,
        io: &mut Io<'_>,
        slot: usize,
        request: &'a P::Request,
        values: &mut Values<'_>,
        scratch: &mut Vec<u8>,
        now: Instant,
        corked: bool,
    ) {
        let opened = self.transport.is_none();
        if opened {
            self.served = 0;
            self.replied = false;
        }
        self.served += 1;
        let last = link.requests_per_conn.is_some_and(|n| self.served >= n);
        self.exchange
            .push(slot, request, values, scratch, opened, last);
        match self.stage {
            Stage::Closed => self.connect(link, io, now),
            Stage::Open if !corked => self.write(io, now),
            // Written once the connection is open, or at `flush`.
            _ => {}
        }
    }

    /// Write what `start` queued while corked, when it is worth a write
    /// (see `Exchange::worth_writing`); what waits goes with a later one.
    pub(crate) fn flush(&mut self, io: &mut Io<'_>, now: Instant, depth: usize) {
        if self.stage == Stage::Open && self.exchange.worth_writing(depth) {
            self.write(io, now);
        }
    }

    /// Drive the state machine on an event from epoll. `peer_closed`: the
    /// peer's FIN came with it, so a short read does not mean the socket
    /// is drained: the end must still be read.
    pub(crate) fn on_event(
        &mut self,
        link: &Link<'_>,
        io: &mut Io<'_>,
        now: Instant,
        peer_closed: bool,
    ) {
        match self.stage {
            Stage::Connecting => self.connected(link, io, now),
            Stage::Handshaking => self.handshake(io, now),
            Stage::Open => self.exchange_bytes(link, io, now, peer_closed),
            Stage::Closed => {}
        }
    }

    /// The capture of the oldest completion it reported `captured` and
    /// the worker has not handled yet.
    pub(crate) fn take_captured(&mut self) -> Option<Box<Captured>> {
        self.captures.pop_front()
    }

    /// Whether no request is in flight on it.
    pub(crate) fn is_idle(&self) -> bool {
        self.exchange.is_idle()
    }

    /// Bytes of requests it holds, written or not.
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        self.exchange.buffered()
    }

    /// The worker ends slot `slot`'s request before its reply came
    /// (timeout, abort): the connection closes, and every request on it
    /// ends with it (see `fail`).
    pub(crate) fn abandon(&mut self, io: &mut Io<'_>, slot: usize, kind: ErrorKind) {
        self.fail(io, kind, Some(slot));
    }

    /// Close the connection, if open. `polite`: it was healthy and idle,
    /// so the protocol's goodbye and a TLS close_notify go out.
    pub(crate) fn close(&mut self, registry: &Registry, polite: bool) {
        self.write_blocked = false;
        if let Some(mut transport) = self.transport.take() {
            if polite {
                transport.say_goodbye(self.exchange.goodbye());
            }
            let _ = registry.deregister(transport.socket());
        }
        self.stage = Stage::Closed;
    }

    fn connect(&mut self, link: &Link<'_>, io: &mut Io<'_>, now: Instant) {
        // Not `now`, the loop turn's moment: starting many users in one
        // turn would count the others' setup in this one's connect time.
        self.connect_began = Instant::now().max(now);
        let opened = Transport::connect(link.addr, link.tls).and_then(|mut transport| {
            let interest = Interest::READABLE | Interest::WRITABLE;
            io.registry
                .register(transport.socket(), self.token, interest)?;
            Ok(transport)
        });
        match opened {
            Ok(transport) => {
                self.transport = Some(transport);
                self.stage = Stage::Connecting;
            }
            Err(_) => self.fail(io, ErrorKind::Connect, None),
        }
    }

    fn connected(&mut self, link: &Link<'_>, io: &mut Io<'_>, now: Instant) {
        let Some(transport) = &mut self.transport else {
            return;
        };
        let sock = transport.socket();
        match (sock.take_error(), sock.peer_addr()) {
            (Ok(None), Ok(_)) => {}
            // Spurious wakeup: the handshake is still going on.
            (Ok(None), Err(e)) if e.kind() == io::ErrorKind::NotConnected => return,
            // A failed connect has no connect time: its row's latency says it.
            _ => return self.fail(io, ErrorKind::Connect, None),
        }
        io.report.connections_opened += 1;
        self.connected_at = now;
        // The request that opened the connection paid for it.
        if let Some(opener) = self.exchange.front_mut() {
            opener.connect_us = micros(now, self.connect_began);
        }
        if link.tls.is_some() {
            self.stage = Stage::Handshaking;
            self.handshake(io, now)
        } else {
            self.stage = Stage::Open;
            self.write(io, now)
        }
    }

    fn handshake(&mut self, io: &mut Io<'_>, now: Instant) {
        let Some(transport) = &mut self.transport else {
            return;
        };
        match transport.handshake() {
            Ok(false) => {}
            Ok(true) => {
                // The handshake's last step took time of its own: the
                // request is written after it, so wait_us holds tls_us.
                let done = Instant::now().max(now);
                if let Some(opener) = self.exchange.front_mut() {
                    opener.tls_us = micros(done, self.connected_at);
                }
                io.report.connections_resumed += transport.resumed() as u64;
                self.stage = Stage::Open;
                self.write(io, done)
            }
            // Whatever ends a handshake, TLS is what failed.
            Err(e) => {
                let why = tls_error(&e).map_or_else(|| e.to_string(), explain);
                io.report.tls_problem.get_or_insert(why);
                self.fail(io, ErrorKind::Tls, None)
            }
        }
    }

    /// An event on the open connection: write what waits, then read the
    /// replies (a server may answer before it has read all of a request,
    /// as a 413 or 401 does), or check on it between requests.
    fn exchange_bytes(
        &mut self,
        link: &Link<'_>,
        io: &mut Io<'_>,
        now: Instant,
        peer_closed: bool,
    ) {
        // Only a write the socket (or TLS) left part done goes on here;
        // requests queued corked wait for the worker's `flush`.
        if self.write_blocked {
            self.write(io, now);
        }
        if self.stage != Stage::Open {
            return;
        }
        if self.exchange.is_idle() {
            self.check_idle(io)
        } else {
            self.read(link, io, peer_closed)
        }
    }

    fn write(&mut self, io: &mut Io<'_>, now: Instant) {
        let Some(transport) = &mut self.transport else {
            return;
        };
        loop {
            let bytes = self.exchange.unwritten();
            if bytes.is_empty() {
                break;
            }
            match transport.write(bytes) {
                Ok(n) => {
                    self.exchange.wrote(n, now);
                    io.report.bytes_sent += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_blocked = true;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.failed_io(io, &e),
            }
        }
        self.write_blocked = false;
        match transport.flush() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.write_blocked = true,
            Err(e) => self.failed_io(io, &e),
        }
    }

    /// Read replies until the socket is drained, ending the requests at
    /// the front in order as theirs complete.
    fn read(&mut self, link: &Link<'_>, io: &mut Io<'_>, peer_closed: bool) {
        loop {
            let Some(transport) = &mut self.transport else {
                return;
            };
            let n = match transport.read(io.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return self.failed_io(io, &e),
            };
            if n == 0 {
                return self.ended(io);
            }
            let mut at = 0;
            while at < n {
                match self.exchange.received(&io.buf[at..n]) {
                    Reply::Pending => at = n,
                    Reply::Done {
                        status,
                        bytes,
                        consumed,
                        keep_alive,
                        whole,
                    } => {
                        at += consumed;
                        self.answered(io, End::Done { status, bytes });
                        if !keep_alive {
                            return self.cut_off(io);
                        }
                        // Bytes after the last reply nobody asked for, or
                        // a reply to a request still going out: the
                        // stream is out of step, and the connection done.
                        let stray = self.exchange.is_idle() && at < n;
                        if !whole || stray {
                            return self.fail(io, ErrorKind::Closed, None);
                        }
                    }
                    Reply::Failed(kind) => return self.refused(io, kind),
                }
            }
            let Some(transport) = &mut self.transport else {
                return;
            };
            if self.exchange.is_idle() {
                let last = link.requests_per_conn.is_some_and(|max| self.served >= max);
                // A FIN that came with the reply is not reported again:
                // kept, the connection would fail the next request.
                if peer_closed {
                    self.close(io.registry, false);
                } else if last || transport.spent() {
                    self.close(io.registry, true);
                }
                return;
            }
            // Edge-triggered epoll reports what comes next; skip the read
            // that would only say EAGAIN.
            if transport.drained(n, io.buf.len()) && !peer_closed {
                return;
            }
        }
    }

    /// The peer closed the stream: the front request's reply may run
    /// until the close; the requests behind it get none.
    fn ended(&mut self, io: &mut Io<'_>) {
        match self.exchange.ended() {
            Reply::Done { status, bytes, .. } => {
                self.answered(io, End::Done { status, bytes });
                self.close(io.registry, false);
                self.fail(io, ErrorKind::Closed, None)
            }
            Reply::Failed(kind) => self.refused(io, kind),
            Reply::Pending => self.fail(io, ErrorKind::Closed, None),
        }
    }

    /// The front request's reply completed: it ends with `end`.
    fn answered(&mut self, io: &mut Io<'_>, end: End) {
        let captured = self.exchange.captured();
        if let Some(request) = self.exchange.front() {
            io.done.push(Completion {
                captured: captured.is_some(),
                ..completion(request, end)
            });
            if let Some(captured) = captured {
                self.captures.push_back(captured);
            }
        }
        self.replied = true;
        self.exchange.answered();
    }

    /// The front request's reply failed with `kind`.
    fn refused(&mut self, io: &mut Io<'_>, kind: ErrorKind) {
        if kind == ErrorKind::Init && io.report.init_problem.is_none() {
            io.report.init_problem = self.exchange.refusal();
        }
        self.fail(io, kind, None)
    }

    /// An event between requests: the server closed an idle keep-alive
    /// connection, or sent bytes nobody asked for; either way it is done,
    /// and the next request opens a new one. A TLS session ticket is fine.
    fn check_idle(&mut self, io: &mut Io<'_>) {
        if let Some(transport) = &mut self.transport
            && !transport.still_usable(io.buf)
        {
            self.close(io.registry, false);
        }
    }

    /// A socket or TLS error failed the connection.
    fn failed_io(&mut self, io: &mut Io<'_>, e: &io::Error) {
        match tls_error(e) {
            Some(tls) => {
                io.report.tls_problem.get_or_insert_with(|| explain(tls));
                self.fail(io, ErrorKind::Tls, None)
            }
            None => self.fail(io, ErrorKind::from_io(e), None),
        }
    }

    /// The connection failed with `kind`, because of `cause`'s request
    /// (the front one if None): close it, and end every request on it.
    /// The cause records what its reply had brought; the others, behind
    /// it, had none. A reply that did not parse leaves the stream out of
    /// step, so the others see the connection closed under them.
    fn fail(&mut self, io: &mut Io<'_>, kind: ErrorKind, cause: Option<usize>) {
        self.close(io.registry, false);
        let front = self.exchange.so_far();
        let others = match kind {
            ErrorKind::Parse => ErrorKind::Closed,
            kind => kind,
        };
        for (i, request) in self.exchange.drain().enumerate() {
            let is_cause = cause.map_or(i == 0, |slot| slot == request.slot);
            let kind = if is_cause { kind } else { others };
            let (status, bytes) = if i == 0 { front } else { (0, 0) };
            let mut done = completion(
                &request,
                End::Failed {
                    kind,
                    status,
                    bytes,
                },
            );
            if self.replied
                && (status, bytes) == (0, 0)
                && matches!(kind, ErrorKind::Closed | ErrorKind::Reset)
            {
                done.retry = Retry::Once;
            }
            io.done.push(done);
        }
    }

    /// A reply closed the connection: the requests pipelined behind it
    /// were never processed, and go again.
    fn cut_off(&mut self, io: &mut Io<'_>) {
        self.close(io.registry, false);
        for request in self.exchange.drain() {
            let closed = End::Failed {
                kind: ErrorKind::Closed,
                status: 0,
                bytes: 0,
            };
            let mut done = completion(&request, closed);
            done.retry = Retry::Unseen;
            io.done.push(done);
        }
    }
}

/// What the worker records of a request that ended with `end`.
fn completion<P: Protocol>(request: &InFlight<'_, P>, end: End) -> Completion {
    Completion {
        slot: request.slot,
        end,
        wrote_at: request.wrote_at,
        connect_us: request.connect_us,
        tls_us: request.tls_us,
        retry: Retry::No,
        captured: false,
    }
}

/// A time that happened, in µs: at least 1, since 0 means "none".
fn micros(later: Instant, earlier: Instant) -> u64 {
    (later.saturating_duration_since(earlier).as_micros() as u64).max(1)
}
