//! Samples travel in batches from the workers to one recorder thread, which
//! writes `results.csv` and keeps the histograms every figure is read from.

pub mod csv_out;
pub mod meta;
pub mod outcomes;
pub mod recorder;
pub mod sample;
pub mod stats;

pub use sample::{ErrorKind, Sample};
pub use stats::Stats;
