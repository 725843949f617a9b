//! The load settings that both flags and a scenario's directives give
//! (`-c` and `# @users`, `-d` and `# @duration`, ...), each parsed once into
//! a typed value. The command line's win and the file fills the gaps; then
//! they are checked together into a load model.

use crate::plan::ramp::Ramp;
use crate::plan::{Arrival, Load, Think};
use crate::units::{MAX_DURATION, parse_duration};
use std::time::Duration;

/// The highest --rate: a few times what one box can send over loopback.
pub(super) const MAX_RATE: f64 = 10_000_000.0;

/// Users, or open-model connections, when -c is not given.
const DEFAULT_USERS: usize = 50;

/// The settings of a run's load, as given (None: not given).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Settings {
    pub users: Option<usize>,
    pub spawn_rate: Option<f64>,
    pub rate: Option<f64>,
    pub duration: Option<Duration>,
    pub stages: Option<Ramp>,
    pub open: bool,
    pub arrival: Option<Arrival>,
    pub think: Option<Think>,
    pub timeout: Option<Duration>,
    /// `--sequence` or `@sequence`: it picks the closed model.
    pub sequence: bool,
    /// `-n` (no directive): without a duration, the run lasts until it is done.
    pub requests: Option<u64>,
}

impl Settings {
    /// These settings (the command line's) with a scenario's filling the
    /// gaps. The command line picks the model first: the other model's
    /// directives are left out, and so is a directive that conflicts with a
    /// flag (e.g. `@stages` with `-d`).
    pub(crate) fn or_file(self, file: Settings) -> Settings {
        let given = self;
        let open_given = given.rate.is_some() || given.open || given.arrival.is_some();
        let closed_given = given.spawn_rate.is_some() || given.think.is_some() || given.sequence;
        let no_stages = given.stages.is_none();
        let mut merged = Settings {
            users: given
                .users
                .or(file.users.filter(|_| no_stages || open_given)),
            spawn_rate: given
                .spawn_rate
                .or(file.spawn_rate.filter(|_| no_stages && !open_given)),
            rate: given.rate.or(file
                .rate
                .filter(|_| no_stages && !given.open && !closed_given)),
            duration: given.duration.or(file.duration.filter(|_| no_stages)),
            stages: given.stages.clone().or(file.stages.filter(|_| {
                given.duration.is_none() && given.rate.is_none() && given.spawn_rate.is_none()
            })),
            open: given.open
                || (file.open
                    && !open_given
                    && !closed_given
                    && no_stages
                    && given.duration.is_none()),
            arrival: given.arrival.or(file.arrival.filter(|_| !closed_given)),
            think: given.think.or(file.think.filter(|_| !open_given)),
            timeout: given.timeout.or(file.timeout),
            // The file's, unless the command line picked the open model.
            sequence: given.sequence || (file.sequence && !open_given),
            requests: given.requests,
        };
        // Decided only once every directive is in: what the closed model left.
        let open = merged.rate.is_some() || merged.open;
        if !open && given.arrival.is_none() {
            merged.arrival = None;
        }
        if !open && no_stages && given.users.is_some() {
            // -c on the command line beats the file's user stages.
            merged.stages = None;
        }
        merged
    }

    /// The load model, the most users (or connections), and the run time.
    pub(crate) fn load(&self) -> Result<(Load, usize, Duration), String> {
        let duration = match self.duration {
            Some(_) if self.stages.is_some() => {
                return Err(
                    "--stages sets the run time (the sum of the stages); drop --duration".into(),
                );
            }
            Some(duration) => duration,
            // A request count alone runs until the count is done.
            None if self.requests.is_some() && self.stages.is_none() => MAX_DURATION,
            None => Duration::from_secs(10),
        };
        if duration.is_zero() {
            return Err("--duration must be longer than 0".into());
        }
        if self.requests == Some(0) {
            return Err("--requests must be at least 1".into());
        }
        if self.users == Some(0) {
            return Err("--users must be at least 1".into());
        }
        let positive = |flag: &str, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(v)
            } else {
                Err(format!("{flag} must be a number above 0, not {v}"))
            }
        };
        let stages = self.stages.clone();
        let open = self.open || self.rate.is_some();
        if !open {
            if self.arrival.is_some() {
                return Err("--arrival is for the open model (--rate or --open)".into());
            }
            let (ramp, users) = match (stages, self.spawn_rate) {
                (Some(_), Some(_)) => {
                    return Err("--stages already ramps the users; drop --spawn-rate".into());
                }
                (Some(_), None) if self.users.is_some() => {
                    return Err("--stages sets the users (its highest target); drop --users".into());
                }
                (Some(ramp), None) => {
                    let users = ramp.max().ceil() as usize;
                    (ramp, users)
                }
                (None, rate) => {
                    let users = self.users.unwrap_or(DEFAULT_USERS);
                    match rate {
                        Some(r) => (
                            Ramp::climb(users as f64, positive("--spawn-rate", r)?, duration),
                            users,
                        ),
                        None => (Ramp::constant(users as f64, duration), users),
                    }
                }
            };
            let duration = ramp.duration();
            let think = self.think;
            return Ok((Load::Closed { users: ramp, think }, users, duration));
        }
        if self.think.is_some() {
            return Err(
                "--think is for the closed model; with --rate, requests come on a schedule".into(),
            );
        }
        if self.spawn_rate.is_some() {
            return Err(
                "--spawn-rate is for the closed model; with --rate, connections open on demand"
                    .into(),
            );
        }
        let arrival = self.arrival.unwrap_or(Arrival::Uniform);
        let rate = match (self.rate, stages) {
            (Some(_), Some(_)) => {
                return Err("give the rates in --stages (with --open), or --rate, not both".into());
            }
            (Some(r), None) if r > MAX_RATE => {
                return Err(format!(
                    "--rate {r} is more than one box can send (at most {MAX_RATE})"
                ));
            }
            (Some(r), None) => Ramp::constant(positive("--rate", r)?, duration),
            (None, Some(ramp)) => ramp,
            (None, None) => {
                return Err(
                    "--open needs --stages (rates over time); for a constant rate use --rate"
                        .into(),
                );
            }
        };
        let duration = rate.duration();
        Ok((
            Load::Open { rate, arrival },
            self.users.unwrap_or(DEFAULT_USERS),
            duration,
        ))
    }
}

