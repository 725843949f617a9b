//! Text with dynamic values (`{{$uuid}}`, `{{$randomInt 1 100}}`, ...),
//! parsed once and rendered again for every request.
//!
//! The placeholders are those of the VS Code REST Client and the JetBrains
//! HTTP client that a load test needs, and the user's values of a journey
//! (`{{login.response.body.$.token}}`, see `journey`), which the scenario
//! names. Everything else, including `{{` not followed by `$`, is literal
//! text.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::digits::push_decimal;
use crate::dynamic::Values;
use crate::rng::Rng;

/// One part of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    /// A uniform whole number in `min..=max`.
    RandomInt {
        min: i64,
        max: i64,
    },
    /// A random version-4 UUID (`{{$uuid}}` and `{{$guid}}`).
    Uuid,
    /// Unix seconds, now.
    Timestamp,
    /// The sending user's value of this id (`journey::Journey::values`).
    Value(u16),
}

/// Literal bytes and dynamic values, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Parse the dynamic placeholders `{{$randomInt MIN MAX}}` (inclusive,
    /// i64), `{{$uuid}}`, `{{$guid}}` and `{{$timestamp}}`. Whitespace inside
    /// the braces is allowed. An unknown `{{$name}}`, bad arguments, or a
    /// `{{$` with no closing `}}` is an error, in one line.
    pub(crate) fn parse(text: &[u8]) -> Result<Template, String> {
        Template::parse_with(text, &[])
    }

    /// As `parse`, and `{{TEXT}}` is the user's value `id` for each
    /// `(TEXT, id)` of `values` (TEXT trimmed, as the scenario found it).
    pub(crate) fn parse_with(text: &[u8], values: &[(String, u16)]) -> Result<Template, String> {
        // By name: a request may read many values, many times.
        let values: HashMap<&[u8], u16> = (values.iter())
            .map(|(name, id)| (name.as_bytes(), *id))
            .collect();
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let found = match value_at(text, i, &values) {
                Some(found) => Some(found),
                None => dynamic_at(text, i)?,
            };
            if let Some((piece, end)) = found {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(piece);
                i = end;
            } else {
                literal.push(text[i]);
                i += 1;
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Template { pieces })
    }

    /// True when there are no dynamic values: every render is the same.
    pub(crate) fn is_static(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Literal(_)))
    }

    /// The text, when it holds no dynamic value.
    pub(crate) fn literal(&self) -> Option<&[u8]> {
        match self.pieces.as_slice() {
            [] => Some(&[]),
            [Piece::Literal(bytes)] => Some(bytes),
            _ => None,
        }
    }

    /// Append the rendered bytes to `out`. Allocates nothing besides `out`
    /// growing.
    pub(crate) fn render(&self, values: &mut Values<'_>, out: &mut Vec<u8>) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(bytes) => out.extend_from_slice(bytes),
                Piece::RandomInt { min, max } => {
                    push_i64(out, random_int(values.rng(), *min, *max))
                }
                Piece::Uuid => push_uuid(values.rng(), out),
                Piece::Value(id) => out.extend_from_slice(values.user_value(*id)),
                Piece::Timestamp => {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    push_decimal(out, now);
                }
            }
        }
    }
}

/// If one of the user's `values` starts at `text[at..]`, returns it and
/// where it ends.
fn value_at(text: &[u8], at: usize, values: &HashMap<&[u8], u16>) -> Option<(Piece, usize)> {
    if values.is_empty() || !text[at..].starts_with(b"{{") {
        return None;
    }
    // Up to the first `}}`, unless a `{{` comes first (as the scenario
    // found them, `journey::reference::candidates`): so each `{{` reads
    // only to the next, and a text of many is read once, not once each.
    let len = (text[at + 2..].windows(2)).position(|w| w == b"}}" || w == b"{{")?;
    if text[at + 2 + len] == b'{' {
        return None;
    }
    let inner = text[at + 2..at + 2 + len].trim_ascii();
    let id = values.get(inner)?;
    Some((Piece::Value(*id), at + 2 + len + 2))
}

