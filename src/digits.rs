//! Decimal digits to and from bytes: the CSV writer and the built-in
//! server format numbers once per request, without `format!`; the HTTP
//! parsers and the results.csv reader read them without `str::parse`.

/// "00", "01", ... "99": two digits per division halves the divisions, and
/// the CSV writer formats five numbers per request.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Append the decimal digits of `n`.
pub(crate) fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + n as u8;
    }
    out.extend_from_slice(&digits[i..]);
}

/// Why [`parse_decimal`] refused its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadDecimal {
    /// No bytes at all.
    Empty,
    /// A byte other than `0`-`9`.
    NotADigit,
    /// More than `u64::MAX`.
    TooLarge,
}

/// ASCII digits `0`-`9` as a u64, leading zeros allowed, and nothing else:
/// no sign, no whitespace (a caller trims what its format allows), no
/// separators. Stops at the first bad byte or at the overflow.
pub(crate) fn parse_decimal(bytes: &[u8]) -> Result<u64, BadDecimal> {
    if bytes.is_empty() {
        return Err(BadDecimal::Empty);
    }
    bytes.iter().try_fold(0u64, |n, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(BadDecimal::NotADigit);
        }
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(digit)))
            .ok_or(BadDecimal::TooLarge)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_digits_only() {
        use BadDecimal::*;
        let cases: [(&[u8], Result<u64, BadDecimal>); 16] = [
            (b"0", Ok(0)),
            (b"7", Ok(7)),
            (b"0000000000000000000000000042", Ok(42)),
            (b"18446744073709551615", Ok(u64::MAX)),
            (b"18446744073709551616", Err(TooLarge)),
            (b"99999999999999999999999", Err(TooLarge)),
            // The overflow comes first, at the 20th digit.
            (b"99999999999999999999x", Err(TooLarge)),
            (b"", Err(Empty)),
            (b" 5", Err(NotADigit)),
            (b"5 ", Err(NotADigit)),
            (b"+5", Err(NotADigit)),
            (b"-5", Err(NotADigit)),
            (b"1_000", Err(NotADigit)),
            (b"1.0", Err(NotADigit)),
            (b"/", Err(NotADigit)),
            ("٣".as_bytes(), Err(NotADigit)),
        ];
        for (text, want) in cases {
            let got = parse_decimal(text);
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(text));
        }
        // Every u64 written by push_decimal reads back.
        for n in [0, 9, 10, 4_294_967_296, u64::MAX / 10, u64::MAX - 1] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(parse_decimal(&out), Ok(n));
        }
        // Around '0' and '9' in the byte order.
        for b in 0..=u8::MAX {
            let want = if b.is_ascii_digit() {
                Ok(u64::from(b - b'0'))
            } else {
                Err(NotADigit)
            };
            assert_eq!(parse_decimal(&[b]), want, "byte {b}");
        }
    }

    #[test]
    fn writes_every_magnitude() {
        let mut cases = vec![0, 7, 10, 99, 100, 101, 12345, u64::MAX, u64::MAX - 1];
        for p in 1..20 {
            let ten = 10u64.pow(p);
            cases.extend([ten - 1, ten, ten + 1, ten / 2 + 42]);
        }
        for n in cases.into_iter().chain(0..10_000) {
            let mut out = b"x".to_vec();
            push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
        }
    }
}
