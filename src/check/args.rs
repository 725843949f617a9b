//! `stampede check` flags. argh cannot keep the order of different flags,
//! and `--task NAME` scopes the thresholds that follow it, so argv is split
//! at each `--task NAME` by hand and every group is parsed by argh with the
//! same `CheckFlags` definition that also writes the help text.

use super::thresholds::{Kind, Threshold};
use crate::units::parse_duration;
use argh::{CommandInfo, EarlyExit, FromArgs, SubCommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(FromArgs, Debug, Default, Clone, PartialEq)]
/// Pass or fail a run on its results.csv: latency percentiles, error rate, throughput, and regressions against a baseline run. Exit 0 when every check passes, 1 when one fails, 3 when a baseline comparison cannot decide.
#[argh(
    subcommand,
    name = "check",
    example = "stampede check results.csv --p99 200ms --max-error-rate 1",
    example = "stampede check results.csv --p50 20ms --min-rps 5000 --task 'GET /slow' --p99 1s --max 2s",
    example = "stampede check box1.csv box2.csv --p999 500ms --junit check.xml",
    example = "stampede check results.csv --baseline main.csv --max-regression 10",
    example = "stampede check results.csv --baseline main.csv --max-regression 10 --task login --max-regression 5",
    note = "Thresholds before any --task apply to all requests; those after --task NAME apply to that\n\
            task only, until the next --task. --max-regression is scoped the same way: to compare the\n\
            whole run with the baseline, put it before the first --task. --baseline, --min-change and\n\
            --junit apply to the whole command wherever they stand. Latency limits are durations\n\
            (500us, 20ms, 1.5s).\n\
            A failure is a response with status >= 400 or no response at all.\n\
            Regression: p50, p90, p99 and RPS are measured in each whole second of both runs. The allowance\n\
            is PCT percent of the baseline's figure or, for a latency, --min-change, whichever is larger.\n\
            A figure passes when the change is within the allowance with 99% confidence, fails when it is\n\
            beyond it with 99% confidence, and is INCONCLUSIVE otherwise, or when a run has fewer than\n\
            about 5 whole seconds (run 7 s or more; 10 s or more to tell small changes).\n\
            An HdrHistogram log holds every figure checked; one not written by stampede tells no failures,\n\
            so --max-error-rate, --min-rps and --max-regression refuse it.\n\
            Exit codes: 0 every check passed; 1 a check failed; 2 bad input (flags, a CSV);\n\
            3 no check failed, but a baseline comparison could not decide."
)]
pub(crate) struct CheckFlags {
    /// results.csv files (or HdrHistogram logs from run --hdr-log) of one run; several (one per box) are merged into one
    #[argh(positional, arg_name = "FILE")]
    pub files: Vec<String>,

    /// the median latency must be at most D, e.g. 20ms
    #[argh(option, arg_name = "D")]
    pub p50: Option<String>,

    /// the 90th percentile latency must be at most D, e.g. 100ms
    #[argh(option, arg_name = "D")]
    pub p90: Option<String>,

    /// the 99th percentile latency must be at most D, e.g. 200ms
    #[argh(option, arg_name = "D")]
    pub p99: Option<String>,

    /// the 99.9th percentile latency must be at most D, e.g. 500ms
    #[argh(option, arg_name = "D")]
    pub p999: Option<String>,

    /// the slowest request must take at most D, e.g. 2s
    #[argh(option, arg_name = "D")]
    pub max: Option<String>,

    /// failures / requests * 100 must be at most PCT, e.g. 0.5
    #[argh(option, arg_name = "PCT")]
    pub max_error_rate: Option<String>,

    /// requests per second (requests / time to the last completion) must be at least N, e.g. 1000
    #[argh(option, arg_name = "N")]
    pub min_rps: Option<String>,

    /// the thresholds after it apply to task NAME only, until the next --task (default: all requests)
    #[argh(option, arg_name = "NAME")]
    pub task: Option<String>,

    /// a results.csv of an earlier run to compare with; needs --max-regression
    #[argh(option, arg_name = "BASE.csv")]
    pub baseline: Option<String>,

    /// compare p50, p90, p99 and RPS with the baseline's, allowing them to get worse by PCT percent (see Notes); before any --task it compares the whole run, after --task NAME only that task
    #[argh(option, arg_name = "PCT")]
    pub max_regression: Option<String>,

