//! A step's verdict, from its figures: pass, fail (the server could not
//! keep up within the objectives), or limited (the generator or its
//! connections were the bottleneck, so the step says nothing about the
//! server). A pure function, so that every rule is tested on its own.

use super::search::Outcome;
use crate::engine::Stalls;
use std::time::Duration;

/// The achieved rate must be at least this share of the target.
pub(crate) const ACHIEVED_MIN: f64 = 0.99;
/// Requests still waiting for a connection at the end of a step may be
/// this many seconds of arrivals before the queue counts as grown.
const QUEUE_SLACK_S: f64 = 0.05;
/// Service time (latency minus waiting for a connection) may grow this
/// much over the lightest step's before the server counts as slowing down.
const SERVICE_GROWTH: f64 = 2.0;
/// A worker thread on its CPU this share of the step is saturated.
const CPU_SATURATED: f64 = 0.9;

/// What a step measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Figures {
    pub target: f64,
    pub step_time: Duration,
    /// Requests that fell due in the step.
    pub requests: u64,
    /// Of those, the ones answered (any status).
    pub responses: u64,
    /// From the step's start to its last answer, and its quickest answer:
    /// the answers came over the span less the quickest.
    pub span: Duration,
    pub min_latency: Duration,
    /// Requests still waiting for a connection when the step ended: the
    /// open model's queue, left unsent.
    pub unsent: u64,
    /// Requests the generator sent late although a connection was free.
    pub late: u64,
    pub stalls: Stalls,
    /// The share of the step the busiest worker thread spent on its CPU,
    /// if it could be read.
    pub cpu_busy: Option<f64>,
    /// The most connections busy at once, as the live gauges saw it.
    pub busy_max: usize,
    /// The connection cap, `-c`.
    pub connections: usize,
    /// Median service time, µs.
    pub service_p50_us: u64,
    /// Requests that were sent and failed: an error status, or no
    /// complete answer (refused, reset, timed out); not the unsent.
    pub failed: u64,
    /// The quickest service time, µs (None when nothing was answered):
    /// about the server's unloaded pace, the first requests of a step
    /// finding it idle.
    pub service_min_us: Option<u64>,
    /// Service time alone (latency less the wait for a connection and
    /// for the generator) breaks a latency objective: the server's doing.
    pub service_breaks_slo: bool,
    /// Each objective broken, e.g. `p99 212ms > 50ms`.
    pub slo_breaches: Vec<String>,
}

impl Figures {
    /// Answers per second, over the time they came in: from the first
    /// (about the quickest latency after the start, the first request
    /// being due at once) to the last. A server that keeps up answers the
    /// step's requests over about the step's time; one that falls behind
    /// still answers them all, in the drain, over a longer time.
    pub(crate) fn achieved(&self) -> f64 {
        if self.responses == 1 && self.requests == 1 {
            // One answer has no gap to measure by (a low rate in a short
            // step): it was all the step asked for.
            return self.due_rate();
        }
        let window = self.span.saturating_sub(self.min_latency);
        let secs = window.max(self.step_time / 2).as_secs_f64();
        // n answers over the window are n - 1 gaps.
        self.responses.saturating_sub(1) as f64 / secs
    }

    /// The rate the step's schedule asked for: the target, or less when
    /// fewer requests fell due in the step time (Poisson arrivals draw
    /// their count, about 1/sqrt(n) either way), so that a server is
    /// judged on what it was sent.
    pub(crate) fn due_rate(&self) -> f64 {
        let secs = self.step_time.as_secs_f64();
        if secs <= 0.0 || self.requests == 0 {
            return self.target;
        }
        self.target.min(self.requests as f64 / secs)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Verdict {
    pub outcome: Outcome,
    /// Why it failed or was limited, one phrase each; empty for a pass.
    pub reasons: Vec<String>,
    /// For a limited step, what limited it.
    pub limited_by: Option<Limit>,
}

/// What held a step back when the server did not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Late sends with connections free, or stalls: its own CPU.
    Generator,
    /// Every connection of `-c` busy while the server kept its pace.
    Connections,
}

impl Limit {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Limit::Generator => "generator",
            Limit::Connections => "connections",
        }
    }
}

