//! find-max's `--summary`: the answer and every step, as JSON written
//! with the summary's own writer. The keys are documented in the README.

use super::search::End;
use super::{Answer, Step, limited_by, passed, text};
use crate::cli::findmax::FindMax;
use crate::output::json::{Object, quote};

pub(super) fn render(search: &FindMax, steps: &[Step], answer: &Answer, line: &str) -> String {
    let mut o = Object::default();
    let mut a = Object::default();
    let (outcome, fails_at) = match *answer {
        Answer::End(End::Found { fails_at, .. }) => ("found", Some(fails_at)),
        Answer::End(End::AboveMax { .. }) => ("above_max", None),
        Answer::End(End::NoPass { fails_at }) => ("no_pass", Some(fails_at)),
        Answer::End(End::Limited { at, .. }) => ("limited", Some(at)),
        Answer::End(End::OutOfTime { fails_at, .. }) => ("out_of_time", fails_at),
        Answer::Stopped { fails_at, .. } => ("stopped", fails_at),
    };
    a.str("outcome", outcome);
    a.raw("rate", number(passed(answer)));
    a.raw("fails_at", number(fails_at));
    let limit = match answer {
        Answer::End(End::Limited { .. }) => limited_by(steps).map(|l| quote(l.label())),
        _ => None,
    };
    a.raw("limited_by", limit.unwrap_or_else(|| "null".into()));
    a.str("text", line);
    o.raw("answer", a.finish());
    let slos: Vec<String> = search.slos.iter().map(|s| quote(&s.text)).collect();
    o.raw("slo", format!("[{}]", slos.join(",")));
    o.raw("min_rate", number(search.min_rate));
    o.num("start", search.bounds.start);
    o.num("max", search.bounds.max);
    o.num("step_time_s", search.bounds.step_time.as_secs_f64());
    o.num("precision_pct", search.bounds.precision * 100.0);
    let steps: Vec<String> = steps.iter().map(step).collect();
    o.raw("steps", format!("[{}]", steps.join(",")));
    o.finish() + "\n"
}

fn step(s: &Step) -> String {
    let f = &s.figures;
    let mut o = Object::default();
    o.int("step", s.index as u64);
    o.str("task_prefix", &text::task_prefix(s.index, f.target));
    o.num("target", f.target);
    o.num("achieved", f.achieved());
    o.int("requests", f.requests);
    o.int("responses", f.responses);
    o.num("error_pct", s.error_pct);
    let mut latency = Object::default();
    for (key, us) in ["p50", "p90", "p99"].iter().zip(s.latency_us) {
        latency.num(key, us as f64 / 1000.0);
    }
    o.raw("latency_ms", latency.finish());
    o.num("service_p50_ms", f.service_p50_us as f64 / 1000.0);
    o.int("unsent", f.unsent);
    o.int("late", f.late);
    o.int("stalls", f.stalls.count);
    o.raw("cpu_busy_pct", number(f.cpu_busy.map(|b| b * 100.0)));
    o.int("busy_max", f.busy_max as u64);
    o.int("connections", f.connections as u64);
    let (verdict, reasons) = match &s.verdict {
        None => ("stopped", Vec::new()),
        Some(v) if v.reasons.is_empty() => ("pass", Vec::new()),
        Some(v) if v.limited_by.is_some() => ("limited", v.reasons.clone()),
        Some(v) => ("fail", v.reasons.clone()),
    };
    o.str("verdict", verdict);
    let reasons: Vec<String> = reasons.iter().map(|r| quote(r)).collect();
    o.raw("reasons", format!("[{}]", reasons.join(",")));
    o.finish()
}

fn number(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{}", (v * 1000.0).round() / 1000.0),
        _ => "null".into(),
    }
}