    /// with --baseline: a latency change of at most D is always within the allowance, whatever --max-regression says; applies to every comparison (default 1ms)
    #[argh(option, arg_name = "D")]
    pub min_change: Option<String>,

    /// also write the verdict as JUnit XML to PATH (default none)
    #[argh(option, arg_name = "PATH")]
    pub junit: Option<String>,
}

/// The check arguments: groups of flags, the first for all requests, each
/// further one starting at a `--task NAME` (kept in `task`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CheckArgs {
    pub(crate) groups: Vec<CheckFlags>,
}

impl SubCommand for CheckArgs {
    const COMMAND: &'static CommandInfo = <CheckFlags as SubCommand>::COMMAND;
}

impl FromArgs for CheckArgs {
    fn from_args(command_name: &[&str], args: &[&str]) -> Result<Self, EarlyExit> {
        if args.iter().any(|a| *a == "--help" || *a == "-h") {
            return CheckFlags::from_args(command_name, &["--help"])
                .map(|f| CheckArgs { groups: vec![f] });
        }
        let mut groups = Vec::new();
        for (task, argv) in split_at_tasks(args)? {
            let mut flags = CheckFlags::from_args(command_name, &argv)?;
            flags.task = task.map(str::to_string);
            groups.push(flags);
        }
        Ok(CheckArgs { groups })
    }
}

/// An argv group: the task it is scoped to, and its arguments.
pub(crate) type ArgGroup<'a> = (Option<&'a str>, Vec<&'a str>);

/// Split argv at each `--task NAME`: the first group has no task.
pub(crate) fn split_at_tasks<'a>(args: &[&'a str]) -> Result<Vec<ArgGroup<'a>>, EarlyExit> {
    let mut groups = vec![(None, Vec::new())];
    let mut it = args.iter();
    while let Some(&arg) = it.next() {
        if arg != "--task" {
            groups.last_mut().expect("one group at least").1.push(arg);
            continue;
        }
        match it.next() {
            Some(&name) if !name.starts_with("--") => groups.push((Some(name), Vec::new())),
            _ => {
                return Err(EarlyExit {
                    output: "--task needs a NAME: the task that the thresholds after it apply to"
                        .into(),
                    status: Err(()),
                });
            }
        }
    }
    Ok(groups)
}

/// Thresholds and a regression margin for all requests or for one task.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub task: Option<String>,
    pub thresholds: Vec<Threshold>,
    /// Percent, with --baseline.
    pub max_regression: Option<f64>,
}

/// Validated check arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub files: Vec<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    /// A latency change this small never fails a baseline comparison.
    pub min_change: Duration,
    pub groups: Vec<Group>,
}

/// The default `--min-change`: sub-millisecond latencies move by more
/// than this between identical runs on a shared box.
pub(crate) const MIN_CHANGE: Duration = Duration::from_millis(1);

impl CheckArgs {
    pub fn validate(&self) -> Result<Plan, String> {
        let mut files = Vec::new();
        let (mut baseline, mut junit, mut min_change) = (None, None, None::<String>);
        let mut groups = Vec::new();
        for flags in &self.groups {
            files.extend(flags.files.iter().map(PathBuf::from));
            once(&mut baseline, &flags.baseline, "--baseline")?;
            once(&mut junit, &flags.junit, "--junit")?;
            once(&mut min_change, &flags.min_change, "--min-change")?;
            let group = group(flags)?;
            if let Some(task) = &group.task
                && group.thresholds.is_empty()
                && group.max_regression.is_none()
            {
                return Err(format!("--task {task:?}: no threshold follows it"));
            }
            groups.push(group);
        }
        if files.is_empty() {
            return Err(
                "give the results.csv to check, e.g. stampede check results.csv --p99 200ms".into(),
            );
        }
        let regression = groups.iter().any(|g| g.max_regression.is_some());
        match (&baseline, regression) {
            (Some(_), false) => return Err("--baseline needs --max-regression PCT".into()),
            (None, true) => return Err("--max-regression needs --baseline BASE.csv".into()),
            _ => {}
        }
        let min_change = match min_change {
            Some(_) if baseline.is_none() => {
                return Err("--min-change needs --baseline BASE.csv".into());
            }
            Some(text) => parse_duration(&text).map_err(|e| format!("--min-change: {e}"))?,
            None => MIN_CHANGE,
        };
        if groups
            .iter()
            .all(|g| g.thresholds.is_empty() && g.max_regression.is_none())
        {
            return Err("nothing to check: give a threshold such as --p99 200ms or --max-error-rate 1, or --baseline with --max-regression".into());
        }
        groups.retain(|g| !g.thresholds.is_empty() || g.max_regression.is_some());
        // Bad input is said before the verdict, not after it.
        if let Some(path) = &junit {
            let path: &PathBuf = path;
            crate::cli::run::check_writable(path, "--junit")?;
        }
        Ok(Plan {
            files,
            baseline,
            junit,
            min_change,
            groups,
        })
    }
}