/// Judge a step. `baseline_service_us` is the median service time of a
/// lighter step (the lightest so far), None for the first step: then the
/// step's own quickest service time stands in for it on the connections
/// question.
pub(crate) fn judge(f: &Figures, baseline_service_us: Option<u64>) -> Verdict {
    let mut reasons = f.slo_breaches.clone();
    let achieved = f.achieved();
    let due = f.due_rate();
    let short = achieved < ACHIEVED_MIN * due;
    if short {
        reasons.push(format!(
            "achieved {} req/s, {:.1}% of the {}",
            super::text::rate(achieved),
            // Down, so that a share just short of 99% never reads 99.0%.
            (1000.0 * achieved / due).floor() / 10.0,
            if due < f.target {
                format!("{} req/s that fell due", super::text::rate(due))
            } else {
                "target".to_string()
            }
        ));
    }
    let queue_grew = f.unsent > 1 && f.unsent as f64 > f.target * QUEUE_SLACK_S;
    if queue_grew {
        reasons.push(format!(
            "the queue grew: {} requests still waiting for a connection at the end",
            f.unsent
        ));
    }
    if reasons.is_empty() {
        return Verdict {
            outcome: Outcome::Pass,
            reasons,
            limited_by: None,
        };
    }
    // Whose fault: a server whose service time alone breaks an objective,
    // or slowed down (its median service time more than doubled over a
    // lighter step's), failed the step, whatever else happened. One that
    // kept its pace did not, when the generator fell behind or every
    // connection was busy. With neither to go by (None), a lagging
    // generator is still the first suspect.
    if let Some(busy) = f.cpu_busy.filter(|&b| b >= CPU_SATURATED) {
        // A saturated generator reads answers late too: even a service
        // time that looks slow may be its own.
        return Verdict {
            outcome: Outcome::Limited,
            reasons: vec![format!(
                "the generator's busiest worker was on its CPU {:.0}% of the step: {GENERATOR_ADVICE}",
                100.0 * busy.min(1.0)
            )],
            limited_by: Some(Limit::Generator),
        };
    }
    // Requests sent and failed (an error status, refused, reset, timed
    // out) are the target's doing, not a late send's: more than 1% of
    // them fail the step, lag or not.
    let server_failed = f.failed * 100 > f.requests;
    if server_failed {
        reasons.push(format!("{} of {} requests failed", f.failed, f.requests));
    }
    let server_slowed = if f.service_breaks_slo || server_failed {
        Some(true)
    } else {
        baseline_service_us
            .map(|base| f.service_p50_us as f64 > SERVICE_GROWTH * base.max(1) as f64)
    };
    if server_slowed != Some(true)
        && let Some(why) = generator_limit(f)
    {
        return Verdict {
            outcome: Outcome::Limited,
            reasons: vec![why],
            limited_by: Some(Limit::Generator),
        };
    }
    let all_busy = f.busy_max >= f.connections && (queue_grew || short);
    // Without a lighter step, the step's own quickest service time (its
    // first requests find the server idle) tells a server that kept its
    // pace, for the connections question only: a noisy fast server's
    // median is often twice its quickest, which says nothing of the
    // generator.
    let own_pace = || {
        f.service_min_us
            .map(|min| f.service_p50_us as f64 > SERVICE_GROWTH * min.max(1) as f64)
    };
    let unknown = server_slowed.is_none();
    let server_slowed = server_slowed.or_else(own_pace);
    if all_busy && unknown && server_slowed != Some(false) {
        reasons.push(format!(
            "all {} connections were busy: -c may be the limit",
            f.connections
        ));
    }
    if all_busy && server_slowed == Some(false) {
        let n = f.connections;
        let most = n as f64 * 1e6 / f.service_p50_us.max(1) as f64;
        return Verdict {
            outcome: Outcome::Limited,
            reasons: vec![format!(
                "limited by -c {n} connections, not the server: all {n} busy while its service time stayed at {} (median), so at most about {} req/s; raise -c",
                crate::check::verdict::ms3(f.service_p50_us as f64),
                super::text::rate(most)
            )],
            limited_by: Some(Limit::Connections),
        };
    }
    Verdict {
        outcome: Outcome::Fail,
        reasons,
        limited_by: None,
    }
}

const GENERATOR_ADVICE: &str =
    "the generator is the limit, not the server: raise -t or use more machines (--segment)";

