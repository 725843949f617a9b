//! One server thread: a `mio::Poll` over the shared listener, its own
//! connections and a timer heap for delayed responses and lingering closes.
//!
//! With a stall schedule, the worker checks the clock once per wakeup. Inside
//! a stall window it accepts connections but runs none: events and due
//! timers only mark their connection held, and when the window ends (a poll
//! timeout is set for it) every held connection is resumed. A connection
//! busy when a window begins (a long body to a fast reader) notices by
//! itself ([`Timers::pause_at`]), stops and reports it, and is held too.
//!
//! Invariant: `conn.held` is set exactly when the connection is listed in
//! `Worker::held`.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use rustls::ServerConfig;

use super::Stall;
use super::conn::Conn;
use super::counts::Counts;
use super::timers::Timers;
use super::transport::Transport;

pub(super) const LISTENER: Token = Token(0);
pub(super) const WAKER: Token = Token(1);
/// Connection tokens start here: token = slot + FIRST_CONN.
const FIRST_CONN: usize = 2;
/// When accept fails for want of resources (file descriptors), try again
/// this often instead of waiting for a new connection's edge.
const ACCEPT_RETRY: Duration = Duration::from_millis(10);
/// How often the worker looks for stuck clients (see `conn::STUCK`).
const STUCK_SWEEP: Duration = Duration::from_secs(1);

/// Where the stall windows fall, counted from the server's start.
struct StallClock {
    every: Duration,
    /// The current or next window is `[from, until)`.
    from: Instant,
    until: Instant,
}

impl StallClock {
    /// `stall` is valid: `0 < hold < every`, and `every` is not huge.
    fn new(stall: Stall, start: Instant) -> StallClock {
        // The first window ends at `every`: [every - hold, every).
        StallClock {
            every: stall.every,
            from: start + (stall.every - stall.hold),
            until: start + stall.every,
        }
    }

    /// Whether `now` lies inside a stall window. Moves on to the next window
    /// once the current one has ended.
    fn stalled(&mut self, now: Instant) -> bool {
        if now < self.from {
            return false;
        }
        if now < self.until {
            return true;
        }
        // Skip every window that ended by `now` (more than one if the thread
        // slept through some).
        let every = self.every.as_nanos();
        let late = (now - self.until).as_nanos() / every;
        let skip = Duration::from_nanos(u64::try_from((late + 1) * every).unwrap_or(u64::MAX));
        self.from += skip;
        self.until += skip;
        now >= self.from
    }
}

