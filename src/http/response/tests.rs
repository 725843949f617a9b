use super::*;

mod capture;
mod fuzz;
mod malformed;

/// What feeding a whole input (then EOF) produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// `feed` completed the response after this many bytes of the input.
    Done(Response, usize),
    /// All input was taken; `finish_on_eof` completed the response.
    Eof(Response),
    /// `feed` failed.
    Err,
    /// All input was taken; `finish_on_eof` failed.
    EofErr,
}

fn resp(status: u16, bytes: usize, keep_alive: bool) -> Response {
    Response {
        status,
        bytes: bytes as u64,
        keep_alive,
    }
}

/// Feeds `input` cut at the (sorted) positions in `cuts`, then signals EOF.
fn drive(p: &mut ResponseParser, input: &[u8], cuts: &[usize], head: bool) -> Outcome {
    p.start(head);
    assert_eq!(p.bytes(), 0);
    assert_eq!(p.status(), 0);
    let mut at = 0;
    let ends = cuts.iter().copied().chain(std::iter::once(input.len()));
    for end in ends {
        let piece = &input[at..end];
        match p.feed(piece) {
            Ok(Step::NeedMore) => {
                at = end;
                assert_eq!(p.bytes(), at as u64, "bytes() after NeedMore");
            }
            Ok(Step::Done { response, consumed }) => {
                assert!(consumed <= piece.len());
                let total = at + consumed;
                assert_eq!(response.bytes, total as u64, "bytes == consumed");
                assert_eq!(p.bytes(), total as u64);
                assert_eq!(p.status(), response.status);
                assert!(p.feed(b"x").is_err(), "feed after Done must fail");
                return Outcome::Done(response, total);
            }
            Err(_) => {
                // Every byte that arrived counts, the ones that failed too.
                assert_eq!(p.bytes(), end as u64, "bytes() after an error");
                return Outcome::Err;
            }
        }
    }
    match p.finish_on_eof() {
        Ok(r) => {
            assert_eq!(r.bytes, input.len() as u64);
            Outcome::Eof(r)
        }
        Err(_) => {
            assert_eq!(p.bytes(), input.len() as u64, "bytes() after a cut");
            Outcome::EofErr
        }
    }
}

/// Feeds `input` whole, split in two at every boundary, and one byte at a
/// time; every way must give `expected`. A `Done` response is also checked
/// with extra bytes after it.
fn check(input: &[u8], head: bool, expected: Outcome) {
    let mut p = ResponseParser::new();
    let n = input.len();
    assert_eq!(drive(&mut p, input, &[], head), expected, "whole");
    for cut in 0..=n {
        assert_eq!(
            drive(&mut p, input, &[cut], head),
            expected,
            "split at {cut}"
        );
    }
    let every: Vec<usize> = (1..n).collect();
    assert_eq!(
        drive(&mut p, input, &every, head),
        expected,
        "byte at a time"
    );

    if let Outcome::Done(..) = expected {
        let mut extra = input.to_vec();
        extra.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\nEXTRA");
        assert_eq!(drive(&mut p, &extra, &[], head), expected, "extra, whole");
        for cut in 0..=extra.len() {
            assert_eq!(
                drive(&mut p, &extra, &[cut], head),
                expected,
                "extra, split at {cut}"
            );
        }
        let every: Vec<usize> = (1..extra.len()).collect();
        assert_eq!(
            drive(&mut p, &extra, &every, head),
            expected,
            "extra, bytes"
        );
    }
}

/// Expects a response completed by `feed` at the very end of `input`.
fn check_done(input: &[u8], head: bool, status: u16, keep_alive: bool) {
    let n = input.len();
    check(input, head, Outcome::Done(resp(status, n, keep_alive), n));
}

/// Expects a read-until-close response completed by EOF.
fn check_eof(input: &[u8], status: u16) {
    check(input, false, Outcome::Eof(resp(status, input.len(), false)));
}

