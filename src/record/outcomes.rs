//! How a task's requests ended, counted: Locust's failures table, with the
//! successes in it too. Rows of results.csv grouped by task and outcome
//! give the same counts.

use super::sample::{ErrorKind, Sample};

/// How one request ended: its status when the response was complete,
/// otherwise its error (whatever part of a status had arrived).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Outcome {
    /// Clamped to 999, as `Stats` counts statuses.
    Status(u16),
    Error(ErrorKind),
}

impl Outcome {
    pub(crate) fn of(s: &Sample) -> Outcome {
        match s.error {
            Some(e) => Outcome::Error(e),
            None => Outcome::Status(s.status.min(999)),
        }
    }

    /// The status code, or the error's name as results.csv writes it.
    pub(crate) fn label(self) -> String {
        match self {
            Outcome::Status(code) => code.to_string(),
            Outcome::Error(e) => e.as_str().to_string(),
        }
    }

    /// What `label` wrote, read back.
    pub(crate) fn parse(label: &str) -> Option<Outcome> {
        match label.parse::<u16>() {
            Ok(code) if code < 1000 && label.bytes().all(|b| b.is_ascii_digit()) => {
                Some(Outcome::Status(code))
            }
            Ok(_) => None,
            Err(_) => ErrorKind::parse(label).map(Outcome::Error),
        }
    }

    /// A complete response arrived, whatever its status, and whether or
    /// not it passed its `@expect` checks: what every rate counts.
    pub(crate) fn is_response(self) -> bool {
        matches!(self, Outcome::Status(_) | Outcome::Error(ErrorKind::Check))
    }

    /// Locust's rule: a transport error or a status of 400 and above.
    pub(crate) fn is_failure(self) -> bool {
        match self {
            Outcome::Status(code) => code >= 400,
            Outcome::Error(_) => true,
        }
    }
}

/// One task's counts by outcome: statuses ascending, then errors. A task
/// sees a handful of outcomes, so a sorted Vec beats a map, and a run of
/// one outcome (the common case) costs a compare and an add.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outcomes {
    counts: Vec<(Outcome, u64)>,
    /// Where the last outcome was counted.
    last: usize,
}

impl Outcomes {
    pub(crate) fn add(&mut self, outcome: Outcome) {
        self.add_n(outcome, 1);
    }

    pub(crate) fn add_n(&mut self, outcome: Outcome, n: u64) {
        if let Some((seen, count)) = self.counts.get_mut(self.last)
            && *seen == outcome
        {
            *count = count.saturating_add(n);
            return;
        }
        match self.counts.binary_search_by_key(&outcome, |&(o, _)| o) {
            Ok(i) => {
                self.counts[i].1 = self.counts[i].1.saturating_add(n);
                self.last = i;
            }
            Err(i) => {
                self.counts.insert(i, (outcome, n));
                self.last = i;
            }
        }
    }

    /// Non-zero counts: statuses ascending, then errors in `ErrorKind::ALL` order.
    pub(crate) fn counts(&self) -> &[(Outcome, u64)] {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sort_statuses_then_errors() {
        let mut o = Outcomes::default();
        for outcome in [
            Outcome::Error(ErrorKind::Timeout),
            Outcome::Status(503),
            Outcome::Status(200),
            Outcome::Status(200),
            Outcome::Error(ErrorKind::Connect),
            Outcome::Status(503),
            Outcome::Status(200),
        ] {
            o.add(outcome);
        }
        assert_eq!(
            o.counts(),
            [
                (Outcome::Status(200), 3),
                (Outcome::Status(503), 2),
                (Outcome::Error(ErrorKind::Connect), 1),
                (Outcome::Error(ErrorKind::Timeout), 1),
            ]
        );
    }

    #[test]
    fn an_error_wins_over_a_partial_status() {
        let s = Sample {
            elapsed_us: 0,
            latency_us: 1,
            wait_us: 0,
            bytes: 10,
            status: 200,
            task: 0,
            error: Some(ErrorKind::Timeout),
            connect_us: 0,
            tls_us: 0,
        };
        assert_eq!(Outcome::of(&s), Outcome::Error(ErrorKind::Timeout));
        assert_eq!(Outcome::of(&s).label(), "timeout");
        let odd = Sample {
            status: 4242,
            error: None,
            ..s
        };
        assert_eq!(Outcome::of(&odd).label(), "999");
    }
}