/// Put `conn` on the worker's `held` list, once.
fn hold(held: &mut Vec<(usize, u64)>, conn: &mut Conn) {
    if !conn.held {
        conn.held = true;
        held.push((conn.slot, conn.generation));
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
    stall: Option<StallClock>,
    /// The current stall window, if the worker is inside one.
    stalled: bool,
    /// Connections (slot, generation) marked held during the current stall.
    held: Vec<(usize, u64)>,
    /// When to look for stuck clients next, and how long one may idle.
    next_sweep: Instant,
    stuck_after: Duration,
    /// Serve TLS with this config; None: plain TCP.
    tls: Option<Arc<ServerConfig>>,
    /// This thread's figures, with each connection's added when it goes.
    counts: Counts,
}

impl Worker {
    /// A worker whose listener is already registered with `poll` as
    /// [`LISTENER`] and whose waker uses [`WAKER`]. `stall`: the schedule
    /// and the instant the server started. `tls`: speak TLS with it.
    pub(super) fn new(
        poll: Poll,
        listener: TcpListener,
        stop: Arc<AtomicBool>,
        stall: Option<(Stall, Instant)>,
        tls: Option<Arc<ServerConfig>>,
        stuck_after: Duration,
    ) -> Worker {
        let clock = stall.map(|(stall, start)| StallClock::new(stall, start));
        let timers = Timers::new(clock.as_ref().map(|clock| clock.from));
        Worker {
            poll,
            listener,
            stop,
            conns: Vec::new(),
            free: Vec::new(),
            timers,
            next_generation: 0,
            accept_retry: false,
            stall: clock,
            stalled: false,
            held: Vec::new(),
            next_sweep: Instant::now() + STUCK_SWEEP.min(stuck_after),
            stuck_after,
            counts: Counts {
                tls: tls.is_some(),
                ..Counts::default()
            },
            tls,
        }
    }

    /// The event loop. Returns when `stop` is set and the waker fires,
    /// with this thread's counts, the connections still open included.
    pub(super) fn run(mut self) -> Counts {
        let mut events = Events::with_capacity(1024);
        while !self.stop.load(Ordering::Acquire) {
            if let Err(e) = self.poll.poll(&mut events, self.timeout()) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // A broken poll cannot be waited on: give up on this thread.
                break;
            }
            if self.stall.is_some() {
                self.check_stall();
            }
            if self.accept_retry {
                self.accept();
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(),
                    WAKER => {}
                    Token(t) => {
                        let stalled = self.stalled;
                        self.drive(t.wrapping_sub(FIRST_CONN), None, |conn, timers| {
                            if stalled {
                                // Note what happened; the end of the stall acts on it.
                                conn.paused |= conn.note(event);
                                true
                            } else {
                                conn.on_event(event, timers)
                            }
                        });
                    }
                }
            }
            self.fire_timers();
            self.drop_stuck();
        }
        for conn in self.conns.iter().flatten() {
            tally(&mut self.counts, conn);
        }
        self.counts
    }

    /// Enter or leave a stall window; on leaving, resume every connection
    /// that was held.
    fn check_stall(&mut self) {
        let Some(clock) = self.stall.as_mut() else {
            return;
        };
        let now = Instant::now();
        self.stalled = clock.stalled(now);
        if self.stalled {
            return;
        }
        self.timers.pause_at = Some(clock.from);
        for (slot, generation) in std::mem::take(&mut self.held) {
            self.resume(slot, generation, now);
        }
    }

    /// Run a connection held by a stall, and hold it again if the next
    /// stall begins meanwhile.
    fn resume(&mut self, slot: usize, generation: u64, now: Instant) {
        self.drive(slot, Some(generation), |conn, timers| {
            conn.held = false;
            conn.resume(now, timers)
        });
    }

    /// Run `step` on the connection in `slot` (if it is still the one with
    /// `generation`), hold it if it paused for a stall, and drop it when
    /// `step` says it is done.
    fn drive(
        &mut self,
        slot: usize,
        generation: Option<u64>,
        step: impl FnOnce(&mut Conn, &mut Timers) -> bool,
    ) {
        let timers = &mut self.timers;
        let keep = match self.conns.get_mut(slot) {
            Some(Some(conn)) if generation.is_none_or(|g| conn.generation == g) => {
                let keep = step(conn, timers);
                if std::mem::take(&mut conn.paused) {
                    hold(&mut self.held, conn);
                }
                keep
            }
            _ => true,
        };
        if !keep {
            self.remove(slot);
        }
    }

    /// The next instant the loop must wake up without an event: a timer,
    /// the end of a stall that holds connections.
    fn next_deadline(&self) -> Option<Instant> {
        let timer = self.timers.next();
        match &self.stall {
            // Connections can be held before the worker notices the stall
            // (they pause by themselves), and then the window is the one
            // that `pause_at` marked: not yet passed by the clock.
            Some(clock) if !self.held.is_empty() => {
                Some(timer.map_or(clock.until, |t| t.min(clock.until)))
            }
            _ => timer,
        }
    }

    /// Once a `STUCK_SWEEP`: drop the clients that stopped half way.
    fn drop_stuck(&mut self) {
        let now = Instant::now();
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now + STUCK_SWEEP.min(self.stuck_after);
        for slot in 0..self.conns.len() {
            if self.conns[slot]
                .as_ref()
                .is_some_and(|c| c.stuck(now, self.stuck_after))
            {
                self.remove(slot);
            }
        }
    }

    fn timeout(&self) -> Option<Duration> {
        let sweep = (self.conns.len() > self.free.len())
            .then(|| self.next_sweep.saturating_duration_since(Instant::now()));
        let timer = match (self.next_deadline(), sweep) {
            (Some(deadline), sweep) => {
                let t = deadline.saturating_duration_since(Instant::now());
                Some(sweep.map_or(t, |s| s.min(t)))
            }
            (None, sweep) => sweep,
        };
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
            let stalled = self.stalled;
            self.drive(slot, Some(generation), |conn, timers| {
                if stalled {
                    // Its deadline stays recorded in the connection: the
                    // resume at the end of the stall acts on it.
                    conn.paused = true;
                    true
                } else {
                    conn.on_timer(now, timers)
                }
            });
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

    fn add(&mut self, stream: mio::net::TcpStream) {
        let _ = stream.set_nodelay(true);
        let Ok(mut stream) = Transport::new(stream, self.tls.as_ref()) else {
            return;
        };
        let slot = self.free.pop().unwrap_or(self.conns.len());
        let token = Token(slot + FIRST_CONN);
        // Writable edges for good: TLS may hold records for the socket
        // even when the connection has nothing more to say.
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(stream.tcp(), token, interest)
            .is_err()
        {
            if slot < self.conns.len() {
                self.free.push(slot);
            }
            return;
        }
        self.counts.connections += 1;
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
            let _ = self.poll.registry().deregister(conn.stream.tcp());
            tally(&mut self.counts, &conn);
            self.free.push(slot);
        }
    }
}

/// Add what `conn` did to `counts`, once, as it goes.
fn tally(counts: &mut Counts, conn: &Conn) {
    counts.requests += conn.answered;
    if let Some(kind) = conn.stream.handshake() {
        counts.handshake(kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_windows_end_at_multiples_of_every() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let stall = Stall {
            hold: ms(100),
            every: ms(400),
        };
        let mut clock = StallClock::new(stall, start);
        assert!(!clock.stalled(start));
        assert!(!clock.stalled(start + ms(299)));
        assert!(clock.stalled(start + ms(300)));
        assert!(clock.stalled(start + ms(399)));
        assert!(!clock.stalled(start + ms(400)));
        assert_eq!(clock.from, start + ms(700));
        assert!(!clock.stalled(start + ms(699)));
        assert!(clock.stalled(start + ms(700)));
        // A thread that slept through windows lands in the right one.
        assert!(clock.stalled(start + ms(4350)));
        assert_eq!(
            (clock.from, clock.until),
            (start + ms(4300), start + ms(4400))
        );
        assert!(!clock.stalled(start + ms(4450)));
        assert_eq!(
            (clock.from, clock.until),
            (start + ms(4700), start + ms(4800))
        );
    }
}
