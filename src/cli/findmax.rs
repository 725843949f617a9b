//! `stampede find-max URL --slo ...`: flags, and their validation into a
//! search. The target, request and connection flags are `run`'s: they are
//! handed to `RunArgs` and validated there into the plan every step runs,
//! with the step's rate and time.

use super::run::{RunArgs, check_writable};
use super::settings::MAX_RATE;
use crate::findmax::search::Bounds;
use crate::findmax::slo::Slo;
use crate::plan::Plan;
use crate::units::{parse_count, parse_count_usize, parse_scaled, parse_seconds_or_duration};
use argh::FromArgs;
use std::path::PathBuf;
use std::time::Duration;

/// Connections at most when -c is not given: the open model opens them
/// only as the load needs them, and a low cap would be the limit found.
const DEFAULT_CONNECTIONS: usize = 1000;
/// A shorter step measures its warm-up rather than its rate.
const MIN_STEP_TIME: Duration = Duration::from_secs(1);

args_struct! {
    #[derive(FromArgs, Debug)]
    /// Find the highest request rate the target sustains within its SLO: open-model steps at fixed rates, rising, then bisecting.
    #[argh(
        subcommand,
        name = "find-max",
        example = "stampede find-max http://127.0.0.1:8080/hello --slo 'p99<50ms'",
        example = "stampede find-max http://127.0.0.1:8080/api --slo 'p99<50ms' --slo 'errors<1%' --start 1k --step-time 20s --precision 1%",
        example = "stampede find-max -f examples/hello.http --var host=http://127.0.0.1:8080 --slo 'p99.9<200ms' --min-rate 5k --summary max.json",
        note = "A step passes when it meets every --slo (latency from the due time, error rate), answers at least\n\
                99% of its target rate, its queue of requests waiting for a connection does not grow, and the\n\
                generator kept its schedule. A step the generator or its -c connections limited stops the search.\n\
                results.csv holds every request of every step; the task column is stepN@RATE/TASK.\n\
                Exit codes: 0 a rate was found (at or above --min-rate); 1 no rate passed, or below --min-rate;\n\
                2 bad input; 3 the generator or its connections were the limit, not the server; 130 stopped early."
    )]
    pub struct FindMaxArgs {
        /// the target, http://host[:port]/path or https://..., or redis://... (or give a scenario with -f)
        #[argh(positional)]
        pub(crate) url: Option<String>,

        /// the objective every step must meet: 'p99<50ms', 'p99.9<=200ms', 'max<2s', 'errors<1%'; repeat for more (at least one)
        #[argh(option)]
        pub(crate) slo: Vec<String>,

        /// the first step's rate, requests/s; 2.5k = 2500 (default 100)
        #[argh(option, from_str_fn(parse_scaled))]
        pub(crate) start: Option<f64>,

        /// the highest rate tried, requests/s (default 1M)
        #[argh(option, from_str_fn(parse_scaled))]
        pub(crate) max: Option<f64>,

        /// how long each step runs at its rate: 10s, 30s, 1m (default 10s, at least 1s)
        #[argh(option)]
        pub(crate) step_time: Option<String>,

        /// stop bisecting when the last pass and the first fail are this close: 2% or 2 (default 2%)
        #[argh(option)]
        pub(crate) precision: Option<String>,

        /// the longest the whole search may run; it ends with what it knows (default 10m)
        #[argh(option)]
        pub(crate) max_time: Option<String>,

        /// for CI: exit 1 unless a rate of at least R passes
        #[argh(option, from_str_fn(parse_scaled))]
        pub(crate) min_rate: Option<f64>,

        /// write a web page with the latency-against-throughput curve (the knee) and the steps
        #[argh(option)]
        pub(crate) html: Option<String>,

        /// a scenario: a .http file of weighted requests (its load directives are replaced by the steps)
        #[argh(option, short = 'f')]
        pub(crate) scenario: Option<String>,

        @scenario_vars,

        /// the most connections, opened as the load needs them; 1k = 1000 (default 1000, or fewer if the open-file limit is lower)
        #[argh(option, short = 'c', from_str_fn(parse_count_usize))]
        pub(crate) connections: Option<usize>,

        @arrival,

        @request,

        @connection,

        /// redis://: a command; repeat for more, each a task of weight 1
        #[argh(option)]
        pub(crate) command: Vec<String>,

        @resp3,

        /// the task name, after the step's prefix (default "METHOD /path")
        #[argh(option)]
        pub(crate) name: Option<String>,

        /// where to write the CSV of every request of every step (default results.csv)
        #[argh(option, short = 'o', default = "String::from(\"results.csv\")")]
        pub(crate) out: String,

        @no_out,

        /// also write the steps and the answer as JSON to this path
        #[argh(option)]
        pub(crate) summary: Option<String>,

        @quiet,

        /// seed for the random draws (Poisson arrivals) (default 1)
        #[argh(option, default = "1")]
        pub(crate) seed: u64,
    }
}

