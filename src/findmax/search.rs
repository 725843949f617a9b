//! The search for the highest passing rate, as a pure function of the
//! steps tried so far: rise geometrically from `--start` until a step
//! fails, bisect between the last pass and the first fail until they are
//! within `--precision`, then run the answer once more to confirm it.
//! Bounded by `--max` in rate and by the time left in `--max-time`.
//!
//! A step the generator or its connections limited is run once more, as
//! a box shared with other work can hold the generator up for a moment;
//! limited twice at one rate, the search stops there.

use std::time::Duration;

/// Each rising step doubles the last passing rate.
const RISE: f64 = 2.0;

/// What the search may do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bounds {
    pub start: f64,
    pub max: f64,
    /// The bracket is tight when fail - pass <= precision x pass (0.02 for 2%).
    pub precision: f64,
    pub step_time: Duration,
}

/// How a step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass,
    Fail,
    /// The generator or its connections, not the server, were the limit:
    /// the step says nothing about the server. Twice at one rate, and the
    /// search stops.
    Limited,
}

/// A step tried: its target rate and how it went.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Tried {
    pub rate: f64,
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Next {
    /// Run a step at this rate.
    Step(f64),
    Done(End),
}

/// How the search ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum End {
    /// `rate` passed (twice, the second time to confirm), `fails_at` failed,
    /// and they are within the precision.
    Found { rate: f64, fails_at: f64 },
    /// `--max` itself passed: the capacity is at least that.
    AboveMax { rate: f64 },
    /// Not even the lowest rate tried passed.
    NoPass { fails_at: f64 },
    /// The step at `at` was limited by the generator or its connections,
    /// twice; `passed` is the highest rate below it that passed.
    Limited { passed: Option<f64>, at: f64 },
    /// `--max-time` left no room for the next step.
    OutOfTime {
        passed: Option<f64>,
        fails_at: Option<f64>,
    },
}

/// The step to run next, or the end, given the steps tried so far (in
/// order) and the time left.
pub(crate) fn next(bounds: &Bounds, tried: &[Tried], time_left: Duration) -> Next {
    let limited_at = |rate: f64| {
        tried
            .iter()
            .filter(|t| t.outcome == Outcome::Limited && t.rate == rate)
            .count()
    };
    if let Some(at) = tried.iter().map(|t| t.rate).find(|&r| limited_at(r) >= 2) {
        let passed = tried
            .iter()
            .filter(|t| t.outcome == Outcome::Pass && t.rate < at)
            .map(|t| t.rate)
            .reduce(f64::max);
        return Next::Done(End::Limited { passed, at });
    }
    let (passed, fails_at) = bracket(tried);
    let step = match tried.last() {
        Some(t) if t.outcome == Outcome::Limited => t.rate,
        _ => match (passed, fails_at) {
            (None, None) => bounds.start,
            (Some(pass), None) if pass >= bounds.max => {
                return Next::Done(End::AboveMax { rate: pass });
            }
            (Some(pass), None) => round_rate(pass * RISE).min(bounds.max),
            (None, Some(fail)) => return Next::Done(End::NoPass { fails_at: fail }),
            (Some(pass), Some(fail)) => {
                let mid = round_rate((pass + fail) / 2.0);
                let tight = fail - pass <= bounds.precision * pass || mid <= pass || mid >= fail;
                if !tight {
                    mid
                } else if passes_at(tried, pass) >= 2 {
                    return Next::Done(End::Found {
                        rate: pass,
                        fails_at: fail,
                    });
                } else {
                    pass
                }
            }
        },
    };
    if time_left < bounds.step_time {
        return Next::Done(End::OutOfTime { passed, fails_at });
    }
    Next::Step(step)
}

/// The lowest failing rate, and the highest passing rate below it: a
/// rate that passed once and failed on confirming counts as failed. A
/// limited step is neither.
pub(crate) fn bracket(tried: &[Tried]) -> (Option<f64>, Option<f64>) {
    let fails_at = tried
        .iter()
        .filter(|t| t.outcome == Outcome::Fail)
        .map(|t| t.rate)
        .reduce(f64::min);
    let passed = tried
        .iter()
        .filter(|t| t.outcome == Outcome::Pass && fails_at.is_none_or(|f| t.rate < f))
        .map(|t| t.rate)
        .reduce(f64::max);
    (passed, fails_at)
}

fn passes_at(tried: &[Tried], rate: f64) -> usize {
    tried
        .iter()
        .filter(|t| t.outcome == Outcome::Pass && t.rate == rate)
        .count()
}

