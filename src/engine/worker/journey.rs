//! What a worker does with a whole reply beyond its status, for a
//! scenario's journeys: its cookies go to its user's jar, and its checks
//! and the values it gives its user decide whether it failed (`check`).

use super::{Worker, conn_of};
use crate::engine::connection::Completion;
use crate::protocol::Protocol;
use crate::record::ErrorKind;

impl<P: Protocol> Worker<'_, P> {
    /// The error `done`'s reply (of `task`, with this status and size) is
    /// recorded with: `error` as it ended, or `check` when a whole reply
    /// failed a check or lacked a value its user keeps.
    #[inline]
    pub(super) fn look_at_reply(
        &mut self,
        done: &Completion,
        task: u16,
        (status, bytes): (u16, u64),
        error: Option<ErrorKind>,
    ) -> Option<ErrorKind> {
        let u = done.slot;
        let captured = match done.captured {
            true => self.conns[conn_of(u, self.depth)].take_captured(),
            false => None,
        };
        // A reply's cookies go to its user's jar, whatever its status.
        if let (Some(got), Some(user)) = (captured.as_deref(), self.users.get_mut(u)) {
            let target = &self.plan.tasks[task as usize].request.target;
            user.keep_cookies(&self.plan.journey, target, got);
        }
        // Only a whole reply is checked: a failed one keeps its error.
        match error {
            None if self.checking
                && !self.report.check_failures.passes(
                    (&self.plan.tasks[task as usize].expect, &self.plan.journey),
                    task,
                    (status, bytes),
                    captured.as_deref(),
                    self.users.get_mut(u),
                ) =>
            {
                Some(ErrorKind::Check)
            }
            error => error,
        }
    }
}
