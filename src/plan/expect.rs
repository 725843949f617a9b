//! Response checks (`# @expect status 2xx`, `# @expect size < 10k` in a
//! scenario): what a task's replies must be. Status and size are read
//! from what the engine knows of every reply; the checks on the body and
//! headers ([`reply`]) from what was captured of it, and only the tasks
//! that have them capture anything ([`Expect::capture`]). A reply that
//! fails one is recorded with the error `check`.

mod reply;

use std::fmt;

use crate::journey::capture::{CaptureSpec, Captured};
use reply::ReplyCheck;

/// One status a reply may have: a code, or a class (`2xx`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusPattern {
    Code(u16),
    /// The hundreds digit: `2` for `2xx`.
    Class(u16),
}

impl StatusPattern {
    fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Code(code) => status == code,
            StatusPattern::Class(class) => status / 100 == class,
        }
    }
}

impl fmt::Display for StatusPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusPattern::Code(code) => write!(f, "{code}"),
            StatusPattern::Class(class) => write!(f, "{class}xx"),
        }
    }
}

/// How a reply's size compares with the bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compare {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
}

impl Compare {
    /// Longest first: `<=` before `<`.
    const ALL: [(&'static str, Compare); 5] = [
        ("<=", Compare::LessOrEqual),
        (">=", Compare::GreaterOrEqual),
        ("==", Compare::Equal),
        ("<", Compare::Less),
        (">", Compare::Greater),
    ];

    fn holds(self, size: u64, bound: u64) -> bool {
        match self {
            Compare::Less => size < bound,
            Compare::LessOrEqual => size <= bound,
            Compare::Greater => size > bound,
            Compare::GreaterOrEqual => size >= bound,
            Compare::Equal => size == bound,
        }
    }

    fn symbol(self) -> &'static str {
        Compare::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("?", |(s, _)| s)
    }
}

/// One `@expect` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// The status is one of these.
    Status(Vec<StatusPattern>),
    /// The response's size in bytes, head and body (results.csv's
    /// `bytes`), compares so with the bound.
    Size(Compare, u64),
    /// Reads the captured reply: `body contains`, `header`, `json`.
    Reply(ReplyCheck),
}

impl Check {
    /// The text after `@expect`: `status 200`, `status 2xx, 304`,
    /// `size < 10k`, `size >= 100`, `body contains ok`, `header ETag`,
    /// `header Content-Type: json`, `json $.status == "up"`.
    pub(crate) fn parse(text: &str) -> Result<Check, String> {
        let (what, rest) = text
            .split_once(char::is_whitespace)
            .map_or((text, ""), |(w, r)| (w, r.trim()));
        match what {
            "status" => parse_statuses(rest).map(Check::Status),
            "size" => parse_size(rest),
            "body" => ReplyCheck::parse_body(rest).map(Check::Reply),
            "header" => ReplyCheck::parse_header(rest).map(Check::Reply),
            "json" => ReplyCheck::parse_json(rest).map(Check::Reply),
            _ => Err(format!(
                "bad @expect {text:?}: expected `status CODES` (e.g. 200, 2xx, 200, 3xx), \
                 `size OP N` (OP one of < <= > >= ==, e.g. size < 10k), `body contains \
                 TEXT`, `header Name: TEXT` or `json $.path == VALUE`"
            )),
        }
    }

    fn holds(&self, status: u16, size: u64, got: Option<&Captured>) -> bool {
        match self {
            Check::Status(patterns) => patterns.iter().any(|p| p.matches(status)),
            Check::Size(compare, bound) => compare.holds(size, *bound),
            Check::Reply(check) => check.holds(got),
        }
    }

    /// Why a reply with this status and size (and what was captured of it)
    /// fails the check, in words: "status 503, expected 2xx", "size 15 B,
    /// expected < 10 B", "header X-A missing".
    fn failure(&self, status: u16, size: u64, got: Option<&Captured>) -> String {
        match self {
            Check::Status(patterns) => {
                let expected: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
                format!("status {status}, expected {}", expected.join(", "))
            }
            Check::Size(compare, bound) => {
                format!("size {size} B, expected {} {bound} B", compare.symbol())
            }
            Check::Reply(check) => check.failure(got),
        }
    }
}

/// `200`, `2xx`, or a list of them: `200, 201, 3xx`.
fn parse_statuses(text: &str) -> Result<Vec<StatusPattern>, String> {
    let bad = |item: &str| {
        format!(
            "bad status {item:?} in @expect status: expected a code from 100 to 599 or a \
             class from 1xx to 5xx, e.g. `@expect status 200, 3xx`"
        )
    };
    if text.is_empty() {
        return Err("@expect status needs the statuses, e.g. `@expect status 2xx`".into());
    }
    text.split(',')
        .map(|item| {
            let item = item.trim();
            let b = item.as_bytes();
            if b.len() != 3 || !(b'1'..=b'5').contains(&b[0]) {
                return Err(bad(item));
            }
            let hundreds = u16::from(b[0] - b'0');
            if b[1..].eq_ignore_ascii_case(b"xx") {
                return Ok(StatusPattern::Class(hundreds));
            }
            if !b[1..].iter().all(u8::is_ascii_digit) {
                return Err(bad(item));
            }
            Ok(StatusPattern::Code(
                hundreds * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0'),
            ))
        })
        .collect()
}

