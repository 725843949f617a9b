//! One connection's state machine, the same for every transport: connect,
//! TLS handshake (if any), write the request, read the response, then
//! wait for the next request or close. It owns a `Transport` (how bytes
//! move) and an `Exchange` (what they mean); the worker only hands it
//! events and requests, and records what it answers.

use super::exchange::{Exchange, Reply};
use super::transport::{Transport, tls_error};
use super::worker::WorkerReport;
use crate::protocol::Protocol;
use crate::record::ErrorKind;
use crate::rng::Rng;
use crate::tls::{TlsClient, explain};
use mio::{Interest, Registry, Token};
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
}

/// Where the request in flight stands after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    Pending,
    Done {
        status: u16,
        bytes: u64,
    },
    /// The request failed; `status` and `bytes` are what had arrived. The
    /// connection has closed itself.
    Failed {
        kind: ErrorKind,
        status: u16,
        bytes: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Closed,
    Connecting,
    Handshaking,
    Writing,
    Reading,
    /// Open and between requests.
    Ready,
}

pub(crate) struct Connection<'a, P: Protocol> {
    token: Token,
    transport: Option<Transport>,
    stage: Stage,
    exchange: Exchange<'a, P>,
    /// When the TCP connect started, then when it completed.
    connect_began: Instant,
    connected_at: Instant,
    /// The connect and TLS handshake times of the connection the current
    /// request opened; 0 when it reused one.
    connect_us: u64,
    tls_us: u64,
    /// Requests started on the current connection.
    served: u32,
    /// When the first byte of the current request was written.
    wrote_at: Option<Instant>,
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
            connect_us: 0,
            tls_us: 0,
            served: 0,
            wrote_at: None,
        }
    }

    /// Start a request: write it on the open connection, or open one.
    pub(crate) fn start(
        &mut self,
        link: &Link<'_>,
        io: &mut Io<'_>,
        request: &'a P::Request,
        rng: &mut Rng,
        scratch: &mut Vec<u8>,
        now: Instant,
    ) -> Progress {
        self.wrote_at = None;
        (self.connect_us, self.tls_us) = (0, 0);
        let opened = self.transport.is_none();
        if opened {
            self.served = 0;
        }
        self.served += 1;
        let last = link.requests_per_conn.is_some_and(|n| self.served >= n);
        self.exchange.start(request, rng, scratch, opened, last);
        if self.transport.is_some() {
            self.stage = Stage::Writing;
            self.write(io, now)
        } else {
            self.connect(link, io, now)
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
    ) -> Progress {
        match self.stage {
            Stage::Connecting => self.connected(link, io, now),
            Stage::Handshaking => self.handshake(io, now),
            // Readable edges that came while the request was going out
            // were passed over (a server may answer before it has read all
            // of it): once it is out, read what they announced.
            Stage::Writing => match self.write(io, now) {
                Progress::Pending if self.stage == Stage::Reading => {
                    self.read(link, io, peer_closed)
                }
                // Still going out: a server may answer early (413, 401) and
                // stop reading, so its answer must not wait for the rest.
                Progress::Pending => self.read_early(link, io, peer_closed),
                progress => progress,
            },
            Stage::Reading => self.read(link, io, peer_closed),
            Stage::Ready => {
                self.check_idle(io);
                Progress::Pending
            }
            Stage::Closed => Progress::Pending,
        }
    }

    /// What the request in flight had received: for one the worker ends
    /// (timeout, abort).
    pub(crate) fn so_far(&self) -> (u16, u64) {
        self.exchange.so_far()
    }

    /// Whether the request in flight (or just failed) went out on a
    /// connection an earlier request had used.
    pub(crate) fn reused(&self) -> bool {
        self.served > 1
    }

    /// When the request's first byte was written, if it was.
    pub(crate) fn wrote_at(&self) -> Option<Instant> {
        self.wrote_at
    }

    /// The connect and TLS times this request paid, in µs (0 on reuse).
    pub(crate) fn opening_us(&self) -> (u64, u64) {
        (self.connect_us, self.tls_us)
    }

    /// Close the connection, if open. `polite`: it was healthy, so a TLS
    /// close_notify says goodbye.
    pub(crate) fn close(&mut self, registry: &Registry, polite: bool) {
        if let Some(mut transport) = self.transport.take() {
            if polite {
                transport.say_goodbye();
            }
            let _ = registry.deregister(transport.socket());
        }
        self.stage = Stage::Closed;
    }

    fn connect(&mut self, link: &Link<'_>, io: &mut Io<'_>, now: Instant) -> Progress {
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
                Progress::Pending
            }
            Err(_) => self.fail(io, ErrorKind::Connect),
        }
    }

    fn connected(&mut self, link: &Link<'_>, io: &mut Io<'_>, now: Instant) -> Progress {
        let Some(transport) = &mut self.transport else {
            return Progress::Pending;
        };
        let sock = transport.socket();
        match (sock.take_error(), sock.peer_addr()) {
            (Ok(None), Ok(_)) => {}
            // Spurious wakeup: the handshake is still going on.
            (Ok(None), Err(e)) if e.kind() == io::ErrorKind::NotConnected => {
                return Progress::Pending;
            }
            // A failed connect has no connect time: its row's latency says it.
            _ => return self.fail(io, ErrorKind::Connect),
        }
        io.report.connections_opened += 1;
        self.connected_at = now;
        self.connect_us = micros(now, self.connect_began);
        if link.tls.is_some() {
            self.stage = Stage::Handshaking;
            self.handshake(io, now)
        } else {
            self.stage = Stage::Writing;
            self.write(io, now)
        }
    }

    fn handshake(&mut self, io: &mut Io<'_>, now: Instant) -> Progress {
        let Some(transport) = &mut self.transport else {
            return Progress::Pending;
        };
        match transport.handshake() {
            Ok(false) => Progress::Pending,
            Ok(true) => {
                // The handshake's last step took time of its own: the
                // request is written after it, so wait_us holds tls_us.
                let done = Instant::now().max(now);
                self.tls_us = micros(done, self.connected_at);
                io.report.connections_resumed += transport.resumed() as u64;
                self.stage = Stage::Writing;
                self.write(io, done)
            }
            // Whatever ends a handshake, TLS is what failed.
            Err(e) => {
                let why = tls_error(&e).map_or_else(|| e.to_string(), explain);
                io.report.tls_problem.get_or_insert(why);
                self.fail(io, ErrorKind::Tls)
            }
        }
    }

    fn write(&mut self, io: &mut Io<'_>, now: Instant) -> Progress {
        let Some(transport) = &mut self.transport else {
            return Progress::Pending;
        };
        loop {
            let bytes = self.exchange.unwritten();
            if bytes.is_empty() {
                break;
            }
            match transport.write(bytes) {
                Ok(n) => {
                    self.wrote_at.get_or_insert(now);
                    self.exchange.wrote(n);
                    io.report.bytes_sent += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Pending,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.failed_io(io, &e),
            }
        }
        match transport.flush() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Pending,
            Err(e) => return self.failed_io(io, &e),
        }
        self.stage = Stage::Reading;
        Progress::Pending
    }

    fn read(&mut self, link: &Link<'_>, io: &mut Io<'_>, peer_closed: bool) -> Progress {
        loop {
            let Some(transport) = &mut self.transport else {
                return Progress::Pending;
            };
            let (reply, n) = match transport.read(io.buf) {
                Ok(0) => (self.exchange.ended(), 0),
                Ok(n) => (self.exchange.received(&io.buf[..n]), n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Pending,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return self.failed_io(io, &e),
            };
            match reply {
                Reply::Pending => {}
                Reply::Done {
                    status,
                    bytes,
                    reusable,
                } => {
                    let last = link.requests_per_conn.is_some_and(|max| self.served >= max);
                    // A FIN that came with the response is not reported
                    // again: kept, the connection would fail the next request.
                    if !reusable || n == 0 || peer_closed {
                        self.close(io.registry, false);
                    } else if last || transport.spent() {
                        self.close(io.registry, true);
                    } else {
                        self.stage = Stage::Ready;
                    }
                    return Progress::Done { status, bytes };
                }
                Reply::Failed(ErrorKind::Init) => {
                    if io.report.init_problem.is_none() {
                        io.report.init_problem = self.exchange.refusal();
                    }
                    return self.fail(io, ErrorKind::Init);
                }
                Reply::Failed(kind) => return self.fail(io, kind),
            }
            // Edge-triggered epoll reports what comes next; skip the read
            // that would only say EAGAIN.
            if n == 0 || (transport.drained(n, io.buf.len()) && !peer_closed) {
                return Progress::Pending;
            }
        }
    }

    /// A response that came while the request was still going out ends
    /// the request; the connection, with a request half sent, closes.
    fn read_early(&mut self, link: &Link<'_>, io: &mut Io<'_>, peer_closed: bool) -> Progress {
        let progress = self.read(link, io, peer_closed);
        if matches!(progress, Progress::Done { .. }) {
            self.close(io.registry, false);
        }
        progress
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

    /// A socket or TLS error failed the request.
    fn failed_io(&mut self, io: &mut Io<'_>, e: &io::Error) -> Progress {
        match tls_error(e) {
            Some(tls) => {
                io.report.tls_problem.get_or_insert_with(|| explain(tls));
                self.fail(io, ErrorKind::Tls)
            }
            None => self.fail(io, ErrorKind::from_io(e)),
        }
    }

    /// The request failed: close, and say what had arrived.
    fn fail(&mut self, io: &mut Io<'_>, kind: ErrorKind) -> Progress {
        self.close(io.registry, false);
        let (status, bytes) = self.exchange.so_far();
        Progress::Failed {
            kind,
            status,
            bytes,
        }
    }
}

/// A time that happened, in µs: at least 1, since 0 means "none".
fn micros(later: Instant, earlier: Instant) -> u64 {
    (later.saturating_duration_since(earlier).as_micros() as u64).max(1)
}
