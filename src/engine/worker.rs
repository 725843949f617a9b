//! One worker: a pinned thread with its own mio `Poll`, driving its share of
//! the users. This file is the connection I/O; `load` decides when requests
//! start. Workers never print; they only send samples to the recorder.

mod load;

use super::nap::{self, Napper};
use super::stall::{StallWatch, Stalls};
use super::tasks::TaskPicker;
use super::timer::PreciseTimer;
use super::user::{Phase, User};
use crate::http::response::Step;
use crate::plan::{Plan, Request};
use crate::record::recorder::{BATCH_SIZE, Pipes};
use crate::record::{ErrorKind, Sample};
use crate::rng::Rng;
use crate::signal;
use crossbeam_channel::TrySendError;
use load::Model;
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
/// Bytes read per read() call; shared by every connection of the worker.
const READ_BUF: usize = 64 * 1024;
/// The timerfd's token; users are numbered from 0.
const TIMER: Token = Token(usize::MAX);
/// Lag beyond which the generator counts a request as sent late.
pub const LATE: Duration = Duration::from_millis(1);

/// State every worker and the recorder's observer can see.
pub struct Shared {
    pub start: Instant,
    /// Users running (closed model) or connections busy (open model).
    pub active_users: AtomicUsize,
    /// Requests due but not yet sent (open model).
    pub queued: AtomicUsize,
    /// Workers that have finished, drain included.
    pub workers_done: AtomicUsize,
    /// `active_users` and `queued` as each worker's schedule ended, added
    /// up: what the last seconds show once the workers are gone.
    pub active_at_stop: AtomicUsize,
    pub queued_at_stop: AtomicUsize,
}

/// What a worker reports when it is done.
#[derive(Default, Debug)]
pub struct WorkerReport {
    /// Times a batch could not be handed over at once because the channel was full.
    pub backpressure: u64,
    /// Requests the generator itself started more than `LATE` after they
    /// were due although a connection was free: its own lag, not the server's.
    pub late: u64,
    /// Loop turns that overran their sleeps by `stall::STALL` or more.
    pub stalls: Stalls,
    /// Request bytes written to sockets.
    pub bytes_sent: u64,
    /// Connections whose handshake completed (failed ones are `connect`
    /// errors in the samples).
    pub connections_opened: u64,
    /// Of those, TLS connections whose session was resumed.
    pub connections_resumed: u64,
}

impl WorkerReport {
    /// Another worker's report added to this one.
    pub(crate) fn absorb(&mut self, other: WorkerReport) {
        self.backpressure += other.backpressure;
        self.late += other.late;
        self.stalls.merge(other.stalls);
        self.bytes_sent += other.bytes_sent;
        self.connections_opened += other.connections_opened;
        self.connections_resumed += other.connections_resumed;
    }
}

