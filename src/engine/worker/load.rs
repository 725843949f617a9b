//! When requests start. The closed model steers how many of the worker's
//! users run, along the users ramp; the open model takes arrivals from its
//! pacer, queues them, and hands them to free connections in order.

use super::free::FreeSlots;
use super::{LATE, Worker, micros};
use crate::engine::pacer::{Arrivals, Pacer};
use crate::engine::slot::State;
use crate::plan::ramp::Ramp;
use crate::plan::segment::dealt as share;
use crate::plan::{Load, Plan, Think};
use crate::protocol::Protocol;
use crate::record::{ErrorKind, Sample};
use crate::signal;
use std::cmp::Reverse;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// After a failed connect or TLS handshake, a closed-model user waits this long before it
/// tries again, so that a dead target is not hammered in a tight loop.
const CONNECT_BACKOFF: Duration = Duration::from_millis(100);

pub(super) enum Model<'a> {
    Closed(Closed<'a>),
    Open(Open),
}

pub(super) struct Closed<'a> {
    users: &'a Ramp,
    think: Option<Think>,
    index: usize,
    of: usize,
    /// How many of this worker's users should run now.
    wanted: usize,
    /// When the ramp's count changes next.
    next_change: Option<Instant>,
}

pub(super) struct Open {
    arrivals: Arrivals,
    next_arrival: Option<Instant>,
    /// Due times of requests waiting for a free connection, oldest first.
    queue: VecDeque<Instant>,
    /// Connection slots with no request in flight.
    free: FreeSlots,
    /// The queue length last added to `Shared::queued`.
    published: usize,
    /// Set while dispatching, so that a request finishing inside it (a
    /// failed connect) frees its slot without recursing.
    dispatching: bool,
}

/// This worker's part of `-n` (or, given a segment's index and count, the
/// segment's). Arrivals (open model) are dealt round-robin over the
/// workers; requests (closed model) round-robin over the users, so that
/// each user runs its part and a worker with more users gets more.
pub(crate) fn requests_share(plan: &Plan, index: usize, of: usize) -> Option<u64> {
    let n = usize::try_from(plan.requests?).unwrap_or(usize::MAX);
    let share = match plan.load {
        Load::Open { .. } => share(n, index, of),
        Load::Closed { .. } => users_share(n, plan.users, index, of),
    };
    Some(share as u64)
}

/// Of `n` requests dealt round-robin over `users`, how many go to the
/// users of worker `index` of `of`: users index, index + of, ...
fn users_share(n: usize, users: usize, index: usize, of: usize) -> usize {
    (index..users)
        .step_by(of)
        .map(|user| share(n, user, users))
        .sum()
}

impl<'a> Model<'a> {
    /// The model for worker `index` of `of`, and how many slots it needs:
    /// `--pipeline` of them per user (closed) or connection (open). With
    /// segments, `index` and `of` are the worker's hand of the whole plan
    /// (`Segment::nest`): users and arrivals are dealt over them.
    pub(super) fn new(
        plan: &'a Plan,
        start: Instant,
        index: usize,
        of: usize,
    ) -> (Model<'a>, usize) {
        let conns = share(plan.users, index, of);
        let depth = plan.pipeline;
        let model = match &plan.load {
            Load::Closed { users, think } => Model::Closed(Closed {
                users,
                think: *think,
                index,
                of,
                wanted: 0,
                next_change: Some(start),
            }),
            Load::Open { rate, arrival } => {
                let mut arrivals =
                    Arrivals::new(rate, *arrival, plan.seed, index, of).up_to(plan.requests);
                let next_arrival = arrivals.next_offset().map(|d| start + d);
                Model::Open(Open {
                    arrivals,
                    next_arrival,
                    queue: VecDeque::new(),
                    free: FreeSlots::new(conns, depth),
                    published: 0,
                    dispatching: false,
                })
            }
        };
        (model, conns * depth)
    }

    /// The next moment the model needs the loop.
    pub(super) fn next_event(&self) -> Option<Instant> {
        match self {
            Model::Closed(c) => c.next_change,
            Model::Open(o) => o.next_arrival,
        }
    }

    /// Whether an arrival is due by `now`.
    pub(super) fn due_by(&self, now: Instant) -> bool {
        matches!(self, Model::Open(o) if o.next_arrival.is_some_and(|t| t <= now))
    }

    /// Requests due but not yet sent.
    pub(super) fn queued(&self) -> usize {
        match self {
            Model::Closed(_) => 0,
            Model::Open(o) => o.queue.len(),
        }
    }

