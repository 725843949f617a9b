//! A target that moves linearly through stages: users in the closed model,
//! requests per second in the open model. `--spawn-rate`, `--stages` and a
//! plain constant load are all ramps.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Stage {
    pub duration: Duration,
    /// The value reached at the end of the stage.
    pub target: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ramp {
    /// The value at time zero.
    pub start: f64,
    pub stages: Vec<Stage>,
}

impl Ramp {
    /// `value` from the start to the end.
    pub(crate) fn constant(value: f64, duration: Duration) -> Ramp {
        Ramp {
            start: value,
            stages: vec![Stage {
                duration,
                target: value,
            }],
        }
    }

    /// From 0 up to `value` at `per_sec`, then holding, for `duration` in all.
    pub(crate) fn climb(value: f64, per_sec: f64, duration: Duration) -> Ramp {
        let climb_s = value / per_sec;
        if climb_s >= duration.as_secs_f64() {
            let reached = per_sec * duration.as_secs_f64();
            return Ramp {
                start: 0.0,
                stages: vec![Stage {
                    duration,
                    target: reached,
                }],
            };
        }
        let climb = Duration::from_secs_f64(climb_s);
        let hold = Stage {
            duration: duration.saturating_sub(climb),
            target: value,
        };
        Ramp {
            start: 0.0,
            stages: vec![
                Stage {
                    duration: climb,
                    target: value,
                },
                hold,
            ],
        }
    }

    /// `30s:100,1m:1000,30s:0`, starting from 0.
    pub(crate) fn parse_stages(text: &str) -> Result<Ramp, String> {
        let bad = |why: String| {
            Err(format!(
                "--stages {text:?}: {why} (example: 30s:100,1m:1000,30s:0)"
            ))
        };
        let mut stages = Vec::new();
        for part in text.split(',') {
            let Some((d, v)) = part.trim().split_once(':') else {
                return bad(format!("{part:?} is not DURATION:TARGET"));
            };
            let duration = match crate::units::parse_duration(d) {
                Ok(d) => d,
                Err(e) => return bad(e),
            };
            let target = match v.trim().parse::<f64>() {
                Ok(t) if t >= 0.0 && t.is_finite() => t,
                _ => return bad(format!("target {v:?} is not a number of 0 or more")),
            };
            stages.push(Stage { duration, target });
        }
        let ramp = Ramp { start: 0.0, stages };
        if ramp.duration().is_zero() {
            return bad("the stages last no time".into());
        }
        if ramp.max() == 0.0 {
            return bad("every target is 0".into());
        }
        Ok(ramp)
    }

    pub(crate) fn duration(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }

    pub(crate) fn max(&self) -> f64 {
        self.stages
            .iter()
            .map(|s| s.target)
            .fold(self.start, f64::max)
    }

