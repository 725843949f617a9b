//! File variables: `@name = value` lines and `{{name}}` substitution.
//!
//! Variables are defined in file order: a `{{name}}` sees the definitions
//! above it. `--var name=value` overrides win over the file's definition of
//! the same name and are taken verbatim. `{{$...}}` is never a variable: it
//! is left for `http::template`, as is anything in braces that is not a name.

use std::collections::HashMap;

/// The most bytes variables may insert into one line (or one value), and
/// into the whole file. Values chain, so without a bound 40 doubling lines
/// of a 908-byte file expand to terabytes; with both bounds a file's
/// expansion costs at most its own size plus 64 MiB.
const MAX_LINE_EXPANSION: usize = 1 << 20;
const MAX_FILE_EXPANSION: usize = 64 << 20;

pub(super) struct Vars {
    values: HashMap<String, String>,
    overridden: HashMap<String, String>,
    /// Bytes inserted so far, in the whole file.
    inserted: usize,
}

/// Variable names: letters, digits, `_` and `-`.
pub(super) fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Vars {
    pub(super) fn new(overrides: &[(String, String)]) -> Vars {
        let overridden: HashMap<String, String> = overrides.iter().cloned().collect();
        Vars {
            values: overridden.clone(),
            overridden,
            inserted: 0,
        }
    }

    /// Every variable and its value as the file ends, by name.
    pub(super) fn all(&self) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = self
            .values
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        all.sort();
        all
    }

    /// Handle a line starting with `@` (trimmed): `@name = value`.
    pub(super) fn define(&mut self, line: &str) -> Result<(), String> {
        let rest = &line[1..];
        let definition = rest
            .split_once('=')
            .map(|(name, value)| (name.trim(), value.trim()))
            .filter(|(name, _)| is_name(name));
        let Some((name, value)) = definition else {
            let word = rest.split_whitespace().next().unwrap_or("");
            let hint = if super::FILE_DIRECTIVES.contains(&word) || word == "weight" {
                format!("; a directive is a comment: # @{word} ...")
            } else {
                String::new()
            };
            return Err(format!(
                "bad variable definition {line:?}: expected \"@name = value\" \
                 (name: letters, digits, _ and -){hint}"
            ));
        };
        if !self.overridden.contains_key(name) {
            let value = self.substitute(value)?;
            self.values.insert(name.to_string(), value);
        }
        Ok(())
    }

    /// Replace every `{{name}}` (whitespace allowed inside the braces) with
    /// its value. Values are inserted as they are, not scanned again. Past
    /// [`MAX_LINE_EXPANSION`] inserted bytes in `text`, or
    /// [`MAX_FILE_EXPANSION`] in the file, it is an error.
    pub(super) fn substitute(&mut self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut in_line = 0;
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            // Its `}}` comes before the next `{{`, or the inside is no name:
            // so each `{{` reads only to the next, and many are read once.
            let inside = &after[..after.find("{{").unwrap_or(after.len())];
            if let Some(close) = inside.find("}}") {
                let name = after[..close].trim();
                if is_name(name) {
                    let Some(value) = self.values.get(name) else {
                        return Err(format!("unknown variable {{{{{name}}}}}"));
                    };
                    in_line += value.len();
                    if in_line > MAX_LINE_EXPANSION {
                        return Err(format!(
                            "expansion too large: variables insert more than {} MiB into this line",
                            MAX_LINE_EXPANSION >> 20
                        ));
                    }
                    if self.inserted + in_line > MAX_FILE_EXPANSION {
                        return Err(format!(
                            "expansion too large: variables insert more than {} MiB into the file",
                            MAX_FILE_EXPANSION >> 20
                        ));
                    }
                    out.push_str(value);
                    rest = &after[close + 2..];
                    continue;
                }
            }
            // Not a variable: keep one brace and look again from the next
            // one, so `{{{name}}}` is `{` + value + `}`.
            out.push('{');
            rest = &rest[open + 1..];
        }
        out.push_str(rest);
        self.inserted += in_line;
        Ok(out)
    }
}
