//! stampede: a thread-per-core HTTP/1.1 load generator.
//!
//! Data flows one way: `cli` -> `plan` -> `engine` (workers) -> `record`
//! (recorder thread) -> `output`. `serve` is the built-in target server.

// Console output goes through `console`'s macros, which survive a closed pipe.
#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

pub mod app;
pub mod check;
pub mod cli;
mod console;
pub mod cores;
pub mod dashboard;
pub mod digits;
pub mod engine;
pub mod fdlimit;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod output;
pub(crate) mod pem;
pub mod plan;
pub mod record;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod serve;
pub mod signal;
pub mod units;
pub(crate) mod whole_file;