impl Plan {
    /// A warning when `--max-regression` follows `--task` and so compares
    /// only some of the run's tasks (`tasks`, its task names) with the
    /// baseline: the scoping is easy to miss when `--baseline` and
    /// `--max-regression` sit at the end of a command line.
    pub(crate) fn scoping_warning(&self, tasks: &[String]) -> Option<String> {
        let compared: Vec<&str> = self
            .groups
            .iter()
            .filter(|g| g.max_regression.is_some())
            .map(|g| g.task.as_deref())
            .collect::<Option<_>>()?;
        let left = tasks
            .iter()
            .filter(|t| !compared.contains(&t.as_str()))
            .count();
        if compared.is_empty() || left == 0 {
            return None;
        }
        let names: Vec<String> = compared.iter().map(|n| format!("{n:?}")).collect();
        let s = if names.len() == 1 { "" } else { "s" };
        Some(format!(
            "the baseline comparison covers only task{s} {} (--max-regression after --task is scoped to that task), not the other {left} of the run's {} tasks; to compare the whole run, put --max-regression before the first --task",
            names.join(", "),
            tasks.len()
        ))
    }
}

/// A flag that applies to the whole command: given in any group, once.
fn once<T: From<String>>(
    slot: &mut Option<T>,
    value: &Option<String>,
    flag: &str,
) -> Result<(), String> {
    if let Some(v) = value {
        if slot.is_some() {
            return Err(format!("{flag} given twice"));
        }
        *slot = Some(T::from(v.clone()));
    }
    Ok(())
}

fn group(flags: &CheckFlags) -> Result<Group, String> {
    let mut thresholds = Vec::new();
    let latency = [
        (&flags.p50, "--p50", Kind::Latency(50.0)),
        (&flags.p90, "--p90", Kind::Latency(90.0)),
        (&flags.p99, "--p99", Kind::Latency(99.0)),
        (&flags.p999, "--p999", Kind::Latency(99.9)),
        (&flags.max, "--max", Kind::Max),
    ];
    for (value, flag, kind) in latency {
        if let Some(text) = value {
            let d = parse_duration(text).map_err(|e| format!("{flag}: {e}"))?;
            thresholds.push(Threshold {
                kind,
                limit: d.as_secs_f64() * 1e6,
            });
        }
    }
    if let Some(text) = &flags.max_error_rate {
        thresholds.push(Threshold {
            kind: Kind::ErrorRate,
            limit: number(text, "--max-error-rate", "a percentage, e.g. 0.5")?,
        });
    }
    if let Some(text) = &flags.min_rps {
        thresholds.push(Threshold {
            kind: Kind::MinRps,
            limit: number(text, "--min-rps", "requests per second, e.g. 1000")?,
        });
    }
    let max_regression = flags
        .max_regression
        .as_deref()
        .map(|t| number(t, "--max-regression", "a percentage, e.g. 10"))
        .transpose()?;
    Ok(Group {
        task: flags.task.clone(),
        thresholds,
        max_regression,
    })
}

