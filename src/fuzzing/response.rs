//! The response parser fed a fuzzer's bytes, cut where the fuzzer says: it
//! must terminate and agree with itself however the bytes are cut, and its
//! byte counts must add up.

use crate::http::response::{Response, ResponseParser, Step};

/// Most cut points taken from the input's first bytes.
const MAX_CUTS: usize = 8;

/// What became of one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// `feed` completed it, ending this many bytes into the input.
    Done(Response, usize),
    /// All input was taken; `finish_on_eof` completed it.
    Eof(Response),
    /// `feed` or `finish_on_eof` failed. Which of the two depends on the
    /// cuts (a broken head may only be parsed once its end arrives), so
    /// they count as one.
    Failed,
}

/// `data`: a flags byte (bit 0: the request was HEAD), a count of cuts,
/// two bytes per cut (little-endian, taken modulo the length), then the
/// response bytes. They are fed whole, cut at those points, and one byte at
/// a time, pipelined (each completed response starts the next), then EOF.
/// Panics if any two ways disagree or an invariant fails.
pub fn response(data: &[u8]) {
    let [flags, count, rest @ ..] = data else {
        return;
    };
    let head = flags & 1 == 1;
    let count = usize::from(*count) % (MAX_CUTS + 1);
    let Some((cuts, input)) = rest.split_at_checked(2 * count) else {
        return;
    };
    let mut cuts: Vec<usize> = cuts
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (input.len() + 1))
        .collect();
    cuts.sort_unstable();

    // One parser for every way, so its memo of the last head is exercised too.
    let mut p = ResponseParser::new();
    let whole = drive(&mut p, input, &[], head);
    let split = drive(&mut p, input, &cuts, head);
    assert_eq!(whole, split, "whole vs cut at {cuts:?}");
    let every: Vec<usize> = (1..input.len()).collect();
    let bytewise = drive(&mut p, input, &every, head);
    assert_eq!(whole, bytewise, "whole vs one byte at a time");
}

/// Feeds `input` in pieces ending at `cuts` (sorted), starting the next
/// response after each one completes, until a failure or EOF.
fn drive(p: &mut ResponseParser, input: &[u8], cuts: &[usize], head: bool) -> Vec<Outcome> {
    let mut out = Vec::new();
    p.start(head);
    let mut at = 0;
    let mut resp_start = 0;
    for end in cuts.iter().copied().chain(std::iter::once(input.len())) {
        let mut piece = &input[at..end];
        at = end;
        loop {
            match p.feed(piece) {
                Ok(Step::NeedMore) => {
                    assert_eq!(p.bytes(), (end - resp_start) as u64, "bytes() after NeedMore");
                    break;
                }
                Ok(Step::Done { response, consumed }) => {
                    // The feed that completes a response uses some of its
                    // bytes; a response of none would loop a connection.
                    assert!(consumed > 0, "completed on no bytes");
                    assert!(consumed <= piece.len(), "consumed more than fed");
                    let done_at = end - piece.len() + consumed;
                    assert_eq!(response.bytes, (done_at - resp_start) as u64, "bytes counted");
                    assert_eq!(p.bytes(), response.bytes);
                    assert_eq!(p.status(), response.status);
                    assert!(p.feed(b"x").is_err(), "feed after Done must fail");
                    out.push(Outcome::Done(response, done_at));
                    resp_start = done_at;
                    piece = &piece[consumed..];
                    p.start(head);
                    if piece.is_empty() {
                        break;
                    }
                }
                Err(_) => {
                    out.push(Outcome::Failed);
                    return out;
                }
            }
        }
    }
    out.push(match p.finish_on_eof() {
        Ok(r) => {
            assert_eq!(r.bytes, (input.len() - resp_start) as u64, "bytes at EOF");
            Outcome::Eof(r)
        }
        Err(_) => Outcome::Failed,
    });
    out
}