/// `100ms` or `100ms-1s`.
pub(super) fn parse_think(text: &str) -> Result<Think, String> {
    let parse = |s: &str| parse_duration(s).map_err(|e| format!("--think: {e}"));
    let (min, max) = match text.split_once('-') {
        Some((lo, hi)) => (parse(lo)?, parse(hi)?),
        None => (parse(text)?, parse(text)?),
    };
    if min > max {
        return Err(format!("--think {text:?}: the range runs backwards"));
    }
    Ok(Think { min, max })
}

/// `uniform` or `poisson`.
pub(super) fn parse_arrival(text: &str) -> Result<Arrival, &'static str> {
    match text {
        "uniform" => Ok(Arrival::Uniform),
        "poisson" => Ok(Arrival::Poisson),
        _ => Err("expected uniform or poisson"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn file() -> Settings {
        Settings {
            users: Some(3),
            spawn_rate: Some(2.0),
            rate: Some(50.0),
            duration: Some(ms(2000)),
            stages: Some(Ramp::parse_stages("1s:4").unwrap()),
            open: true,
            arrival: Some(Arrival::Poisson),
            think: Some(Think {
                min: ms(10),
                max: ms(20),
            }),
            timeout: Some(ms(3000)),
            ..Settings::default()
        }
    }

    #[test]
    fn flags_win_and_the_file_fills_the_gaps() {
        let given = Settings {
            users: Some(2),
            timeout: Some(ms(500)),
            ..Settings::default()
        };
        let file = Settings {
            users: Some(3),
            duration: Some(ms(700)),
            timeout: Some(ms(3000)),
            ..Settings::default()
        };
        let merged = given.or_file(file);
        assert_eq!(
            (merged.users, merged.duration, merged.timeout),
            (Some(2), Some(ms(700)), Some(ms(500)))
        );
    }

    #[test]
    fn a_flag_of_one_model_leaves_out_the_other_models_directives() {
        // -r (spawn rate) is closed-model: the file's rate, arrival and open go.
        let closed = Settings {
            spawn_rate: Some(5.0),
            ..Settings::default()
        }
        .or_file(file());
        assert_eq!(
            (closed.rate, closed.arrival, closed.open),
            (None, None, false)
        );
        assert_eq!(closed.think, file().think);
        // --rate is open-model: the file's think and spawn rate go.
        let open = Settings {
            rate: Some(10.0),
            ..Settings::default()
        }
        .or_file(file());
        assert_eq!((open.think, open.spawn_rate), (None, None));
        assert_eq!(open.arrival, Some(Arrival::Poisson));
        // --sequence is closed-model too.
        let sequence = Settings {
            sequence: true,
            ..Settings::default()
        }
        .or_file(file());
        assert_eq!((sequence.rate, sequence.open), (None, false));
        // The file's @sequence holds in the closed model, and gives way
        // to an open model picked on the command line.
        let file_sequence = || Settings {
            sequence: true,
            ..file()
        };
        assert!(Settings::default().or_file(file_sequence()).sequence);
        let open = Settings {
            rate: Some(10.0),
            ..Settings::default()
        };
        assert!(!open.or_file(file_sequence()).sequence);
    }

    #[test]
    fn a_duration_flag_leaves_out_the_files_stages_and_open() {
        let file = Settings {
            users: Some(3),
            stages: Some(Ramp::parse_stages("1s:20").unwrap()),
            open: true,
            ..Settings::default()
        };
        let merged = Settings {
            duration: Some(ms(300)),
            ..Settings::default()
        }
        .or_file(file);
        assert_eq!((&merged.stages, merged.open), (&None, false));
        let (load, users, duration) = merged.load().unwrap();
        assert!(matches!(load, Load::Closed { .. }), "{load:?}");
        assert_eq!((users, duration), (3, ms(300)));
    }

    #[test]
    fn users_on_the_command_line_beat_the_files_user_stages() {
        let file = Settings {
            stages: Some(Ramp::parse_stages("1s:4").unwrap()),
            ..Settings::default()
        };
        let merged = Settings {
            users: Some(2),
            ..Settings::default()
        }
        .or_file(file.clone());
        assert_eq!((merged.users, &merged.stages), (Some(2), &None));
        // With --open the file's stages are rates, and -c caps connections.
        let open = Settings {
            users: Some(2),
            open: true,
            ..Settings::default()
        }
        .or_file(file);
        assert!(open.stages.is_some());
    }

    #[test]
    fn arrivals_and_think_times_parse() {
        assert_eq!(parse_arrival("poisson"), Ok(Arrival::Poisson));
        assert_eq!(parse_arrival("uniform"), Ok(Arrival::Uniform));
        assert!(parse_arrival("Poisson").is_err());
        assert_eq!(
            parse_think("10ms-20ms"),
            Ok(Think {
                min: ms(10),
                max: ms(20)
            })
        );
        assert_eq!(
            parse_think("20ms-10ms").unwrap_err(),
            "--think \"20ms-10ms\": the range runs backwards"
        );
    }
}