pub struct Worker<'a> {
    plan: &'a Plan,
    shared: &'a Shared,
    pipes: Pipes,
    poll: Poll,
    timer: PreciseTimer,
    users: Vec<User>,
    /// Users waiting for a moment: (when, user index).
    wakeups: BinaryHeap<Reverse<(Instant, usize)>>,
    model: Model<'a>,
    tasks: TaskPicker,
    end: Instant,
    /// What is left of this worker's share of `-n`.
    left: Option<u64>,
    /// Users parked because their next request would have come after the
    /// end, before the loop saw the end: still running when it came.
    parked_at_end: usize,
    stopping: bool,
    in_flight: usize,
    batch: Vec<Sample>,
    last_flush: Instant,
    sweep_every: Duration,
    next_sweep: Instant,
    read_buf: Box<[u8]>,
    /// Where a dynamic request's body is rendered before its head.
    scratch: Vec<u8>,
    rng: Rng,
    napper: Napper,
    watch: StallWatch,
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
        let start = shared.start;
        let (model, slots) = Model::new(plan, start, index, of);
        let left = load::requests_share(plan, index, of);
        let poll = Poll::new()?;
        let timer = PreciseTimer::new(poll.registry(), TIMER)?;
        let sweep_every =
            (plan.timeout / 20).clamp(Duration::from_millis(1), Duration::from_millis(50));
        Ok(Worker {
            plan,
            shared,
            pipes,
            poll,
            timer,
            users: (0..slots).map(|_| User::new(start)).collect(),
            wakeups: BinaryHeap::new(),
            model,
            tasks: TaskPicker::new(&plan.tasks, plan.sequence),
            end: start + plan.duration,
            left,
            parked_at_end: 0,
            stopping: false,
            in_flight: 0,
            batch: Vec::with_capacity(BATCH_SIZE),
            last_flush: start,
            sweep_every,
            next_sweep: start + sweep_every,
            read_buf: vec![0; READ_BUF].into_boxed_slice(),
            scratch: Vec::new(),
            rng: Rng::new(plan.seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            napper: Napper::default(),
            watch: StallWatch::new(Instant::now()),
            report: WorkerReport::default(),
        })
    }

    /// Drive the users until the run ends and every request that fell due
    /// has finished or timed out.
    pub fn run(mut self) -> io::Result<WorkerReport> {
        let mut events = Events::with_capacity(1024);
        nap::precise_sleeps();
        loop {
            let now = Instant::now();
            self.watch.turn(now);
            // What fell due before the end (or Ctrl-C) still starts; then stop.
            self.steer(now);
            self.wake_due(now);
            if !self.stopping && (now >= self.end || signal::stop_requested() || self.count_done())
            {
                self.begin_stop(now);
            }
            if signal::abort_requested() {
                self.abort(now);
                break;
            }
            if now >= self.next_sweep {
                self.sweep_timeouts(now);
                self.next_sweep = now + self.sweep_every;
            }
            self.retry_or_flush(now);
            if self.stopping && self.in_flight == 0 && self.model.drained() {
                break;
            }
            let budget = self.sleep_budget(now);
            let queued = !self.model.drained();
            let timeout = self.napper.poll_timeout(self.in_flight, queued, budget);
            self.watch.sleep(timeout);
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(e);
            }
            if let Some(nap) = self.napper.after_poll(!events.is_empty()) {
                self.watch.sleep(nap);
                std::thread::sleep(nap);
                continue;
            }
            for event in events.iter() {
                let now = Instant::now();
                self.on_event(event.token().0, now, event.is_read_closed());
                // Under a flood of events, arrivals still go out on time.
                if self.model.due_by(now) {
                    self.steer(now);
                }
            }
        }
        self.flush_all();
        self.report.stalls = self.watch.stalls();
        Ok(self.report)
    }

    /// How long the loop may sleep before something falls due. A request
    /// on the schedule gets the precise timer; housekeeping (the timeout
    /// sweep, batch flushes, the stop flag) is fine at epoll's milliseconds.
    fn sleep_budget(&mut self, now: Instant) -> Duration {
        let mut until = (now + MAX_SLEEP).min(self.next_sweep);
        if !self.batch.is_empty() {
            until = until.min(self.last_flush + FLUSH_EVERY);
        }
        if !self.stopping {
            until = until.min(self.end);
            let wakeup = self.wakeups.peek().map(|Reverse((t, _))| *t);
            let scheduled = match (self.model.next_event(), wakeup) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(t) = scheduled.filter(|&t| t < until) {
                self.timer.arm(t, now);
                until = t;
            }
        }
        until.saturating_duration_since(now)
    }

    fn begin_stop(&mut self, now: Instant) {
        self.stopping = true;
        let running = self.users.iter().filter(|u| u.phase != Phase::Idle).count();
        let active = running + self.parked_at_end;
        self.shared
            .active_at_stop
            .fetch_add(active, Ordering::Relaxed);
        let queued = self.model.queued();
        self.shared
            .queued_at_stop
            .fetch_add(queued, Ordering::Relaxed);
        self.wakeups.clear();
        self.stop_model(now);
        for u in 0..self.users.len() {
            if self.users[u].phase == Phase::Waiting {
                self.park(u);
            }
        }
    }

    /// A second stop signal: no drain. Every request still in flight is
    /// recorded now as `aborted`, with what it had received.
    fn abort(&mut self, now: Instant) {
        signal::note_aborted();
        for u in 0..self.users.len() {
            let user = &self.users[u];
            if user.phase.in_flight() {
                let (status, bytes) = (user.parser.status(), user.parser.bytes());
                self.finish(u, now, status, bytes, Some(ErrorKind::Aborted));
            }
        }
    }

    fn wake_due(&mut self, now: Instant) {
        while let Some(&Reverse((at, u))) = self.wakeups.peek() {
            if at > now {
                break;
            }
            self.wakeups.pop();
            // A user parked and restarted since may have left an old entry.
            if self.users[u].phase == Phase::Waiting && self.users[u].due == at {
                self.report.late += (now.saturating_duration_since(at) > LATE) as u64;
                self.begin(u, now);
            }
        }
    }

    fn sweep_timeouts(&mut self, now: Instant) {
        self.expire_queued(now);
        let timeout = self.plan.timeout;
        for u in 0..self.users.len() {
            let user = &self.users[u];
            if user.phase.in_flight() && now.saturating_duration_since(user.due) >= timeout {
                let (status, bytes) = (user.parser.status(), user.parser.bytes());
                self.finish(u, now, status, bytes, Some(ErrorKind::Timeout));
            }
        }
    }

    /// The user's request, due at `user.due`, starts: send it, opening a
    /// connection if needed.
    fn begin(&mut self, u: usize, now: Instant) {
        if !self.take_request() {
            return self.park(u);
        }
        self.in_flight += 1;
        let user = &mut self.users[u];
        user.wrote_at = None;
        user.written = 0;
        let last = if user.fresh { None } else { Some(user.task) };
        user.fresh = false;
        user.task = self.tasks.pick(&mut self.rng, last);
        let request = &self.plan.tasks[user.task as usize].request;
        user.parser.start(request.is_head());
        if let Request::Dynamic(template) = request {
            template.render(&mut self.rng, &mut user.rendered, &mut self.scratch);
        }
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
            let interest = Interest::READABLE | Interest::WRITABLE;
            self.poll
                .registry()
                .register(&mut sock, Token(u), interest)?;
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

    /// `peer_closed`: the peer's FIN came with this event, so a short read
    /// does not mean the socket is drained: the end must still be read.
    fn on_event(&mut self, u: usize, now: Instant, peer_closed: bool) {
        match self.users.get(u).map(|user| user.phase) {
            Some(Phase::Connecting) => self.check_connected(u, now),
            Some(Phase::Writing) => self.write(u, now),
            Some(Phase::Reading) => self.read(u, now, peer_closed),
            Some(Phase::Waiting | Phase::Idle) => self.check_idle(u),
            None => {}
        }
    }

    fn check_connected(&mut self, u: usize, now: Instant) {
        let Some(sock) = &self.users[u].sock else {
            return;
        };
        match (sock.take_error(), sock.peer_addr()) {
            (Ok(None), Ok(_)) => {
                self.report.connections_opened += 1;
                self.users[u].phase = Phase::Writing;
                self.write(u, now);
            }
            // Spurious wakeup: the handshake is still going on.
            (Ok(None), Err(e)) if e.kind() == io::ErrorKind::NotConnected => {}
            _ => self.finish(u, now, 0, 0, Some(ErrorKind::Connect)),
        }
    }

    fn write(&mut self, u: usize, now: Instant) {
        let user = &mut self.users[u];
        let request = match &self.plan.tasks[user.task as usize].request {
            Request::Static(r) => &r.bytes,
            Request::Dynamic(_) => &user.rendered,
        };
        let Some(sock) = user.sock.as_mut() else {
            return;
        };
        while user.written < request.len() {
            match sock.write(&request[user.written..]) {
                Ok(n) => {
                    user.wrote_at.get_or_insert(now);
                    user.written += n;
                    self.report.bytes_sent += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.finish(u, now, 0, 0, Some(ErrorKind::from_io(&e))),
            }
        }
        user.phase = Phase::Reading;
    }

    fn read(&mut self, u: usize, now: Instant, peer_closed: bool) {
        loop {
            let user = &mut self.users[u];
            let Some(sock) = user.sock.as_mut() else {
                return;
            };
            let failed =
                |user: &User, kind| (user.parser.status(), user.parser.bytes(), Some(kind));
            let n = match sock.read(&mut self.read_buf) {
                Ok(0) => {
                    let (status, bytes, error) = match user.parser.finish_on_eof() {
                        Ok(r) => (r.status, r.bytes, None),
                        Err(_) => failed(user, ErrorKind::Closed),
                    };
                    // The peer is gone either way; the next request reconnects.
                    self.close(u);
                    return self.finish(u, now, status, bytes, error);
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let (status, bytes, error) = failed(user, ErrorKind::from_io(&e));
                    return self.finish(u, now, status, bytes, error);
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
                    let (status, bytes, error) = failed(user, ErrorKind::Parse);
                    return self.finish(u, now, status, bytes, error);
                }
            }
            // A short read emptied the socket; edge-triggered epoll will tell
            // us about more, so skip the read that would only say EAGAIN.
            if n < self.read_buf.len() && !peer_closed {
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

    /// Record the finished request and move the user on to what is next.
    fn finish(
        &mut self,
        u: usize,
        now: Instant,
        status: u16,
        bytes: u64,
        error: Option<ErrorKind>,
    ) {
        self.in_flight -= 1;
        let user = &self.users[u];
        // The sweep runs every few ms; a response that beat it but not the
        // timeout is still a timeout.
        let late = now.saturating_duration_since(user.due) >= self.plan.timeout;
        let error = error.or(late.then_some(ErrorKind::Timeout));
        let (due, wrote_at, task) = (user.due, user.wrote_at, user.task);
        self.record(Sample {
            elapsed_us: micros(due.saturating_duration_since(self.shared.start)),
            latency_us: micros(now.saturating_duration_since(due)),
            wait_us: micros(wrote_at.unwrap_or(now).saturating_duration_since(due)),
            bytes,
            status,
            task,
            error,
            connect_us: 0,
            tls_us: 0,
        });
        if error.is_some() {
            self.close(u);
        }
        self.after(u, now, error);
    }

    fn record(&mut self, sample: Sample) {
        self.batch.push(sample);
        if self.batch.len() == BATCH_SIZE {
            self.flush();
        }
    }

    fn close(&mut self, u: usize) {
        if let Some(mut sock) = self.users[u].sock.take() {
            let _ = self.poll.registry().deregister(&mut sock);
        }
    }

    /// Stop the user: it runs no more requests until the model wakes it.
    fn park(&mut self, u: usize) {
        self.close(u);
        self.users[u].fresh = true;
        if self.users[u].phase != Phase::Idle {
            self.users[u].phase = Phase::Idle;
            self.shared.active_users.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Once a loop turn: hand over a batch that is full (a held one is
    /// retried here) or has waited `FLUSH_EVERY`.
    fn retry_or_flush(&mut self, now: Instant) {
        let waited = now.saturating_duration_since(self.last_flush) >= FLUSH_EVERY;
        if self.batch.len() >= BATCH_SIZE || (!self.batch.is_empty() && waited) {
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

pub(super) fn micros(d: Duration) -> u64 {
    d.as_micros() as u64
}