/// Rates are kept to what a person reads: whole requests per second from
/// 10 up, tenths below.
fn round_rate(rate: f64) -> f64 {
    if rate >= 10.0 {
        rate.round()
    } else {
        (rate * 10.0).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Bounds = Bounds {
        start: 100.0,
        max: 1_000_000.0,
        precision: 0.02,
        step_time: Duration::from_secs(10),
    };
    const PLENTY: Duration = Duration::from_secs(3600);

    /// The whole search against a server that passes every rate up to
    /// `capacity`: the rates it tries, and how it ends.
    fn search(bounds: &Bounds, capacity: f64, budget: Duration) -> (Vec<f64>, End) {
        let mut tried = Vec::new();
        let mut left = budget;
        loop {
            match next(bounds, &tried, left) {
                Next::Step(rate) => {
                    let outcome = if rate <= capacity {
                        Outcome::Pass
                    } else {
                        Outcome::Fail
                    };
                    tried.push(Tried { rate, outcome });
                    left = left.saturating_sub(bounds.step_time);
                    assert!(tried.len() < 100, "the search does not end");
                }
                Next::Done(end) => return (tried.iter().map(|t| t.rate).collect(), end),
            }
        }
    }

    #[test]
    fn rises_then_bisects_then_confirms() {
        let (rates, end) = search(&BOUNDS, 41_234.0, PLENTY);
        assert_eq!(&rates[..4], &[100.0, 200.0, 400.0, 800.0]);
        let Next::Done(End::Found { rate, fails_at }) = next(
            &BOUNDS,
            &rates
                .iter()
                .map(|&r| Tried {
                    rate: r,
                    outcome: if r <= 41_234.0 {
                        Outcome::Pass
                    } else {
                        Outcome::Fail
                    },
                })
                .collect::<Vec<_>>(),
            PLENTY,
        ) else {
            panic!("{end:?}");
        };
        assert!(rate <= 41_234.0 && fails_at > 41_234.0, "{end:?}");
        assert!(fails_at - rate <= 0.02 * rate, "{end:?}");
        // The last step confirms the answer.
        assert_eq!(rates.last(), Some(&rate));
        assert_eq!(rates.iter().filter(|&&r| r == rate).count(), 2);
    }

    #[test]
    fn a_first_step_that_fails_ends_it() {
        let (rates, end) = search(&BOUNDS, 50.0, PLENTY);
        assert_eq!(rates, [100.0]);
        assert_eq!(end, End::NoPass { fails_at: 100.0 });
    }

    #[test]
    fn stops_at_max() {
        let bounds = Bounds {
            max: 1000.0,
            ..BOUNDS
        };
        let (rates, end) = search(&bounds, 1e9, PLENTY);
        assert_eq!(rates, [100.0, 200.0, 400.0, 800.0, 1000.0]);
        assert_eq!(end, End::AboveMax { rate: 1000.0 });
    }

    #[test]
    fn a_failed_confirmation_bisects_lower() {
        let mut tried = vec![
            Tried {
                rate: 100.0,
                outcome: Outcome::Pass,
            },
            Tried {
                rate: 101.0,
                outcome: Outcome::Fail,
            },
        ];
        assert_eq!(next(&BOUNDS, &tried, PLENTY), Next::Step(100.0));
        tried.push(Tried {
            rate: 100.0,
            outcome: Outcome::Fail,
        });
        // No pass below 100 is left.
        assert_eq!(
            next(&BOUNDS, &tried, PLENTY),
            Next::Done(End::NoPass { fails_at: 100.0 })
        );
    }

    #[test]
    fn a_limited_step_runs_again_and_twice_ends_it() {
        let mut tried = vec![
            Tried {
                rate: 100.0,
                outcome: Outcome::Pass,
            },
            Tried {
                rate: 200.0,
                outcome: Outcome::Limited,
            },
        ];
        assert_eq!(next(&BOUNDS, &tried, PLENTY), Next::Step(200.0));
        // A passing retry carries on as if the limited step had not been.
        let mut passed = tried.clone();
        passed.push(Tried {
            rate: 200.0,
            outcome: Outcome::Pass,
        });
        assert_eq!(next(&BOUNDS, &passed, PLENTY), Next::Step(400.0));
        tried.push(Tried {
            rate: 200.0,
            outcome: Outcome::Limited,
        });
        assert_eq!(
            next(&BOUNDS, &tried, PLENTY),
            Next::Done(End::Limited {
                passed: Some(100.0),
                at: 200.0
            })
        );
    }

    #[test]
    fn time_runs_out() {
        let (rates, end) = search(&BOUNDS, 41_234.0, Duration::from_secs(35));
        assert_eq!(rates, [100.0, 200.0, 400.0]);
        assert_eq!(
            end,
            End::OutOfTime {
                passed: Some(400.0),
                fails_at: None
            }
        );
    }

    #[test]
    fn small_rates_keep_tenths() {
        let bounds = Bounds {
            start: 1.0,
            precision: 0.05,
            ..BOUNDS
        };
        let (_, end) = search(&bounds, 3.3, PLENTY);
        let End::Found { rate, fails_at } = end else {
            panic!("{end:?}")
        };
        assert!(
            rate <= 3.3 && fails_at > 3.3 && fails_at - rate <= 0.2,
            "{end:?}"
        );
    }
}