/// If a dynamic value starts at `text[at..]`, returns it and where it ends.
fn dynamic_at(text: &[u8], at: usize) -> Result<Option<(Piece, usize)>, String> {
    if !text[at..].starts_with(b"{{") {
        return Ok(None);
    }
    let mut start = at + 2;
    while start < text.len() && text[start].is_ascii_whitespace() {
        start += 1;
    }
    if text.get(start) != Some(&b'$') {
        return Ok(None);
    }
    let Some(len) = text[start..].windows(2).position(|w| w == b"}}") else {
        let shown: Vec<u8> = text[at..].iter().copied().take(40).collect();
        return Err(format!(
            "unclosed dynamic value {:?}: expected }}}} after it",
            String::from_utf8_lossy(&shown)
        ));
    };
    let inner = &text[start..start + len];
    let piece = dynamic(inner)?;
    Ok(Some((piece, start + len + 2)))
}

/// Parse the inside of `{{$name args}}` (starting at `$`).
fn dynamic(inner: &[u8]) -> Result<Piece, String> {
    let tokens: Vec<String> = inner
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect();
    // As written, on one line, for error messages.
    let shown = format!("{{{{{}}}}}", tokens.join(" "));
    let args = &tokens[1..];
    let no_args = |piece: Piece| {
        if args.is_empty() {
            Ok(piece)
        } else {
            Err(format!("{shown}: takes no arguments"))
        }
    };
    match tokens[0].as_str() {
        "$uuid" | "$guid" => no_args(Piece::Uuid),
        "$timestamp" => no_args(Piece::Timestamp),
        "$randomInt" => {
            let [min, max] = args else {
                return Err(format!("{shown}: expected {{{{$randomInt MIN MAX}}}}"));
            };
            let number = |what: &str, text: &str| {
                text.parse::<i64>()
                    .map_err(|_| format!("{shown}: {what} {text:?} is not a whole number"))
            };
            let (min, max) = (number("MIN", min)?, number("MAX", max)?);
            if min > max {
                return Err(format!("{shown}: MIN is above MAX"));
            }
            Ok(Piece::RandomInt { min, max })
        }
        _ => Err(format!(
            "unknown dynamic value {shown} (known: $randomInt MIN MAX, $uuid, $guid, $timestamp)"
        )),
    }
}

/// Uniform in `min..=max`, over the whole i64 range if need be.
fn random_int(rng: &mut Rng, min: i64, max: i64) -> i64 {
    let span = max.wrapping_sub(min) as u64;
    let offset = if span == u64::MAX {
        rng.next_u64()
    } else {
        rng.between(0, span)
    };
    min.wrapping_add(offset as i64)
}

fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_decimal(out, n.unsigned_abs());
}

