//! Human units on the command line: durations (`500ms`, `30s`, `1m30s`).

use std::time::Duration;

/// Parse a duration made of number+unit parts: `us`, `ms`, `s`, `m`, `h`.
/// Fractions are allowed (`1.5s`). A bare number is an error, because
/// `--think 100` could mean seconds or milliseconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
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
pub(crate) fn parse_seconds_or_duration(text: &str) -> Result<Duration, String> {
    let bare = text.trim();
    if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return parse_duration(&format!("{bare}s"));
    }
    parse_duration(text)
}

/// A duration in the largest unit that holds it whole (`10s`, `1m`,
/// `500ms`, `90s`), as `parse_duration` reads it.
pub(crate) fn format_duration(d: Duration) -> String {
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
/// Returns the digits before and after the point, and the power of ten.
fn split_scaled(text: &str) -> Result<(&str, &str, u32), String> {
    let t = text.trim();
    let (number, exp) = match t.strip_suffix(['k', 'K']) {
        Some(n) => (n, 3),
        None => t.strip_suffix('M').map_or((t, 0), |n| (n, 6)),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || int.len() > 20 || frac.len() > 20 {
        return Err(format!(
            "expected a number, with k or M for thousands or millions (e.g. 500, 1k, 2.5M), not {text:?}"
        ));
    }
    Ok((int, frac, exp))
}

/// A rate, as `split_scaled` reads it: `--rate 2.5k`.
pub(crate) fn parse_scaled(text: &str) -> Result<f64, String> {
    let (int, frac, exp) = split_scaled(text)?;
    let v: f64 = format!("{int}.{frac}0").parse().unwrap_or(f64::INFINITY);
    Ok(v * 10f64.powi(exp as i32))
}

/// A whole count, as `split_scaled` reads it, in exact decimal: `-c 1k`,
/// `-n 2.01k` (2010).
pub(crate) fn parse_count(text: &str) -> Result<u64, String> {
    let (int, frac, exp) = split_scaled(text)?;
    let not_whole = || format!("expected a whole number, not {text:?}");
    let (shifted, rest) = frac.split_at(frac.len().min(exp as usize));
    if rest.bytes().any(|b| b != b'0') {
        return Err(not_whole());
    }
    // int, then the fraction's first `exp` digits, padded with zeros.
    let digits = format!("{int}{shifted:0<width$}", width = exp as usize);
    digits
        .parse::<u64>()
        .map_err(|_| format!("{text:?} is too large"))
}

/// `parse_count` for a count of things held in memory (users).
pub(crate) fn parse_count_usize(text: &str) -> Result<usize, String> {
    usize::try_from(parse_count(text)?).map_err(|_| format!("{text:?} is too large"))
}

/// The longest duration any flag takes: far beyond a real load test, and
/// far below where adding it to a clock could overflow.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

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
        assert_eq!(parse_count("2.01k"), Ok(2010), "exact, not 2009.999");
        assert_eq!(parse_count("1.001k"), Ok(1001));
        assert_eq!(parse_count("3.000"), Ok(3));
        assert_eq!(parse_count("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_count("18446744073709551616").is_err());
        assert_eq!(parse_scaled("2.5k"), Ok(2500.0));
        assert_eq!(parse_scaled("0.5"), Ok(0.5));
        for bad in [
            "", "k", "1.5", "1m", "1e3", "-1", "1.0001k", "abc", "1 k", ".5",
        ] {
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
