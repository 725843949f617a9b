//! One worker: a pinned thread with its own mio `Poll`, driving its share of
//! the users. Workers never print; they only send samples to the recorder.

use super::pacer::{Pacer, Share, Steady};
use super::user::{Phase, User};
use crate::http::response::Step;
use crate::plan::Plan;
use crate::record::recorder::{BATCH_SIZE, Pipes};
use crate::record::{ErrorKind, Sample};
use crate::rng::Rng;
use crate::signal;
use crossbeam_channel::TrySendError;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Samples are handed to the recorder at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The loop looks at the stop flag at least this often.
const MAX_SLEEP: Duration = Duration::from_millis(100);
/// After a failed connect, a user waits this long before it tries again, so
/// that a dead target is not hammered in a tight loop.
const CONNECT_BACKOFF: Duration = Duration::from_millis(100);
/// Bytes read per read() call; shared by every connection of the worker.
const READ_BUF: usize = 64 * 1024;

/// State every worker and the recorder's observer can see.
pub struct Shared {
    pub start: Instant,
    pub active_users: AtomicUsize,
}

/// What a worker reports when it is done.
#[derive(Default, Debug)]
pub struct WorkerReport {
    /// Times a batch could not be handed over at once because the channel was full.
    pub backpressure: u64,
}

pub struct Worker<'a> {
    plan: &'a Plan,
    shared: &'a Shared,
    pipes: Pipes,
    poll: Poll,
    users: Vec<User>,
    /// Users waiting for a moment: (when, user index).
    wakeups: BinaryHeap<Reverse<(Instant, usize)>>,
    spawns: Box<dyn Pacer + 'a>,
    next_spawn: Option<Instant>,
    end: Instant,
    stopping: bool,
    in_flight: usize,
    batch: Vec<Sample>,
    last_flush: Instant,
    sweep_every: Duration,
    next_sweep: Instant,
    read_buf: Box<[u8]>,
    rng: Rng,
    report: WorkerReport,
}

impl<'a> Worker<'a> {
    pub fn new(
        plan: &'a Plan,
        shared: &'a Shared,
        pipes: Pipes,
        index: usize,
        of: usize,
    ) -> io::Result<Self> {
        let rate = plan.spawn_rate.unwrap_or(f64::INFINITY);
        let mut spawns: Box<dyn Pacer> =
            Box::new(Share::new(Steady::new(rate, plan.users as u64), index, of));
        let start = shared.start;
        let next_spawn = spawns.next_offset().map(|o| start + o);
        let sweep_every =
            (plan.timeout / 20).clamp(Duration::from_millis(1), Duration::from_millis(50));
        Ok(Worker {
            plan,
            shared,
            pipes,
            poll: Poll::new()?,
            users: Vec::with_capacity(plan.users / of + 1),
            wakeups: BinaryHeap::new(),
            spawns,
            next_spawn,
            end: start + plan.duration,
            stopping: false,
            in_flight: 0,
            batch: Vec::with_capacity(BATCH_SIZE),
            last_flush: start,
            sweep_every,
            next_sweep: start + sweep_every,
            read_buf: vec![0; READ_BUF].into_boxed_slice(),
            rng: Rng::new(plan.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            report: WorkerReport::default(),
        })
    }

    /// Drive the users until the run ends and every request in flight has
    /// finished or timed out.
    pub fn run(mut self) -> io::Result<WorkerReport> {
        let mut events = Events::with_capacity(1024);
        loop {
            let now = Instant::now();
            if !self.stopping && (now >= self.end || signal::stop_requested()) {
                self.begin_stop();
            }
            self.spawn_due(now);
            self.wake_due(now);
            if now >= self.next_sweep {
                self.sweep_timeouts(now);
                self.next_sweep = now + self.sweep_every;
            }
            self.flush_if_due(now);
            if self.stopping && self.in_flight == 0 {
                break;
            }
            let timeout = self.sleep_budget(now);
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(e);
            }
            for event in events.iter() {
                self.on_event(event.token().0, Instant::now());
            }
        }
        self.flush_all();
        Ok(self.report)
    }

    /// How long the loop may sleep before something falls due.
    fn sleep_budget(&self, now: Instant) -> Duration {
        let mut until = now + MAX_SLEEP;
        until = until.min(self.next_sweep);
        if !self.stopping {
            until = until.min(self.end);
            if let Some(t) = self.next_spawn {
                until = until.min(t);
            }
            if let Some(Reverse((t, _))) = self.wakeups.peek() {
                until = until.min(*t);
            }
        }
        if !self.batch.is_empty() {
            until = until.min(self.last_flush + FLUSH_EVERY);
        }
        until.saturating_duration_since(now)
    }

