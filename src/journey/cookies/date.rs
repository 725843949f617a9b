//! The dates of `Expires` (RFC 6265 5.1.1): a lenient reading of whatever
//! servers write there, `Wed, 09 Jun 2021 10:18:14 GMT` (RFC 1123),
//! `Wednesday, 09-Jun-21 10:18:14 GMT` (RFC 850) and `Wed Jun  9 10:18:14
//! 2021` (asctime) alike: the first time, day, month and year found among
//! the date's tokens, in any order. Always in UTC; a zone name is ignored.

use crate::plan::start::{days_from_civil, days_in_month};

/// Seconds since the Unix epoch (negative before 1970) of a cookie date,
/// or None when it is not one (the `Expires` attribute is then ignored).
pub(super) fn parse(text: &[u8]) -> Option<i64> {
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in text.split(|&b| is_delimiter(b)).filter(|t| !t.is_empty()) {
        if time.is_none()
            && let Some(hms) = time_of_day(token)
        {
            time = Some(hms);
        } else if day.is_none()
            && let Some(d) = leading_number(token, 1, 2)
        {
            day = Some(d);
        } else if month.is_none()
            && let Some(m) = month_of(token)
        {
            month = Some(m);
        } else if year.is_none()
            && let Some(y) = leading_number(token, 2, 4)
        {
            year = Some(y);
        }
    }
    let ((hour, minute, second), day, month, year) = (time?, day?, month?, year?);
    let year = match year {
        70..=99 => year + 1900,
        0..=69 => year + 2000,
        _ => year,
    };
    if year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// The bytes between date tokens: controls but tab are part of tokens, as
/// the RFC has them.
fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2F | 0x3B..=0x40 | 0x5B..=0x60 | 0x7B..=0x7E)
}

/// `1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT`, then anything not starting with a
/// digit.
fn time_of_day(token: &[u8]) -> Option<(i64, i64, i64)> {
    let mut fields = token.splitn(3, |&b| b == b':');
    let (h, m, rest) = (fields.next()?, fields.next()?, fields.next()?);
    let all_digits = |f: &[u8]| (1..=2).contains(&f.len()) && f.iter().all(u8::is_ascii_digit);
    if !all_digits(h) || !all_digits(m) {
        return None;
    }
    Some((number(h), number(m), leading_number(rest, 1, 2)?))
}

/// The `min` to `max` digits that start `token`, when no other digit
/// follows them.
fn leading_number(token: &[u8], min: usize, max: usize) -> Option<i64> {
    let digits = token.iter().take_while(|b| b.is_ascii_digit()).count();
    (min..=max)
        .contains(&digits)
        .then(|| number(&token[..digits]))
}

/// A few ASCII digits as a number.
fn number(digits: &[u8]) -> i64 {
    digits.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0'))
}

/// A month named by the token's first three letters, in any case.
fn month_of(token: &[u8]) -> Option<i64> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let name = token.get(..3)?;
    let index = MONTHS.iter().position(|m| name.eq_ignore_ascii_case(*m))?;
    Some(index as i64 + 1)
}

#[cfg(test)]
mod tests {
    use super::parse;

    /// 2021-06-09T10:18:14Z.
    const JUNE_9: i64 = 1_623_233_894;

    #[test]
    fn reads_the_three_formats_servers_write() {
        for text in [
            "Wed, 09 Jun 2021 10:18:14 GMT",
            "Wednesday, 09-Jun-21 10:18:14 GMT",
            "Wed Jun  9 10:18:14 2021",
            "wed, 9 JUNE 2021 10:18:14 gmt",
            "09 Jun 2021 10:18:14",
            "2021 Jun 09 10:18:14",
            "Wed, 09-Jun-2021 10:18:14 UTC",
            "10:18:14 09 Jun 2021",
            "Wed, 09 Jun 2021 10:18:14.000Z",
        ] {
            assert_eq!(parse(text.as_bytes()), Some(JUNE_9), "{text}");
        }
        assert_eq!(parse(b"Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse(b"Thu, 01 Jan 1970 00:00:01 GMT"), Some(1));
        assert_eq!(parse(b"Wed, 31 Dec 1969 23:59:59 GMT"), Some(-1));
        assert_eq!(parse(b"Tue, 29 Feb 2028 00:00:00 GMT"), Some(1_835_395_200));
        assert_eq!(
            parse(b"Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799)
        );
        assert_eq!(
            parse(b"Mon, 01 Jan 1601 00:00:00 GMT"),
            Some(-11_644_473_600)
        );
    }

    #[test]
    fn two_digit_years_are_1970_to_2069() {
        let year_of = |yy: &str| parse(format!("01 Jan {yy} 00:00:00").as_bytes());
        assert_eq!(year_of("70"), Some(0));
        assert_eq!(year_of("69"), parse(b"01 Jan 2069 00:00:00"));
        assert_eq!(year_of("00"), parse(b"01 Jan 2000 00:00:00"));
        assert_eq!(year_of("99"), parse(b"01 Jan 1999 00:00:00"));
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for text in [
            "",
            "   ",
            "0",
            "tomorrow",
            "Wed, 09 Jun 2021",
            "Wed, 09 Jun 10:18:14 GMT",
            "Wed, Jun 2021 10:18:14 GMT",
            "Wed, 09 2021 10:18:14 GMT",
            "Wed, 32 Jun 2021 10:18:14 GMT",
            "Wed, 00 Jun 2021 10:18:14 GMT",
            "Wed, 31 Jun 2021 10:18:14 GMT",
            "Thu, 29 Feb 2029 00:00:00 GMT",
            "Wed, 09 Jun 1600 10:18:14 GMT",
            "Wed, 09 Jun 2021 24:00:00 GMT",
            "Wed, 09 Jun 2021 10:60:00 GMT",
            "Wed, 09 Jun 2021 10:18:60 GMT",
            "Wed, 09 Jun 2021 100:18:14 GMT",
            "Wed, 009 Jun 2021 10:18:14 GMT",
            "Wed, 09 Jun 20211 10:18:14 GMT",
            "Wed, 09 Ju 2021 10:18:14 GMT",
            "2021-06-09T10:18:14Z",
            "1623233894",
        ] {
            assert_eq!(parse(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn any_bytes_are_safe() {
        assert_eq!(parse(&[0xFF, 0x00, b':', b':', 0x80]), None);
        assert_eq!(parse(b"99:99:99 99 xxx 99999"), None);
        // Controls and bytes past ASCII belong to tokens, as the RFC has it.
        assert_eq!(parse(b"09\x01 Jun 2021 10:18:14"), Some(JUNE_9));
        assert_eq!(parse("09 Jun\u{e9} 2021 10:18:14".as_bytes()), Some(JUNE_9));
        let long = vec![b'9'; 1 << 20];
        assert_eq!(parse(&long), None);
    }
}
