//! The data-file directives, `# @data NAME = ./users.csv` and
//! `# @data-mode NAME per-user|per-request`, and the `{{NAME.COLUMN}}`
//! references to them (found by `journey.rs` with the others), which
//! become user values the template renders.

use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::journey::data::{self, DataSet, Mode};
use crate::journey::{Source, reference};
use crate::whole_file;

/// Where a reference sits, which bounds the bytes its column may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// No whitespace or control bytes: a request line has no room for them.
    Url,
    /// No control bytes but tab: a CR or LF would end the header.
    Header,
    /// Anything.
    Body,
}

/// The data sets read so far, and the modes still to apply.
pub(super) struct Data {
    sets: Vec<DataSet>,
    /// `@data-mode` directives: line, data set name, mode. Applied once
    /// the file is read, so that they may come before their `@data`.
    modes: Vec<(usize, String, Mode)>,
    /// What data files may still add, in bytes.
    budget: u64,
    /// (set, column, place) known to fit: a column is scanned once per
    /// place, however many requests use it.
    fitted: Vec<(usize, usize, Place)>,
}

/// A data set name: `[A-Za-z_][A-Za-z0-9_-]*`.
fn is_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Data {
    pub(super) fn new() -> Data {
        Data {
            sets: Vec::new(),
            modes: Vec::new(),
            budget: data::MAX_DATA,
            fitted: Vec::new(),
        }
    }

    /// File directive `@name value` at `line`, if it is one of these.
    pub(super) fn directive(
        &mut self,
        line: usize,
        name: &str,
        value: &str,
        base_dir: &Path,
    ) -> Option<Result<(), String>> {
        match name {
            "data" => Some(self.define(value, base_dir)),
            "data-mode" => Some(self.mode(line, value)),
            _ => None,
        }
    }

    /// `@data NAME = PATH`: read the file, relative to `base_dir`.
    fn define(&mut self, value: &str, base_dir: &Path) -> Result<(), String> {
        let usage = "expected \"@data NAME = ./file.csv\"";
        let Some((name, path)) = value.split_once('=') else {
            return Err(usage.to_string());
        };
        let (name, path) = (name.trim(), path.trim());
        if !is_name(name) {
            return Err(format!(
                "bad data set name {name:?}: a letter or _, then letters, digits, _ and - ({usage})"
            ));
        }
        if path.is_empty() {
            return Err(usage.to_string());
        }
        if self.find(name).is_some() {
            return Err(format!("data set {name:?} is defined twice"));
        }
        let text = whole_file::read(&base_dir.join(path), self.budget).map_err(|e| {
            let why = match e.kind() {
                io::ErrorKind::FileTooLarge => data::too_large(),
                _ => e.to_string(),
            };
            format!("cannot read data file {path}: {why}")
        })?;
        self.budget -= text.len() as u64;
        self.sets.push(DataSet::parse(name, path, &text)?);
        Ok(())
    }

    /// `@data-mode NAME per-user|per-request`, at `line`.
    fn mode(&mut self, line: usize, value: &str) -> Result<(), String> {
        let usage = "expected \"@data-mode NAME per-user\" or \"@data-mode NAME per-request\"";
        let mut words = value.split_whitespace();
        let (Some(name), Some(mode), None) = (words.next(), words.next(), words.next()) else {
            return Err(usage.to_string());
        };
        let Some(mode) = Mode::parse(mode) else {
            return Err(format!("bad mode {mode:?}: {usage}"));
        };
        if self.modes.iter().any(|(_, n, _)| n == name) {
            return Err(format!("@data-mode for {name:?} is given twice"));
        }
        self.modes.push((line, name.to_string(), mode));
        Ok(())
    }

    /// The data sets with their modes, once the whole file is read; an
    /// error has the line of a mode whose data set is not defined.
    pub(super) fn finish(&mut self) -> Result<Vec<Arc<DataSet>>, (usize, String)> {
        for (line, name, mode) in std::mem::take(&mut self.modes) {
            let Some(i) = self.find(&name) else {
                return Err((
                    line,
                    format!("@data-mode for {name:?}, which no @data line defines"),
                ));
            };
            self.sets[i].mode = mode;
        }
        Ok(std::mem::take(&mut self.sets)
            .into_iter()
            .map(Arc::new)
            .collect())
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.sets.iter().position(|s| s.name == name)
    }

    /// Whether a data set is named `name`.
    pub(super) fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// The first reference in `text` (`users.name`) to a data set.
    pub(super) fn named_in<'t>(&self, text: &'t str) -> Option<&'t str> {
        reference::candidates(text.as_bytes())
            .find(|inner| reference::split(inner).is_some_and(|(name, _)| self.has(name)))
    }

    /// A reference `{{name.column}}` in `place`, if `name` is a data set:
    /// the set and column, once the column is found and its every field
    /// fits `place`.
    pub(super) fn resolve(
        &mut self,
        name: &str,
        column: &str,
        place: Place,
    ) -> Option<Result<Source, String>> {
        let set = self.find(name)?;
        let data = &self.sets[set];
        let Some(c) = data.column(column) else {
            return Some(Err(format!(
                "{} has no column {column:?} (columns: {})",
                data.path,
                data.column_list()
            )));
        };
        if !self.fitted.contains(&(set, c, place)) {
            if let Err(e) = fits(data, c, column, place) {
                return Some(Err(e));
            }
            self.fitted.push((set, c, place));
        }
        Some(Ok(Source::Data { set, column: c }))
    }
}

