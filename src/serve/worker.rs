//! One server thread: a `mio::Poll` over the shared listener, its own
//! connections and a timer heap for delayed responses and lingering closes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};

use super::conn::Conn;

pub(super) const LISTENER: Token = Token(0);
pub(super) const WAKER: Token = Token(1);
/// Connection tokens start here: token = slot + FIRST_CONN.
const FIRST_CONN: usize = 2;
/// When accept fails for want of resources (file descriptors), try again
/// this often instead of waiting for a new connection's edge.
const ACCEPT_RETRY: Duration = Duration::from_millis(10);

/// Deadlines of connections, earliest first.
#[derive(Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize, u64)>>,
}

impl Timers {
    /// Call the connection in `slot` back at `deadline`, if it is still the
    /// same connection (`generation`) by then.
    pub fn add(&mut self, deadline: Instant, slot: usize, generation: u64) {
        self.heap.push(Reverse((deadline, slot, generation)));
    }

    fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((deadline, _, _))| *deadline)
    }

    /// Remove and return the earliest timer if it is due at `now`.
    fn pop_due(&mut self, now: Instant) -> Option<(usize, u64)> {
        match self.heap.peek() {
            Some(Reverse((deadline, _, _))) if *deadline <= now => self
                .heap
                .pop()
                .map(|Reverse((_, slot, generation))| (slot, generation)),
            _ => None,
        }
    }
}

pub(super) struct Worker {
    pub poll: Poll,
    pub listener: TcpListener,
    pub stop: Arc<AtomicBool>,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    timers: Timers,
    next_generation: u64,
    accept_retry: bool,
}

impl Worker {
    /// A worker whose listener is already registered with `poll` as
    /// [`LISTENER`] and whose waker uses [`WAKER`].
    pub fn new(poll: Poll, listener: TcpListener, stop: Arc<AtomicBool>) -> Worker {
        Worker {
            poll,
            listener,
            stop,
            conns: Vec::new(),
            free: Vec::new(),
            timers: Timers::default(),
            next_generation: 0,
            accept_retry: false,
        }
    }

    /// The event loop. Returns when `stop` is set and the waker fires.
    pub fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        while !self.stop.load(Ordering::Acquire) {
            if let Err(e) = self.poll.poll(&mut events, self.timeout()) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // A broken poll cannot be waited on: give up on this thread.
                return;
            }
            if self.accept_retry {
                self.accept();
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(),
                    WAKER => {}
                    Token(t) => {
                        let slot = t.wrapping_sub(FIRST_CONN);
                        let timers = &mut self.timers;
                        let keep = match self.conns.get_mut(slot) {
                            Some(Some(conn)) => conn.on_event(event, timers),
                            _ => true,
                        };
                        if !keep {
                            self.remove(slot);
                        }
                    }
                }
            }
            self.fire_timers();
        }
    }

    fn timeout(&self) -> Option<Duration> {
        let timer = self
            .timers
            .next()
            .map(|deadline| deadline.saturating_duration_since(Instant::now()));
        match (timer, self.accept_retry) {
            (Some(t), true) => Some(t.min(ACCEPT_RETRY)),
            (None, true) => Some(ACCEPT_RETRY),
            (t, false) => t,
        }
    }

    fn fire_timers(&mut self) {
        if self.timers.next().is_none() {
            return;
        }
        let now = Instant::now();
        while let Some((slot, generation)) = self.timers.pop_due(now) {
            let timers = &mut self.timers;
            let keep = match self.conns.get_mut(slot) {
                Some(Some(conn)) if conn.generation == generation => conn.on_timer(now, timers),
                _ => true,
            };
            if !keep {
                self.remove(slot);
            }
        }
    }

    /// Accept until the listener is drained.
    fn accept(&mut self) {
        self.accept_retry = false;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => self.add(stream),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(_) => {
                    // Out of file descriptors or memory: the pending
                    // connections wait in the backlog until we retry.
                    self.accept_retry = true;
                    return;
                }
            }
        }
    }

    fn add(&mut self, mut stream: mio::net::TcpStream) {
        let _ = stream.set_nodelay(true);
        let slot = self.free.pop().unwrap_or(self.conns.len());
        let token = Token(slot + FIRST_CONN);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut stream, token, interest)
            .is_err()
        {
            if slot < self.conns.len() {
                self.free.push(slot);
            }
            return;
        }
        self.next_generation += 1;
        let conn = Conn::new(stream, slot, self.next_generation);
        if slot == self.conns.len() {
            self.conns.push(Some(conn));
        } else {
            self.conns[slot] = Some(conn);
        }
    }

    fn remove(&mut self, slot: usize) {
        if let Some(mut conn) = self.conns.get_mut(slot).and_then(Option::take) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.free.push(slot);
        }
    }
}
