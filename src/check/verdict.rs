//! One verdict per check, and the aligned text table they print as.

use crate::output::{COLUMN_MAX, fit};
use crate::report::series::round3;
use std::borrow::Cow;

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pass,
    Fail,
    /// The data cannot decide: a baseline comparison with too little data,
    /// or with runs noisier than the margin.
    Inconclusive,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Inconclusive => "INCONCLUSIVE",
        }
    }
}

/// The outcome of one check: a threshold or a baseline comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    /// e.g. `p99`, `p99 [GET /a]`, `p99 vs baseline`.
    pub name: String,
    /// e.g. `<= 200ms`.
    pub limit: String,
    /// e.g. `153.2ms`.
    pub measured: String,
    pub status: Status,
    /// One sentence saying why it failed, passed, or could not decide.
    pub message: String,
}

/// Failures win over inconclusive checks: the overall status of a verdict.
pub(crate) fn overall(verdicts: &[Verdict]) -> Status {
    let any = |s: Status| verdicts.iter().any(|v| v.status == s);
    if any(Status::Fail) {
        Status::Fail
    } else if any(Status::Inconclusive) {
        Status::Inconclusive
    } else {
        Status::Pass
    }
}

/// `name` with its task, if any.
pub(crate) fn scoped(name: &str, task: Option<&str>) -> String {
    match task {
        Some(t) => format!("{name} [{t}]"),
        None => name.to_string(),
    }
}

/// A latency in µs as milliseconds, e.g. `12.5ms`.
pub(crate) fn ms(us: f64) -> String {
    format!("{}ms", round3(us / 1000.0))
}

/// A latency in µs as milliseconds with 3 significant digits, the
/// precision of the histograms it is read from: `99.0ms`, `0.850ms`.
pub(crate) fn ms3(us: f64) -> String {
    let ms = us / 1000.0;
    if ms <= 0.0 {
        return "0ms".into();
    }
    let decimals = (2 - ms.log10().floor() as i32).clamp(0, 3) as usize;
    format!("{ms:.decimals$}ms")
}

/// A figure with at most 3 decimals.
pub(crate) fn num(v: f64) -> String {
    round3(v)
}

/// One aligned line per verdict, the reason for each inconclusive one,
/// then a summary line.
pub(crate) fn render(verdicts: &[Verdict]) -> String {
    let cells: Vec<[Cow<str>; 3]> = verdicts
        .iter()
        .map(|v| [&v.name, &v.limit, &v.measured].map(|text| fit(text, COLUMN_MAX)))
        .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (wn, wl, wm) = (width(0), width(1), width(2));
    let mut out = String::new();
    for (v, [name, limit, measured]) in verdicts.iter().zip(&cells) {
        out.push_str(&format!(
            "{name:<wn$}  {limit:<wl$}  {measured:<wm$}  {}\n",
            v.status.label()
        ));
    }
    for v in verdicts.iter().filter(|v| v.status == Status::Inconclusive) {
        out.push_str(&v.message);
        out.push('\n');
    }
    out.push_str(&summary(verdicts));
    out.push('\n');
    out
}

pub(crate) fn summary(verdicts: &[Verdict]) -> String {
    let count = |s: Status| verdicts.iter().filter(|v| v.status == s).count();
    let (failed, undecided) = (count(Status::Fail), count(Status::Inconclusive));
    let n = verdicts.len();
    let s = if n == 1 { "" } else { "s" };
    match overall(verdicts) {
        Status::Pass => format!("PASS: all {n} check{s} passed"),
        Status::Fail if undecided > 0 => {
            format!("FAIL: {failed} of {n} check{s} failed, {undecided} inconclusive")
        }
        Status::Fail => format!("FAIL: {failed} of {n} check{s} failed"),
        Status::Inconclusive if undecided == n => {
            format!("INCONCLUSIVE: the {n} check{s} could not decide")
        }
        Status::Inconclusive => {
            format!("INCONCLUSIVE: {undecided} of {n} check{s} could not decide, the others passed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, limit: &str, measured: &str, pass: bool) -> Verdict {
        let status = if pass { Status::Pass } else { Status::Fail };
        Verdict {
            name: name.into(),
            limit: limit.into(),
            measured: measured.into(),
            status,
            message: format!("{name}: why"),
        }
    }

    #[test]
    fn lines_are_aligned_and_summarised() {
        let out = render(&[
            v("p99", "<= 200ms", "150ms", true),
            v("p50 [GET /a]", "<= 5ms", "6.25ms", false),
        ]);
        assert_eq!(
            out,
            "p99           <= 200ms  150ms   PASS\n\
             p50 [GET /a]  <= 5ms    6.25ms  FAIL\n\
             FAIL: 1 of 2 checks failed\n"
        );
        assert_eq!(ms3(98_976.0), "99.0ms");
        assert_eq!(ms3(850.0), "0.850ms");
        assert_eq!(ms3(1_234_567.0), "1235ms");
        assert_eq!(ms3(0.0), "0ms");
        assert_eq!(
            summary(&[v("a", "b", "c", true)]),
            "PASS: all 1 check passed"
        );
    }

    #[test]
    fn inconclusive_says_the_others_passed_only_when_there_are_others() {
        let undecided = |name: &str| Verdict {
            status: Status::Inconclusive,
            ..v(name, "b", "c", true)
        };
        assert_eq!(
            summary(&[undecided("a"), undecided("b")]),
            "INCONCLUSIVE: the 2 checks could not decide"
        );
        assert_eq!(
            summary(&[undecided("a"), v("b", "b", "c", true)]),
            "INCONCLUSIVE: 1 of 2 checks could not decide, the others passed"
        );
    }

    #[test]
    fn a_huge_task_name_is_cut_on_its_line() {
        let name = scoped("p99", Some(&"t".repeat(70_000)));
        let out = render(&[v(&name, "<= 1ms", "2ms", false)]);
        let line = out.lines().next().unwrap();
        assert!(line.starts_with("p99 [tttt") && line.ends_with("\u{2026}  <= 1ms  2ms  FAIL"));
        assert!(line.chars().count() < 100, "{line}");
    }
}
