//! The RESP reply parser fed a fuzzer's bytes, cut where the fuzzer says:
//! whole, cut and byte by byte must agree, and a complete reply's byte
//! count must be exactly the bytes it took.

use super::{agree_however_cut, pieces};
use crate::redis::reply::ReplyParser;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The reply completed this many bytes into the input; is it an error.
    Done(usize, bool),
    NeedMore,
    Failed,
}

/// `data`: see `Cuts` in fuzzing/mod.rs (no flags).
pub fn redis_reply(data: &[u8]) {
    agree_however_cut(data, drive);
}

fn drive(input: &[u8], cuts: &[usize]) -> Outcome {
    let mut p = ReplyParser::new();
    let mut at = 0;
    for piece in pieces(input, cuts) {
        match p.feed(piece) {
            Ok(Some(used)) => {
                assert!(
                    used > 0 && used <= piece.len(),
                    "used {used} of {}",
                    piece.len()
                );
                assert_eq!(p.bytes(), (at + used) as u64, "bytes = what the reply took");
                return Outcome::Done(at + used, p.is_error());
            }
            Ok(None) => {}
            Err(_) => return Outcome::Failed,
        }
        at += piece.len();
    }
    Outcome::NeedMore
}
