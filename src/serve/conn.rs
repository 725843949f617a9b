//! One client connection: its buffers and the state machine that reads
//! requests, answers them in order and closes.
//!
//! The socket is registered once, edge-triggered, for reading and writing.
//! Bytes move through a [`Transport`], plain TCP or TLS, which may hold
//! output of its own ([`Transport::wants_write`]): it counts as output here.
//! [`Conn::drive`] runs the connection as far as it can without blocking:
//! flush output, turn complete requests into responses, read more input,
//! until nothing moves. Reading stops while a response is held back (a
//! `/delay`), while a large body is streaming or while output is waiting for
//! the socket, so a client cannot make the server buffer without bound.
//!
//! During a stall (see [`super::Stall`]) the worker does not run
//! connections at all: it records readiness with [`Conn::note`], marks the
//! connection [`Conn::held`], and calls [`Conn::resume`] when the stall ends.
//! A connection already running when a stall begins stops by itself at
//! [`Timers::pause_at`] and says so in [`Conn::paused`]; the worker then
//! holds it.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use mio::event::Event;

use super::request::{self, HEAD_MAX, Parsed};
use super::response::{self, FILLER, Reply, Stream};
use super::routes;
use super::timers::Timers;
use super::transport::Transport;

/// Initial size of the input buffer (it grows for large heads and bodies).
const IN_INITIAL: usize = 4 * 1024;
/// An input buffer grown beyond this shrinks back once it is empty.
const IN_SHRINK: usize = 256 * 1024;
const OUT_INITIAL: usize = 1024;
/// Stop making responses while this much output is waiting.
const OUT_SOFT: usize = 64 * 1024;
const OUT_SHRINK: usize = 1024 * 1024;
/// After answering and shutting down our side, how long to wait for the
/// client to close, discarding what it still sends. Closing at once with
/// unread input makes the kernel send a reset, which can destroy the
/// response (a 413 or 431) before the client reads it.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_MAX_BYTES: usize = 1 << 20;

const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// A client that has begun a request (or a TLS handshake) and sent
/// nothing more for this long is dropped: else clients that stop half way
/// through large uploads could make the server hold their buffers for ever.
pub(crate) const STUCK: Duration = Duration::from_secs(10);

pub(super) struct Conn {
    pub stream: Transport,
    /// Where this connection sits in the worker, and which occupant of that
    /// slot it is: timers carry both so a stale one is ignored.
    pub slot: usize,
    pub generation: u64,
    /// Held by a stall: the worker owes this connection a [`Conn::resume`].
    /// Managed by the worker.
    pub held: bool,
    /// [`Conn::drive`] stopped because a stall began; the worker takes
    /// this flag and holds the connection.
    pub paused: bool,
    /// Responses made so far, for the server's counts.
    pub answered: u64,
    /// Input: `buf[start..end]` is read but not yet consumed.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes the request at `start` needs (head and body), once its head is
    /// known; 0 otherwise.
    need: usize,
    continue_sent: bool,
    /// Output: `out[out_pos..]` is still to write, then `body`.
    out: Vec<u8>,
    out_pos: usize,
    body: Stream,
    /// A response waiting for its release time.
    parked: Option<(Instant, Reply)>,
    /// The last read found the socket drained; wait for a readable event.
    read_blocked: bool,
    read_eof: bool,
    /// The client's FIN has been seen by the poller: read to the end rather
    /// than trusting a short read to mean "drained".
    eof_seen: bool,
    /// Close once the output is written.
    close_after: bool,
    /// Our side is shut down; waiting for the client's close until then.
    linger: Option<Instant>,
    discarded: usize,
    /// When the client connected or last sent request bytes.
    last_input: Instant,
}

impl Conn {
    pub(super) fn new(stream: Transport, slot: usize, generation: u64) -> Conn {
        Conn {
            stream,
            slot,
            generation,
            held: false,
            paused: false,
            answered: 0,
            buf: vec![0; IN_INITIAL],
            start: 0,
            end: 0,
            need: 0,
            continue_sent: false,
            out: Vec::with_capacity(OUT_INITIAL),
            out_pos: 0,
            body: Stream::Idle,
            parked: None,
            read_blocked: false,
            read_eof: false,
            eof_seen: false,
            close_after: false,
            linger: None,
            discarded: 0,
            last_input: Instant::now(),
        }
    }

