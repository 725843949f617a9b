//! Whether a whole reply passes its `@expect` checks and gives its user
//! the values later requests read; and the first reply per task that did
//! not, as a worker saw it, in words: put so on the first failure only,
//! so that later ones cost no allocation.

use crate::journey::capture::Captured;
use crate::journey::{Journey, User};
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
    /// captured of it, passes the task's checks (`expect`), and then, when
    /// it is a success (below 400) and `user` keeps values, whether it
    /// gives the user every value it should (kept in `user`). When it fails, why is
    /// kept if it is the task's first failure. A reply of 400 or more is a
    /// failure already, by its status: it gives nothing, and no reason more.
    #[inline]
    pub(crate) fn passes(
        &mut self,
        (expect, journey): (&Expect, &Journey),
        task: u16,
        (status, size): (u16, u64),
        got: Option<&Captured>,
        user: Option<&mut User>,
    ) -> bool {
        if !expect.holds(status, size, got) {
            self.note(task, || expect.failure(status, size, got));
            return false;
        }
        if let (Some(user), Some(got)) = (user, got)
            && status < 400
            && let Err(why) = journey.keep_values(user, task, got)
        {
            self.note(task, || Some(why));
            return false;
        }
        true
    }

    /// A reply of `task` failed: `why` it did is kept if it is the task's
    /// first failure.
    fn note(&mut self, task: u16, why: impl FnOnce() -> Option<String>) {
        if let Some(first @ None) = self.first.get_mut(task as usize) {
            *first = why();
        }
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
    use crate::journey::json_path::JsonPath;
    use crate::journey::{Part, Source};
    use crate::plan::expect::Check;

    #[test]
    fn each_task_keeps_its_first_failure_across_workers() {
        let mut expect = Expect::default();
        expect.push(Check::parse("status 2xx").unwrap());
        expect.push(Check::parse("header X-A").unwrap());
        let rules = (&expect, &Journey::default());
        let got = Captured {
            status: 200,
            headers: vec![("x-a".into(), b"1".to_vec())],
            ..Captured::default()
        };
        let mut a = CheckFailures::new(3, true);
        assert!(a.passes(rules, 1, (200, 10), Some(&got), None));
        assert!(!a.passes(rules, 1, (503, 10), Some(&got), None));
        assert!(!a.passes(rules, 1, (500, 20), Some(&got), None));
        let mut b = CheckFailures::new(3, true);
        assert!(!b.passes(rules, 1, (404, 5), None, None));
        assert!(!b.passes(rules, 2, (200, 99), None, None));
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
        assert!(!unchecked.passes(rules, 0, (500, 1), None, None));
        assert_eq!(unchecked, CheckFailures::default());
    }

    #[test]
    fn a_successful_reply_must_give_its_user_the_values_read_later() {
        let mut journey = Journey::default();
        let token = journey
            .value_id(Source::Reply {
                task: 0,
                part: Part::Json(JsonPath::parse("$.token").unwrap()),
            })
            .unwrap();
        let rules = (&Expect::default(), &journey);
        let reply = |status, body: &str| Captured {
            status,
            body: body.as_bytes().to_vec(),
            ..Captured::default()
        };
        let mut user = User::new(&journey);
        let mut seen = CheckFailures::new(1, true);
        // A failed status gives nothing, and is no check failure.
        let denied = reply(401, "denied");
        assert!(seen.passes(rules, 0, (401, 9), Some(&denied), Some(&mut user)));
        assert!(!user.has(token));
        let empty = reply(200, "{}");
        assert!(!seen.passes(rules, 0, (200, 9), Some(&empty), Some(&mut user)));
        assert!(!user.has(token));
        let ok = reply(200, r#"{"token": "t1"}"#);
        assert!(seen.passes(rules, 0, (200, 9), Some(&ok), Some(&mut user)));
        assert!(user.has(token));
        assert_eq!(seen.first(0), Some("$.token: no such value in the body"));
    }
}