    fn begin_stop(&mut self) {
        self.stopping = true;
        self.next_spawn = None;
        self.wakeups.clear();
        for u in 0..self.users.len() {
            if self.users[u].phase == Phase::Waiting {
                self.retire(u);
            }
        }
    }

    fn spawn_due(&mut self, now: Instant) {
        while let Some(at) = self.next_spawn.filter(|&t| t <= now) {
            self.next_spawn = self.spawns.next_offset().map(|o| self.shared.start + o);
            let u = self.users.len();
            self.users.push(User::new(at));
            self.shared.active_users.fetch_add(1, Ordering::Relaxed);
            self.begin(u, now);
        }
    }

    fn wake_due(&mut self, now: Instant) {
        while let Some(&Reverse((at, u))) = self.wakeups.peek() {
            if at > now {
                break;
            }
            self.wakeups.pop();
            if self.users[u].phase == Phase::Waiting {
                self.begin(u, now);
            }
        }
    }

    fn sweep_timeouts(&mut self, now: Instant) {
        let timeout = self.plan.timeout;
        for u in 0..self.users.len() {
            let user = &self.users[u];
            if user.phase.in_flight() && now.saturating_duration_since(user.due) >= timeout {
                let (status, bytes) = (user.parser.status(), user.parser.bytes());
                self.finish(u, now, status, bytes, Some(ErrorKind::Timeout));
            }
        }
    }

    /// The user's request is due: send it, opening a connection if needed.
    fn begin(&mut self, u: usize, now: Instant) {
        self.in_flight += 1;
        let user = &mut self.users[u];
        user.wrote_at = None;
        user.written = 0;
        user.task = 0;
        user.parser.start(self.plan.tasks[0].request.is_head);
        if user.sock.is_some() {
            user.phase = Phase::Writing;
            self.write(u, now);
        } else {
            self.connect(u, now);
        }
    }

