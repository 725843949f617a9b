//! The protocol's side of the requests in flight on one connection: the
//! bytes still to write, the requests written or queued (oldest first:
//! replies come in that order), and the protocol's decoder for the reply
//! at the front. Sans-IO: it never touches a socket, a clock or the
//! recorder. With `--pipeline 1` it holds one request at most.

use crate::dynamic::Values;
use crate::journey::capture::Captured;
use crate::protocol::{Decoded, Protocol};
use crate::record::ErrorKind;
use std::collections::VecDeque;
use std::time::Instant;

/// Bytes staged to write, ahead of the socket, at most: the requests
/// queued behind wait for room (`stage_waiting`), so that a deep pipeline
/// of large requests does not hold a copy of each. A request larger than
/// this is staged alone.
const STAGE: usize = 256 * 1024;

/// A request on the connection, written or waiting to be.
pub(crate) struct InFlight<'a, P: Protocol> {
    /// The worker's slot it belongs to.
    pub(crate) slot: usize,
    request: &'a P::Request,
    /// It is the connection's first: `hello`'s replies come before its own.
    opened: bool,
    /// It is the connection's last (`--requests-per-conn`).
    last: bool,
    /// Where its bytes end in the connection's outgoing stream
    /// (`u64::MAX` until they are staged).
    ends_at: u64,
    /// Where they start: its first byte is out once `sent` passes it.
    starts_at: u64,
    /// A rendered request's bytes while it waits to be staged; a fixed
    /// one's are the protocol's.
    waiting: Option<Vec<u8>>,
    /// When its first byte was written.
    pub(crate) wrote_at: Option<Instant>,
    /// The connect and TLS handshake times it paid: those of the
    /// connection it opened, 0 for the others.
    pub(crate) connect_us: u64,
    pub(crate) tls_us: u64,
}

/// What the bytes that came in amount to, for the request at the front
/// (see `Exchange::answered`).
pub(crate) enum Reply {
    /// Its reply is not complete yet: every byte given was taken.
    Pending,
    /// Its reply is complete after `consumed` of the bytes given (the rest
    /// are the next request's). `keep_alive`: the peer keeps the
    /// connection for more.
    Done {
        status: u16,
        bytes: u64,
        consumed: usize,
        keep_alive: bool,
        /// Every byte of the request had gone out: a reply to one still
        /// going out (a 413, a 401) leaves the rest of it unsent, and the
        /// connection out of step.
        whole: bool,
    },
    Failed(ErrorKind),
}

pub(crate) struct Exchange<'a, P: Protocol> {
    protocol: &'a P,
    /// The bytes to write when they are one fixed request's, written
    /// without a copy (the common case: one request in flight).
    fixed: Option<&'a [u8]>,
    /// Otherwise the bytes to write (rendered, or several requests);
    /// its capacity is reused.
    pending: Vec<u8>,
    /// Where one dynamic request is rendered when `pending` has bytes.
    rendered: Vec<u8>,
    /// Bytes of `fixed` or `pending` already written.
    written: usize,
    /// Bytes of the connection's stream written, and queued in all.
    sent: u64,
    queued: u64,
    in_flight: VecDeque<InFlight<'a, P>>,
    /// How many of them, from the front, have begun to go out.
    begun: usize,
    /// The newest this many of `in_flight` are not staged yet.
    unstaged: usize,
    decoder: P::Decoder,
}