    /// Whether the client began a request or a TLS handshake and has sent
    /// nothing for `after`. A connection between requests is not stuck,
    /// nor one the server itself holds (a delay, a stall, a linger).
    pub(super) fn stuck(&self, now: Instant, after: Duration) -> bool {
        let begun = self.end > self.start || self.stream.handshaking();
        begun
            && !self.held
            && self.parked.is_none()
            && self.linger.is_none()
            && now.saturating_duration_since(self.last_input) >= after
    }

    /// Handle a readiness event. Returns false when the connection is done.
    pub(super) fn on_event(&mut self, event: &Event, timers: &mut Timers) -> bool {
        if !self.note(event) {
            return true;
        }
        self.drive(timers)
    }

    /// Record what a readiness event says about the socket, without acting
    /// on it. Returns whether the connection has anything to do.
    pub(super) fn note(&mut self, event: &Event) -> bool {
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.read_blocked = false;
            self.eof_seen |= event.is_read_closed();
            true
        } else {
            // Only writable, with nothing to write: nothing to do.
            self.has_output()
        }
    }

    /// A timer for this connection expired. Returns false when it is done.
    pub(super) fn on_timer(&mut self, now: Instant, timers: &mut Timers) -> bool {
        if self.linger.is_some_and(|deadline| deadline <= now) {
            return false;
        }
        if self.unpark(now) {
            return self.drive(timers);
        }
        true
    }

    /// A stall is over: act on the events and timers it held back, then
    /// run the connection. Returns false when it is done.
    pub(super) fn resume(&mut self, now: Instant, timers: &mut Timers) -> bool {
        if self.linger.is_some_and(|deadline| deadline <= now) {
            return false;
        }
        self.unpark(now);
        self.drive(timers)
    }

    /// Release the parked response if its time has come.
    fn unpark(&mut self, now: Instant) -> bool {
        match self.parked {
            Some((deadline, reply)) if deadline <= now => {
                self.parked = None;
                self.release(&reply);
                true
            }
            _ => false,
        }
    }

    /// Run the connection until it would block. Returns false when it is
    /// done and should be dropped.
    pub(super) fn drive(&mut self, timers: &mut Timers) -> bool {
        loop {
            if self.linger.is_some() {
                return self.drain();
            }
            // Without a stall schedule this is the only cost of stalls.
            if let Some(at) = timers.pause_at
                && Instant::now() >= at
            {
                // A stall has begun: write nothing more until it ends.
                self.paused = true;
                return true;
            }
            let flushed = match self.flush() {
                Ok(done) => done,
                Err(_) => return false,
            };
            if flushed && self.close_after {
                return self.start_linger(timers);
            }
            if self.process(timers) {
                continue;
            }
            if self.wants_input() {
                match self.fill() {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(_) => return false,
                }
            }
            break;
        }
        // The client has closed its side: finish what was asked, then go.
        !(self.read_eof && self.parked.is_none() && !self.has_output())
    }

    fn has_output(&self) -> bool {
        self.out_pos < self.out.len() || !self.body.is_idle() || self.stream.wants_write()
    }

    fn wants_input(&self) -> bool {
        !self.read_blocked
            && !self.read_eof
            && !self.close_after
            && self.parked.is_none()
            && !self.has_output()
    }

    /// Turn complete requests into responses, in order. Returns whether
    /// anything changed.
    fn process(&mut self, timers: &mut Timers) -> bool {
        let mut progressed = false;
        while self.parked.is_none()
            && self.body.is_idle()
            && !self.close_after
            && self.out.len() < OUT_SOFT
        {
            let avail = self.end - self.start;
            if avail == 0 || avail < self.need {
                break;
            }
            let data = &self.buf[self.start..self.end];
            let head = match request::parse(data) {
                Parsed::Partial => break,
                Parsed::Head(head) => head,
                Parsed::Reject(why) => {
                    // Nothing after a refused request can be trusted.
                    self.release(&routes::rejection(why));
                    self.close_after = true;
                    return true;
                }
            };
            let total = head.head_len + head.body_len;
            if avail < total {
                self.need = total;
                if head.expect_continue && !head.http10 && !self.continue_sent {
                    self.out.extend_from_slice(CONTINUE);
                    self.continue_sent = true;
                    progressed = true;
                }
                break;
            }
            let reply = routes::route(&head, data, self.stream.is_tls());
            super::work::hold(reply.work_us);
            if reply.delay_ms > 0 {
                let deadline = Instant::now() + Duration::from_millis(reply.delay_ms);
                self.parked = Some((deadline, reply));
                timers.add(deadline, self.slot, self.generation);
            } else {
                self.release(&reply);
            }
            self.consume(total);
            progressed = true;
        }
        progressed
    }

    /// The one place a response is released to the client. Its Echo spans
    /// index the unconsumed input, so call it before consuming the request.
    ///
    /// Stalls do not pass through here: the worker stops running stalled
    /// connections altogether (see [`Conn::resume`]).
    fn release(&mut self, reply: &Reply) {
        let input = &self.buf[self.start..self.end];
        self.body = response::render(reply, input, &mut self.out);
        self.answered += 1;
        if !reply.keep_alive {
            self.close_after = true;
        }
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        self.need = 0;
        self.continue_sent = false;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > IN_SHRINK {
                self.buf.truncate(IN_INITIAL);
                self.buf.shrink_to_fit();
            }
        }
    }

    /// One read into the input buffer, growing it if the pending request
    /// needs room. Returns whether bytes arrived.
    fn fill(&mut self) -> io::Result<bool> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let limit = self.need.max(HEAD_MAX + 1);
                if self.buf.len() >= limit {
                    return Ok(false);
                }
                let len = (self.buf.len() * 2).clamp(IN_INITIAL, limit);
                self.buf.resize(len, 0);
            }
        }
        let space = self.buf.len() - self.end;
        loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.read_eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    self.last_input = Instant::now();
                    // A short read drained the socket (not so over TLS);
                    // the next edge will tell us about more.
                    self.read_blocked =
                        n < space && !self.eof_seen && self.stream.short_read_drains();
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.read_blocked = true;
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Write pending output, then the streamed body, then what the transport
    /// holds. Ok(true) once all of it is written, Ok(false) if the socket is
    /// full.
    fn flush(&mut self) -> io::Result<bool> {
        loop {
            if self.out_pos < self.out.len() {
                match self.stream.write(&self.out[self.out_pos..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => self.out_pos += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
                continue;
            }
            self.out.clear();
            self.out_pos = 0;
            if self.out.capacity() > OUT_SHRINK {
                self.out.shrink_to(OUT_INITIAL);
            }
            match self.body {
                // Then what the transport holds (encrypted records).
                Stream::Idle => return self.stream.flush(),
                Stream::Chunked { .. } => self.body.refill(&mut self.out, OUT_SOFT),
                Stream::Raw(left) => {
                    let n = left.min(FILLER.len() as u64) as usize;
                    match self.stream.write(&FILLER[..n]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(written) => {
                            let left = left - written as u64;
                            self.body = if left == 0 {
                                Stream::Idle
                            } else {
                                Stream::Raw(left)
                            };
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    /// Everything is written and the connection should close: shut down our
    /// side and wait (briefly) for the client to close its side.
    fn start_linger(&mut self, timers: &mut Timers) -> bool {
        self.stream.shutdown();
        if self.read_eof {
            return false;
        }
        let deadline = Instant::now() + LINGER;
        self.linger = Some(deadline);
        timers.add(deadline, self.slot, self.generation);
        self.drain()
    }

    /// Read and discard until the client closes. Returns false once it has.
    fn drain(&mut self) -> bool {
        while !self.read_blocked {
            // Raw bytes, undecrypted: they are only discarded.
            match self.stream.tcp().read(&mut self.buf) {
                Ok(0) => return false,
                Ok(n) => {
                    self.discarded += n;
                    if self.discarded > LINGER_MAX_BYTES {
                        return false;
                    }
                    self.read_blocked = n < self.buf.len() && !self.eof_seen;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.read_blocked = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }
}
