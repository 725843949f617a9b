//! When: one virtual user (closed model) or connection slot (open model),
//! as the load models see it. How the request travels is its connection's
//! business (see `connection`); slot `i` uses connection `i / depth`
//! (`--pipeline`).

use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Not running: above the ramp's current count (closed), or a free
    /// connection slot (open), or done for the run.
    Idle,
    /// Between requests: thinking, or backing off after a failed connect.
    Waiting,
    /// A request is in flight.
    Busy,
}

pub(crate) struct Slot {
    pub(crate) state: State,
    /// When the current (or next) request is due.
    pub(crate) due: Instant,
    pub(crate) task: u16,
    /// True until the slot's first request since it (re)started.
    pub(crate) fresh: bool,
    /// The current request was sent again (see `Worker::complete`).
    pub(crate) resent: bool,
}

impl Slot {
    pub(crate) fn new(now: Instant) -> Slot {
        Slot {
            state: State::Idle,
            due: now,
            task: 0,
            fresh: true,
            resent: false,
        }
    }
}