    fn connect(&mut self, u: usize, now: Instant) {
        let registered = TcpStream::connect(self.plan.addr).and_then(|mut sock| {
            sock.set_nodelay(true)?;
            self.poll.registry().register(
                &mut sock,
                Token(u),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Ok(sock)
        });
        match registered {
            Ok(sock) => {
                let user = &mut self.users[u];
                user.sock = Some(sock);
                user.phase = Phase::Connecting;
            }
            Err(_) => self.finish(u, now, 0, 0, Some(ErrorKind::Connect)),
        }
    }

    fn on_event(&mut self, u: usize, now: Instant) {
        match self.users.get(u).map(|user| user.phase) {
            Some(Phase::Connecting) => self.check_connected(u, now),
            Some(Phase::Writing) => self.write(u, now),
            Some(Phase::Reading) => self.read(u, now),
            Some(Phase::Waiting) => self.check_idle(u),
            Some(Phase::Retired) | None => {}
        }
    }

    fn check_connected(&mut self, u: usize, now: Instant) {
        let Some(sock) = &self.users[u].sock else {
            return;
        };
        match (sock.take_error(), sock.peer_addr()) {
            (Ok(None), Ok(_)) => {
                self.users[u].phase = Phase::Writing;
                self.write(u, now);
            }
            // Spurious wakeup: the handshake is still going on.
            (Ok(None), Err(e)) if e.kind() == io::ErrorKind::NotConnected => {}
            _ => self.finish(u, now, 0, 0, Some(ErrorKind::Connect)),
        }
    }

    fn write(&mut self, u: usize, now: Instant) {
        let request = &self.plan.tasks[self.users[u].task as usize].request.bytes;
        let user = &mut self.users[u];
        let Some(sock) = user.sock.as_mut() else {
            return;
        };
        while user.written < request.len() {
            match sock.write(&request[user.written..]) {
                Ok(n) => {
                    user.wrote_at.get_or_insert(now);
                    user.written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.finish(u, now, 0, 0, Some(ErrorKind::from_io(&e))),
            }
        }
        user.phase = Phase::Reading;
    }

    fn read(&mut self, u: usize, now: Instant) {
        loop {
            let user = &mut self.users[u];
            let Some(sock) = user.sock.as_mut() else {
                return;
            };
            let n = match sock.read(&mut self.read_buf) {
                Ok(0) => {
                    return match user.parser.finish_on_eof() {
                        Ok(r) => self.finish(u, now, r.status, r.bytes, None),
                        Err(_) => {
                            let (status, bytes) = (user.parser.status(), user.parser.bytes());
                            self.finish(u, now, status, bytes, Some(ErrorKind::Closed))
                        }
                    };
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let (status, bytes) = (user.parser.status(), user.parser.bytes());
                    return self.finish(u, now, status, bytes, Some(ErrorKind::from_io(&e)));
                }
            };
            match user.parser.feed(&self.read_buf[..n]) {
                Ok(Step::NeedMore) => {}
                Ok(Step::Done { response, consumed }) => {
                    // We never pipeline, so bytes after the response are a
                    // server bug; don't let them poison the next response.
                    if consumed < n || !response.keep_alive {
                        self.close(u);
                    }
                    return self.finish(u, now, response.status, response.bytes, None);
                }
                Err(_) => {
                    let (status, bytes) = (user.parser.status(), user.parser.bytes());
                    return self.finish(u, now, status, bytes, Some(ErrorKind::Parse));
                }
            }
            // A short read emptied the socket; edge-triggered epoll will tell
            // us about more, so skip the read that would only say EAGAIN.
            if n < self.read_buf.len() {
                return;
            }
        }
    }

    /// An event on a connection between requests: the server closed an idle
    /// keep-alive connection, or sent bytes nobody asked for. Either way the
    /// connection is done; the next request opens a new one.
    fn check_idle(&mut self, u: usize) {
        let Some(sock) = self.users[u].sock.as_mut() else {
            return;
        };
        match sock.read(&mut self.read_buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            _ => self.close(u),
        }
    }

    /// Record the finished request and move the user on to its next one.
    fn finish(
        &mut self,
        u: usize,
        now: Instant,
        status: u16,
        bytes: u64,
        error: Option<ErrorKind>,
    ) {
        self.in_flight -= 1;
        let start = self.shared.start;
        let user = &mut self.users[u];
        let wrote_at = user.wrote_at.unwrap_or(now);
        self.batch.push(Sample {
            elapsed_us: micros(user.due.saturating_duration_since(start)),
            latency_us: micros(now.saturating_duration_since(user.due)),
            wait_us: micros(wrote_at.saturating_duration_since(user.due)),
            bytes,
            status,
            task: user.task,
            error,
        });
        if error.is_some() {
            self.close(u);
        }
        if self.batch.len() >= BATCH_SIZE {
            self.flush();
        }
        if self.stopping {
            return self.retire(u);
        }
        let mut pause = self.think();
        if error == Some(ErrorKind::Connect) {
            pause += CONNECT_BACKOFF;
        }
        let user = &mut self.users[u];
        user.due = now + pause;
        if pause.is_zero() {
            self.begin(u, now);
        } else {
            user.phase = Phase::Waiting;
            self.wakeups.push(Reverse((user.due, u)));
        }
    }

    fn think(&mut self) -> Duration {
        match self.plan.think {
            None => Duration::ZERO,
            Some(t) if t.min == t.max => t.min,
            Some(t) => Duration::from_nanos(
                self.rng
                    .between(t.min.as_nanos() as u64, t.max.as_nanos() as u64),
            ),
        }
    }

    fn close(&mut self, u: usize) {
        if let Some(mut sock) = self.users[u].sock.take() {
            let _ = self.poll.registry().deregister(&mut sock);
        }
    }

    fn retire(&mut self, u: usize) {
        self.close(u);
        self.users[u].phase = Phase::Retired;
        self.shared.active_users.fetch_sub(1, Ordering::Relaxed);
    }

    fn flush_if_due(&mut self, now: Instant) {
        if !self.batch.is_empty() && now.saturating_duration_since(self.last_flush) >= FLUSH_EVERY {
            self.flush();
        }
    }

    /// Hand the batch to the recorder without blocking. When the channel is
    /// full the batch stays here and grows; nothing is dropped.
    fn flush(&mut self) {
        self.last_flush = Instant::now();
        match self.pipes.samples.try_send(std::mem::take(&mut self.batch)) {
            Ok(()) => {
                self.batch = self
                    .pipes
                    .empties
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH_SIZE));
            }
            Err(TrySendError::Full(batch) | TrySendError::Disconnected(batch)) => {
                self.report.backpressure += 1;
                self.batch = batch;
            }
        }
    }

    /// At the end, wait for room: every sample must reach the recorder.
    fn flush_all(&mut self) {
        if !self.batch.is_empty() {
            let _ = self.pipes.samples.send(std::mem::take(&mut self.batch));
        }
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros() as u64
}
