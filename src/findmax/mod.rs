//! `stampede find-max`: the highest rate a target sustains within its
//! SLO. Open-model steps at fixed rates, each an ordinary engine run of
//! the plan `run` would make; `search` picks the rates, `verdict` judges
//! each step, and the steps go to results.csv, the table, `--summary`
//! and `--html`.

mod cpu;
mod csv_steps;
mod html;
mod json;
pub(crate) mod search;
pub(crate) mod slo;
mod step;
mod text;
mod verdict;

use crate::app::{prepare, usage_error};
use crate::cli::findmax::FindMax;
use crate::console::{errln, outln};
use crate::http::protocol::Http1;
use crate::protocol::Protocol;
use crate::record::meta::RunMeta;
use crate::redis::protocol::Redis;
use crate::signal;
use csv_steps::StepsCsv;
use search::{End, Next, Tried};
use std::time::Instant;
use verdict::{Figures, Limit, Verdict};

/// Exit code when no rate passed, or the one found is below `--min-rate`.
const BELOW_EXIT: i32 = 1;
/// Exit code when the generator or its connections were the limit: the
/// search could not tell what the server sustains (`check`'s
/// inconclusive code).
const LIMITED_EXIT: i32 = crate::check::INCONCLUSIVE_EXIT;

/// A step that ran: its figures and, once judged, its verdict (None when
/// a stop signal cut it short).
pub(crate) struct Step {
    /// From 1, in the order the steps ran.
    pub index: usize,
    pub figures: Figures,
    /// p50, p90 and p99 latency from the due time, µs.
    pub latency_us: [u64; 3],
    pub error_pct: f64,
    pub verdict: Option<Verdict>,
}

/// How the search ended: by its own rules, or stopped by a signal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Answer {
    End(End),
    Stopped {
        passed: Option<f64>,
        fails_at: Option<f64>,
    },
}

/// Run the search and report it; the exit code.
pub(crate) fn run(search: &FindMax) -> i32 {
    if search.plan.url.custom {
        return usage_error(&format!(
            "find-max does not run {} targets yet: only http(s):// and redis(s)://",
            search.plan.url.origin()
        ));
    }
    match &search.plan.url.redis {
        Some(login) => run_with(search, &Redis::new(login)),
        None => run_with(search, &Http1),
    }
}

fn run_with<P: Protocol>(search: &FindMax, protocol: &P) -> i32 {
    let plan = &search.plan;
    let requests = match prepare(plan, protocol) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    let slos = slo_text(search);
    errln!(
        "stampede: find-max {} ({}) within {slos}: steps of {:?} from {}/s to at most {}/s, {} worker(s), {}",
        plan.url,
        plan.addr,
        search.bounds.step_time,
        text::rate(search.bounds.start),
        text::rate(search.bounds.max),
        plan.workers.len(),
        plan.out
            .as_ref()
            .map_or("no CSV".into(), |p| format!("writing {}", p.display()))
    );
    let mut csv = match plan.out.as_deref().map(StepsCsv::create).transpose() {
        Ok(csv) => csv,
        Err(e) => return usage_error(&format!("--out: cannot write: {e}")),
    };
    let steps_run = step::Steps {
        plan,
        protocol,
        requests: &requests,
        slos: &search.slos,
        step_time: search.bounds.step_time,
    };
    let started = Instant::now();
    let mut steps: Vec<Step> = Vec::new();
    let mut tried: Vec<Tried> = Vec::new();
    // The longest a step has taken, its drain included: a step lasts its
    // step time and then waits for its last answers (up to --timeout), so
    // the time left must hold that much, not just the step time.
    let mut longest = search.bounds.step_time;
    let answer = loop {
        let overrun = longest.saturating_sub(search.bounds.step_time);
        let left = search
            .max_time
            .saturating_sub(started.elapsed())
            .saturating_sub(overrun);
        let target = match search::next(&search.bounds, &tried, left) {
            Next::Done(end) => break Answer::End(end),
            Next::Step(_) if signal::stop_requested() => break stopped(&tried),
            Next::Step(target) => target,
        };
        let index = steps.len() + 1;
        let offset_us = started.elapsed().as_micros() as u64;
        let step_csv = csv.as_ref().map(StepsCsv::step_path);
        let step_began = Instant::now();
        let ran = steps_run.run(index, target, step_csv.as_deref());
        longest = longest.max(step_began.elapsed());
        let mut step = match ran {
            Ok(step) => step,
            Err(e) => {
                errln!("stampede: step {index} failed: {e}");
                return crate::app::FAILED_EXIT;
            }
        };
        if let Some(csv) = &mut csv
            && let Err(e) = csv.append_step(offset_us)
        {
            errln!("stampede: writing {} failed: {e}", display(plan));
            return crate::app::FAILED_EXIT;
        }
        let stopped_now = signal::stop_requested();
        if !stopped_now {
            let verdict = verdict::judge(&step.figures, baseline(&steps, target));
            tried.push(Tried {
                rate: target,
                outcome: verdict.outcome,
            });
            step.verdict = Some(verdict);
        }
        if !plan.quiet {
            errln!(
                "stampede: step {index} at {}/s: {}",
                text::rate(target),
                text::verdict(&step)
            );
        }
        steps.push(step);
        write_meta(search, &steps);
        if stopped_now {
            break stopped(&tried);
        }
    };
    report(search, &steps, &answer)
}

