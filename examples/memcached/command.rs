//! A memcached command line, parsed once per task into the bytes it
//! sends (or the templates that render them).

use stampede::Template;
use std::io::Write;

/// A task's command, ready to encode.
pub(crate) enum Command {
    /// The same bytes every time.
    Fixed(Vec<u8>),
    /// `get ...`: the line.
    Get(Template),
    /// `set KEY FLAGS EXPTIME` and the value, whose length is only known
    /// once it is rendered.
    Set { head: Template, value: Template },
}

impl Command {
    /// `namespace` goes before every key (`--var namespace=NS`).
    pub(crate) fn parse(line: &str, namespace: &str) -> Result<Command, String> {
        let line = line.trim();
        let bad = |why: &str| format!("bad memcached command {line:?}: {why}");
        let words = words(line).map_err(bad)?;
        let name = words.first().map(|&(s, e)| &line[s..e]);
        if !namespace.is_empty() {
            let keys = match name {
                Some("get" | "gets") => 1..words.len(),
                Some("set") => 1..words.len().min(2),
                _ => 0..0,
            };
            let (mut text, mut at) = (String::new(), 0);
            for key in keys {
                text.push_str(&line[at..words[key].0]);
                text.push_str(namespace);
                at = words[key].0;
            }
            text.push_str(&line[at..]);
            return Command::parse(&text, "");
        }
        let command = match name {
            Some("get" | "gets") if words.len() > 1 => Command::Get(Template::parse(line)?),
            Some("get" | "gets") => return Err(bad("get needs a key")),
            Some("set") if words.len() >= 5 => {
                let (head_end, value_start) = (words[3].1, words[4].0);
                Command::Set {
                    head: Template::parse(&line[words[0].0..head_end])?,
                    value: Template::parse(&line[value_start..])?,
                }
            }
            Some("set") => return Err(bad("expected set KEY FLAGS EXPTIME VALUE")),
            _ => return Err(bad("this example speaks get and set")),
        };
        // No dynamic value: encode once, and write it without a copy.
        let fixed = match &command {
            Command::Get(line) => line.fixed().map(|line| [line, b"\r\n"].concat()),
            Command::Set { head, value } => head
                .fixed()
                .zip(value.fixed())
                .map(|(head, value)| set(head, value)),
            Command::Fixed(_) => None,
        };
        Ok(fixed.map_or(command, Command::Fixed))
    }
}

/// `set KEY FLAGS EXPTIME` and its data block, with the block's length.
pub(crate) fn set(head: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + value.len() + 16);
    push_set(&mut out, head, value);
    out
}

pub(crate) fn push_set(out: &mut Vec<u8>, head: &[u8], value: &[u8]) {
    out.extend_from_slice(head);
    // Into the Vec, with no allocation of its own: this runs per request.
    let _ = write!(out, " {}\r\n", value.len());
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Where each word of `line` starts and ends; a dynamic value
/// (`{{$randomInt 1 9}}`) is part of its word, spaces and all.
fn words(line: &str) -> Result<Vec<(usize, usize)>, &'static str> {
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            if bytes[i..].starts_with(b"{{") {
                let close = line[i..].find("}}").ok_or("a {{ is not closed")?;
                i += close + 2;
            } else {
                i += 1;
            }
        }
        words.push((start, i));
    }
    Ok(words)
}
