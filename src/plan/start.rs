//! `--start-at`: one wall-clock moment at which every process of a
//! segmented run starts, so that `elapsed_us` in all their files counts from
//! the same instant. Parsed by hand (RFC 3339, or Unix seconds): a date
//! library for one format would be a dependency without a reason.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How late a process may come to the start moment when `--start-grace`
/// is not given.
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(1);

/// The furthest ahead a start moment may be: a typo in the year should
/// not put a pod to sleep for decades.
const MAX_AHEAD: Duration = Duration::from_secs(365 * 24 * 3600);

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StartAt {
    pub at: SystemTime,
    /// Starting up to this long after `at` is still fine.
    pub grace: Duration,
    /// The moment as given, for messages.
    pub text: String,
}

impl StartAt {
    /// `text` as a start moment, checked against the clock `now`: a moment
    /// already past by more than `grace` is an error, for no run could
    /// start there.
    pub(crate) fn parse(text: &str, grace: Duration, now: SystemTime) -> Result<StartAt, String> {
        let at = parse_moment(text.trim()).map_err(|why| {
            format!(
                "--start-at {text:?}: {why} (examples: 2026-12-01T16:00:00Z, 2026-12-01T17:00:00.5+01:00, 1796140800.25)"
            )
        })?;
        match now.duration_since(at) {
            Ok(late) if late > grace => Err(format!(
                "--start-at {text}: that moment passed {:.3}s ago, more than --start-grace {grace:?}",
                late.as_secs_f64()
            )),
            Ok(_) => Ok(StartAt {
                at,
                grace,
                text: text.trim().to_string(),
            }),
            Err(ahead) if ahead.duration() > MAX_AHEAD => Err(format!(
                "--start-at {text}: more than a year ahead; is the date right?"
            )),
            Err(_) => Ok(StartAt {
                at,
                grace,
                text: text.trim().to_string(),
            }),
        }
    }
}

/// RFC 3339 (`2026-12-01T16:00:00Z`, `...16:00:00.25+01:00`) or Unix
/// seconds with an optional fraction (`1796140800.25`).
fn parse_moment(text: &str) -> Result<SystemTime, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let (whole, frac) = match text.split_once('.') {
            Some((whole, frac)) => (whole, fraction(frac)?),
            None => (text, Duration::ZERO),
        };
        let secs: u64 = whole.parse().map_err(|_| "not Unix seconds".to_string())?;
        let since = Duration::from_secs(secs) + frac;
        return UNIX_EPOCH
            .checked_add(since)
            .ok_or_else(|| "out of range".into());
    }
    rfc3339(text)
}

/// `.fff...` after the seconds: at most nanoseconds, digits only.
fn fraction(digits: &str) -> Result<Duration, String> {
    if !(1..=9).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the fraction of a second takes 1 to 9 digits".into());
    }
    let nanos = format!("{digits:0<9}").parse::<u32>().unwrap_or(0);
    Ok(Duration::from_nanos(nanos.into()))
}

fn rfc3339(text: &str) -> Result<SystemTime, String> {
    let shape = || "expected RFC 3339, YYYY-MM-DDTHH:MM:SS with Z or an offset, or Unix seconds";
    let number = |from: usize, len: usize| -> Result<i64, String> {
        match text.get(from..from + len) {
            Some(part) if part.bytes().all(|b| b.is_ascii_digit()) => Ok(part.parse().unwrap_or(0)),
            _ => Err(shape().into()),
        }
    };
    let sep = |at: usize, allowed: &[u8]| match text.as_bytes().get(at) {
        Some(b) if allowed.contains(b) => Ok(()),
        _ => Err(shape().to_string()),
    };
    let year = number(0, 4)?;
    sep(4, b"-")?;
    let month = number(5, 2)?;
    sep(7, b"-")?;
    let day = number(8, 2)?;
    sep(10, b"Tt ")?;
    let (hour, minute) = (number(11, 2)?, number(14, 2)?);
    sep(13, b":")?;
    sep(16, b":")?;
    let second = number(17, 2)?;
    let mut rest = &text[19.min(text.len())..];
    let mut frac = Duration::ZERO;
    if let Some(after) = rest.strip_prefix('.') {
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        frac = fraction(&after[..digits])?;
        rest = &after[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ => {
            let b = rest.as_bytes();
            let sign = match b.first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err("expected Z or an offset such as +01:00 after the time".into()),
            };
            let two = |s: &str| s.len() == 2 && s.bytes().all(|c| c.is_ascii_digit());
            match (rest.get(1..3), rest.get(3..4), rest.get(4..)) {
                (Some(h), Some(":"), Some(m)) if two(h) && two(m) => {
                    let (h, m): (i64, i64) = (h.parse().unwrap_or(0), m.parse().unwrap_or(0));
                    if h > 23 || m > 59 {
                        return Err("the offset is out of range".into());
                    }
                    sign * (h * 60 + m)
                }
                _ => return Err("expected Z or an offset such as +01:00 after the time".into()),
            }
        }
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("no such date".into());
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("no such time of day (a leap second is not taken)".into());
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_min * 60;
    let secs = u64::try_from(secs).map_err(|_| "before 1970".to_string())?;
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs) + frac)
        .ok_or_else(|| "out of range".into())
}

