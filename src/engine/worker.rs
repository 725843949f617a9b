//! One worker: a pinned thread with its own mio `Poll`, driving its share of
//! the slots. This file is the loop: the poll, the timers, the timeout sweep
//! and the batching; tokens name connections (`connection` drives each), and
//! `load` decides when requests start. Workers never print; they only send
//! samples to the recorder.

mod batch;
mod check_failures;
mod free;
mod journey;
mod load;
mod report;

use super::connection::{Completion, Connection, End, Io, Link, Retry};
use super::nap::{self, Napper};
use super::slot::{Slot, State};
use super::stall::StallWatch;
use super::tasks::TaskPicker;
use super::timer::PreciseTimer;
use crate::dynamic::Values;
use crate::journey::rows::Deal;
use crate::journey::{User, UserView};
use crate::plan::Plan;
use crate::protocol::Protocol;
use crate::record::recorder::{BATCH_SIZE, Pipes};
use crate::record::{ErrorKind, Sample};
use crate::rng::Rng;
use crate::signal;
use check_failures::CheckFailures;
use load::Model;
pub(crate) use load::requests_share;
use mio::{Events, Poll, Token};
pub(crate) use report::WorkerReport;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Samples are handed to the recorder at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The loop looks at the stop flag at least this often.
const MAX_SLEEP: Duration = Duration::from_millis(100);
/// Bytes read per read() call; shared by every connection of the worker.
const READ_BUF: usize = 64 * 1024;
/// The timerfd's token; connections are numbered from 0.
const TIMER: Token = Token(usize::MAX);
/// Lag beyond which the generator counts a request as sent late.
pub(super) const LATE: Duration = Duration::from_millis(1);

/// State every worker and the recorder's observer can see.
pub(crate) struct Shared {
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
    /// Per data set of the journey: the rows its per-request references
    /// took, over every worker (`RequestRows`).
    pub rows_taken: Vec<AtomicUsize>,
}

pub(super) struct Worker<'a, P: Protocol> {
    plan: &'a Plan,
    shared: &'a Shared,
    pipes: Pipes,
    poll: Poll,
    timer: PreciseTimer,
    slots: Vec<Slot>,
    /// Connection `c` carries the requests of slots `c * depth` to
    /// `(c + 1) * depth - 1`.
    conns: Vec<Connection<'a, P>>,
    /// Requests in flight on a connection at most (`--pipeline`).
    depth: usize,
    /// Requests that ended, as connections report them, to record in order.
    done: Vec<Completion>,
    /// Set while `done` is being worked through: a request started then
    /// is queued on its connection and written with the others it came
    /// with (`dirty`), one write for many when pipelining.
    settling: bool,
    dirty: Vec<usize>,
    /// The tasks' requests, encoded once for the run.
    requests: &'a [P::Request],
    link: Link<'a>,
    /// Slots waiting for a moment: (when, slot index).
    wakeups: BinaryHeap<Reverse<(Instant, usize)>>,
    model: Model<'a>,
    tasks: TaskPicker,
    end: Instant,
    /// What is left of this worker's share of `-n`.
    left: Option<u64>,
    /// Slots parked because their next request would have come after the
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
    /// Per slot, its user's state; none when the journey is empty.
    users: Vec<User>,
    /// This worker's rows of the data files.
    deal: Deal<'a>,
    napper: Napper,
    watch: StallWatch,
    /// Some task has `@expect` checks, or gives its user values: without
    /// either, a reply costs this one branch.
    checking: bool,
    report: WorkerReport,
}

impl<'a, P: Protocol> Worker<'a, P> {
    pub(super) fn new(
        plan: &'a Plan,
        protocol: &'a P,
        requests: &'a [P::Request],
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
        let checking =
            plan.journey.takes_values() || plan.tasks.iter().any(|t| !t.expect.is_empty());
        let sweep_every =
            (plan.timeout / 20).clamp(Duration::from_millis(1), Duration::from_millis(50));
        let segment = (plan.segment.index, plan.segment.count);
        let deal = Deal::new(
            &plan.journey,
            (index, of),
            plan.pipeline,
            segment,
            &shared.rows_taken,
        );
        Ok(Worker {
            plan,
            shared,
            pipes,
            poll,
            timer,
            slots: (0..slots).map(|_| Slot::new(start)).collect(),
            conns: (0..slots / plan.pipeline)
                .map(|i| Connection::new(protocol, Token(i), start))
                .collect(),
            depth: plan.pipeline,
            done: Vec::new(),
            settling: false,
            dirty: Vec::new(),
            requests,
            link: Link {
                addr: plan.addr,
                tls: plan.tls.as_ref(),
                requests_per_conn: plan.requests_per_conn,
            },
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
            users: match plan.journey.is_empty() {
                true => Vec::new(),
                false => (0..slots).map(|u| deal.user(&plan.journey, u)).collect(),
            },
            deal,
            napper: Napper::default(),
            // From the run's start: a worker thread the kernel started late
            // (its users' first requests late, or never begun in a short
            // run) is a stall the summary reports, not a silent gap.
            watch: StallWatch::new(start),
            checking,
            report: WorkerReport {
                check_failures: CheckFailures::new(plan.tasks.len(), checking),
                ..WorkerReport::default()
            },
        })
    }

