//! User journeys in a scenario: what one virtual user carries from request
//! to request. Values taken from named responses (`# @name login`, then
//! `{{login.response.body.$.token}}`), response checks that read the body
//! or headers (`# @expect body contains ok`), a cookie jar, and rows of
//! data files (`# @data users = ./users.csv`, then `{{users.name}}`).
//!
//! A plain run (none of these in its scenario) carries none of it: the
//! engine keeps no per-user state and its hot path is unchanged.

pub(crate) mod capture;
pub(crate) mod cookies;
pub(crate) mod data;
pub(crate) mod json_path;
mod keep;
pub(crate) mod reference;
pub(crate) mod rows;
mod user;

use std::sync::Arc;

use data::DataSet;
pub(crate) use reference::Part;
pub(crate) use user::{User, UserView};

/// The most different values (references and data columns) a scenario
/// reads: far beyond a real journey, and small enough that looking one up
/// by comparison stays cheap.
const MAX_VALUES: usize = 4096;

/// Where a user's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A part of the last successful reply to a named request (its task).
    Reply { task: u16, part: Part },
    /// A column of a data file (`# @data`), in the user's current row of
    /// it: always there.
    Data { set: usize, column: usize },
}

/// What a run's journeys need, read from the scenario: the values each
/// user keeps, by id, and which tasks read and give them. Empty for a
/// plain run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Journey {
    /// By id (a template's `Piece::Value`): where each value comes from.
    pub(crate) values: Vec<Source>,
    /// Per task: the ids of the values its request reads.
    pub(crate) reads: Vec<Vec<u16>>,
    /// Each user keeps a cookie jar for this site: an HTTP scenario's run,
    /// unless `--no-cookies`.
    pub(crate) cookies: Option<cookies::Site>,
    /// The data files, by set: read once, shared by every worker.
    pub(crate) data: Vec<Arc<DataSet>>,
}

impl Journey {
    /// Users keep no state: the engine need not keep any.
    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty() && self.cookies.is_none()
    }

    /// The id of the value from `source`, added if new.
    /// Some reply gives its user values (`# @name` and a reference to it):
    /// replies are then looked at beyond their status.
    pub(crate) fn takes_values(&self) -> bool {
        self.values
            .iter()
            .any(|source| matches!(source, Source::Reply { .. }))
    }

    pub(crate) fn value_id(&mut self, source: Source) -> Result<u16, String> {
        if let Some(id) = self.values.iter().position(|s| *s == source) {
            return Ok(id as u16);
        }
        if self.values.len() == MAX_VALUES {
            return Err(format!(
                "too many references: a scenario reads at most {MAX_VALUES} different values"
            ));
        }
        self.values.push(source);
        Ok((self.values.len() - 1) as u16)
    }

    /// Task `task` reads value `id`.
    pub(crate) fn note_read(&mut self, task: usize, id: u16) {
        if self.reads.len() <= task {
            self.reads.resize(task + 1, Vec::new());
        }
        if !self.reads[task].contains(&id) {
            self.reads[task].push(id);
        }
    }

    /// The task a user must run before `task` can be sent: the one that
    /// gives the first value `task` reads and `user` does not have yet
    /// (itself needing nothing, since a named request is above those that
    /// read it, so this walk ends). None: `task` can go.
    pub(crate) fn first_needed(&self, user: &User, task: u16) -> Option<u16> {
        let mut task = task;
        let mut needed = None;
        // Each step goes to a task above the last: at most one per task.
        for _ in 0..=self.reads.len() {
            let missing = self.reads.get(task as usize)?.iter().find_map(|&id| {
                match &self.values[id as usize] {
                    Source::Reply { task: giver, .. } if !user.has(id) => Some(*giver),
                    _ => None,
                }
            });
            let Some(giver) = missing else { break };
            task = giver;
            needed = Some(task);
        }
        needed
    }
}
