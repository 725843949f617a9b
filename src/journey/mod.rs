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

use std::collections::HashMap;
use std::sync::Arc;

use data::DataSet;
pub(crate) use reference::Part;
pub(crate) use user::{User, UserView};

/// The most different values a scenario's users keep: ids are 16 bits.
pub(crate) const MAX_VALUES: usize = u16::MAX as usize + 1;

/// Where a user's value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
    /// Per task: the ids of the values its request reads, in order.
    pub(crate) reads: Vec<Vec<u16>>,
    /// Each user keeps a cookie jar for this site: an HTTP scenario's run,
    /// unless `--no-cookies`.
    pub(crate) cookies: Option<cookies::Site>,
    /// The data files, by set: read once, shared by every worker.
    pub(crate) data: Vec<Arc<DataSet>>,
    /// `values`' ids by source, so that a file with many references is
    /// read in one pass.
    ids: HashMap<Source, u16>,
    /// By id: the value goes in a request head (URL or header), where a
    /// line break would end it.
    in_head: Vec<bool>,
}

impl Journey {
    /// Users keep no state: the engine need not keep any.
    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty() && self.cookies.is_none()
    }

    /// Some reply gives its user values (`# @name` and a reference to it):
    /// replies are then looked at beyond their status.
    pub(crate) fn takes_values(&self) -> bool {
        self.values
            .iter()
            .any(|source| matches!(source, Source::Reply { .. }))
    }

    /// The id of the value from `source`, added if new. Err: there is no
    /// id left for a new one ([`MAX_VALUES`]).
    pub(crate) fn value_id(&mut self, source: Source) -> Result<u16, String> {
        if let Some(&id) = self.ids.get(&source) {
            return Ok(id);
        }
        let id = u16::try_from(self.values.len()).map_err(|_| {
            format!("too many different references: a scenario reads at most {MAX_VALUES} values")
        })?;
        self.ids.insert(source.clone(), id);
        self.values.push(source);
        self.in_head.push(false);
        Ok(id)
    }

    /// Value `id` goes in a request head: see [`Self::in_head`].
    pub(crate) fn note_in_head(&mut self, id: u16) {
        if let Some(head) = self.in_head.get_mut(id as usize) {
            *head = true;
        }
    }

    /// Whether value `id` goes in a request head (a URL or a header),
    /// where it may hold no line break: kept, one would end the head and
    /// start a request of the server's making.
    pub(crate) fn in_head(&self, id: u16) -> bool {
        self.in_head.get(id as usize).copied().unwrap_or(false)
    }

    /// Task `task` reads value `id`. Ids noted in rising order cost no
    /// search (`value_id` hands them out so).
    pub(crate) fn note_read(&mut self, task: usize, id: u16) {
        if self.reads.len() <= task {
            self.reads.resize(task + 1, Vec::new());
        }
        let reads = &mut self.reads[task];
        if reads.last().is_some_and(|&last| last >= id) {
            if let Err(at) = reads.binary_search(&id) {
                reads.insert(at, id);
            }
        } else {
            reads.push(id);
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
