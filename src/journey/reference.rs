//! References to a named request's reply, as the VS Code REST Client
//! writes them: `{{login.response.body.$.token}}` (a JSONPath into the
//! body), `{{login.response.body.*}}` (the whole body) and
//! `{{login.response.headers.X-Token}}` (a header's value).

use std::fmt;

use super::json_path::JsonPath;

/// The part of a reply a reference reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    /// The whole body (`body.*`), as far as it was kept.
    Body,
    /// A JSONPath into the body (`body.$.token`).
    Json(JsonPath),
    /// A header's value (`headers.Name`); the name in lower case.
    Header(String),
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Body => write!(f, "the body"),
            Part::Json(path) => write!(f, "{path}"),
            Part::Header(name) => write!(f, "header {name}"),
        }
    }
}

/// `inner`, the text between the braces, split into the request's name
/// and the rest, when it has the shape of a reference (`NAME.something`).
pub(crate) fn split(inner: &str) -> Option<(&str, &str)> {
    let (name, rest) = inner.trim().split_once('.')?;
    let named = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    named.then_some((name, rest))
}

/// The part after `NAME.`: `response.body.*`, `response.body.$...` or
/// `response.headers.Name`. An error says what is allowed, in one line.
pub(crate) fn parse_part(name: &str, rest: &str) -> Result<Part, String> {
    let bad = || {
        format!(
            "bad reference {{{{{name}.{rest}}}}}: expected {name}.response.body.* (the whole \
             body), {name}.response.body.$.PATH (a JSON value) or \
             {name}.response.headers.NAME (a header)"
        )
    };
    let after = rest.strip_prefix("response.").ok_or_else(bad)?;
    if let Some(body) = after.strip_prefix("body.") {
        return match body {
            "*" => Ok(Part::Body),
            path if path.starts_with('$') => JsonPath::parse(path)
                .map(Part::Json)
                .map_err(|e| format!("{{{{{name}.{rest}}}}}: {e}")),
            _ => Err(bad()),
        };
    }
    if let Some(header) = after.strip_prefix("headers.") {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if !header.is_empty() && header.bytes().all(token) {
            return Ok(Part::Header(header.to_ascii_lowercase()));
        }
    }
    Err(bad())
}

/// Every `{{...}}` in `text` whose inside has the shape of a reference,
/// trimmed, in order: each `{{` up to the first `}}` before the next `{{`,
/// as `http::template` reads them. Bytes, not text: a body file need not
/// be UTF-8 (nor copied to be read); an inside that is not is no reference.
pub(crate) fn candidates(text: &[u8]) -> impl Iterator<Item = &str> {
    let find = |hay: &[u8], what: &[u8; 2]| hay.windows(2).position(|w| w == what);
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            rest = &rest[find(rest, b"{{")? + 2..];
            let piece = &rest[..find(rest, b"{{").unwrap_or(rest.len())];
            let Some(close) = find(piece, b"}}") else {
                continue;
            };
            let Ok(inner) = std::str::from_utf8(&piece[..close]) else {
                continue;
            };
            let inner = inner.trim();
            if !inner.starts_with('$') && split(inner).is_some() {
                return Some(inner);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(parse_part("login", "response.body.*"), Ok(Part::Body));
        assert_eq!(
            parse_part("login", "response.body.$.a[0].b"),
            Ok(Part::Json(JsonPath::parse("$.a[0].b").unwrap()))
        );
        assert_eq!(
            parse_part("login", "response.headers.X-Token"),
            Ok(Part::Header("x-token".into()))
        );
        for rest in [
            "request.body.*",
            "response.body",
            "response.body.token",
            "response.headers.",
            "response.headers.a b",
            "response.status",
        ] {
            let e = parse_part("login", rest).unwrap_err();
            assert!(e.contains("login.response.body.*"), "{rest}: {e}");
        }
    }

    #[test]
    fn finds_candidates_in_text() {
        let text = "a {{ login.response.body.$.t }} {{$uuid}} {{host}} {{x.y}} {{ {{z.w}}";
        let found: Vec<&str> = candidates(text.as_bytes()).collect();
        assert_eq!(found, ["login.response.body.$.t", "x.y", "z.w"]);
        assert_eq!(split("users.name"), Some(("users", "name")));
        assert_eq!(split(".name"), None);
        assert_eq!(split("a b.c"), None);
    }
}
