//! Samples travel in batches from the workers to one recorder thread, which
//! writes `results.csv` and keeps the histograms every figure is read from.

pub(crate) mod csv_out;
pub(crate) mod hdr_log;
pub(crate) mod interval_bins;
pub(crate) mod meta;
pub(crate) mod outcomes;
pub(crate) mod recorder;
pub(crate) mod sample;
pub(crate) mod stats;

pub(crate) use sample::{ErrorKind, Sample};
pub(crate) use stats::Stats;
