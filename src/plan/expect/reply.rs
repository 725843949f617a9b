//! The checks that read what was captured of a reply: `body contains
//! TEXT`, `header Name: TEXT` (or `header Name`), `json $.path == VALUE`
//! (or `!=`). They read the body's captured start only, the first
//! [`BODY_PREFIX_MAX`] bytes: text past it is not found, and a JSON body
//! longer than that is not read.

use serde_json::Value;

use crate::http::request::validate_method;
use crate::journey::capture::{BODY_PREFIX_MAX, CaptureSpec, Captured};
use crate::journey::json_path::{JsonPath, Miss};

/// Longest piece of a reply quoted in a failure message.
const SHOWN_MAX: usize = 80;

/// One check on a captured reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReplyCheck {
    /// The body's captured start contains this text.
    BodyContains(String),
    /// A field with this name is present, and when `contains` is given one
    /// such field's value contains it.
    Header {
        name: String,
        contains: Option<String>,
    },
    /// The value at `path` in the JSON body is (`equal`) or is not `value`.
    Json {
        path: JsonPath,
        equal: bool,
        value: Expected,
    },
}

/// What a JSON value is compared with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expected {
    /// A JSON literal: `"ok"`, `42`, `true`, `null`, `[1, 2]`.
    Json(Value),
    /// Bare text, which only a string with that text equals: `up`.
    Text(String),
}

impl ReplyCheck {
    /// After `body`: `contains TEXT`, TEXT the rest of the line.
    pub(crate) fn parse_body(rest: &str) -> Result<ReplyCheck, String> {
        let text = match rest.split_once(char::is_whitespace) {
            Some(("contains", text)) => text.trim(),
            None if rest == "contains" => "",
            _ => {
                return Err(format!(
                    "bad @expect body {rest:?}: expected `body contains TEXT`, e.g. \
                     `@expect body contains \"status\":\"ok\"`"
                ));
            }
        };
        if text.is_empty() {
            return Err("@expect body contains needs the text to look for, e.g. \
                        `@expect body contains ok`"
                .into());
        }
        Ok(ReplyCheck::BodyContains(text.into()))
    }

    /// After `header`: `Name: TEXT` or `Name`.
    pub(crate) fn parse_header(rest: &str) -> Result<ReplyCheck, String> {
        let (name, contains) = match rest.split_once(':') {
            Some((name, text)) => (name.trim(), Some(text.trim())),
            None => (rest, None),
        };
        // A header name is a token, as a method is.
        if validate_method(name).is_err() {
            return Err(format!(
                "bad @expect header {rest:?}: expected a header name, then `: TEXT` to look \
                 for in its value, e.g. `@expect header Content-Type: json` or \
                 `@expect header ETag`"
            ));
        }
        if contains == Some("") {
            return Err(format!(
                "@expect header {name}: needs the text after the colon; to check only that \
                 the header is there, write `@expect header {name}`"
            ));
        }
        Ok(ReplyCheck::Header {
            name: name.into(),
            contains: contains.map(str::to_owned),
        })
    }

    /// After `json`: `$.path == VALUE` or `$.path != VALUE`.
    pub(crate) fn parse_json(rest: &str) -> Result<ReplyCheck, String> {
        let (path, after) = JsonPath::parse_prefix(rest)?;
        let after = after.trim_start();
        let (equal, value) = if let Some(v) = after.strip_prefix("==") {
            (true, v.trim())
        } else if let Some(v) = after.strip_prefix("!=") {
            (false, v.trim())
        } else {
            return Err(format!(
                "bad @expect json {rest:?}: expected `json $.path == VALUE` or `!= VALUE`, \
                 e.g. `@expect json $.status == \"up\"`"
            ));
        };
        Ok(ReplyCheck::Json {
            path,
            equal,
            value: Expected::parse(value)?,
        })
    }

    /// What the reply must be captured with for this check.
    pub(crate) fn needs(&self, spec: &mut CaptureSpec) {
        match self {
            ReplyCheck::BodyContains(_) | ReplyCheck::Json { .. } => spec.keep_body(),
            ReplyCheck::Header { name, .. } => spec.keep_header(name),
        }
    }

