//! The chunked decoder fed a fuzzer's bytes, cut where the fuzzer says: it
//! must agree with itself however the bytes are cut, and use all it is fed
//! until the body completes.

use super::{agree_however_cut, pieces};
use crate::http::response::chunked::Chunked;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The body completed this many bytes into the input.
    Done(usize),
    /// All input was used; the body is not complete.
    NeedMore,
    /// The framing is broken (where it is noticed may depend on the cuts).
    Failed,
}

/// `data`: see `Cuts` in fuzzing/mod.rs (no flags). The body bytes are fed whole, cut at
/// the chosen points, and one byte at a time; every way must agree.
pub fn chunked(data: &[u8]) {
    agree_however_cut(data, drive);
}

fn drive(input: &[u8], cuts: &[usize]) -> Outcome {
    let mut c = Chunked::new();
    let mut at = 0;
    for piece in pieces(input, cuts) {
        match c.feed(piece) {
            Ok((used, true)) => {
                assert!(used <= piece.len(), "used more than fed");
                return Outcome::Done(at + used);
            }
            Ok((used, false)) => assert_eq!(used, piece.len(), "incomplete, yet left bytes"),
            Err(_) => return Outcome::Failed,
        }
        at += piece.len();
    }
    Outcome::NeedMore
}
