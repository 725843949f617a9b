//! `--slo`: what a step must meet, e.g. `p99<50ms`, `p99.9<=200ms`,
//! `max<2s`, `errors<1%`. Each becomes one of `check`'s thresholds and is
//! judged by the same code as `stampede check`, on latency from the due
//! time.

use crate::check::thresholds::{self, Figures, Kind, Threshold};
use crate::check::verdict::Status;
use crate::record::stats::Tally;
use crate::units::parse_duration;
use hdrhistogram::Histogram;
use std::time::Duration;

/// One objective, with its text as given (for the answer line).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Slo {
    pub text: String,
    pub threshold: Threshold,
}

impl Slo {
    /// `NAME<LIMIT` or `NAME<=LIMIT` (both mean at most): NAME is `pQ`
    /// (0 < Q < 100, e.g. p50, p99, p99.9) or `max` with a duration, or
    /// `errors` with a percentage.
    pub(crate) fn parse(text: &str) -> Result<Slo, String> {
        let bad = |why: &str| {
            format!(
                "--slo {text:?}: {why}; expected e.g. 'p99<50ms', 'p99.9<=200ms', 'max<2s' or 'errors<1%'"
            )
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let Some((name, limit)) = compact.split_once('<') else {
            return Err(bad("no '<'"));
        };
        let limit = limit.strip_prefix('=').unwrap_or(limit);
        let latency = |limit: &str| -> Result<f64, String> {
            let d = parse_duration(limit).map_err(|e| bad(&e))?;
            if d.is_zero() {
                return Err(bad("a latency limit must be above 0"));
            }
            Ok(d.as_micros() as f64)
        };
        let threshold = match name.to_ascii_lowercase().as_str() {
            "errors" | "error" | "error-rate" => {
                let Some(pct) = limit.strip_suffix('%') else {
                    return Err(bad("the error rate is a percentage, e.g. 1%"));
                };
                let pct: f64 = pct.parse().map_err(|_| bad("not a percentage"))?;
                if !(0.0..100.0).contains(&pct) {
                    return Err(bad("the error rate must be from 0% to under 100%"));
                }
                Threshold {
                    kind: Kind::ErrorRate,
                    limit: pct,
                }
            }
            "max" => Threshold {
                kind: Kind::Max,
                limit: latency(limit)?,
            },
            p if p.starts_with('p') => {
                let q: f64 = p[1..]
                    .parse()
                    .map_err(|_| bad("a percentile is p and a number, e.g. p99"))?;
                if !(q > 0.0 && q < 100.0) {
                    return Err(bad("a percentile is above 0 and below 100"));
                }
                Threshold {
                    kind: Kind::Latency(q),
                    limit: latency(limit)?,
                }
            }
            _ => return Err(bad("unknown measure")),
        };
        Ok(Slo {
            text: compact,
            threshold,
        })
    }

    /// Why `tally` (a step's requests, over `step_time`) breaks this
    /// objective, e.g. `p99 212ms > 50ms`; None when it meets it.
    pub(crate) fn breach(&self, tally: &Tally, step_time: Duration) -> Option<String> {
        let figures = Figures {
            tally,
            run_time: step_time,
        };
        let verdict = thresholds::evaluate(&self.threshold, &figures, None);
        (verdict.status != Status::Pass).then(|| {
            let limit = verdict.limit.trim_start_matches("<= ");
            format!("{} {} > {limit}", verdict.name, verdict.measured)
        })
    }
}

impl Slo {
    /// Whether `service` times alone break this objective (a latency one;
    /// an error rate is never broken by them).
    pub(crate) fn broken_by(&self, service: &Histogram<u64>) -> bool {
        let value = match self.threshold.kind {
            _ if service.is_empty() => return false,
            Kind::Latency(q) => service.value_at_percentile(q),
            Kind::Max => service.max(),
            Kind::ErrorRate | Kind::MinRps => return false,
        };
        // As `check` judges: the value's bucket starts above the limit.
        service.lowest_equivalent(value) as f64 > self.threshold.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Sample;

    #[test]
    fn parses_percentiles_max_and_errors() {
        let p99 = Slo::parse("p99 < 50ms").unwrap();
        assert_eq!(p99.text, "p99<50ms");
        assert_eq!(p99.threshold.kind, Kind::Latency(99.0));
        assert_eq!(p99.threshold.limit, 50_000.0);
        let p999 = Slo::parse("p99.9<=200ms").unwrap();
        assert_eq!(p999.threshold.kind, Kind::Latency(99.9));
        assert_eq!(Slo::parse("max<2s").unwrap().threshold.kind, Kind::Max);
        let errors = Slo::parse("errors<1%").unwrap();
        assert_eq!(
            errors.threshold,
            Threshold {
                kind: Kind::ErrorRate,
                limit: 1.0
            }
        );
    }

    #[test]
    fn rejects_malformed_objectives() {
        for bad in [
            "",
            "p99",
            "p99>50ms",
            "p99<",
            "p99<fast",
            "p100<1s",
            "p0<1s",
            "q99<1s",
            "errors<1",
            "errors<x%",
            "errors<100%",
            "p99<0ms",
            "latency<1s",
        ] {
            let e = Slo::parse(bad).unwrap_err();
            assert!(e.starts_with("--slo"), "{bad}: {e}");
        }
    }

    #[test]
    fn says_by_how_much_an_objective_is_broken() {
        let mut tally = Tally::default();
        for latency_us in [1_000, 2_000, 212_000] {
            tally.add(&Sample {
                elapsed_us: 0,
                latency_us,
                wait_us: 0,
                bytes: 1,
                status: 200,
                task: 0,
                error: None,
                connect_us: 0,
                tls_us: 0,
            });
        }
        let slo = Slo::parse("p99<50ms").unwrap();
        let breach = slo.breach(&tally, Duration::from_secs(1)).unwrap();
        assert_eq!(breach, "p99 212ms > 50ms");
        let lenient = Slo::parse("p99<1s").unwrap();
        assert_eq!(lenient.breach(&tally, Duration::from_secs(1)), None);
        let service = tally.latency();
        assert!(slo.broken_by(&service));
        assert!(!lenient.broken_by(&service));
        assert!(!Slo::parse("errors<1%").unwrap().broken_by(&service));
    }
}