    /// Drive the slots until the run ends and every request that fell due
    /// has finished or timed out.
    pub(super) fn run(mut self) -> io::Result<WorkerReport> {
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
            let found_replies = events.iter().any(|e| e.token() != TIMER);
            let wants_nap = self.napper.after_poll(found_replies);
            for event in events.iter() {
                let now = Instant::now();
                self.on_event(event.token().0, now, event.is_read_closed());
                // Under a flood of events, arrivals still go out on time.
                if self.model.due_by(now) {
                    self.steer(now);
                }
            }
            if wants_nap {
                // As things are now that the events are handled: what they
                // left in flight or queued, what they made fall due. A
                // look that found nothing changed nothing.
                let (budget, queued) = match events.is_empty() {
                    true => (budget, queued),
                    false => (self.sleep_budget(Instant::now()), !self.model.drained()),
                };
                if let Some(nap) = self.napper.nap_now(self.in_flight, queued, budget) {
                    self.watch.sleep(nap);
                    std::thread::sleep(nap);
                }
            }
        }
        // Connections still open say goodbye (Redis's QUIT, TLS's
        // close_notify) rather than vanish.
        for conn in &mut self.conns {
            let polite = conn.is_idle();
            conn.close(self.poll.registry(), polite);
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
        let running = self.slots.iter().filter(|s| s.state != State::Idle).count();
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
        for u in 0..self.slots.len() {
            if self.slots[u].state == State::Waiting {
                self.park(u);
            }
        }
    }

    /// A second stop signal: no drain. Every request still in flight is
    /// recorded now as `aborted`, with what it had received.
    fn abort(&mut self, now: Instant) {
        signal::note_aborted();
        for u in 0..self.slots.len() {
            if self.slots[u].state == State::Busy {
                self.end_early(u, now, ErrorKind::Aborted);
            }
        }
    }

    /// The worker ends slot `u`'s request before its response came; the
    /// requests pipelined with it on its connection end with it.
    fn end_early(&mut self, u: usize, now: Instant, kind: ErrorKind) {
        let mut io = Io {
            registry: self.poll.registry(),
            buf: &mut self.read_buf,
            report: &mut self.report,
            done: &mut self.done,
        };
        self.conns[conn_of(u, self.depth)].abandon(&mut io, u, kind);
        self.settle(now);
    }

    fn wake_due(&mut self, now: Instant) {
        while let Some(&Reverse((at, u))) = self.wakeups.peek() {
            if at > now {
                break;
            }
            self.wakeups.pop();
            // A slot parked and restarted since may have left an old entry.
            if self.slots[u].state == State::Waiting && self.slots[u].due == at {
                self.report.late += (now.saturating_duration_since(at) > LATE) as u64;
                self.begin(u, now);
            }
        }
    }

    fn sweep_timeouts(&mut self, now: Instant) {
        self.expire_queued(now);
        let timeout = self.plan.timeout;
        for u in 0..self.slots.len() {
            let slot = &self.slots[u];
            if slot.state == State::Busy && now.saturating_duration_since(slot.due) >= timeout {
                self.end_early(u, now, ErrorKind::Timeout);
            }
        }
    }

    /// Slot `u`'s request, due at `slot.due`, starts: send it, opening a
    /// connection if needed.
    fn begin(&mut self, u: usize, now: Instant) {
        if !self.take_request() {
            return self.park(u);
        }
        self.in_flight += 1;
        let slot = &mut self.slots[u];
        slot.state = State::Busy;
        slot.resent = false;
        let last = if slot.fresh { None } else { Some(slot.task) };
        slot.fresh = false;
        slot.task = self.tasks.pick(&mut self.rng, last);
        if let Some(user) = self.users.get_mut(u) {
            // A request reading a value the user lacks waits for the
            // request that gives it, which goes first.
            let journey = &self.plan.journey;
            if let Some(first) = journey.first_needed(user, slot.task) {
                slot.task = first;
            }
            self.deal.take(slot.task, user);
        }
        self.send(u, now);
    }

    /// Hand slot `u`'s request (its task's) to its connection.
    fn send(&mut self, u: usize, now: Instant) {
        let request = &self.requests[self.slots[u].task as usize];
        let c = conn_of(u, self.depth);
        let corked = self.settling && self.depth > 1;
        let mut io = Io {
            registry: self.poll.registry(),
            buf: &mut self.read_buf,
            report: &mut self.report,
            done: &mut self.done,
        };
        let user = (self.users.get(u)).map(|user| UserView::of(user, &self.plan.journey));
        let mut values = Values::of_user(&mut self.rng, user);
        let scratch = &mut self.scratch;
        self.conns[c].start(
            &self.link,
            &mut io,
            u,
            request,
            &mut values,
            scratch,
            now,
            corked,
        );
        if corked {
            self.dirty.push(c);
        }
        // Most sends come from inside `settle`, which records what they
        // end: no call for nothing on the hot path.
        if !self.settling {
            self.settle(now);
        }
    }

