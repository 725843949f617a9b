//! The first reply per task that failed its `@expect` checks, as a worker
//! saw it: kept as figures (status, size), so that a failure costs no
//! allocation; the summary puts them in words (`Expect::failure`).

/// Per task (no entry at all when no task has checks), the status and size
/// of the first reply that failed its checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CheckFailures {
    first: Vec<Option<(u16, u64)>>,
}

impl CheckFailures {
    /// For `tasks` tasks; empty when nothing is checked.
    pub(crate) fn new(tasks: usize, checking: bool) -> CheckFailures {
        CheckFailures {
            first: vec![None; if checking { tasks } else { 0 }],
        }
    }

    /// A reply of `task` failed its checks: kept if it is the task's first.
    #[inline]
    pub(crate) fn note(&mut self, task: u16, status: u16, size: u64) {
        if let Some(first) = self.first.get_mut(task as usize) {
            first.get_or_insert((status, size));
        }
    }

    /// Another worker's, added: each task keeps the first it has.
    pub(crate) fn absorb(&mut self, other: CheckFailures) {
        if self.first.is_empty() {
            self.first = other.first;
            return;
        }
        for (mine, theirs) in self.first.iter_mut().zip(other.first) {
            *mine = mine.or(theirs);
        }
    }

    /// Task `task`'s first failed reply (status, size), if it had one.
    pub(crate) fn first(&self, task: usize) -> Option<(u16, u64)> {
        self.first.get(task).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_task_keeps_its_first_failure_across_workers() {
        let mut a = CheckFailures::new(3, true);
        a.note(1, 503, 10);
        a.note(1, 500, 20);
        let mut b = CheckFailures::new(3, true);
        b.note(1, 404, 5);
        b.note(2, 200, 99);
        // The merge starts from an empty (default) report.
        let mut all = CheckFailures::default();
        all.absorb(a);
        all.absorb(b);
        assert_eq!(
            [all.first(0), all.first(1), all.first(2), all.first(3)],
            [None, Some((503, 10)), Some((200, 99)), None]
        );
        let mut unchecked = CheckFailures::new(3, false);
        unchecked.note(0, 500, 1);
        assert_eq!(unchecked, CheckFailures::default());
    }
}