    /// `got`: what was captured of the reply; None, nothing (every check
    /// then fails).
    pub(crate) fn holds(&self, got: Option<&Captured>) -> bool {
        let Some(got) = got else { return false };
        match self {
            ReplyCheck::BodyContains(text) => contains(&got.body, text),
            ReplyCheck::Header { name, contains: c } => {
                let mut values = got.header_values(name);
                match c {
                    None => values.next().is_some(),
                    Some(text) => values.any(|v| contains(v, text)),
                }
            }
            ReplyCheck::Json { path, equal, value } => {
                path.lookup(got).is_ok_and(|v| value.matches(&v) == *equal)
            }
        }
    }

    /// Why `got` fails this check, in words: `header X-A missing`.
    pub(crate) fn failure(&self, got: Option<&Captured>) -> String {
        let Some(got) = got else {
            return format!("{} (reply not read)", self.describe());
        };
        match self {
            ReplyCheck::BodyContains(text) if got.truncated => format!(
                "body does not contain {text:?} (first {} KiB read)",
                BODY_PREFIX_MAX / 1024
            ),
            ReplyCheck::BodyContains(text) => format!("body does not contain {text:?}"),
            ReplyCheck::Header { name, contains } => match got.header_values(name).next() {
                None => format!("header {name} missing"),
                Some(value) => format!(
                    "header {name} is {:?}, expected it to contain {:?}",
                    shown(&String::from_utf8_lossy(value)),
                    contains.as_deref().unwrap_or_default()
                ),
            },
            ReplyCheck::Json { path, equal, value } => match path.lookup(got) {
                Ok(found) => format!(
                    "json {path} is {}, expected {}{}",
                    shown(&found.to_string()),
                    if *equal { "" } else { "anything but " },
                    value
                ),
                Err(Miss::Missing) => format!("json {path} not found"),
                Err(Miss::NotJson) => format!("json {path} not read: the body is not JSON"),
                Err(Miss::Truncated) => format!(
                    "json {path} not read: the body is over {} KiB",
                    BODY_PREFIX_MAX / 1024
                ),
            },
        }
    }

    /// The check itself, in words, for a reply that could not be read.
    fn describe(&self) -> String {
        match self {
            ReplyCheck::BodyContains(text) => format!("body contains {text:?}"),
            ReplyCheck::Header {
                name,
                contains: None,
            } => format!("header {name}"),
            ReplyCheck::Header {
                name,
                contains: Some(text),
            } => format!("header {name} contains {text:?}"),
            ReplyCheck::Json { path, equal, value } => {
                format!("json {path} {} {value}", if *equal { "==" } else { "!=" })
            }
        }
    }
}

impl Expected {
    /// `"ok"`, `42`, `true`, `null`, `[1]`, `{}`: JSON; other text is bare
    /// text. Text that starts like a JSON string, array or object must be
    /// one: `"ok` is a mistake, not text.
    fn parse(text: &str) -> Result<Expected, String> {
        if text.is_empty() {
            return Err(
                "@expect json needs a value after the operator, e.g. `== \"up\"`, \
                        `== 42`, `== true`, `== null`"
                    .into(),
            );
        }
        match serde_json::from_str(text) {
            Ok(value) => Ok(Expected::Json(value)),
            Err(e) if text.starts_with(['"', '[', '{']) => {
                Err(format!("bad JSON value {text:?} in @expect json: {e}"))
            }
            Err(_) => Ok(Expected::Text(text.into())),
        }
    }

    fn matches(&self, found: &Value) -> bool {
        match self {
            Expected::Json(want) => json_equal(found, want),
            Expected::Text(text) => found.as_str() == Some(text.as_str()),
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Json(value) => write!(f, "{}", shown(&value.to_string())),
            Expected::Text(text) => write!(f, "{}", shown(&Value::from(text.as_str()).to_string())),
        }
    }
}