/// Every field of `set`'s `column` (named `name`) can go in `place`.
fn fits(set: &DataSet, column: usize, name: &str, place: Place) -> Result<(), String> {
    let (bad, what): (fn(u8) -> bool, &str) = match place {
        Place::Url => (|b| b.is_ascii_whitespace() || b.is_ascii_control(), "a URL"),
        Place::Header => (|b| b.is_ascii_control() && b != b'\t', "a header"),
        Place::Body => return Ok(()),
    };
    match set.find_byte(column, bad) {
        None => Ok(()),
        Some((line, byte)) => Err(format!(
            "{}:{line}: column {name:?} holds the byte {byte:#04x}, which {what} cannot carry",
            set.path
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(csv: &str) -> Data {
        let mut data = Data::new();
        data.sets
            .push(DataSet::parse("users", "./users.csv", csv.as_bytes()).unwrap());
        data
    }

    #[test]
    fn names() {
        for good in ["users", "_u", "a-b_c9", "U"] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["", "9a", "-a", "a.b", "a b", "é"] {
            assert!(!is_name(bad), "{bad}");
        }
    }

    #[test]
    fn references_are_resolved_against_the_columns() {
        let mut data = with("name,password\nalice,a1\n");
        assert!(data.has("users") && !data.has("other"));
        assert_eq!(data.resolve("other", "name", Place::Url), None);
        assert_eq!(
            data.resolve("users", "password", Place::Url),
            Some(Ok(Source::Data { set: 0, column: 1 }))
        );
        assert_eq!(
            data.resolve("users", "nme", Place::Body),
            Some(Err(
                "./users.csv has no column \"nme\" (columns: name, password)".to_string()
            ))
        );
    }

    #[test]
    fn fields_must_fit_their_place() {
        let mut data = with("plain,spaced,broken\na,b c,\"x\r\ny\"\nd,e,f\n");
        let mut resolve = |column, place| data.resolve("users", column, place).unwrap();
        assert!(resolve("plain", Place::Url).is_ok());
        assert_eq!(
            resolve("spaced", Place::Url).unwrap_err(),
            "./users.csv:2: column \"spaced\" holds the byte 0x20, which a URL cannot carry"
        );
        assert!(resolve("spaced", Place::Header).is_ok());
        assert_eq!(
            resolve("broken", Place::Header).unwrap_err(),
            "./users.csv:2: column \"broken\" holds the byte 0x0d, which a header cannot carry"
        );
        assert!(resolve("broken", Place::Body).is_ok());
        // A fit is kept per place: the header's does not pass the URL.
        assert!(resolve("spaced", Place::Header).is_ok());
        assert!(resolve("spaced", Place::Url).is_err());
        assert!(resolve("plain", Place::Url).is_ok());
        assert_eq!(data.fitted.len(), 3);
    }

    #[test]
    fn directives() {
        let scratch = crate::scenario::tests::TempDir::new();
        let dir = scratch.0.as_path();
        std::fs::write(dir.join("u.csv"), "name\nalice\nbob\n").unwrap();
        let mut data = Data::new();
        assert_eq!(data.mode(3, "users per-request"), Ok(()));
        assert_eq!(data.define("users = ./u.csv", dir), Ok(()));
        assert_eq!(data.define("more=u.csv", dir), Ok(()));
        assert_eq!(
            data.budget,
            data::MAX_DATA - 2 * "name\nalice\nbob\n".len() as u64
        );
        for (value, expected) in [
            ("users", "expected \"@data NAME = ./file.csv\""),
            ("users =", "expected \"@data NAME = ./file.csv\""),
            (
                "9x = u.csv",
                "bad data set name \"9x\": a letter or _, then",
            ),
            ("= u.csv", "bad data set name \"\""),
            ("users = ./u.csv", "data set \"users\" is defined twice"),
            (
                "gone = ./gone.csv",
                "cannot read data file ./gone.csv: No such file",
            ),
        ] {
            let e = data.define(value, dir).unwrap_err();
            assert!(e.starts_with(expected), "{value}: {e}");
        }
        for (value, expected) in [
            ("users", "expected \"@data-mode NAME per-user\""),
            ("users per-user x", "expected \"@data-mode NAME per-user\""),
            ("more sometimes", "bad mode \"sometimes\": expected"),
            ("users per-user", "@data-mode for \"users\" is given twice"),
        ] {
            let e = data.mode(4, value).unwrap_err();
            assert!(e.starts_with(expected), "{value}: {e}");
        }
        let sets = data.finish().unwrap();
        assert_eq!(sets[0].mode, Mode::PerRequest);
        assert_eq!(sets[1].mode, Mode::PerUser);

        let mut data = Data::new();
        data.mode(7, "nobody per-user").unwrap();
        assert_eq!(
            data.finish().unwrap_err(),
            (
                7,
                "@data-mode for \"nobody\", which no @data line defines".to_string()
            )
        );
    }
}
