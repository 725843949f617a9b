//! The first reply per task that failed its `@expect` checks, as a worker
//! saw it, in words: put so on the first failure only, so that later ones
//! cost no allocation.

use crate::journey::capture::Captured;
use crate::plan::expect::Expect;

/// Per task (no entry at all when no task has checks), how the first
/// reply that failed its checks failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CheckFailures {
    first: Vec<Option<String>>,
}

impl CheckFailures {
    /// For `tasks` tasks; empty when nothing is checked.
    pub(crate) fn new(tasks: usize, checking: bool) -> CheckFailures {
        CheckFailures {
            first: vec![None; if checking { tasks } else { 0 }],
        }
    }

    /// Whether a whole reply of `task`, with this status and size and `got`
    /// captured of it, passes `expect`; when it fails, the failure is kept
    /// if it is the task's first.
    #[inline]
    pub(crate) fn passes(
        &mut self,
        expect: &Expect,
        task: u16,
        (status, size): (u16, u64),
        got: Option<&Captured>,
    ) -> bool {
        if expect.holds(status, size, got) {
            return true;
        }
        if let Some(first @ None) = self.first.get_mut(task as usize) {
            *first = expect.failure(status, size, got);
        }
        false
    }

    /// Another worker's, added: each task keeps the first it has.
    pub(crate) fn absorb(&mut self, other: CheckFailures) {
        if self.first.is_empty() {
            self.first = other.first;
            return;
        }
        for (mine, theirs) in self.first.iter_mut().zip(other.first) {
            if mine.is_none() {
                *mine = theirs;
            }
        }
    }

    /// How task `task`'s first failed reply failed, if it had one.
    pub(crate) fn first(&self, task: usize) -> Option<&str> {
        self.first.get(task)?.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::expect::Check;

    #[test]
    fn each_task_keeps_its_first_failure_across_workers() {
        let mut expect = Expect::default();
        expect.push(Check::parse("status 2xx").unwrap());
        expect.push(Check::parse("header X-A").unwrap());
        let got = Captured {
            status: 200,
            headers: vec![("x-a".into(), b"1".to_vec())],
            ..Captured::default()
        };
        let mut a = CheckFailures::new(3, true);
        assert!(a.passes(&expect, 1, (200, 10), Some(&got)));
        assert!(!a.passes(&expect, 1, (503, 10), Some(&got)));
        assert!(!a.passes(&expect, 1, (500, 20), Some(&got)));
        let mut b = CheckFailures::new(3, true);
        assert!(!b.passes(&expect, 1, (404, 5), None));
        assert!(!b.passes(&expect, 2, (200, 99), None));
        // The merge starts from an empty (default) report.
        let mut all = CheckFailures::default();
        all.absorb(a);
        all.absorb(b);
        assert_eq!(
            [all.first(0), all.first(1), all.first(2), all.first(3)],
            [
                None,
                Some("status 503, expected 2xx"),
                Some("header X-A (reply not read)"),
                None
            ]
        );
        let mut unchecked = CheckFailures::new(3, false);
        assert!(!unchecked.passes(&expect, 0, (500, 1), None));
        assert_eq!(unchecked, CheckFailures::default());
    }
}
