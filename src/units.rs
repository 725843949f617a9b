//! Human units on the command line: durations (`500ms`, `30s`, `1m30s`).

use std::time::Duration;

/// Parse a duration made of number+unit parts: `us`, `ms`, `s`, `m`, `h`.
/// Fractions are allowed (`1.5s`). A bare number is an error, because
/// `--think 100` could mean seconds or milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| {
        Err(format!(
            "bad duration {text:?}: {why} (examples: 500ms, 30s, 2m, 1h, 1m30s)"
        ))
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return bad("it is empty");
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return bad("expected a number");
        }
        let Ok(value) = rest[..digits].parse::<f64>() else {
            return bad("expected a number");
        };
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return bad("missing unit"),
            unit => return bad(&format!("unknown unit {unit:?}")),
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    match Duration::try_from_secs_f64(total) {
        Ok(d) if d <= MAX_DURATION => Ok(d),
        _ => bad("out of range (at most 365 days)"),
    }
}

/// A duration where a bare number means seconds, as `-d 30` does in wrk
/// and Locust: for the run time and the timeout, where seconds are the
/// natural unit. Elsewhere (thresholds, think times) a unit stays required.
pub fn parse_seconds_or_duration(text: &str) -> Result<Duration, String> {
    let bare = text.trim();
    if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return parse_duration(&format!("{bare}s"));
    }
    parse_duration(text)
}

/// A duration in the largest unit that holds it whole (`10s`, `1m`,
/// `500ms`, `90s`), as `parse_duration` reads it.
pub fn format_duration(d: Duration) -> String {
    let us = d.as_micros();
    let units = [
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1000),
    ];
    match units
        .iter()
        .find(|(_, size)| us >= *size && us.is_multiple_of(*size))
    {
        Some((unit, size)) => format!("{}{unit}", us / size),
        None => format!("{us}us"),
    }
}

/// A number with an optional `k` (thousand) or `M` (million) suffix, as
/// `-c 1k` or `--rate 2.5k`: decimal, never 1024, so it means one thing.
pub fn parse_scaled(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, scale) = match t.strip_suffix(['k', 'K']) {
        Some(n) => (n, 1e3),
        None => match t.strip_suffix('M') {
            Some(n) => (n, 1e6),
            None => (t, 1.0),
        },
    };
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && number.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
            Ok(v * scale)
        }
        _ => Err(format!(
            "expected a number, with k or M for thousands or millions (e.g. 500, 1k, 2.5M), not {text:?}"
        )),
    }
}

/// A whole count, as `parse_scaled` reads it: `-c 1k`, `-n 2M`.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let v = parse_scaled(text)?;
    if v.fract() != 0.0 || v >= u64::MAX as f64 {
        return Err(format!("expected a whole number, not {text:?}"));
    }
    Ok(v as u64)
}

/// `parse_count` for a count of things held in memory (users).
pub fn parse_count_usize(text: &str) -> Result<usize, String> {
    usize::try_from(parse_count(text)?).map_err(|_| format!("{text:?} is too large"))
}

/// The longest duration any flag takes: far beyond a real load test, and
/// far below where adding it to a clock could overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_compounds() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("500ms"), Ok(ms(500)));
        assert_eq!(parse_duration("30s"), Ok(ms(30_000)));
        assert_eq!(parse_duration("2m"), Ok(ms(120_000)));
        assert_eq!(parse_duration("1h"), Ok(ms(3_600_000)));
        assert_eq!(parse_duration("1m30s"), Ok(ms(90_000)));
        assert_eq!(parse_duration("1.5s"), Ok(ms(1500)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn a_bare_number_is_seconds_where_seconds_are_natural() {
        let ms = Duration::from_millis;
        assert_eq!(parse_seconds_or_duration("30"), Ok(ms(30_000)));
        assert_eq!(parse_seconds_or_duration(" 1.5 "), Ok(ms(1500)));
        assert_eq!(parse_seconds_or_duration("250ms"), Ok(ms(250)));
        assert!(parse_seconds_or_duration("1.2.3").is_err());
        assert!(parse_seconds_or_duration("31536001").is_err());
        assert!(
            parse_duration("30").is_err(),
            "a unit stays required elsewhere"
        );
    }

    #[test]
    fn formats_in_the_largest_whole_unit() {
        for (d, text) in [
            (Duration::from_secs(10), "10s"),
            (Duration::from_secs(600), "10m"),
            (Duration::from_secs(36_000), "10h"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_millis(1500), "1500ms"),
            (Duration::from_micros(7), "7us"),
            (Duration::ZERO, "0us"),
        ] {
            assert_eq!(format_duration(d), text);
            assert_eq!(parse_duration(text), Ok(d));
        }
    }

    #[test]
    fn counts_take_k_and_m_suffixes() {
        assert_eq!(parse_count("50"), Ok(50));
        assert_eq!(parse_count("1k"), Ok(1000));
        assert_eq!(parse_count("1.5K"), Ok(1500));
        assert_eq!(parse_count("2M"), Ok(2_000_000));
        assert_eq!(parse_scaled("2.5k"), Ok(2500.0));
        for bad in ["", "k", "1.5", "1m", "1e3", "-1", "1.0001k", "abc", "1 k"] {
            assert!(parse_count(bad).is_err(), "{bad:?}");
        }
        assert!(parse_scaled("inf").is_err());
    }

    #[test]
    fn rejects_nonsense_with_the_reason() {
        for (bad, why) in [
            ("", "empty"),
            ("8761h", "out of range"),
            ("99999999999999999999h", "out of range"),
            ("10", "missing unit"),
            ("10x", "unknown unit"),
            ("s", "expected a number"),
            ("1..2s", "expected a number"),
            ("-1s", "expected a number"),
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }
}