/// `< N`, `<= N`, `> N`, `>= N`, `== N`; N a count (`10k`: 10 000 bytes).
fn parse_size(text: &str) -> Result<Check, String> {
    let Some((symbol, compare)) = Compare::ALL
        .iter()
        .find(|(symbol, _)| text.starts_with(symbol))
    else {
        return Err(format!(
            "bad @expect size {text:?}: expected an operator (< <= > >= ==) and a number \
             of bytes, e.g. `@expect size < 10k`"
        ));
    };
    let bound = crate::units::parse_count(&text[symbol.len()..])
        .map_err(|e| format!("bad @expect size bound: {e}"))?;
    Ok(Check::Size(*compare, bound))
}

/// A task's checks, every `@expect` line of its request; none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Expect {
    checks: Vec<Check>,
}

impl Expect {
    pub(crate) fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// What a reply must be captured with for these checks; empty when
    /// they read only its status and size.
    pub(crate) fn capture(&self) -> CaptureSpec {
        let mut spec = CaptureSpec::default();
        for check in &self.checks {
            if let Check::Reply(check) = check {
                check.needs(&mut spec);
            }
        }
        spec
    }

    /// A reply with this status and size, and `got` captured of it (see
    /// [`Self::capture`]), passes every check.
    #[inline]
    pub(crate) fn holds(&self, status: u16, size: u64, got: Option<&Captured>) -> bool {
        self.checks.iter().all(|c| c.holds(status, size, got))
    }

    /// Why a reply with this status and size, and `got` captured of it,
    /// fails, from the first check it fails; None when it passes them all.
    pub(crate) fn failure(&self, status: u16, size: u64, got: Option<&Captured>) -> Option<String> {
        self.checks
            .iter()
            .find(|c| !c.holds(status, size, got))
            .map(|c| c.failure(status, size, got))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(lines: &[&str]) -> Expect {
        let mut e = Expect::default();
        for line in lines {
            e.push(Check::parse(line).unwrap());
        }
        e
    }

    #[test]
    fn parses_every_form() {
        use StatusPattern::*;
        assert_eq!(
            Check::parse("status 200").unwrap(),
            Check::Status(vec![Code(200)])
        );
        assert_eq!(
            Check::parse("status 2xx").unwrap(),
            Check::Status(vec![Class(2)])
        );
        assert_eq!(
            Check::parse("status 200, 201,3XX").unwrap(),
            Check::Status(vec![Code(200), Code(201), Class(3)])
        );
        let size = |text| Check::parse(text).unwrap();
        assert_eq!(size("size < 10"), Check::Size(Compare::Less, 10));
        assert_eq!(
            size("size <= 10k"),
            Check::Size(Compare::LessOrEqual, 10_000)
        );
        assert_eq!(size("size > 1.5k"), Check::Size(Compare::Greater, 1500));
        assert_eq!(
            size("size >=2M"),
            Check::Size(Compare::GreaterOrEqual, 2_000_000)
        );
        assert_eq!(size("size == 0"), Check::Size(Compare::Equal, 0));
    }

    #[test]
    fn refuses_bad_input_with_the_reason() {
        for (text, says) in [
            ("", "bad @expect"),
            ("latency < 5", "bad @expect"),
            ("status", "needs the statuses"),
            ("status 20", "bad status \"20\""),
            ("status 600", "bad status \"600\""),
            ("status 2x0", "bad status \"2x0\""),
            ("status 200,", "bad status \"\""),
            ("size 10", "expected an operator"),
            ("size < ", "bad @expect size bound"),
            ("size < -1", "bad @expect size bound"),
            ("size < 1.5", "bad @expect size bound"),
        ] {
            let e = Check::parse(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn every_check_applies_and_the_first_failure_is_named() {
        let e = expect(&["status 2xx, 304", "size < 10"]);
        assert!(e.holds(200, 9, None));
        assert!(e.holds(304, 0, None));
        assert!(!e.holds(200, 10, None));
        assert!(!e.holds(503, 5, None));
        assert_eq!(e.failure(200, 9, None), None);
        assert_eq!(
            e.failure(503, 15, None).as_deref(),
            Some("status 503, expected 2xx, 304")
        );
        assert_eq!(
            e.failure(200, 15, None).as_deref(),
            Some("size 15 B, expected < 10 B")
        );
        let none = Expect::default();
        assert!(none.is_empty() && none.holds(0, 0, None));
        for (line, ok, bad) in [
            ("size <= 10", 10, 11),
            ("size > 10", 11, 10),
            ("size >= 10", 10, 9),
            ("size == 10", 10, 11),
        ] {
            let e = expect(&[line]);
            assert!(e.holds(200, ok, None) && !e.holds(200, bad, None), "{line}");
        }
        assert_eq!(
            expect(&["size >= 10"]).failure(200, 9, None).as_deref(),
            Some("size 9 B, expected >= 10 B")
        );
    }
}
