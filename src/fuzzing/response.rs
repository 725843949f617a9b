//! The response parser fed a fuzzer's bytes, cut where the fuzzer says: it
//! must terminate and agree with itself however the bytes are cut, and its
//! byte counts must add up, and so must what it captures of each reply.

use std::sync::Arc;

use super::{Cuts, pieces};
use crate::http::response::{Response, ResponseParser, Step};
use crate::journey::capture::{BODY_PREFIX_MAX, CaptureSpec, Captured};

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

/// `data`: see `Cuts` in fuzzing/mod.rs; flag bit 0 means the request was
/// HEAD, bit 1 that every reply is captured (all headers, the body's start).
/// The response bytes are fed whole, cut at the chosen points, and one byte
/// at a time, pipelined (each completed response starts the next), then EOF.
/// Panics if any two ways disagree or an invariant fails.
pub fn response(data: &[u8]) {
    let Some(Cuts { flags, cuts, input }) = Cuts::read(data) else {
        return;
    };
    let head = flags & 1 == 1;
    let capture = (flags & 2 == 2).then(|| {
        let mut spec = CaptureSpec::default();
        spec.keep_all_headers();
        spec.keep_body();
        Arc::new(spec)
    });
    let how = Start {
        head,
        capture: capture.as_ref(),
    };

    // One parser for every way, so its memo of the last head is exercised too.
    let mut p = ResponseParser::new();
    let whole = drive(&mut p, input, &[], how);
    let split = drive(&mut p, input, &cuts, how);
    assert_eq!(whole, split, "whole vs cut at {cuts:?}");
    let every: Vec<usize> = (1..input.len()).collect();
    let bytewise = drive(&mut p, input, &every, how);
    assert_eq!(whole, bytewise, "whole vs one byte at a time");
}

/// How each reply is started.
#[derive(Clone, Copy)]
struct Start<'a> {
    /// The request was HEAD.
    head: bool,
    capture: Option<&'a Arc<CaptureSpec>>,
}

impl Start<'_> {
    fn start(self, p: &mut ResponseParser) {
        p.start(self.head);
        if let Some(spec) = self.capture {
            p.capture(spec);
        }
    }

    /// What `p` captured of the reply that just completed, checked against
    /// what the parser reported of it.
    fn take(self, p: &mut ResponseParser, response: &Response) -> Option<Box<Captured>> {
        let got = p.take_captured();
        assert_eq!(got.is_some(), self.capture.is_some(), "captured iff asked");
        if let Some(got) = &got {
            assert_eq!(got.status, response.status, "captured status");
            assert!(got.body.len() <= BODY_PREFIX_MAX, "body prefix bound");
            assert!(!got.truncated || got.body.len() == BODY_PREFIX_MAX);
            assert!(!self.head || got.body.is_empty(), "a HEAD reply's body");
            let kept: usize = (got.headers.iter()).map(|(n, v)| n.len() + v.len()).sum();
            assert!(kept <= response.bytes as usize, "headers from the head");
        }
        got
    }
}

/// Feeds `input` in pieces ending at `cuts` (sorted), starting the next
/// response after each one completes, until a failure or EOF.
fn drive(
    p: &mut ResponseParser,
    input: &[u8],
    cuts: &[usize],
    how: Start<'_>,
) -> (Vec<Outcome>, Vec<Option<Box<Captured>>>) {
    let mut out = Vec::new();
    let mut captured = Vec::new();
    how.start(p);
    let mut resp_start = 0;
    let mut end = 0;
    for mut piece in pieces(input, cuts) {
        end += piece.len();
        loop {
            match p.feed(piece) {
                Ok(Step::NeedMore) => {
                    assert_eq!(
                        p.bytes(),
                        (end - resp_start) as u64,
                        "bytes() after NeedMore"
                    );
                    break;
                }
                Ok(Step::Done { response, consumed }) => {
                    // The feed that completes a response uses some of its
                    // bytes; a response of none would loop a connection.
                    assert!(consumed > 0, "completed on no bytes");
                    assert!(consumed <= piece.len(), "consumed more than fed");
                    let done_at = end - piece.len() + consumed;
                    assert_eq!(
                        response.bytes,
                        (done_at - resp_start) as u64,
                        "bytes counted"
                    );
                    assert_eq!(p.bytes(), response.bytes);
                    assert_eq!(p.status(), response.status);
                    captured.push(how.take(p, &response));
                    assert!(p.feed(b"x").is_err(), "feed after Done must fail");
                    out.push(Outcome::Done(response, done_at));
                    resp_start = done_at;
                    piece = &piece[consumed..];
                    how.start(p);
                    if piece.is_empty() {
                        break;
                    }
                }
                Err(_) => {
                    assert_eq!(p.take_captured(), None, "captured a failed reply");
                    out.push(Outcome::Failed);
                    return (out, captured);
                }
            }
        }
    }
    out.push(match p.finish_on_eof() {
        Ok(r) => {
            assert_eq!(r.bytes, (input.len() - resp_start) as u64, "bytes at EOF");
            captured.push(how.take(p, &r));
            Outcome::Eof(r)
        }
        Err(_) => Outcome::Failed,
    });
    (out, captured)
}
