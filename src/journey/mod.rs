//! User journeys in a scenario: what one virtual user carries from request
//! to request. Values taken from named responses (`# @name login`, then
//! `{{login.response.body.$.token}}`), response checks that read the body
//! or headers (`# @expect body contains ok`), a cookie jar, and rows of
//! data files (`# @data users = ./users.csv`, then `{{users.name}}`).
//!
//! A plain run (none of these in its scenario) carries none of it: the
//! engine keeps no per-user state and its hot path is unchanged.

// Wired into the engine by the journey foundation (issue 16, phase 2).
#[allow(dead_code)]
pub(crate) mod cookies;