/// The days of `month` (1 to 12) in `year` (proleptic Gregorian); 0 for a
/// month out of range. Cookie dates (`journey::cookies`) are checked by it too.
pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to the date (proleptic Gregorian), after Howard
/// Hinnant's `days_from_civil`.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(secs: f64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis((secs * 1000.0).round() as u64)
    }

    #[test]
    fn reads_rfc3339_and_unix_seconds() {
        for (text, want) in [
            ("1970-01-01T00:00:00Z", 0.0),
            ("2000-03-01T00:00:00Z", 951_868_800.0),
            ("2026-12-01T16:00:00Z", 1_796_140_800.0),
            ("2026-12-01t16:00:00.25z", 1_796_140_800.25),
            ("2026-12-01 17:30:00+01:30", 1_796_140_800.0),
            ("2026-12-01T15:00:00.5-01:00", 1_796_140_800.5),
            ("2024-02-29T00:00:00Z", 1_709_164_800.0),
            ("1796140800", 1_796_140_800.0),
            ("1796140800.5", 1_796_140_800.5),
        ] {
            assert_eq!(parse_moment(text), Ok(unix(want)), "{text}");
        }
        assert_eq!(
            parse_moment("0.123456789"),
            Ok(UNIX_EPOCH + Duration::from_nanos(123_456_789))
        );
    }

    #[test]
    fn rejects_what_is_not_a_moment() {
        for (text, why) in [
            ("", "expected RFC 3339"),
            ("tomorrow", "expected RFC 3339"),
            ("2026-12-01", "expected RFC 3339"),
            ("2026-12-01T16:00:00", "expected Z or an offset"),
            ("2026-12-01T16:00Z", "expected RFC 3339"),
            ("2026-12-01T16:00:00+1", "expected Z or an offset"),
            ("2026-12-01T16:00:00+25:00", "offset is out of range"),
            ("2026-02-29T00:00:00Z", "no such date"),
            ("2026-13-01T00:00:00Z", "no such date"),
            ("2026-12-01T24:00:00Z", "no such time"),
            ("2026-12-31T23:59:60Z", "leap second"),
            ("2026-12-01T16:00:00.Z", "1 to 9 digits"),
            ("1.1234567891", "1 to 9 digits"),
            ("1.2.3", "1 to 9 digits"),
            ("1796140800.", "1 to 9 digits"),
            (".5", "not Unix seconds"),
            ("1969-12-31T23:59:59Z", "before 1970"),
            ("99999999999999999999", "not Unix seconds"),
        ] {
            let e = parse_moment(text).unwrap_err();
            assert!(e.contains(why), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_moment_past_its_grace_is_an_error() {
        let now = unix(1_796_140_800.0);
        let grace = Duration::from_millis(500);
        let ok = StartAt::parse("1796140799.6", grace, now).unwrap();
        assert_eq!((ok.at, ok.grace), (unix(1_796_140_799.6), grace));
        assert!(StartAt::parse("1796140801", grace, now).is_ok());
        let late = StartAt::parse("1796140799.4", grace, now).unwrap_err();
        assert!(late.contains("passed 0.600s ago"), "{late}");
        let far = StartAt::parse("2126-12-01T16:00:00Z", grace, now).unwrap_err();
        assert!(far.contains("more than a year ahead"), "{far}");
        let bad = StartAt::parse("soon", grace, now).unwrap_err();
        assert!(
            bad.starts_with("--start-at \"soon\": expected RFC 3339"),
            "{bad}"
        );
    }
}