/// JSON equality with numbers compared by value: `1`, `1.0` and `1e0` are
/// equal.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && (x.iter()).all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// `text`, cut to [`SHOWN_MAX`] characters (with `…`) for a message.
fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text`: `body ...`, `header ...` or `json ...`.
    fn parse(text: &str) -> Result<ReplyCheck, String> {
        let (what, rest) = text.split_once(' ').unwrap();
        match what {
            "body" => ReplyCheck::parse_body(rest),
            "header" => ReplyCheck::parse_header(rest),
            _ => ReplyCheck::parse_json(rest),
        }
    }

    fn check(text: &str) -> ReplyCheck {
        parse(text).unwrap()
    }

    fn reply(headers: &[(&str, &str)], body: &str) -> Captured {
        Captured {
            status: 200,
            headers: (headers.iter())
                .map(|(n, v)| (n.to_ascii_lowercase(), v.as_bytes().to_vec()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }

    /// Whether `got` passes `text`, and the failure message when it does not.
    fn verdict(text: &str, got: &Captured) -> Result<(), String> {
        let c = check(text);
        if c.holds(Some(got)) {
            Ok(())
        } else {
            Err(c.failure(Some(got)))
        }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            check("body contains  \"status\": \"ok\" "),
            ReplyCheck::BodyContains("\"status\": \"ok\"".into())
        );
        assert_eq!(
            check("header Content-Type:  application/json; charset=utf-8"),
            ReplyCheck::Header {
                name: "Content-Type".into(),
                contains: Some("application/json; charset=utf-8".into())
            }
        );
        assert_eq!(
            check("header ETag"),
            ReplyCheck::Header {
                name: "ETag".into(),
                contains: None
            }
        );
        let json = |text| match check(text) {
            ReplyCheck::Json { path, equal, value } => (path.to_string(), equal, value),
            other => panic!("{other:?}"),
        };
        use Expected::*;
        assert_eq!(
            json("json $.s == \"up\""),
            ("$.s".into(), true, Json("up".into()))
        );
        assert_eq!(json("json $.n==42"), ("$.n".into(), true, Json(42.into())));
        assert_eq!(
            json("json $.ok != true"),
            ("$.ok".into(), false, Json(true.into()))
        );
        assert_eq!(
            json("json $.x == null"),
            ("$.x".into(), true, Json(Value::Null))
        );
        assert_eq!(
            json("json $['a b'] == up and away"),
            ("$['a b']".into(), true, Text("up and away".into()))
        );
        assert_eq!(
            json("json $ == [1, 2]"),
            ("$".into(), true, Json(serde_json::json!([1, 2])))
        );
        assert_eq!(
            json("json $.v == 1.2.3"),
            ("$.v".into(), true, Text("1.2.3".into()))
        );
    }

    #[test]
    fn refuses_bad_forms_with_the_reason_on_one_line() {
        for (text, says) in [
            ("body ", "bad @expect body \"\""),
            ("body contains", "needs the text"),
            ("body contains   ", "needs the text"),
            (
                "body has ok",
                "bad @expect body \"has ok\": expected `body contains",
            ),
            ("header ", "bad @expect header \"\""),
            ("header : x", "bad @expect header"),
            ("header Content Type: x", "bad @expect header"),
            ("header X-A\"b: x", "bad @expect header"),
            ("header X-A:  ", "needs the text after the colon"),
            ("json ", "bad JSONPath \"\""),
            (
                "json token == 1",
                "JSONPath \"token == 1\": it must start with $",
            ),
            ("json $.a[*] == 1", "`[*]` (every element) is not supported"),
            (
                "json $.a",
                "bad @expect json \"$.a\": expected `json $.path ==",
            ),
            ("json $.a = 1", "bad @expect json"),
            ("json $.a <= 1", "bad @expect json"),
            ("json $.a ==", "needs a value after the operator"),
            (
                "json $.a == \"up",
                "bad JSON value \"\\\"up\" in @expect json",
            ),
            ("json $.a == [1,", "bad JSON value"),
            ("json $.a == {a: 1}", "bad JSON value"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn body_contains_reads_the_captured_start() {
        let got = reply(&[], r#"{"status": "ok"}"#);
        assert_eq!(verdict(r#"body contains "status": "ok""#, &got), Ok(()));
        assert_eq!(
            verdict("body contains down", &got),
            Err(r#"body does not contain "down""#.into())
        );
        let mut cut = reply(&[], "abc");
        cut.truncated = true;
        assert_eq!(
            verdict("body contains xyz", &cut),
            Err(r#"body does not contain "xyz" (first 64 KiB read)"#.into())
        );
        assert_eq!(verdict("body contains bc", &cut), Ok(()));
        assert!(verdict("body contains abcd", &reply(&[], "abc")).is_err());
    }

    #[test]
    fn header_is_matched_by_name_in_any_case_across_every_field() {
        let got = reply(
            &[
                ("Set-Cookie", "a=1"),
                ("set-cookie", "sid=xyz; Path=/"),
                ("X-Long", &"v".repeat(200)),
            ],
            "",
        );
        assert_eq!(verdict("header SET-COOKIE", &got), Ok(()));
        assert_eq!(verdict("header Set-Cookie: sid=", &got), Ok(()));
        assert_eq!(
            verdict("header Set-Cookie: other", &got),
            Err(r#"header Set-Cookie is "a=1", expected it to contain "other""#.into())
        );
        assert_eq!(
            verdict("header X-A", &got),
            Err("header X-A missing".into())
        );
        assert_eq!(
            verdict("header X-A: 1", &got),
            Err("header X-A missing".into())
        );
        // A long value is cut in the message.
        let e = verdict("header X-Long: w", &got).unwrap_err();
        assert!(e.contains(&format!("\"{}…\"", "v".repeat(80))), "{e}");
    }

    #[test]
    fn json_compares_values_and_says_what_it_found() {
        let got = reply(
            &[],
            r#"{"status": "down", "n": 42, "f": 1.0, "ok": true, "nil": null, "a": [1, {"b": 2.0}]}"#,
        );
        for pass in [
            r#"json $.status == "down""#,
            "json $.status == down",
            r#"json $.status != "up""#,
            "json $.status != up",
            "json $.n == 42",
            "json $.n == 42.0",
            "json $.n == 4.2e1",
            "json $.n != 43",
            "json $.f == 1",
            "json $.ok == true",
            "json $.nil == null",
            r#"json $.a == [1, {"b": 2}]"#,
            r#"json $.a[1] == {"b":2}"#,
        ] {
            assert_eq!(verdict(pass, &got), Ok(()), "{pass}");
        }
        for (fail, says) in [
            (
                r#"json $.status == "up""#,
                r#"json $.status is "down", expected "up""#,
            ),
            (
                "json $.status == up",
                r#"json $.status is "down", expected "up""#,
            ),
            (
                "json $.status != down",
                r#"json $.status is "down", expected anything but "down""#,
            ),
            ("json $.n == \"42\"", r#"json $.n is 42, expected "42""#),
            ("json $.n == 42x", r#"json $.n is 42, expected "42x""#),
            ("json $.ok == True", r#"json $.ok is true, expected "True""#),
            ("json $.nil == false", "json $.nil is null, expected false"),
            (
                "json $.a == [1]",
                r#"json $.a is [1,{"b":2.0}], expected [1]"#,
            ),
            ("json $.missing == 1", "json $.missing not found"),
            ("json $.missing != 1", "json $.missing not found"),
        ] {
            assert_eq!(verdict(fail, &got), Err(says.into()), "{fail}");
        }
        assert_eq!(
            verdict("json $.a == 1", &reply(&[], "<html>")),
            Err("json $.a not read: the body is not JSON".into())
        );
        let mut cut = reply(&[], r#"{"a": 1}"#);
        cut.truncated = true;
        assert_eq!(
            verdict("json $.a == 1", &cut),
            Err("json $.a not read: the body is over 64 KiB".into())
        );
    }

    #[test]
    fn nothing_captured_fails_every_check_and_says_so() {
        for (text, says) in [
            ("body contains ok", r#"body contains "ok" (reply not read)"#),
            ("header ETag", "header ETag (reply not read)"),
            (
                "header ETag: x",
                r#"header ETag contains "x" (reply not read)"#,
            ),
            ("json $.a != up", r#"json $.a != "up" (reply not read)"#),
        ] {
            let c = check(text);
            assert!(!c.holds(None), "{text}");
            assert_eq!(c.failure(None), says);
        }
    }

    #[test]
    fn each_check_asks_for_what_it_reads() {
        let mut spec = CaptureSpec::default();
        check("header X-A: 1").needs(&mut spec);
        assert!(spec.wants_header(b"x-a") && !spec.wants_body());
        check("json $.a == 1").needs(&mut spec);
        check("body contains x").needs(&mut spec);
        assert!(spec.wants_body() && !spec.wants_header(b"x-b"));
    }
}