    /// The straight segments: (start time, start value, length, end value), in seconds.
    fn segments(&self) -> impl Iterator<Item = (f64, f64, f64, f64)> + '_ {
        let mut t = 0.0;
        let mut v = self.start;
        self.stages.iter().map(move |s| {
            let seg = (t, v, s.duration.as_secs_f64(), s.target);
            t += seg.2;
            v = s.target;
            seg
        })
    }

    /// The value at `t` seconds; after the last stage, its target.
    pub(crate) fn value_at(&self, t: f64) -> f64 {
        let mut last = self.start;
        for (t0, v0, len, v1) in self.segments() {
            if t < t0 + len {
                return if len > 0.0 {
                    v0 + (v1 - v0) * (t - t0).max(0.0) / len
                } else {
                    v1
                };
            }
            last = v1;
        }
        last
    }

    /// How many whole units are wanted at `t`: the count of integers below
    /// the value (user k runs while the value is above k).
    pub(crate) fn count_at(&self, t: f64) -> usize {
        (self.value_at(t) - 1e-9).ceil().max(0.0) as usize
    }

    /// The first moment after `t` at which `count_at` changes, if any.
    pub(crate) fn next_count_change(&self, t: f64) -> Option<f64> {
        let count = self.count_at(t) as f64;
        for (t0, v0, len, v1) in self.segments() {
            let end = t0 + len;
            if len == 0.0 && v0 != v1 && t0 + 1e-6 > t && (v1 - 1e-9).ceil() != count {
                // A stage of no length is a jump: the count changes at once.
                return Some(t0 + 1e-6);
            }
            if end <= t || len == 0.0 || v0 == v1 {
                continue;
            }
            // Rising, the count grows when the value passes `count`; falling,
            // it shrinks when the value reaches `count - 1`.
            let edge = if v1 > v0 { count } else { count - 1.0 };
            let edge_at = t0 + (edge - v0) / (v1 - v0) * len;
            // A rise that only touches `count` at the very end adds nobody.
            let within = if v1 > v0 {
                edge_at < end
            } else {
                edge_at <= end
            };
            // Nudge past the edge so the count has changed when we look.
            let at = edge_at + 1e-6;
            if at > t && within {
                return Some(at);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn parses_stages() {
        let r = Ramp::parse_stages("30s:100, 1m:1000,30s:0").unwrap();
        assert_eq!(r.stages.len(), 3);
        assert_eq!(r.duration(), secs(120.0));
        assert_eq!(r.max(), 1000.0);
        for (bad, why) in [
            ("", "not DURATION:TARGET"),
            ("30s", "not DURATION:TARGET"),
            ("30x:1", "unknown unit"),
            ("30s:-1", "not a number"),
            ("30s:abc", "not a number"),
            ("0s:10", "no time"),
            ("10s:0", "every target is 0"),
        ] {
            let e = Ramp::parse_stages(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn values_move_linearly() {
        let r = Ramp::parse_stages("10s:100,10s:100,10s:0").unwrap();
        assert_eq!(r.value_at(0.0), 0.0);
        assert_eq!(r.value_at(5.0), 50.0);
        assert_eq!(r.value_at(15.0), 100.0);
        assert_eq!(r.value_at(25.0), 50.0);
        assert_eq!(r.value_at(99.0), 0.0);
    }

    #[test]
    fn climb_reaches_the_target_or_stops_at_the_end() {
        let r = Ramp::climb(10.0, 5.0, secs(10.0));
        assert_eq!(r.value_at(1.0), 5.0);
        assert_eq!(r.value_at(3.0), 10.0);
        assert_eq!(r.duration(), secs(10.0));
        let short = Ramp::climb(100.0, 5.0, secs(2.0));
        assert_eq!(short.value_at(2.0), 10.0);
        assert_eq!(short.duration(), secs(2.0));
    }

    #[test]
    fn counts_step_at_each_integer() {
        let r = Ramp::climb(10.0, 10.0, secs(5.0));
        assert_eq!(r.count_at(0.0), 0);
        assert_eq!(r.count_at(0.05), 1);
        assert_eq!(r.count_at(0.1), 1);
        assert_eq!(r.count_at(0.15), 2);
        assert_eq!(r.count_at(3.0), 10);
        assert_eq!(Ramp::constant(7.0, secs(1.0)).count_at(0.0), 7);
    }

    #[test]
    fn next_change_walks_up_and_down() {
        let r = Ramp::parse_stages("1s:2,1s:0").unwrap();
        let mut t = 0.0;
        let mut seen = vec![];
        while let Some(next) = r.next_count_change(t) {
            assert!(next > t);
            t = next;
            seen.push((((t * 1000.0).round()) as u64, r.count_at(t)));
        }
        assert_eq!(seen, vec![(0, 1), (500, 2), (1500, 1), (2000, 0)]);
        assert_eq!(Ramp::constant(5.0, secs(1.0)).next_count_change(0.0), None);
    }

    #[test]
    fn a_stage_of_no_length_is_a_jump() {
        let r = Ramp::parse_stages("10s:5,0s:10,10s:10").unwrap();
        let at = r.next_count_change(9.5).unwrap();
        assert!((at - 10.0).abs() < 1e-3, "{at}");
        assert_eq!(r.count_at(at), 10);
        assert_eq!(r.next_count_change(at), None);
    }

    #[test]
    fn a_tiny_spawn_rate_does_not_overflow() {
        let r = Ramp::climb(5.0, 1e-18, secs(10.0));
        assert_eq!(r.duration(), secs(10.0));
        assert_eq!(r.count_at(10.0), 0);
    }
}