/// Expects `feed` to fail however the input is split; returns the error
/// from feeding it whole.
fn check_err(input: &[u8]) -> ParseError {
    check(input, false, Outcome::Err);
    let mut p = ResponseParser::new();
    match p.feed(input) {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn content_length() {
    check_done(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        false,
        200,
        true,
    );
    check_done(
        b"HTTP/1.1 404 Not Found\r\nServer: x\r\ncontent-LENGTH:  11 \r\n\r\nnot found!!",
        false,
        404,
        true,
    );
}

#[test]
fn content_length_zero() {
    check_done(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        false,
        200,
        true,
    );
}

#[test]
fn content_length_repeated_values_that_agree() {
    check_done(
        b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc",
        false,
        200,
        true,
    );
    check_done(
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        false,
        200,
        true,
    );
}

#[test]
fn content_length_max_u64_is_accepted() {
    let mut p = ResponseParser::new();
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nabc";
    assert_eq!(p.feed(head), Ok(Step::NeedMore));
    assert_eq!(p.status(), 200);
    assert_eq!(p.bytes(), head.len() as u64);
}

#[test]
fn no_reason_phrase_and_bare_lf_head() {
    check_done(
        b"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
        false,
        200,
        true,
    );
    check_done(b"HTTP/1.1 200 OK\nContent-Length: 1\n\nx", false, 200, true);
}

#[test]
fn chunked_with_extensions_and_trailers() {
    check_done(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;foo=bar\r\nhello\r\n\
          6 ; a=\"x;y\\\"z\" ; b\r\n world\r\n\
          1A\r\nabcdefghijklmnopqrstuvwxyz\r\n\
          0;last\r\nX-Trailer: 1\r\nY: two\r\n\r\n",
        false,
        200,
        true,
    );
}

#[test]
fn chunked_minimal_and_bare_lf() {
    check_done(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        false,
        200,
        true,
    );
    check_done(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\nT: 1\n\n",
        false,
        200,
        true,
    );
}

#[test]
fn chunked_coding_lists_and_case() {
    // Last coding of a list, across several fields, any case; TE beats CL.
    check_done(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n2\r\nab\r\n0\r\n\r\n",
        false,
        200,
        true,
    );
    check_done(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: Chunked\r\n\
          Content-Length: 1\r\n\r\n2\r\nab\r\n0\r\n\r\n",
        false,
        200,
        true,
    );
}

#[test]
fn transfer_encoding_not_ending_in_chunked_reads_until_close() {
    check_eof(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\nabcdef",
        200,
    );
    check_eof(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\nxy",
        200,
    );
}

#[test]
fn read_until_close() {
    check_eof(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nsome body bytes", 200);
    check_eof(b"HTTP/1.1 500 Oops\r\n\r\n", 500);
    check_eof(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody",
        200,
    );
}

#[test]
fn read_until_close_progress() {
    let mut p = ResponseParser::new();
    assert_eq!(p.feed(b"HTTP/1.1 200 OK\r\n\r\nab"), Ok(Step::NeedMore));
    assert_eq!(p.feed(b"cd"), Ok(Step::NeedMore));
    assert_eq!(p.status(), 200);
    assert_eq!(p.bytes(), 23);
    assert_eq!(p.finish_on_eof(), Ok(resp(200, 23, false)));
    assert!(p.finish_on_eof().is_err());
}

#[test]
fn head_request_ignores_content_length() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    check_done(input, true, 200, true);
    check_done(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        true,
        200,
        true,
    );
    // Without HEAD the same head waits for the body.
    check(input, false, Outcome::EofErr);
}

#[test]
fn interim_responses_are_skipped() {
    check_done(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        false,
        200,
        true,
    );
    check_done(
        b"HTTP/1.1 102 Processing\r\n\r\n\
          HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n\
          HTTP/1.1 201 Created\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n\
          1\r\nx\r\n0\r\n\r\n",
        false,
        201,
        false,
    );
    // Interim responses are interim for HEAD requests too.
    check_done(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
        true,
        200,
        true,
    );
}

#[test]
fn interim_status_is_not_reported() {
    let mut p = ResponseParser::new();
    assert_eq!(
        p.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2"),
        Ok(Step::NeedMore)
    );
    assert_eq!(p.status(), 0);
    assert_eq!(p.bytes(), 35);
}

#[test]
fn no_body_statuses() {
    check_done(
        b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
        false,
        204,
        true,
    );
    check_done(
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
        false,
        304,
        true,
    );
    check_done(
        b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        false,
        304,
        false,
    );
}

#[test]
fn switching_protocols() {
    check_done(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        false,
        101,
        false,
    );
}

#[test]
fn http10_keep_alive() {
    check_done(
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        false,
        200,
        false,
    );
    check_done(
        b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi",
        false,
        200,
        true,
    );
    check_done(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nhi",
        false,
        200,
        false,
    );
}

#[test]
fn connection_close() {
    check_done(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
        false,
        200,
        false,
    );
    check_done(
        b"HTTP/1.1 200 OK\r\nConnection: Upgrade\r\nConnection: foo ,CLOSE\r\nContent-Length: 0\r\n\r\n",
        false,
        200,
        false,
    );
    // A token merely containing "close" does not count.
    check_done(
        b"HTTP/1.1 200 OK\r\nConnection: closed, x-close\r\nContent-Length: 0\r\n\r\n",
        false,
        200,
        true,
    );
}

#[test]
fn back_to_back_responses() {
    let a: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    let b: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 NF\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n";
    let c: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n";
    let all = [a, b, c].concat();
    let mut p = ResponseParser::new();
    p.start(false);
    let Ok(Step::Done { response, consumed }) = p.feed(&all) else {
        panic!("first response")
    };
    assert_eq!((response, consumed), (resp(200, a.len(), true), a.len()));
    p.start(false);
    let rest = &all[consumed..];
    let Ok(Step::Done { response, consumed }) = p.feed(rest) else {
        panic!("second response")
    };
    assert_eq!((response, consumed), (resp(404, b.len(), true), b.len()));
    p.start(true);
    let rest = &rest[consumed..];
    assert_eq!(
        p.feed(rest),
        Ok(Step::Done {
            response: resp(200, c.len(), true),
            consumed: c.len()
        })
    );
}

#[test]
fn head_buffer_is_lazy_and_reused() {
    let mut p = ResponseParser::new();
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
    assert!(matches!(p.feed(input), Ok(Step::Done { .. })));
    assert_eq!(p.head_buf.capacity(), 0, "whole head must not allocate");
    p.start(false);
    assert_eq!(p.feed(&input[..10]), Ok(Step::NeedMore));
    assert!(matches!(p.feed(&input[10..]), Ok(Step::Done { .. })));
    let cap = p.head_buf.capacity();
    assert!(cap > 0);
    p.start(false);
    assert_eq!(p.feed(&input[..10]), Ok(Step::NeedMore));
    assert!(matches!(p.feed(&input[10..]), Ok(Step::Done { .. })));
    assert_eq!(p.head_buf.capacity(), cap);
}

/// What a fresh parser makes of `input`, fed whole, then EOF.
fn fresh(input: &[u8], head: bool) -> Outcome {
    drive(&mut ResponseParser::new(), input, &[], head)
}

#[test]
fn remembered_head_gives_what_a_fresh_parse_gives() {
    let heads: [&[u8]; 7] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\n\r\nuntil close",
    ];
    // Every head after every other, HEAD request or not, and each head with
    // one byte changed at every position: a parser that remembers the
    // previous head must agree with one that never saw it.
    for head_request in [false, true] {
        for a in heads {
            for b in heads {
                let mut p = ResponseParser::new();
                drive(&mut p, a, &[], head_request);
                assert_eq!(drive(&mut p, b, &[], head_request), fresh(b, head_request));
                drive(&mut p, a, &[], !head_request);
                assert_eq!(drive(&mut p, b, &[], head_request), fresh(b, head_request));
            }
            for at in 0..a.len() {
                for byte in [b'0', b'9', b'\r', b'\n', b' ', b'x'] {
                    let mut changed = a.to_vec();
                    changed[at] = byte;
                    let mut p = ResponseParser::new();
                    drive(&mut p, a, &[], head_request);
                    assert_eq!(
                        drive(&mut p, &changed, &[], head_request),
                        fresh(&changed, head_request),
                        "{:?} changed at {at}",
                        String::from_utf8_lossy(a)
                    );
                }
            }
        }
    }
}