/// The median service time of the lightest step so far, to tell a server
/// slowing down from busy connections; None when no step was lighter
/// than `target`.
fn baseline(steps: &[Step], target: f64) -> Option<u64> {
    steps
        .iter()
        .filter(|s| s.figures.target < target)
        .min_by(|a, b| a.figures.target.total_cmp(&b.figures.target))
        .map(|s| s.figures.service_p50_us)
}

fn stopped(tried: &[Tried]) -> Answer {
    let (passed, fails_at) = search::bracket(tried);
    Answer::Stopped { passed, fails_at }
}

fn slo_text(search: &FindMax) -> String {
    let texts: Vec<&str> = search.slos.iter().map(|s| s.text.as_str()).collect();
    texts.join(" and ")
}

/// The table and the answer on stdout, the files, and the exit code.
fn report(search: &FindMax, steps: &[Step], answer: &Answer) -> i32 {
    let slos = slo_text(search);
    let line = text::answer(answer, &slos, steps);
    outln!("{}", text::table(steps));
    outln!("{line}");
    let mut code = exit_code(answer, search.min_rate);
    if let Some(path) = &search.summary
        && let Err(e) = std::fs::write(path, json::render(search, steps, answer, &line))
    {
        errln!("stampede: --summary {}: {e}", path.display());
        code = crate::app::FAILED_EXIT;
    }
    if let Some(path) = &search.html
        && let Err(e) = std::fs::write(path, html::render(search, steps, &line))
    {
        errln!("stampede: --html {}: {e}", path.display());
        code = crate::app::FAILED_EXIT;
    }
    if let (Some(min), Some(found)) = (search.min_rate, passed(answer))
        && found < min
    {
        errln!(
            "stampede: {} req/s is below --min-rate {}",
            text::rate(found),
            text::rate(min)
        );
    }
    code
}

/// The highest rate that passed, if any.
pub(crate) fn passed(answer: &Answer) -> Option<f64> {
    match *answer {
        Answer::End(End::Found { rate, .. } | End::AboveMax { rate }) => Some(rate),
        Answer::End(End::NoPass { .. }) => None,
        Answer::End(End::Limited { passed, .. } | End::OutOfTime { passed, .. })
        | Answer::Stopped { passed, .. } => passed,
    }
}

/// 0 a rate was found (at least `--min-rate`); 1 none, or below it; 3
/// the generator or connections were the limit before the server was;
/// a stop signal's code when one stopped the search.
fn exit_code(answer: &Answer, min_rate: Option<f64>) -> i32 {
    if let Answer::Stopped { .. } = answer {
        return if signal::run_aborted() {
            signal::ABORTED_EXIT
        } else {
            signal::INTERRUPTED_EXIT
        };
    }
    let found = passed(answer);
    // A rate that passed at or above --min-rate answers the CI's question,
    // whatever stopped the search after it.
    if let (Some(min), Some(rate)) = (min_rate, found)
        && rate >= min
    {
        return 0;
    }
    match answer {
        Answer::End(End::Limited { .. }) => LIMITED_EXIT,
        _ if found.is_none() || min_rate.is_some() => BELOW_EXIT,
        _ => 0,
    }
}

/// Beside results.csv, the target and every step's tasks, for `report`.
fn write_meta(search: &FindMax, steps: &[Step]) {
    let Some(csv) = search.plan.out.as_ref().filter(|p| p.is_file()) else {
        return;
    };
    let labels = search.plan.task_labels();
    let meta = RunMeta {
        target: search.plan.url.to_string(),
        plan: format!(
            "find-max within {}: open-model steps of {:?}",
            slo_text(search),
            search.bounds.step_time
        ),
        tasks: steps
            .iter()
            .flat_map(|s| {
                let prefix = text::task_prefix(s.index, s.figures.target);
                labels
                    .iter()
                    .map(move |(method, name)| (method.clone(), format!("{prefix}{name}")))
            })
            .collect(),
    };
    let path = RunMeta::path_for(csv);
    if let Err(e) = meta.write(&path) {
        errln!("stampede: warning: {}: {e}", path.display());
    }
}

fn display(plan: &crate::plan::Plan) -> String {
    plan.out
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// What limited the last limited step, for the JSON.
pub(crate) fn limited_by(steps: &[Step]) -> Option<Limit> {
    steps
        .iter()
        .rev()
        .filter_map(|s| s.verdict.as_ref())
        .find_map(|v| v.limited_by)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_answer_the_ci_question() {
        let found = Answer::End(End::Found {
            rate: 500.0,
            fails_at: 510.0,
        });
        assert_eq!(exit_code(&found, None), 0);
        assert_eq!(exit_code(&found, Some(400.0)), 0);
        assert_eq!(exit_code(&found, Some(600.0)), BELOW_EXIT);
        let above = Answer::End(End::AboveMax { rate: 1000.0 });
        assert_eq!(exit_code(&above, Some(1000.0)), 0);
        let none = Answer::End(End::NoPass { fails_at: 100.0 });
        assert_eq!(exit_code(&none, None), BELOW_EXIT);
        let limited = Answer::End(End::Limited {
            passed: Some(80.0),
            at: 160.0,
        });
        assert_eq!(exit_code(&limited, None), LIMITED_EXIT);
        assert_eq!(exit_code(&limited, Some(50.0)), 0);
        assert_eq!(exit_code(&limited, Some(100.0)), LIMITED_EXIT);
        let late = Answer::End(End::OutOfTime {
            passed: Some(400.0),
            fails_at: None,
        });
        assert_eq!(exit_code(&late, None), 0);
        assert_eq!(exit_code(&late, Some(500.0)), BELOW_EXIT);
    }
}