impl<'a, P: Protocol> Exchange<'a, P> {
    pub(crate) fn new(protocol: &'a P) -> Exchange<'a, P> {
        Exchange {
            protocol,
            fixed: None,
            pending: Vec::new(),
            rendered: Vec::new(),
            written: 0,
            sent: 0,
            queued: 0,
            in_flight: VecDeque::new(),
            begun: 0,
            unstaged: 0,
            decoder: protocol.decoder(),
        }
    }

    /// Queue slot `slot`'s request behind those in flight. `opened`: it
    /// is the connection's first, so the protocol's hello goes before it;
    /// `last`: its last.
    pub(crate) fn push(
        &mut self,
        slot: usize,
        request: &'a P::Request,
        values: &mut Values<'_>,
        scratch: &mut Vec<u8>,
        opened: bool,
        last: bool,
    ) {
        if self.in_flight.is_empty() {
            self.protocol.expect(&mut self.decoder, request, opened);
        }
        let mut entry = InFlight {
            slot,
            request,
            opened,
            last,
            starts_at: u64::MAX,
            ends_at: u64::MAX,
            waiting: None,
            wrote_at: None,
            connect_us: 0,
            tls_us: 0,
        };
        // What is staged and not yet written is `queued - sent`.
        if self.unstaged > 0 || self.queued - self.sent >= STAGE as u64 {
            // Staged once the bytes ahead of it have gone out.
            if values.forces_render() || self.protocol.fixed(request, last).is_none() {
                let mut out = Vec::new();
                self.protocol
                    .render(request, values, scratch, &mut out, last);
                entry.waiting = Some(out);
            }
            self.unstaged += 1;
        } else {
            entry.starts_at = self.queued;
            self.stage(request, values, scratch, opened, last);
            entry.ends_at = self.queued;
        }
        self.in_flight.push_back(entry);
    }

    /// Stage a request's bytes (and the hello before the connection's
    /// first) behind those still to write.
    fn stage(
        &mut self,
        request: &'a P::Request,
        values: &mut Values<'_>,
        scratch: &mut Vec<u8>,
        opened: bool,
        last: bool,
    ) {
        let hello = if opened { self.protocol.hello() } else { &[] };
        let fixed = match values.forces_render() {
            true => None,
            false => self.protocol.fixed(request, last),
        };
        match fixed {
            Some(bytes) => self.stage_fixed(hello, bytes),
            None => {
                let out = &mut self.rendered;
                self.protocol.render(request, values, scratch, out, last);
                self.append(hello);
                if self.unwritten().is_empty() {
                    // Nothing else waits: write the rendering itself.
                    std::mem::swap(&mut self.pending, &mut self.rendered);
                    self.fixed = None;
                    self.written = 0;
                    self.queued += self.pending.len() as u64;
                } else {
                    let rendered = std::mem::take(&mut self.rendered);
                    self.append(&rendered);
                    self.rendered = rendered;
                }
            }
        }
    }

    /// Stage a fixed request's bytes: written without a copy when nothing
    /// else waits.
    fn stage_fixed(&mut self, hello: &'a [u8], bytes: &'a [u8]) {
        if hello.is_empty() && self.unwritten().is_empty() {
            self.pending.clear();
            self.fixed = Some(bytes);
            self.written = 0;
            self.queued += bytes.len() as u64;
        } else {
            self.append(hello);
            self.append(bytes);
        }
    }

    /// Stage the requests that wait, oldest first, while what is staged
    /// and unwritten is under `STAGE`.
    fn stage_waiting(&mut self) {
        let protocol = self.protocol;
        while self.unstaged > 0 && self.unwritten().len() < STAGE {
            let i = self.in_flight.len() - self.unstaged;
            let next = &mut self.in_flight[i];
            let (request, opened, last) = (next.request, next.opened, next.last);
            let waiting = next.waiting.take();
            let starts_at = self.queued;
            let hello = if opened { protocol.hello() } else { &[] };
            match waiting {
                Some(bytes) => {
                    self.append(hello);
                    self.append(&bytes);
                }
                None => {
                    let bytes = protocol.fixed(request, last).unwrap_or_default();
                    self.stage_fixed(hello, bytes);
                }
            }
            let staged = &mut self.in_flight[i];
            staged.starts_at = starts_at;
            staged.ends_at = self.queued;
            self.unstaged -= 1;
        }
    }

    /// Add `bytes` behind those still to write, in `pending`.
    fn append(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(fixed) = self.fixed.take() {
            self.pending.clear();
            self.pending.extend_from_slice(&fixed[self.written..]);
            self.written = 0;
        } else if self.written > 0 {
            // What went out is dropped, so that a connection whose
            // writes never catch up does not keep it all.
            self.pending.drain(..self.written);
            self.written = 0;
        }
        self.pending.extend_from_slice(bytes);
        self.queued += bytes.len() as u64;
    }

    /// The bytes still to be written.
    pub(crate) fn unwritten(&self) -> &[u8] {
        let all = self.fixed.unwrap_or(&self.pending);
        &all[self.written..]
    }

    /// `n` more bytes went out at `now`: the requests they began are on
    /// their way.
    pub(crate) fn wrote(&mut self, n: usize, now: Instant) {
        self.written += n;
        self.sent += n as u64;
        while let Some(request) = self.in_flight.get_mut(self.begun)
            && request.starts_at < self.sent
        {
            request.wrote_at = Some(now);
            self.begun += 1;
        }
        if self.unstaged > 0 {
            self.stage_waiting();
        }
    }

    /// Bytes of requests held here, written or not.
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        let waiting = self.in_flight.iter().filter_map(|r| r.waiting.as_ref());
        self.pending.len() + waiting.map(Vec::len).sum::<usize>()
    }

