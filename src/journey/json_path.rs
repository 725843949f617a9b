//! A JSONPath subset, to read one value of a JSON reply body: `$` (the
//! whole document), `.field`, `['field with space']` (or double quotes),
//! `[2]` (an array index from 0), in any sequence: `$.items[0].id`.
//! Wildcards, slices, filters and negative indexes are not supported.
//!
//! The body is parsed with serde_json (its recursion limit, 128 levels,
//! makes a deeply nested body an invalid one rather than a stack overflow).
//! A path is parsed once, when the scenario is read, and looked up in the
//! captured start of each reply's body: a body cut at the capture bound is
//! never read, even when its start happens to be valid JSON.

use std::fmt;

use serde_json::Value;

use super::capture::Captured;

/// One step down from a value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Step {
    /// An object's member.
    Field(Box<str>),
    /// An array's element, from 0.
    Index(usize),
}

/// A parsed path: `$.items[0].id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct JsonPath {
    /// As written, for messages.
    text: Box<str>,
    steps: Vec<Step>,
}

/// Why a path gave no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Miss {
    /// The body went past the capture bound: not read.
    Truncated,
    /// The body is not JSON (or nested deeper than 128 levels).
    NotJson,
    /// The body is JSON without this path.
    Missing,
}

impl JsonPath {
    /// The whole of `text` as a path; the error says why not, on one line.
    pub(crate) fn parse(text: &str) -> Result<JsonPath, String> {
        let (path, rest) = JsonPath::parse_prefix(text)?;
        match rest.chars().next() {
            None => Ok(path),
            Some(c) => Err(bad(text, &format!("unexpected {c:?} after {path}"))),
        }
    }

    /// A path at the start of `text`, up to whitespace, `=` or `!` outside
    /// brackets (`$.a == 1`, `$['a b']!=2`), and the text after it.
    pub(crate) fn parse_prefix(text: &str) -> Result<(JsonPath, &str), String> {
        let Some(mut rest) = text.strip_prefix('$') else {
            return Err(bad(text, "it must start with $, e.g. $.token"));
        };
        let mut steps = Vec::new();
        loop {
            if let Some(after) = rest.strip_prefix('.') {
                if after.starts_with('.') {
                    return Err(bad(text, "`..` (any depth) is not supported"));
                }
                let end = after.find(ends_name).unwrap_or(after.len());
                let name = &after[..end];
                match name {
                    "" => return Err(bad(text, "a field name must follow `.`")),
                    "*" => return Err(bad(text, "`*` (every field) is not supported")),
                    _ => steps.push(Step::Field(name.into())),
                }
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let (step, after) = bracket(after).map_err(|why| bad(text, why))?;
                steps.push(step);
                rest = after;
            } else {
                break;
            }
        }
        let used = text.len() - rest.len();
        let path = JsonPath {
            text: text[..used].into(),
            steps,
        };
        Ok((path, rest))
    }

    /// The value at this path in the captured body.
    pub(crate) fn lookup(&self, got: &Captured) -> Result<Value, Miss> {
        self.find(&body(got)?).cloned()
    }

    /// The value at this path in `doc`, a body parsed by [`body`].
    pub(crate) fn find<'a>(&self, doc: &'a Value) -> Result<&'a Value, Miss> {
        let mut value = doc;
        for step in &self.steps {
            value = match (step, value) {
                (Step::Field(name), Value::Object(members)) => members.get(&**name),
                (Step::Index(i), Value::Array(items)) => items.get(*i),
                _ => None,
            }
            .ok_or(Miss::Missing)?;
        }
        Ok(value)
    }
}