/// A validated search: the plan each step runs (its load set per step),
/// the objectives and the bounds.
pub(crate) struct FindMax {
    pub plan: Plan,
    pub slos: Vec<Slo>,
    pub bounds: Bounds,
    pub max_time: Duration,
    pub min_rate: Option<f64>,
    /// Where the summary JSON and the page go.
    pub summary: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

impl FindMaxArgs {
    pub(crate) fn validate(&self) -> Result<FindMax, String> {
        if self.slo.is_empty() {
            return Err("give at least one --slo, e.g. --slo 'p99<50ms'".into());
        }
        let slos = self
            .slo
            .iter()
            .map(|s| Slo::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let rate = |flag: &str, v: Option<f64>, default: f64| match v.unwrap_or(default) {
            r if !(r > 0.0 && r.is_finite()) => Err(format!("{flag} must be above 0")),
            r if r > MAX_RATE => Err(format!(
                "{flag} {r} is more than one box can send (at most {MAX_RATE})"
            )),
            r => Ok(r),
        };
        let start = rate("--start", self.start, 100.0)?;
        let max = rate("--max", self.max, 1_000_000.0)?;
        if start > max {
            return Err(format!("--start {start} is above --max {max}"));
        }
        let min_rate = self
            .min_rate
            .map(|r| rate("--min-rate", Some(r), 0.0))
            .transpose()?;
        if let Some(r) = min_rate.filter(|&r| r > max) {
            return Err(format!(
                "--min-rate {r} is above --max {max}: it could never pass"
            ));
        }
        let duration = |flag: &str, text: &Option<String>, default: Duration| match text {
            None => Ok(default),
            Some(t) => parse_seconds_or_duration(t).map_err(|e| format!("{flag}: {e}")),
        };
        let step_time = duration("--step-time", &self.step_time, Duration::from_secs(10))?;
        if step_time < MIN_STEP_TIME {
            return Err(format!(
                "--step-time must be at least {MIN_STEP_TIME:?}: a shorter step measures its warm-up, not its rate"
            ));
        }
        let max_time = duration("--max-time", &self.max_time, Duration::from_secs(600))?;
        if max_time < step_time {
            return Err("--max-time is shorter than one --step-time".into());
        }
        let precision = match &self.precision {
            None => 0.02,
            Some(text) => parse_precision(text)?,
        };
        let mut plan = self.run_args(start, step_time)?.validate()?;
        let summary = plan.summary.take();
        let html = self.html.as_ref().map(PathBuf::from);
        if let Some(path) = &html {
            check_writable(path, "--html")?;
        }
        Ok(FindMax {
            plan,
            slos,
            bounds: Bounds {
                start,
                max,
                precision,
                step_time,
            },
            max_time,
            min_rate,
            summary,
            html,
        })
    }

    /// `run`'s flags for a step at `rate` for `step_time`: what both
    /// commands take is validated once, by `run`'s rules.
    fn run_args(&self, rate: f64, step_time: Duration) -> Result<RunArgs, String> {
        let mut run = RunArgs::from_args(&["stampede", "run"], &[])
            .map_err(|e| format!("find-max: {}", e.output))?;
        // The flags both commands declare with `args_struct!`'s groups.
        self.forward_shared(&mut run);
        run.url = self.url.clone();
        run.scenario = self.scenario.clone();
        // The default fits the open-file limit rather than fail on it.
        let default = || DEFAULT_CONNECTIONS.min(crate::fdlimit::room()).max(1);
        run.users = Some(self.connections.unwrap_or_else(default));
        run.duration = Some(format!("{}ms", step_time.as_millis()));
        run.rate = Some(rate);
        run.command = self.command.clone();
        run.name = self.name.clone();
        run.out = self.out.clone();
        run.summary = self.summary.clone();
        run.seed = self.seed;
        Ok(run)
    }
}

/// `2%` or `2`: a share, 0.02; above 0 and below 100%.
fn parse_precision(text: &str) -> Result<f64, String> {
    let number = text.trim().strip_suffix('%').unwrap_or(text.trim());
    match number.parse::<f64>() {
        Ok(p) if p > 0.0 && p < 100.0 => Ok(p / 100.0),
        Ok(_) => Err(format!(
            "--precision {text:?}: must be above 0% and below 100%"
        )),
        Err(_) => Err(format!(
            "--precision {text:?}: expected a percentage, e.g. 2%"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_is_a_percentage() {
        assert_eq!(parse_precision("2%"), Ok(0.02));
        assert_eq!(parse_precision("0.5"), Ok(0.005));
        for bad in ["0", "0%", "100%", "-1", "x", ""] {
            assert!(parse_precision(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_steps_run_takes_the_scenario_flags() {
        let args = [
            "-f",
            "s.http",
            "--host",
            "http://h:1",
            "--var",
            "a=1",
            "--no-cookies",
            "--slo",
            "p99<1s",
        ];
        let find = FindMaxArgs::from_args(&["stampede", "find-max"], &args).unwrap();
        let run = find.run_args(100.0, Duration::from_secs(1)).unwrap();
        assert_eq!(run.scenario.as_deref(), Some("s.http"));
        assert_eq!(run.host.as_deref(), Some("http://h:1"));
        assert_eq!(run.var, ["a=1"]);
        assert!(run.no_cookies);
    }
}