/// Why the generator itself was the limit, if it was: it sent more than
/// 1% of the requests late with a connection free, or it stalled.
fn generator_limit(f: &Figures) -> Option<String> {
    const ADVICE: &str = GENERATOR_ADVICE;
    if f.late * 100 > f.requests {
        return Some(format!(
            "{} of {} requests sent more than 1 ms late with a connection free: {ADVICE}",
            f.late, f.requests
        ));
    }
    if f.stalls.count > 0 {
        return Some(format!(
            "the generator stalled {} times, the longest {} ms: {ADVICE}",
            f.stalls.count,
            f.stalls.longest.as_millis()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A healthy step at 1000 req/s for 10 s on 50 connections.
    fn healthy() -> Figures {
        Figures {
            target: 1000.0,
            step_time: Duration::from_secs(10),
            requests: 10_000,
            responses: 10_000,
            span: Duration::from_millis(10_001),
            min_latency: Duration::from_micros(800),
            unsent: 0,
            late: 0,
            stalls: Stalls::default(),
            cpu_busy: Some(0.2),
            busy_max: 3,
            connections: 50,
            service_p50_us: 1_000,
            service_min_us: Some(900),
            failed: 0,
            service_breaks_slo: false,
            slo_breaches: vec![],
        }
    }

    #[test]
    fn a_healthy_step_passes() {
        let v = judge(&healthy(), Some(1_000));
        assert_eq!(v.outcome, Outcome::Pass, "{v:?}");
    }

    #[test]
    fn a_broken_objective_fails_with_its_reason() {
        let f = Figures {
            slo_breaches: vec!["p99 212ms > 50ms".into()],
            busy_max: 50,
            service_p50_us: 40_000,
            ..healthy()
        };
        let v = judge(&f, Some(1_000));
        assert_eq!(v.outcome, Outcome::Fail);
        assert_eq!(v.reasons, ["p99 212ms > 50ms"]);
    }

    #[test]
    fn too_few_answers_or_a_grown_queue_fail() {
        // The server answered them all, but over 10.5 s: it fell behind.
        let short = Figures {
            span: Duration::from_millis(10_500),
            ..healthy()
        };
        let v = judge(&short, Some(1_000));
        assert_eq!(v.outcome, Outcome::Fail);
        assert_eq!(v.reasons, ["achieved 952 req/s, 95.2% of the target"]);
        // Just short of 99% reads as short of it, not as a rounded 99.0%.
        let just = Figures {
            responses: 9_897,
            ..healthy()
        };
        let v = judge(&just, Some(1_000));
        assert_eq!(v.reasons, ["achieved 990 req/s, 98.9% of the target"]);
        let queued = Figures {
            unsent: 80,
            responses: 9_920,
            ..healthy()
        };
        let v = judge(&queued, Some(1_000));
        assert!(v.reasons[0].starts_with("the queue grew: 80"), "{v:?}");
        // A few left at the end are no growth.
        let few = Figures {
            unsent: 20,
            responses: 9_980,
            ..healthy()
        };
        assert_eq!(judge(&few, Some(1_000)).outcome, Outcome::Pass);
    }

    #[test]
    fn a_lagging_or_stalled_generator_is_the_limit_of_a_failed_step() {
        let late = Figures {
            late: 500,
            slo_breaches: vec!["p99 80ms > 50ms".into()],
            ..healthy()
        };
        let v = judge(&late, Some(1_000));
        assert_eq!(v.outcome, Outcome::Limited);
        assert!(v.reasons[0].contains("raise -t"), "{v:?}");
        let stalled = Figures {
            stalls: Stalls {
                count: 1,
                longest: Duration::from_millis(300),
            },
            ..late.clone()
        };
        let stalled = Figures { late: 0, ..stalled };
        assert!(
            judge(&stalled, Some(1_000)).reasons[0].contains("stalled 1 times, the longest 300 ms")
        );
        // A server that slowed down many times over failed it, lag or not.
        let slowed = Figures {
            service_p50_us: 250_000,
            ..late.clone()
        };
        assert_eq!(judge(&slowed, Some(1_000)).outcome, Outcome::Fail);
        // So did one whose service time alone broke the objective, on the
        // first step too.
        let slow_service = Figures {
            service_breaks_slo: true,
            ..late.clone()
        };
        assert_eq!(judge(&slow_service, None).outcome, Outcome::Fail);
        // Unless the generator's own CPU was saturated: then it read the
        // answers late too.
        let saturated = Figures {
            cpu_busy: Some(0.97),
            ..slow_service
        };
        let v = judge(&saturated, None);
        assert_eq!(v.limited_by, Some(Limit::Generator));
        assert!(v.reasons[0].contains("on its CPU 97% of the step"), "{v:?}");
        // A step that passed anyway stands.
        let passed = Figures {
            late: 500,
            ..healthy()
        };
        assert_eq!(judge(&passed, Some(1_000)).outcome, Outcome::Pass);
    }

    #[test]
    fn all_connections_busy_with_a_steady_server_is_the_connections_limit() {
        // -c 1 against a 10 ms service at 160 req/s: 100 answered a second.
        let f = Figures {
            target: 160.0,
            requests: 1_600,
            responses: 1_000,
            unsent: 600,
            busy_max: 1,
            connections: 1,
            service_p50_us: 10_100,
            service_min_us: Some(10_020),
            slo_breaches: vec!["p99 3.5s > 50ms".into()],
            ..healthy()
        };
        let v = judge(&f, Some(10_050));
        assert_eq!(v.outcome, Outcome::Limited);
        assert!(
            v.reasons[0].starts_with("limited by -c 1 connections, not the server"),
            "{v:?}"
        );
        // The same, but the server slowed down many times over: its fault.
        let slowed = Figures {
            service_p50_us: 90_000,
            ..f.clone()
        };
        assert_eq!(judge(&slowed, Some(10_050)).outcome, Outcome::Fail);
        // The first step has nothing lighter to compare with: its own
        // quickest service time tells whether the server kept its pace.
        let first = judge(&f, None);
        assert_eq!(first.outcome, Outcome::Limited, "{first:?}");
        assert_eq!(first.limited_by, Some(Limit::Connections));
        // A server whose median is many times its quickest slowed down:
        // a fail, with a hint.
        let first_slowed = judge(&slowed, None);
        assert_eq!(first_slowed.outcome, Outcome::Fail);
        assert_eq!(
            first_slowed.reasons.last().unwrap(),
            "all 1 connections were busy: -c may be the limit"
        );
        // Nothing answered: nothing to go by.
        let unknown = Figures {
            service_min_us: None,
            ..f.clone()
        };
        assert_eq!(judge(&unknown, None).outcome, Outcome::Fail);
    }

    #[test]
    fn failed_requests_are_the_servers_whatever_the_generator_did() {
        // Every connection refused, on a busy box that sent 5% late.
        let refused = Figures {
            requests: 100,
            responses: 0,
            failed: 100,
            late: 5,
            span: Duration::from_millis(1_000),
            step_time: Duration::from_secs(1),
            target: 100.0,
            service_p50_us: 0,
            service_min_us: None,
            ..healthy()
        };
        let v = judge(&refused, None);
        assert_eq!(v.outcome, Outcome::Fail, "{v:?}");
        assert!(
            v.reasons
                .contains(&"100 of 100 requests failed".to_string()),
            "{v:?}"
        );
        // 5% answered 503, breaking errors<1%, with 5% sent late.
        let unavailable = Figures {
            failed: 500,
            late: 500,
            slo_breaches: vec!["errors 5.00% > 1%".into()],
            ..healthy()
        };
        let v = judge(&unavailable, Some(1_000));
        assert_eq!(v.outcome, Outcome::Fail, "{v:?}");
    }

    #[test]
    fn a_step_of_one_request_answered_keeps_its_rate() {
        // 0.5 req/s for 1 s: one request, due at once, answered in 3 ms.
        // One answer has no gap to measure a rate by.
        let one = Figures {
            target: 0.5,
            step_time: Duration::from_secs(1),
            requests: 1,
            responses: 1,
            span: Duration::from_millis(3),
            min_latency: Duration::from_millis(3),
            ..healthy()
        };
        assert_eq!(judge(&one, Some(1_000)).outcome, Outcome::Pass);
        // Unanswered, it achieved nothing.
        let lost = Figures {
            responses: 0,
            failed: 1,
            ..one
        };
        assert_eq!(judge(&lost, Some(1_000)).outcome, Outcome::Fail);
    }

    #[test]
    fn poisson_arrivals_are_judged_against_what_fell_due() {
        // Poisson arrivals at 100/s: 185 fell due in 2 s, and all were
        // answered at their pace. The step kept up with its schedule.
        let f = Figures {
            target: 100.0,
            step_time: Duration::from_secs(2),
            requests: 185,
            responses: 185,
            span: Duration::from_millis(1_990),
            min_latency: Duration::from_micros(150),
            ..healthy()
        };
        let v = judge(&f, Some(1_000));
        assert_eq!(v.outcome, Outcome::Pass, "{v:?}");
        // Fewer answered than fell due is still short.
        let short = Figures {
            responses: 150,
            unsent: 35,
            ..f
        };
        assert_eq!(judge(&short, Some(1_000)).outcome, Outcome::Fail);
    }
}