/// The captured body, parsed as JSON once for every path into it.
pub(crate) fn body(got: &Captured) -> Result<Value, Miss> {
    if got.truncated {
        return Err(Miss::Truncated);
    }
    serde_json::from_slice(&got.body).map_err(|_| Miss::NotJson)
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A value as it goes into a request: a string's text, unquoted; anything
/// else its compact JSON (`42`, `true`, `null`, `[1,2]`; an object's
/// members in name order).
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn bad(text: &str, why: &str) -> String {
    format!("bad JSONPath {text:?}: {why}")
}

/// What ends a `.name`: the next step, or the end of the path.
fn ends_name(c: char) -> bool {
    matches!(c, '.' | '[' | ']' | '=' | '!' | '\'' | '"') || c.is_whitespace()
}

/// The inside of `[...]` (`after` starts just past the `[`): an index or a
/// quoted name, and the text after the `]`.
fn bracket(after: &str) -> Result<(Step, &str), &'static str> {
    let (step, rest) = match after.chars().next() {
        Some(quote @ ('\'' | '"')) => quoted(&after[1..], quote)?,
        Some('0'..='9') => {
            let end = (after.find(|c: char| !c.is_ascii_digit())).unwrap_or(after.len());
            let index = after[..end].parse().map_err(|_| "index too large")?;
            (Step::Index(index), &after[end..])
        }
        Some('-') => return Err("negative indexes are not supported"),
        Some('*') => return Err("`[*]` (every element) is not supported"),
        _ => return Err("expected an index or a quoted name in [], e.g. [0] or ['a b']"),
    };
    match rest.strip_prefix(']') {
        Some(rest) => Ok((step, rest)),
        None => Err("missing `]`"),
    }
}