    /// An event on connection `c`.
    fn on_event(&mut self, c: usize, now: Instant, peer_closed: bool) {
        let Some(conn) = self.conns.get_mut(c) else {
            return;
        };
        let mut io = Io {
            registry: self.poll.registry(),
            buf: &mut self.read_buf,
            report: &mut self.report,
            done: &mut self.done,
        };
        conn.on_event(&self.link, &mut io, now, peer_closed);
        // Requests it holds may be due to go out now that replies came.
        if self.depth > 1 {
            self.dirty.push(c);
        }
        self.settle(now);
    }

    /// Record the requests the connections ended, in order, and start
    /// what follows them; then write what those started. Re-entered from
    /// `send`, it leaves the work to the call already going.
    fn settle(&mut self, now: Instant) {
        if self.settling {
            return;
        }
        self.settling = true;
        loop {
            self.retries_first();
            // In order; what they set off joins the end of the list.
            let mut next = 0;
            while let Some(&done) = self.done.get(next) {
                next += 1;
                self.complete(done, now);
            }
            self.done.clear();
            let Some(c) = self.dirty.pop() else { break };
            let mut io = Io {
                registry: self.poll.registry(),
                buf: &mut self.read_buf,
                report: &mut self.report,
                done: &mut self.done,
            };
            self.conns[c].flush(&mut io, now, self.depth);
        }
        self.settling = false;
    }

    /// Requests that may go again are handled before the others that
    /// ended with them: sent again, they open the new connection, ahead of
    /// the requests the others' slots start next. Behind those, a server
    /// that answers a few per connection (`Connection: close`) would cut
    /// them off again and again (`Retry::Unseen`) until they timed out.
    fn retries_first(&mut self) {
        // One alone is in order (the common case: one reply per event).
        if self.done.len() < 2 || self.done.iter().all(|done| done.retry == Retry::No) {
            return;
        }
        let (mut again, rest): (Vec<_>, Vec<_>) = self
            .done
            .drain(..)
            .partition(|done| done.retry != Retry::No);
        again.extend(rest);
        self.done = again;
    }

    /// A request ended: record it, or send it again.
    fn complete(&mut self, done: Completion, now: Instant) {
        let u = done.slot;
        // Not the server's failure to answer (see `Retry`): the request
        // stays one request, due when it was, and its wait now holds the
        // reconnect.
        let again = match done.retry {
            Retry::No => false,
            Retry::Once => !std::mem::replace(&mut self.slots[u].resent, true),
            Retry::Unseen => true,
        };
        if again {
            self.report.resent += 1;
            return self.send(u, now);
        }
        self.finish(done, now);
    }

    /// Record the finished request and move the slot on to what is next.
    fn finish(&mut self, done: Completion, now: Instant) {
        self.in_flight -= 1;
        let u = done.slot;
        let slot = &self.slots[u];
        let (status, bytes, error) = match done.end {
            End::Done { status, bytes } => (status, bytes, None),
            End::Failed {
                kind,
                status,
                bytes,
            } => (status, bytes, Some(kind)),
        };
        // The sweep runs every few ms; a response that beat it but not the
        // timeout is still a timeout.
        let late = now.saturating_duration_since(slot.due) >= self.plan.timeout;
        let error = error.or(late.then_some(ErrorKind::Timeout));
        let (due, task) = (slot.due, slot.task);
        let error = self.look_at_reply(&done, task, (status, bytes), error);
        let latency_us = micros(now.saturating_duration_since(due));
        // A timeout's latency is the timeout's, not the server's pace.
        if !matches!(error, Some(ErrorKind::Timeout | ErrorKind::Aborted)) {
            self.napper.note_latency(latency_us);
        }
        self.record(Sample {
            elapsed_us: micros(due.saturating_duration_since(self.shared.start)),
            latency_us,
            wait_us: micros(done.wrote_at.unwrap_or(now).saturating_duration_since(due)),
            bytes,
            status,
            task,
            error,
            connect_us: done.connect_us,
            tls_us: done.tls_us,
        });
        self.after(u, now, error);
    }

    /// Stop the slot: it runs no more requests until the model wakes it,
    /// and its connection closes once no other slot uses it.
    fn park(&mut self, u: usize) {
        if let Some(user) = self.users.get_mut(u) {
            user.reset();
        }
        let slot = &mut self.slots[u];
        slot.fresh = true;
        if slot.state != State::Idle {
            slot.state = State::Idle;
            self.shared.active_users.fetch_sub(1, Ordering::Relaxed);
        }
        let c = u / self.depth;
        let sharing = &self.slots[c * self.depth..(c + 1) * self.depth];
        if self.conns[c].is_idle() && sharing.iter().all(|s| s.state == State::Idle) {
            self.conns[c].close(self.poll.registry(), true);
        }
    }
}

/// The connection slot `u` uses: `u / depth`, without a division in the
/// common case of no pipelining (this runs for every request).
#[inline]
fn conn_of(u: usize, depth: usize) -> usize {
    if depth == 1 { u } else { u / depth }
}

pub(super) fn micros(d: Duration) -> u64 {
    d.as_micros() as u64
}
