//! find-max in words: the live line, the step's verdict line, the table
//! of the steps and the one-line answer.

use super::search::End;
use super::{Answer, Step};
use crate::check::verdict::ms3;
use crate::engine::Gauges;
use crate::output::layout::{Align, Table};
use crate::record::recorder::Snapshot;

/// A rate as people read it: `41,200`, `2.5`.
pub(crate) fn rate(r: f64) -> String {
    if r < 10.0 {
        let tenths = format!("{r:.1}");
        return tenths
            .strip_suffix(".0")
            .map_or(tenths.clone(), str::to_string);
    }
    let digits = format!("{:.0}", r);
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The step's prefix in results.csv's task column: `step3@41200/`.
pub(crate) fn task_prefix(index: usize, target: f64) -> String {
    format!("step{index}@{target}/")
}

/// One live line a second: the step, its target, how it goes so far.
pub(crate) fn live(index: usize, target: f64, snap: &Snapshot, gauges: Gauges, of: f64) -> String {
    let t = snap.interval;
    let secs = snap.elapsed.as_secs_f64();
    // After the step's time, what is in flight drains.
    let progress = if secs > of + 0.001 {
        "drain".to_string()
    } else {
        format!("{secs:.0}s/{of:.0}s")
    };
    format!(
        "step {index} at {}/s  {progress}  {}/s  p99 {}  errors {:.2}%  busy {}  queued {}",
        rate(target),
        rate(t.rate(snap.interval_len)),
        ms3(t.percentile_us(99.0) as f64),
        t.failure_pct(),
        gauges.active,
        gauges.queued,
    )
}

/// The step's verdict: `pass`, `FAIL: p99 212ms > 50ms`, `LIMITED: ...`.
pub(crate) fn verdict(step: &Step) -> String {
    match &step.verdict {
        None => "stopped".into(),
        Some(v) if v.reasons.is_empty() => "pass".into(),
        Some(v) => {
            let label = if v.limited_by.is_some() {
                "LIMITED"
            } else {
                "FAIL"
            };
            format!("{label}: {}", v.reasons.join("; "))
        }
    }
}

/// The table of the steps, one row each, in the order they ran.
pub(crate) fn table(steps: &[Step]) -> String {
    let mut table = Table::new(
        &[
            ("step", Align::Right),
            ("target/s", Align::Right),
            ("achieved/s", Align::Right),
            ("p50", Align::Right),
            ("p90", Align::Right),
            ("p99", Align::Right),
            ("errors", Align::Right),
            ("verdict", Align::Left),
        ],
        0,
    );
    for step in steps {
        let f = &step.figures;
        let [p50, p90, p99] = step.latency_us.map(|us| ms3(us as f64));
        table.row(vec![
            step.index.to_string(),
            rate(f.target),
            rate(f.achieved()),
            p50,
            p90,
            p99,
            format!("{:.2}%", step.error_pct),
            verdict(step),
        ]);
    }
    // The reasons make long lines; a table stacked row by row would be
    // harder to read than one that wraps.
    table.render(usize::MAX)
}

/// The one-line answer.
pub(crate) fn answer(end: &Answer, slos: &str, steps: &[Step]) -> String {
    let why = |at: f64| {
        steps
            .iter()
            .rev()
            .find(|s| s.figures.target == at)
            .and_then(|s| s.verdict.as_ref())
            .map(|v| format!(" ({})", v.reasons.join("; ")))
            .unwrap_or_default()
    };
    let at_least = |passed: Option<f64>| match passed {
        Some(p) => format!("sustains at least {} req/s within {slos}", rate(p)),
        None => format!("no rate passed within {slos}"),
    };
    match *end {
        Answer::End(End::Found { rate: r, fails_at }) => format!(
            "sustains {} req/s within {slos}; fails at {}{}",
            rate(r),
            rate(fails_at),
            why(fails_at)
        ),
        Answer::End(End::AboveMax { rate: r }) => format!(
            "sustains {} req/s within {slos}, the --max: the capacity is higher; raise --max to find it",
            rate(r)
        ),
        Answer::End(End::NoPass { fails_at }) => format!(
            "fails already at {} req/s{}: no rate passed within {slos} (lower --start to look lower)",
            rate(fails_at),
            why(fails_at)
        ),
        Answer::End(End::Limited { passed, at }) => {
            format!("{}; at {} req/s{}", at_least(passed), rate(at), why(at))
        }
        Answer::End(End::OutOfTime { passed, fails_at }) => format!(
            "{}{}; --max-time ran out before the search was within --precision",
            at_least(passed),
            fails_at.map_or(String::new(), |f| format!("; fails at {}", rate(f)))
        ),
        Answer::Stopped { passed, fails_at } => format!(
            "stopped early: {}{}",
            at_least(passed),
            fails_at.map_or(String::new(), |f| format!("; fails at {}", rate(f)))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_say_what_is_known() {
        let slos = "p99<50ms";
        let late = Answer::End(End::OutOfTime {
            passed: Some(400.0),
            fails_at: Some(800.0),
        });
        assert_eq!(
            answer(&late, slos, &[]),
            "sustains at least 400 req/s within p99<50ms; fails at 800; --max-time ran out before the search was within --precision"
        );
        let stopped = Answer::Stopped {
            passed: None,
            fails_at: None,
        };
        assert_eq!(
            answer(&stopped, slos, &[]),
            "stopped early: no rate passed within p99<50ms"
        );
    }

    #[test]
    fn rates_read_well() {
        assert_eq!(rate(41_200.0), "41,200");
        assert_eq!(rate(1_000_000.0), "1,000,000");
        assert_eq!(rate(999.6), "1,000");
        assert_eq!(rate(100.0), "100");
        assert_eq!(rate(2.5), "2.5");
        assert_eq!(rate(3.0), "3");
    }
}