/// A random version-4 UUID, lowercase `8-4-4-4-12`.
fn push_uuid(rng: &mut Rng, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10xx
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 0x0f) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &Template, rng: &mut Rng) -> String {
        let mut out = Vec::new();
        t.render(&mut Values::new(rng), &mut out);
        String::from_utf8(out).unwrap()
    }

    fn parse(text: &str) -> Template {
        Template::parse(text.as_bytes()).unwrap()
    }

    fn error(text: &str) -> String {
        Template::parse(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn user_values_render_from_the_user_and_nothing_else_changes() {
        let values = [("login.response.body.$.t".to_string(), 0)];
        let t = Template::parse_with(b"a{{ login.response.body.$.t }}b{{x.y}}", &values).unwrap();
        assert!(!t.is_static());
        let mut out = Vec::new();
        t.render(&mut Values::new(&mut Rng::new(1)), &mut out);
        assert_eq!(out, b"ab{{x.y}}", "no user: the value renders empty");
        // A text full of `{{` is looked at near each one only: linear.
        let braces = "{{".repeat(100_000);
        let t = Template::parse_with(braces.as_bytes(), &values).unwrap();
        assert_eq!(t.literal(), Some(braces.as_bytes()));
    }

    #[test]
    fn literal_only_is_static_and_renders_identically() {
        let mut rng = Rng::new(1);
        for text in [
            "",
            "plain",
            "{\"a\": {{b}}}",
            "{{ name }} and {{}} and {{",
            "}} {{ x $",
            "caf\u{e9} {{{",
        ] {
            let t = parse(text);
            assert!(t.is_static(), "{text}");
            assert_eq!(render(&t, &mut rng), text);
        }
        let bytes = [0u8, 0xff, b'{', b'{', 0x80];
        let t = Template::parse(&bytes).unwrap();
        let mut out = Vec::new();
        t.render(&mut Values::new(&mut rng), &mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn render_appends() {
        let mut out = b"x".to_vec();
        parse("y").render(&mut Values::new(&mut Rng::new(1)), &mut out);
        assert_eq!(out, b"xy");
    }

    #[test]
    fn random_int_stays_in_range_and_varies() {
        let t = parse("id={{$randomInt 1 5}};");
        assert!(!t.is_static());
        let mut rng = Rng::new(3);
        let mut seen = [false; 5];
        for _ in 0..500 {
            let s = render(&t, &mut rng);
            let n: i64 = s["id=".len()..s.len() - 1].parse().unwrap();
            assert!((1..=5).contains(&n), "{s}");
            seen[(n - 1) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn random_int_handles_negatives_extremes_and_spacing() {
        let mut rng = Rng::new(9);
        let t = parse("{{  $randomInt   -3   -1  }}");
        for _ in 0..100 {
            let n: i64 = render(&t, &mut rng).parse().unwrap();
            assert!((-3..=-1).contains(&n));
        }
        assert_eq!(render(&parse("{{$randomInt 7 7}}"), &mut rng), "7");
        let full = parse(&format!("{{{{$randomInt {} {}}}}}", i64::MIN, i64::MAX));
        let draws: Vec<String> = (0..10).map(|_| render(&full, &mut rng)).collect();
        assert!(draws.iter().all(|d| d.parse::<i64>().is_ok()));
        assert!(draws.iter().any(|d| d != &draws[0]));
        let min = parse(&format!("{{{{$randomInt {0} {0}}}}}", i64::MIN));
        assert_eq!(render(&min, &mut rng), i64::MIN.to_string());
        assert_eq!(render(&parse("{{\n$randomInt\t0 0\n}}"), &mut rng), "0");
    }

    fn check_uuid(s: &str) {
        assert_eq!(s.len(), 36, "{s}");
        for (i, c) in s.chars().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                assert_eq!(c, '-', "{s}");
            } else {
                assert!(matches!(c, '0'..='9' | 'a'..='f'), "{s}");
            }
        }
        assert_eq!(&s[14..15], "4", "{s}");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"), "{s}");
    }

    #[test]
    fn uuid_has_the_v4_format_and_varies() {
        let mut rng = Rng::new(5);
        for text in ["{{$uuid}}", "{{ $guid }}"] {
            let t = parse(text);
            assert!(!t.is_static());
            let a = render(&t, &mut rng);
            let b = render(&t, &mut rng);
            check_uuid(&a);
            check_uuid(&b);
            assert_ne!(a, b);
        }
        let two = render(&parse("<{{$uuid}}|{{$uuid}}>"), &mut rng);
        check_uuid(&two[1..37]);
        check_uuid(&two[38..74]);
        assert_ne!(&two[1..37], &two[38..74]);
        assert_eq!(two.len(), 75);
    }

    #[test]
    fn uuid_variant_covers_8_to_b() {
        let mut rng = Rng::new(11);
        let t = parse("{{$uuid}}");
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            seen.insert(render(&t, &mut rng)[19..20].to_string());
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["8", "9", "a", "b"]);
    }

    #[test]
    fn timestamp_is_now() {
        let now = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        let before = now();
        let s = render(&parse("t={{$timestamp}}"), &mut Rng::new(1));
        let after = now();
        let t: u64 = s["t=".len()..].parse().unwrap();
        assert!(before <= t && t <= after + 2, "{before} {t} {after}");
    }

    #[test]
    fn mixed_pieces_render_in_order() {
        let t = parse("a{{$randomInt 4 4}}b{{$uuid}}c");
        let s = render(&t, &mut Rng::new(2));
        assert!(s.starts_with("a4b"));
        assert!(s.ends_with('c'));
        check_uuid(&s[3..39]);
    }

    #[test]
    fn errors() {
        assert_eq!(
            error("x {{$nope}} y"),
            "unknown dynamic value {{$nope}} (known: $randomInt MIN MAX, $uuid, $guid, $timestamp)"
        );
        assert_eq!(
            error("{{$randomInt 5 1}}"),
            "{{$randomInt 5 1}}: MIN is above MAX"
        );
        assert_eq!(
            error("{{ $randomInt   5\n 1 }}"),
            "{{$randomInt 5 1}}: MIN is above MAX"
        );
        assert_eq!(
            error("{{$randomInt 1}}"),
            "{{$randomInt 1}}: expected {{$randomInt MIN MAX}}"
        );
        assert_eq!(
            error("{{$randomInt}}"),
            "{{$randomInt}}: expected {{$randomInt MIN MAX}}"
        );
        assert_eq!(
            error("{{$randomInt 1 2 3}}"),
            "{{$randomInt 1 2 3}}: expected {{$randomInt MIN MAX}}"
        );
        assert_eq!(
            error("{{$randomInt a 2}}"),
            "{{$randomInt a 2}}: MIN \"a\" is not a whole number"
        );
        assert_eq!(
            error("{{$randomInt 1 2.5}}"),
            "{{$randomInt 1 2.5}}: MAX \"2.5\" is not a whole number"
        );
        assert_eq!(
            error("{{$randomInt 1 99999999999999999999}}"),
            "{{$randomInt 1 99999999999999999999}}: MAX \"99999999999999999999\" is not a whole number"
        );
        assert_eq!(error("{{$uuid 4}}"), "{{$uuid 4}}: takes no arguments");
        assert_eq!(
            error("{{$timestamp -1 d}}"),
            "{{$timestamp -1 d}}: takes no arguments"
        );
        assert!(error("{{$}}").starts_with("unknown dynamic value {{$}}"));
        assert!(error("{{$UUID}}").starts_with("unknown dynamic value {{$UUID}}"));
        assert_eq!(
            error("id: {{$uuid\nnext"),
            "unclosed dynamic value \"{{$uuid\\nnext\": expected }} after it"
        );
        for text in ["{{$nope}}", "{{$uuid", "{{$randomInt\n5\n1}}", "{{$x\n\n}}"] {
            assert!(!error(text).contains('\n'), "{text}");
        }
    }

    #[test]
    fn a_user_value_is_found_and_unclosed_braces_cost_one_pass() {
        let values = [("login.response.body.*".to_string(), 3)];
        let t = Template::parse_with(b"a {{ login.response.body.* }} {{x}} {{", &values).unwrap();
        assert_eq!(
            t.pieces,
            [
                Piece::Literal(b"a ".to_vec()),
                Piece::Value(3),
                Piece::Literal(b" {{x}} {{".to_vec())
            ]
        );
        // Each `{{` looks no further than the next one: many of them with
        // no `}}` after them are read once, not once each (this took
        // minutes when each looked to the end of the text).
        let mut text = b"{{login.response.body.*}}".to_vec();
        text.extend(b"{{ x ".repeat(200_000));
        let (done, waited) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(Template::parse_with(&text, &values).is_ok()));
        let parsed = waited.recv_timeout(std::time::Duration::from_secs(60));
        assert_eq!(parsed, Ok(true), "1 MB of unclosed braces");
    }

    #[test]
    fn many_user_values_are_looked_up_by_name() {
        // As many different ones as a scenario may have, each written a
        // few times: a `{{` must not compare its text with every name
        // (this took minutes).
        let values: Vec<(String, u16)> = (0..=u16::MAX)
            .map(|id| (format!("login.response.headers.h{id}"), id))
            .collect();
        let once: String = values
            .iter()
            .map(|(name, _)| format!("{{{{{name}}}}}"))
            .collect();
        let text = once.repeat(4);
        let (done, waited) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let t = Template::parse_with(text.as_bytes(), &values).unwrap();
            done.send((t.pieces.len(), t.pieces.last().cloned()))
        });
        let parsed = waited.recv_timeout(std::time::Duration::from_secs(60));
        assert_eq!(parsed, Ok((4 * 65_536, Some(Piece::Value(u16::MAX)))));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng::new(17);
        let alphabet: &[&[u8]] = &[
            b"{{",
            b"}}",
            b"$",
            b"uuid",
            b"randomInt",
            b" ",
            b"1",
            b"-",
            b"\n",
            b"x",
            b"\xff",
            b"timestamp",
            b"{",
            b"}",
        ];
        for _ in 0..5000 {
            let mut text = Vec::new();
            for _ in 0..rng.between(0, 12) {
                text.extend_from_slice(
                    alphabet[rng.between(0, alphabet.len() as u64 - 1) as usize],
                );
            }
            if let Ok(t) = Template::parse(&text) {
                let mut out = Vec::new();
                t.render(&mut Values::new(&mut rng), &mut out);
                if t.is_static() {
                    assert_eq!(out, text);
                }
            }
        }
    }
}
