//! A scenario's journey: `# @name NAME` on a request, and the references
//! to its reply in the requests below it (`{{NAME.response.body.$.token}}`,
//! see `journey::reference`). Each reference becomes a user value
//! (`journey::Journey`), read by the template as `Piece::Value`.

use std::collections::HashMap;

use super::Parser;
use super::data::Place;
use crate::journey::{Source, reference};

/// Names of requests (`# @name`) seen so far, with their task index; by
/// name, so that a file with many is read in one pass.
#[derive(Debug, Default)]
pub(super) struct Names {
    named: HashMap<String, usize>,
    /// `NAME.` references to a name not (yet) known, with the line of the
    /// first: an error if a request below takes the name.
    unresolved: HashMap<String, usize>,
}

impl Parser<'_> {
    /// `# @name NAME` on a request: the name its reply is read by.
    pub(super) fn name_directive(
        &self,
        line: usize,
        value: &str,
        label: Option<String>,
    ) -> Result<Option<String>, String> {
        if label.is_some() {
            return Err(self.error(line, "@name is given twice for this request"));
        }
        if !super::vars::is_name(value) {
            return Err(self.error(
                line,
                format!("bad @name {value:?}: expected a name (letters, digits, _ and -)"),
            ));
        }
        if self.names.named.contains_key(value) {
            return Err(self.error(line, format!("@name {value} is given to two requests")));
        }
        if self.data.has(value) {
            return Err(self.error(
                line,
                format!("@name {value} is the name of a data set (# @data {value} = ...)"),
            ));
        }
        Ok(Some(value.to_string()))
    }

    /// The request about to become task `task` is named `label`.
    pub(super) fn name_task(&mut self, label: Option<String>, task: usize) {
        let Some(label) = label else { return };
        if let Some(&at) = self.names.unresolved.get(&label) {
            // Reported at the end, as the first error of the file.
            self.late_name.get_or_insert((at, label.clone()));
        }
        self.names.named.insert(label, task);
    }

    /// The references in `text`, a line of the request being read (the
    /// next task), as user values: added to `found` (inside the braces,
    /// id), each as often as it is written (see [`distinct`]).
    /// `{{NAME.COLUMN}}` reads a data file when NAME is a data set.
    pub(super) fn references(
        &mut self,
        line: usize,
        text: &[u8],
        place: Place,
        found: &mut Vec<(String, u16)>,
    ) -> Result<(), String> {
        let task = self.scenario.tasks.len();
        for inner in reference::candidates(text) {
            let Some((name, rest)) = reference::split(inner) else {
                continue;
            };
            let source = if let Some(data) = self.data.resolve(name, rest, place) {
                data.map_err(|e| self.error(line, e))?
            } else {
                let Some(&giver) = self.names.named.get(name) else {
                    (self.names.unresolved)
                        .entry(name.to_string())
                        .or_insert(line);
                    continue;
                };
                let part = reference::parse_part(name, rest).map_err(|e| self.error(line, e))?;
                Source::Reply {
                    task: giver as u16,
                    part,
                }
            };
            let id = (self.scenario.journey.value_id(source)).map_err(|e| self.error(line, e))?;
            self.scenario.journey.note_read(task, id);
            if place != Place::Body {
                self.scenario.journey.note_in_head(id);
            }
            found.push((inner.to_string(), id));
        }
        Ok(())
    }

    /// A reference to a request named below the one that reads it: the
    /// named request must come first in the file.
    pub(super) fn check_late_names(&self) -> Result<(), String> {
        match &self.late_name {
            Some((line, name)) => Err(self.error(
                *line,
                format!(
                    "{{{{{name}.response...}}}} reads the reply of the request named {name}, \
                     which is not above this one; a request can only read replies of those \
                     above it"
                ),
            )),
            None => Ok(()),
        }
    }
}

/// A request's references, each text once, in the order of their values.
pub(super) fn distinct(found: &mut Vec<(String, u16)>) {
    found.sort_unstable_by(|(a, x), (b, y)| (x, a).cmp(&(y, b)));
    found.dedup();
}
