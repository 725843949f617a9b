//! Regression against a baseline run.

use super::verdict::Verdict;
use crate::record::stats::Tally;

pub struct Side<'a> {
    pub tally: &'a Tally,
    pub counts: Vec<u64>,
}

pub fn compare(_base: &Side, _run: &Side, _pct: f64, _task: Option<&str>) -> Vec<Verdict> {
    Vec::new()
}
