//! stampede: a thread-per-core HTTP/1.1 load generator.
//!
//! Data flows one way: `cli` -> `plan` -> `engine` (workers) -> `record`
//! (recorder thread) -> `output`. `serve` is the built-in target server.
//!
//! The public surface is what its users need, and no more: `app` and `cli`
//! for the binary (`src/main.rs`), `fuzzing` for the fuzz targets and
//! `tests/fuzz_regressions.rs`, and for a protocol of your own (see
//! examples/memcached/): `Protocol` with `Decoded`, `ErrorKind`,
//! `RequestSpec`, `Template` and `Values`, run by `main_with` with every
//! flag of `stampede` for the URLs of a `Scheme` (its `Target`). The rest is `pub(crate)` until an outside user
//! needs it.

// Console output goes through `console`'s macros, which survive a closed pipe.
#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]
// The library's surface is deliberate: an item is `pub` only when it is
// reachable from outside the crate; the rest says `pub(crate)`.
#![warn(unreachable_pub)]

pub mod app;
pub(crate) mod check;
pub mod cli;
mod console;
pub(crate) mod cores;
pub(crate) mod custom;
pub(crate) mod dashboard;
pub(crate) mod digits;
pub(crate) mod dynamic;
pub(crate) mod engine;
pub(crate) mod fdlimit;
pub(crate) mod findmax;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod http;
pub(crate) mod journey;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod protocol;
pub(crate) mod record;
pub(crate) mod redis;
pub(crate) mod report;
pub(crate) mod rng;
pub(crate) mod scenario;
pub(crate) mod serve;
pub(crate) mod signal;
/// The integration tests' throwaway PKI (made by openssl), for unit tests
/// that speak TLS: one copy, compiled once.
#[cfg(test)]
#[allow(dead_code, unreachable_pub)] // the integration tests use all of it
#[path = "../tests/common/tls.rs"]
pub(crate) mod test_pki;
pub(crate) mod tls;
pub(crate) mod units;
pub(crate) mod whole_file;
pub(crate) mod xml;

// What a protocol from outside the crate is written against (see
// examples/memcached/ and the README's "Adding a protocol").
pub use custom::{Scheme, Target, main_with};
pub use dynamic::{Template, Values};
pub use plan::RequestSpec;
pub use protocol::{Decoded, Protocol};
pub use record::sample::ErrorKind;
