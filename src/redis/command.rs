//! A command line (`SET key:{{$randomInt 1 100}} "a b"`) as a RESP array
//! of bulk strings. Arguments split on whitespace; a double-quoted one may
//! hold spaces and the escapes `\"`, `\\`, `\n`, `\r`, `\t`; a dynamic
//! value (`{{$...}}`) stays whole, spaces and all, and is rendered per
//! request with `http::template`. A command without one is encoded once.

use crate::dynamic::Values;
use crate::http::template::Template;
use crate::rng::Rng;

#[derive(Clone, Debug)]
enum Arg {
    /// `$len\r\ntext\r\n`, ready.
    Encoded(Vec<u8>),
    Dynamic(Template),
}

#[derive(Clone, Debug)]
pub(crate) struct Command {
    args: Vec<Arg>,
    /// The whole command, when nothing in it is dynamic.
    fixed: Option<Vec<u8>>,
}

impl Command {
    /// Parse a command line; an error says what is wrong in one line.
    pub(crate) fn parse(line: &str) -> Result<Command, String> {
        let words = split(line).map_err(|why| format!("bad Redis command {line:?}: {why}"))?;
        if words.is_empty() {
            return Err("a Redis command is empty".into());
        }
        let mut args = Vec::with_capacity(words.len());
        for word in &words {
            let template = Template::parse(word)?;
            args.push(if template.is_static() {
                let mut encoded = Vec::new();
                push_bulk(&mut encoded, word);
                Arg::Encoded(encoded)
            } else {
                Arg::Dynamic(template)
            });
        }
        let mut command = Command { args, fixed: None };
        if command.args.iter().all(|a| matches!(a, Arg::Encoded(_))) {
            let mut out = Vec::new();
            command.render(
                &mut Values::new(&mut Rng::new(0)),
                &mut Vec::new(),
                &mut out,
            );
            command.fixed = Some(out);
        }
        Ok(command)
    }

    /// The bytes, when they are the same every time.
    pub(crate) fn fixed(&self) -> Option<&[u8]> {
        self.fixed.as_deref()
    }

    /// Encode the command into `out` (cleared first), drawing its
    /// dynamic values; `scratch` is reused for each.
    pub(crate) fn render(&self, values: &mut Values<'_>, scratch: &mut Vec<u8>, out: &mut Vec<u8>) {
        out.clear();
        push_header(out, b'*', self.args.len());
        for arg in &self.args {
            match arg {
                Arg::Encoded(bytes) => out.extend_from_slice(bytes),
                Arg::Dynamic(template) => {
                    scratch.clear();
                    template.render(values, scratch);
                    push_bulk(out, scratch);
                }
            }
        }
    }
}

/// The command's name, upper-cased: its first word.
pub(crate) fn name(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_matches('"')
        .to_ascii_uppercase()
}

/// A command of plain arguments (AUTH, SELECT), appended to `out`.
pub(crate) fn push_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    push_header(out, b'*', args.len());
    for arg in args {
        push_bulk(out, arg);
    }
}

fn push_header(out: &mut Vec<u8>, kind: u8, n: usize) {
    out.push(kind);
    crate::digits::push_decimal(out, n as u64);
    out.extend_from_slice(b"\r\n");
}

fn push_bulk(out: &mut Vec<u8>, arg: &[u8]) {
    push_header(out, b'$', arg.len());
    out.extend_from_slice(arg);
    out.extend_from_slice(b"\r\n");
}

/// Split a command line into its arguments (see the module's doc).
fn split(line: &str) -> Result<Vec<Vec<u8>>, &'static str> {
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            return Ok(words);
        }
        let mut word = Vec::new();
        let quoted = bytes[i] == b'"';
        if quoted {
            i += 1;
        }
        loop {
            if bytes[i..].starts_with(b"{{$") {
                let end = find(&bytes[i..], b"}}").ok_or("a {{ is never closed")?;
                word.extend_from_slice(&bytes[i..i + end + 2]);
                i += end + 2;
                continue;
            }
            match (bytes.get(i), quoted) {
                (None, true) => return Err("a quote is never closed"),
                (None, false) => break,
                (Some(b), false) if b.is_ascii_whitespace() => break,
                (Some(b'"'), false) => return Err("a quote starts inside an argument"),
                (Some(b'"'), true) => {
                    i += 1;
                    if bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace()) {
                        return Err("a closing quote must be followed by a space");
                    }
                    break;
                }
                (Some(b'\\'), true) => {
                    word.push(match bytes.get(i + 1) {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        _ => return Err(r#"unknown escape: use \" \\ \n \r or \t"#),
                    });
                    i += 2;
                }
                (Some(&b), _) => {
                    word.push(b);
                    i += 1;
                }
            }
        }
        words.push(word);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(line: &str) -> String {
        let command = Command::parse(line).unwrap();
        let mut out = Vec::new();
        command.render(
            &mut Values::new(&mut Rng::new(1)),
            &mut Vec::new(),
            &mut out,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_static_command_is_encoded_once() {
        let command = Command::parse("  SET  k   v ").unwrap();
        assert_eq!(
            command.fixed(),
            Some(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"[..])
        );
        assert_eq!(encode("PING"), "*1\r\n$4\r\nPING\r\n");
    }

    #[test]
    fn quotes_hold_spaces_and_escapes() {
        assert_eq!(
            encode(r#"SET "a key" "say \"hi\"\n" """#),
            "*4\r\n$3\r\nSET\r\n$5\r\na key\r\n$9\r\nsay \"hi\"\n\r\n$0\r\n\r\n"
        );
    }

    #[test]
    fn dynamic_values_render_per_request_and_stay_whole() {
        let command = Command::parse("SET key:{{$randomInt 1 9}} {{$uuid}}").unwrap();
        assert!(command.fixed().is_none());
        let mut rng = Rng::new(3);
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        command.render(&mut Values::new(&mut rng), &mut scratch, &mut out);
        let text = String::from_utf8(out.clone()).unwrap();
        let parts: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(parts[..4], ["*3", "$3", "SET", "$5"], "{text}");
        assert!(parts[4].starts_with("key:") && parts[5] == "$36", "{text}");
        assert_eq!(parts[6].len(), 36);
        let mut p = super::super::reply::ReplyParser::new();
        // A RESP array of bulk strings is a valid RESP value.
        assert_eq!(p.feed(&out), Ok(Some(out.len())));
    }

    #[test]
    fn bad_lines_are_one_line_errors() {
        for (line, want) in [
            ("", "empty"),
            ("   ", "empty"),
            (r#"SET "k v"#, "never closed"),
            (r#"SET "k"v"#, "followed by a space"),
            (r#"SET k"v""#, "inside an argument"),
            (r#"SET "\q""#, "unknown escape"),
            ("SET {{$randomInt 1", "never closed"),
            ("SET {{$nope}}", "nope"),
        ] {
            let err = Command::parse(line).unwrap_err();
            assert!(err.contains(want) && !err.contains('\n'), "{line:?}: {err}");
        }
    }

    #[test]
    fn names_are_the_first_word() {
        assert_eq!(name("get k"), "GET");
        assert_eq!(name(""), "");
    }
}
