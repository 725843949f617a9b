//! Entry points for the fuzz targets in `fuzz/` and for the regression test
//! that replays what they found (`tests/fuzz_regressions.rs`). Each takes
//! arbitrary bytes, feeds them to one parser, and panics only on a bug: a
//! parser may reject any input, but must not panic, hang, allocate without
//! bound or contradict itself.

mod response;

pub use response::response;