    /// Whether every request that fell due has started.
    pub(super) fn drained(&self) -> bool {
        match self {
            Model::Closed(_) => true,
            Model::Open(o) => o.queue.is_empty(),
        }
    }
}

impl<P: Protocol> Worker<'_, P> {
    /// Bring the load up to date with the clock.
    pub(super) fn steer(&mut self, now: Instant) {
        if matches!(self.model, Model::Closed(_)) {
            self.steer_users(now);
        } else {
            self.take_arrivals(now);
            self.dispatch(now);
            self.publish_queue();
        }
    }

    /// Closed model: start or stop users so that the ramp's count runs.
    fn steer_users(&mut self, now: Instant) {
        let start = self.shared.start;
        let Model::Closed(c) = &mut self.model else {
            return;
        };
        if self.stopping || now >= self.end || c.next_change.is_none_or(|t| now < t) {
            return;
        }
        let t = now.saturating_duration_since(start).as_secs_f64();
        // A user is its connection's `depth` slots.
        let depth = self.depth;
        let users = share(c.users.count_at(t), c.index, c.of);
        let wanted = users.min(self.slots.len() / depth) * depth;
        let was = std::mem::replace(&mut c.wanted, wanted);
        c.next_change = c
            .users
            .next_count_change(t)
            .map(|s| start + Duration::from_secs_f64(s));
        for u in was..wanted {
            if self.left == Some(0) {
                break;
            }
            if self.slots[u].state == State::Idle {
                self.shared.active_users.fetch_add(1, Ordering::Relaxed);
                self.slots[u].due = now;
                self.begin(u, now);
            }
        }
        // Users above the count stop now if they are between requests, or
        // else when their request is done (see `after`).
        for u in wanted..was {
            if self.slots[u].state == State::Waiting {
                self.park(u);
            }
        }
    }

    /// Open model: queue every arrival that has fallen due.
    fn take_arrivals(&mut self, now: Instant) {
        let start = self.shared.start;
        let Model::Open(o) = &mut self.model else {
            return;
        };
        while let Some(due) = o.next_arrival.filter(|&t| t <= now) {
            if self.left == Some(0) {
                o.next_arrival = None;
                break;
            }
            o.next_arrival = o.arrivals.next_offset().map(|d| start + d);
            // Late with a connection free: the generator's own lag.
            if !o.free.is_empty() && now.saturating_duration_since(due) > LATE {
                self.report.late += 1;
            }
            o.queue.push_back(due);
            // After the last arrival of this worker's `-n` share, no more
            // fall due; the queue is still sent (`count_done`).
            if let Some(left) = &mut self.left {
                *left -= 1;
                if *left == 0 {
                    o.next_arrival = None;
                }
            }
        }
    }

    /// Closed model: whether one more request may start under `-n`, and
    /// if so, count it. Once the share is spent, users park as they finish.
    pub(super) fn take_request(&mut self) -> bool {
        if !matches!(self.model, Model::Closed(_)) {
            return true;
        }
        match &mut self.left {
            None => true,
            Some(0) => false,
            Some(left) => {
                *left -= 1;
                true
            }
        }
    }

    /// This worker's `-n` share has started (closed model) or fallen due
    /// and been sent (open model): its schedule is over, as at the end of
    /// the duration, and what is in flight drains.
    pub(super) fn count_done(&self) -> bool {
        self.left == Some(0) && self.model.drained()
    }

    /// Open model: hand queued requests to free connections, oldest first.
    /// A request that waited longer than the timeout is recorded as timed
    /// out without being sent: its latency from the due moment is over.
    fn dispatch(&mut self, now: Instant) {
        loop {
            let Model::Open(o) = &mut self.model else {
                return;
            };
            if o.dispatching {
                return;
            }
            let Some(&due) = o.queue.front() else { return };
            if now.saturating_duration_since(due) >= self.plan.timeout {
                o.queue.pop_front();
                self.record_unstarted(due, now, ErrorKind::Timeout);
                continue;
            }
            let Some(u) = o.free.take() else { return };
            o.queue.pop_front();
            o.dispatching = true;
            self.shared.active_users.fetch_add(1, Ordering::Relaxed);
            self.slots[u].due = due;
            self.begin(u, now);
            if let Model::Open(o) = &mut self.model {
                o.dispatching = false;
            }
        }
    }

    /// Queued requests past their timeout are recorded; the sweep calls this.
    pub(super) fn expire_queued(&mut self, now: Instant) {
        self.dispatch(now);
        self.publish_queue();
    }

    /// No new request falls due from now on, and none starts: requests still
    /// queued are recorded as `unsent`, with the time they waited.
    pub(super) fn stop_model(&mut self, now: Instant) {
        let unsent = match &mut self.model {
            Model::Closed(c) => {
                c.next_change = None;
                return;
            }
            Model::Open(o) => {
                o.next_arrival = None;
                std::mem::take(&mut o.queue)
            }
        };
        for due in unsent {
            self.record_unstarted(due, now, ErrorKind::Unsent);
        }
        self.publish_queue();
    }

    /// A request due at `due` that never got a connection: its whole
    /// latency, until `now`, was waiting.
    fn record_unstarted(&mut self, due: Instant, now: Instant, error: ErrorKind) {
        let waited = micros(now.saturating_duration_since(due));
        self.record(Sample {
            elapsed_us: micros(due.saturating_duration_since(self.shared.start)),
            latency_us: waited,
            wait_us: waited,
            bytes: 0,
            status: 0,
            task: 0,
            error: Some(error),
            connect_us: 0,
            tls_us: 0,
        });
    }

    fn publish_queue(&mut self) {
        let Model::Open(o) = &mut self.model else {
            return;
        };
        let len = o.queue.len();
        if len > o.published {
            self.shared
                .queued
                .fetch_add(len - o.published, Ordering::Relaxed);
        } else if len < o.published {
            self.shared
                .queued
                .fetch_sub(o.published - len, Ordering::Relaxed);
        }
        o.published = len;
    }

    /// A closed-model user's pause before its next request.
    fn think(&mut self) -> Duration {
        match &self.model {
            Model::Closed(Closed { think: Some(t), .. }) if t.min < t.max => Duration::from_nanos(
                self.rng
                    .between(t.min.as_nanos() as u64, t.max.as_nanos() as u64),
            ),
            Model::Closed(Closed { think: Some(t), .. }) => t.min,
            _ => Duration::ZERO,
        }
    }

    /// A request of user `u` finished (and was recorded): what comes next.
    pub(super) fn after(&mut self, u: usize, now: Instant, error: Option<ErrorKind>) {
        match &mut self.model {
            Model::Closed(c) => {
                if self.stopping || u >= c.wanted {
                    return self.park(u);
                }
                let mut pause = self.think();
                if matches!(error, Some(ErrorKind::Connect | ErrorKind::Tls)) {
                    pause += CONNECT_BACKOFF;
                }
                // A request due at or after the end never starts, even
                // before the loop has noticed that the end has come.
                let due = now + pause;
                if due >= self.end || signal::stop_requested() {
                    self.parked_at_end += 1;
                    return self.park(u);
                }
                let user = &mut self.slots[u];
                user.due = due;
                if pause.is_zero() {
                    self.begin(u, now);
                } else {
                    user.state = State::Waiting;
                    self.wakeups.push(Reverse((user.due, u)));
                }
            }
            Model::Open(o) => {
                // The connection stays open for the next request in line.
                self.slots[u].state = State::Idle;
                self.shared.active_users.fetch_sub(1, Ordering::Relaxed);
                o.free.give(u);
                self.dispatch(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn requests_follow_the_users() {
        use super::users_share;
        // 3 users on 2 workers: worker 0 holds two of them, so 2/3.
        assert_eq!(
            (users_share(300, 3, 0, 2), users_share(300, 3, 1, 2)),
            (200, 100)
        );
        for (n, users, of) in [(7, 3, 2), (1, 4, 2), (1000, 10, 3), (5, 50, 2)] {
            let total: usize = (0..of).map(|i| users_share(n, users, i, of)).sum();
            assert_eq!(total, n, "{n} over {users} users and {of} workers");
        }
    }

    #[test]
    fn requests_add_up_over_segments_and_workers() {
        use super::users_share;
        use crate::plan::segment::Segment;
        for (n, users) in [(1000, 10), (7, 3), (12_345, 1000)] {
            for count in [1, 2, 3, 7, 1000] {
                let total: usize = (0..count)
                    .flat_map(|i| {
                        let segment = Segment { index: i, count };
                        let workers = 1 + i % 3;
                        (0..workers).map(move |w| {
                            let (index, of) = segment.nest(w, workers);
                            users_share(n, users, index, of)
                        })
                    })
                    .sum();
                assert_eq!(total, n, "{n} over {users} users and {count} segments");
            }
        }
    }
}