/// A finite number, at least 0.
fn number(text: &str, flag: &str, what: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{flag} {text:?}: expected {what}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<CheckArgs, String> {
        CheckArgs::from_args(&["stampede", "check"], args).map_err(|e| e.output)
    }

    #[test]
    fn splits_argv_at_each_task() {
        let groups = split_at_tasks(&[
            "a.csv", "--p99", "1s", "--task", "GET /x", "--p50", "2ms", "--task", "y", "--max",
            "3s",
        ])
        .unwrap();
        assert_eq!(
            groups,
            vec![
                (None, vec!["a.csv", "--p99", "1s"]),
                (Some("GET /x"), vec!["--p50", "2ms"]),
                (Some("y"), vec!["--max", "3s"]),
            ]
        );
        assert!(split_at_tasks(&["a.csv", "--task"]).is_err());
        assert!(split_at_tasks(&["a.csv", "--task", "--p99", "1s"]).is_err());
    }

    #[test]
    fn thresholds_repeat_per_task() {
        let args = parse(&[
            "a.csv",
            "--p99",
            "1s",
            "--task",
            "x",
            "--p99",
            "20ms",
            "--task",
            "y",
            "--p99",
            "30ms",
            "--max-error-rate",
            "1",
        ])
        .unwrap();
        let plan = args.validate().unwrap();
        assert_eq!(plan.files, vec![PathBuf::from("a.csv")]);
        let tasks: Vec<_> = plan.groups.iter().map(|g| g.task.as_deref()).collect();
        assert_eq!(tasks, vec![None, Some("x"), Some("y")]);
        assert_eq!(plan.groups[1].thresholds[0].limit, 20_000.0);
        assert_eq!(plan.groups[2].thresholds.len(), 2);
    }

    #[test]
    fn the_same_flag_twice_in_one_group_is_an_error() {
        assert!(parse(&["a.csv", "--p99", "1s", "--p99", "2s"]).is_err());
    }

    #[test]
    fn rejects_bad_input_in_one_line() {
        for (args, why) in [
            (vec!["a.csv"], "nothing to check"),
            (vec!["--p99", "1s"], "give the results.csv"),
            (vec!["a.csv", "--p99", "10"], "missing unit"),
            (vec!["a.csv", "--max-error-rate", "x"], "--max-error-rate"),
            (vec!["a.csv", "--min-rps", "-1"], "--min-rps"),
            (
                vec!["a.csv", "--baseline", "b.csv"],
                "needs --max-regression",
            ),
            (vec!["a.csv", "--max-regression", "10"], "needs --baseline"),
            (
                vec!["a.csv", "--p99", "1s", "--task", "x"],
                "no threshold follows",
            ),
            (
                vec![
                    "a.csv", "--junit", "a", "--task", "x", "--p50", "1s", "--junit", "b",
                ],
                "--junit given twice",
            ),
        ] {
            let e = parse(&args).unwrap().validate().unwrap_err();
            assert!(e.contains(why), "{args:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn regression_can_be_scoped_to_a_task() {
        let plan = parse(&[
            "a.csv",
            "--baseline",
            "b.csv",
            "--task",
            "x",
            "--max-regression",
            "10",
        ])
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(plan.baseline, Some(PathBuf::from("b.csv")));
        assert_eq!(plan.groups.len(), 1);
        assert_eq!(plan.groups[0].max_regression, Some(10.0));
    }

    #[test]
    fn a_comparison_of_some_tasks_only_is_pointed_out() {
        let plan = |args: &[&str]| parse(args).unwrap().validate().unwrap();
        let tasks: Vec<String> = ["a", "b", "c"].map(String::from).into();
        let two = plan(&[
            "r.csv",
            "--baseline",
            "b.csv",
            "--task",
            "a",
            "--max-regression",
            "5",
            "--task",
            "b",
            "--max-regression",
            "5",
        ]);
        let w = two.scoping_warning(&tasks).unwrap();
        assert!(w.contains("only tasks \"a\", \"b\""), "{w}");
        assert!(w.contains("not the other 1 of the run's 3 tasks"), "{w}");
        assert_eq!(two.scoping_warning(&tasks[..2]), None);
        let whole = plan(&["r.csv", "--baseline", "b.csv", "--max-regression", "5"]);
        assert_eq!(whole.scoping_warning(&tasks), None);
        assert_eq!(
            plan(&["r.csv", "--p99", "1s"]).scoping_warning(&tasks),
            None
        );
    }

    #[test]
    fn help_lists_every_flag() {
        let help = parse(&["--help"]).unwrap_err();
        for flag in [
            "--p50",
            "--p90",
            "--p99",
            "--p999",
            "--max",
            "--max-error-rate",
            "--min-rps",
            "--task",
            "--baseline",
            "--max-regression",
            "--junit",
            "Examples",
        ] {
            assert!(help.contains(flag), "{flag} missing from\n{help}");
        }
    }
}