/// A name up to the closing `quote` (`\` escapes a quote or a `\`), and
/// the text after that quote.
fn quoted(text: &str, quote: char) -> Result<(Step, &str), &'static str> {
    let mut name = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e)) if e == quote || e == '\\' => name.push(e),
                _ => return Err("in a quoted name, `\\` escapes only the quote or `\\`"),
            },
            c if c == quote => return Ok((Step::Field(name.into()), &text[i + 1..])),
            c => name.push(c),
        }
    }
    Err("unclosed quote")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::capture::BODY_PREFIX_MAX;

    fn body(json: &str) -> Captured {
        Captured {
            status: 200,
            body: json.as_bytes().to_vec(),
            ..Captured::default()
        }
    }

    fn at(path: &str, json: &str) -> Option<String> {
        let path = JsonPath::parse(path).unwrap();
        path.lookup(&body(json)).ok().map(|v| text_of(&v))
    }

    const DOC: &str = r#"{"token": "abc\"d", "n": 42, "f": 1.5, "ok": true, "nil": null,
        "user": {"name": "Ann", "tags": ["a", "b"]},
        "items": [{"id": 7}, {"id": 8, "b": [1, {"x": "deep"}]}],
        "field with space": "s", "a.b": 1, "": "empty name", "é": "accent"}"#;

    #[test]
    fn finds_what_each_form_names() {
        for (path, want) in [
            ("$.token", Some(r#"abc"d"#)),
            ("$.n", Some("42")),
            ("$.f", Some("1.5")),
            ("$.ok", Some("true")),
            ("$.nil", Some("null")),
            ("$.user.name", Some("Ann")),
            ("$.user.tags", Some(r#"["a","b"]"#)),
            ("$.user.tags[1]", Some("b")),
            ("$.items[0]", Some(r#"{"id":7}"#)),
            ("$.items[1].b[1].x", Some("deep")),
            ("$['field with space']", Some("s")),
            (r#"$["field with space"]"#, Some("s")),
            ("$['a.b']", Some("1")),
            ("$['']", Some("empty name")),
            ("$.é", Some("accent")),
            ("$['user']['tags'][0]", Some("a")),
            ("$.missing", None),
            ("$.user.tags[2]", None),
            ("$.items.id", None),
            ("$.n.x", None),
            ("$.token[0]", None),
        ] {
            assert_eq!(at(path, DOC).as_deref(), want, "{path}");
        }
        assert_eq!(at("$", "[1, 2]").as_deref(), Some("[1,2]"));
        assert_eq!(at("$", r#""just text""#).as_deref(), Some("just text"));
        assert_eq!(at("$[0]", "[[]]").as_deref(), Some("[]"));
    }

    #[test]
    fn a_cut_or_invalid_body_gives_nothing() {
        let path = JsonPath::parse("$.a").unwrap();
        for json in [
            "",
            "{",
            r#"{"a": 1"#,
            r#"{"a": 1} x"#,
            "not json",
            "{'a': 1}",
        ] {
            assert_eq!(path.lookup(&body(json)), Err(Miss::NotJson), "{json:?}");
        }
        assert_eq!(path.lookup(&body(r#"{"b": 1}"#)), Err(Miss::Missing));
        // Valid JSON, but only the start of a longer body: not read.
        let mut cut = body(r#"{"a": 1}"#);
        cut.truncated = true;
        assert_eq!(path.lookup(&cut), Err(Miss::Truncated));
        let mut invalid_utf8 = body(r#"{"a": "x"}"#);
        invalid_utf8.body[7] = 0xff;
        assert_eq!(path.lookup(&invalid_utf8), Err(Miss::NotJson));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let path = JsonPath::parse("$").unwrap();
        let deep = "[".repeat(100_000);
        assert_eq!(path.lookup(&body(&deep)), Err(Miss::NotJson));
        let closed = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(path.lookup(&body(&closed)), Err(Miss::NotJson));
        let objects = r#"{"a":"#.repeat(BODY_PREFIX_MAX / 5);
        assert_eq!(path.lookup(&body(&objects)), Err(Miss::NotJson));
        // Within the limit, read.
        let fine = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert!(path.lookup(&body(&fine)).is_ok());
    }

    #[test]
    fn a_path_ends_where_an_operator_starts() {
        for (text, path, rest) in [
            ("$.a == 1", "$.a", " == 1"),
            ("$.a==1", "$.a", "==1"),
            ("$['a b']!=2", "$['a b']", "!=2"),
            ("$['a == b'] == 3", "$['a == b']", " == 3"),
            ("$", "$", ""),
            ("$ == {}", "$", " == {}"),
        ] {
            let (p, r) = JsonPath::parse_prefix(text).unwrap();
            assert_eq!((p.to_string().as_str(), r), (path, rest), "{text}");
        }
        let (p, _) = JsonPath::parse_prefix(r"$['it\'s \\ x'] == 1").unwrap();
        assert_eq!(p.steps, vec![Step::Field(r"it's \ x".into())]);
    }

    #[test]
    fn refuses_bad_paths_with_the_reason_on_one_line() {
        for (text, says) in [
            ("", "must start with $"),
            ("token", "must start with $"),
            ("$.", "a field name must follow `.`"),
            ("$.a.", "a field name must follow `.`"),
            ("$..a", "`..` (any depth) is not supported"),
            ("$.*", "`*` (every field) is not supported"),
            ("$[*]", "`[*]` (every element) is not supported"),
            ("$[-1]", "negative indexes are not supported"),
            ("$[", "expected an index or a quoted name"),
            ("$[]", "expected an index or a quoted name"),
            ("$[x]", "expected an index or a quoted name"),
            ("$[1", "missing `]`"),
            ("$[1 ]", "missing `]`"),
            ("$['a'", "missing `]`"),
            ("$['a]", "unclosed quote"),
            (r"$['a\n']", "escapes only the quote"),
            ("$[99999999999999999999999]", "index too large"),
            ("$.a b", "unexpected ' ' after $.a"),
            ("$a", "unexpected 'a' after $"),
            ("$.a]", "unexpected ']' after $.a"),
            ("$.a\nb", "unexpected '\\n' after $.a"),
        ] {
            let e = JsonPath::parse(text).unwrap_err();
            assert!(e.starts_with("bad JSONPath "), "{text:?}: {e}");
            assert!(e.contains(says), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