    /// The request at the front, whose reply comes next.
    pub(crate) fn front_mut(&mut self) -> Option<&mut InFlight<'a, P>> {
        self.in_flight.front_mut()
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// Feed bytes that arrived, for the request at the front (there is
    /// one). When its reply completes, `answered` takes it off the queue.
    pub(crate) fn received(&mut self, data: &[u8]) -> Reply {
        match self.protocol.decode(&mut self.decoder, data) {
            Decoded::NeedMore => Reply::Pending,
            Decoded::Done {
                status,
                bytes,
                consumed,
                keep_alive,
            } => Reply::Done {
                status,
                bytes,
                consumed: consumed.min(data.len()),
                keep_alive,
                whole: self.front_sent(),
            },
            Decoded::Failed(kind) => Reply::Failed(kind),
        }
    }

    /// The peer closed the stream: the front request's reply may end here.
    pub(crate) fn ended(&mut self) -> Reply {
        match self.protocol.end_of_stream(&mut self.decoder) {
            Decoded::Done { status, bytes, .. } => Reply::Done {
                status,
                bytes,
                consumed: 0,
                keep_alive: false,
                whole: self.front_sent(),
            },
            Decoded::Failed(kind) => Reply::Failed(kind),
            // A reply cannot wait for more once the stream has ended.
            Decoded::NeedMore => Reply::Failed(ErrorKind::Closed),
        }
    }

    /// What was captured of the front request's reply, which just
    /// completed; None when nothing was.
    pub(crate) fn captured(&mut self) -> Option<Box<Captured>> {
        self.protocol.captured(&mut self.decoder)
    }

    /// Whether every byte of the front request went out.
    fn front_sent(&self) -> bool {
        self.in_flight
            .front()
            .is_none_or(|r| r.ends_at <= self.sent)
    }

    /// The request at the front, whose reply just completed.
    pub(crate) fn front(&self) -> Option<&InFlight<'a, P>> {
        self.in_flight.front()
    }

    /// The front request's reply is recorded: it leaves the queue, and the
    /// decoder expects the next one's.
    pub(crate) fn answered(&mut self) {
        self.in_flight.pop_front();
        self.begun = self.begun.saturating_sub(1);
        // A reply to a request not staged: the connection is done anyway.
        self.unstaged = self.unstaged.min(self.in_flight.len());
        if let Some(next) = self.in_flight.front() {
            self.protocol
                .expect(&mut self.decoder, next.request, next.opened);
        }
    }

    /// Whether the requests queued but not begun are worth a write now,
    /// with up to `depth` in flight: when nothing else is on its way (the
    /// server would idle), or when half the window waits. In between they
    /// wait for the replies ahead of them, so that a deep pipeline goes out
    /// in a few large writes, not one per reply (as wrk's pipelining script
    /// and redis-benchmark -P refill the whole window at once); their wait
    /// shows in their `wait_us`.
    pub(crate) fn worth_writing(&self, depth: usize) -> bool {
        let waiting = self.in_flight.len() - self.begun;
        waiting > 0 && (self.begun == 0 || 2 * waiting >= depth)
    }

    /// Every request on the connection, oldest first, as it closes; the
    /// stream starts afresh for the next connection.
    pub(crate) fn drain(&mut self) -> std::collections::vec_deque::Drain<'_, InFlight<'a, P>> {
        self.fixed = None;
        self.pending.clear();
        self.written = 0;
        self.sent = 0;
        self.queued = 0;
        self.begun = 0;
        self.unstaged = 0;
        self.in_flight.drain(..)
    }

    /// The status so far (0 before one is known) and the bytes received
    /// so far of the front request's reply, for one that failed part way.
    pub(crate) fn so_far(&self) -> (u16, u64) {
        self.protocol.received(&self.decoder)
    }

    /// What the protocol says as a healthy connection closes.
    pub(crate) fn goodbye(&self) -> &'a [u8] {
        self.protocol.goodbye()
    }

    /// Why the server refused the connection's setup, after an `Init` failure.
    pub(crate) fn refusal(&self) -> Option<String> {
        self.protocol.refusal(&self.decoder)
    }
}
