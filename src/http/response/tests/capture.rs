//! Capturing a reply: the same headers and body prefix however its bytes
//! are split, only the final head's fields, never more than the bound, and
//! nothing carried from one reply to the next.

use super::*;
use crate::journey::capture::{BODY_PREFIX_MAX, Keep};

fn spec(headers: &[&str], body: bool) -> Arc<CaptureSpec> {
    let mut spec = CaptureSpec::default();
    for h in headers {
        spec.keep_header(h);
    }
    if body {
        spec.keep_body();
    }
    Arc::new(spec)
}

/// Feeds `input` cut at `cuts` to a parser capturing per `spec`, then EOF if
/// it is not done; what was captured (None when the reply failed).
fn capture(
    p: &mut ResponseParser,
    input: &[u8],
    cuts: &[usize],
    head: bool,
    spec: &Arc<CaptureSpec>,
) -> Option<Box<Captured>> {
    p.start(head);
    p.capture(spec);
    let mut at = 0;
    for end in cuts.iter().copied().chain([input.len()]) {
        match p.feed(&input[at..end]) {
            Ok(Step::NeedMore) => {
                assert_eq!(p.take_captured(), None, "taken before the reply is done");
                at = end;
            }
            Ok(Step::Done { .. }) => return p.take_captured(),
            Err(_) => return p.take_captured(),
        }
    }
    p.finish_on_eof().ok()?;
    p.take_captured()
}

/// Captures `input` whole, split in two at every boundary and a byte at a
/// time; every way must give the same, which is returned.
fn captured_every_way(input: &[u8], head: bool, spec: &Arc<CaptureSpec>) -> Captured {
    let mut p = ResponseParser::new();
    let whole = capture(&mut p, input, &[], head, spec).expect("whole");
    for cut in 0..=input.len() {
        let got = capture(&mut p, input, &[cut], head, spec);
        assert_eq!(got.as_ref(), Some(&whole), "split at {cut}");
    }
    let every: Vec<usize> = (1..input.len()).collect();
    let got = capture(&mut ResponseParser::new(), input, &every, head, spec);
    assert_eq!(got.as_ref(), Some(&whole), "a byte at a time");
    *whole
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    (pairs.iter())
        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
        .collect()
}

#[test]
fn content_length_body_and_every_occurrence_of_a_header() {
    let input = b"HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nX-A:  spaced \r\nset-cookie: b=2; Path=/\r\nContent-Length: 5\r\n\r\nhello";
    let got = captured_every_way(input, false, &spec(&["SET-COOKIE", "x-a"], true));
    assert_eq!(got.status, 201);
    assert_eq!(
        got.headers,
        headers(&[
            ("set-cookie", "a=1"),
            ("x-a", "spaced"),
            ("set-cookie", "b=2; Path=/")
        ])
    );
    assert_eq!((got.body.as_slice(), got.truncated), (&b"hello"[..], false));
}

#[test]
fn chunked_body_is_de_chunked_and_trailers_are_not_headers() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: head\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-A: trailer\r\n\r\n";
    let got = captured_every_way(input, false, &spec(&["x-a"], true));
    assert_eq!(got.headers, headers(&[("x-a", "head")]));
    assert_eq!(
        (got.body.as_slice(), got.truncated),
        (&b"hello world"[..], false)
    );
}

#[test]
fn until_close_body_is_captured_at_eof() {
    let input = b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nall of it";
    let got = captured_every_way(input, false, &spec(&[], true));
    assert_eq!((got.status, got.headers.len()), (200, 0));
    assert_eq!(got.body, b"all of it");
}

#[test]
fn a_head_reply_has_headers_and_no_body() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\n";
    let got = captured_every_way(input, true, &spec(&["etag"], true));
    assert_eq!(got.headers, headers(&[("etag", "\"x\"")]));
    assert!(got.body.is_empty() && !got.truncated);
}

#[test]
fn only_the_final_head_after_interim_ones() {
    let input = b"HTTP/1.1 100 Continue\r\nX-A: interim\r\n\r\nHTTP/1.1 103 Early Hints\r\nX-A: hint\r\n\r\nHTTP/1.1 200 OK\r\nX-A: final\r\nContent-Length: 2\r\n\r\nok";
    let got = captured_every_way(input, false, &spec(&["x-a"], true));
    assert_eq!(got.status, 200);
    assert_eq!(got.headers, headers(&[("x-a", "final")]));
    assert_eq!(got.body, b"ok");
}

#[test]
fn all_headers_or_none_and_no_body_unless_asked() {
    let input = b"HTTP/1.1 200 OK\r\nDate: today\r\nContent-Length: 3\r\n\r\nabc";
    let mut all = CaptureSpec::default();
    all.keep_all_headers();
    let got = captured_every_way(input, false, &Arc::new(all));
    assert_eq!(
        got.headers,
        headers(&[("date", "today"), ("content-length", "3")])
    );
    assert!(got.body.is_empty() && !got.truncated);
    let got = captured_every_way(input, false, &spec(&[], false));
    assert_eq!((got.status, got.headers.len(), got.body.len()), (200, 0, 0));
}

/// A body of `n` bytes, numbered so that a wrong offset shows.
fn body_of(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

#[test]
fn bodies_past_the_bound_keep_its_first_bytes_and_say_so() {
    let keep = spec(&[], true);
    for n in [
        BODY_PREFIX_MAX - 1,
        BODY_PREFIX_MAX,
        BODY_PREFIX_MAX + 1,
        300_000,
    ] {
        let body = body_of(n);
        let kept = &body[..n.min(BODY_PREFIX_MAX)];
        let over = n > BODY_PREFIX_MAX;

        let mut length = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n").into_bytes();
        length.extend_from_slice(&body);
        // Chunks of 1000 bytes, a chunk boundary across the bound.
        let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for piece in body.chunks(1000) {
            chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            chunked.extend_from_slice(piece);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let mut close = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        close.extend_from_slice(&body);

        for input in [&length, &chunked, &close] {
            // Whole, and in pieces of 4 KiB and of 7 bytes.
            for step in [input.len(), 4096, 7] {
                let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
                let mut p = ResponseParser::new();
                let got = capture(&mut p, input, &cuts, false, &keep).unwrap();
                assert_eq!(got.body.len(), kept.len(), "{n} bytes, step {step}");
                assert!(got.body == kept, "{n} bytes, step {step}");
                assert_eq!(got.truncated, over, "{n} bytes, step {step}");
            }
        }
    }
}

#[test]
fn pipelined_replies_each_keep_their_own() {
    let a: &[u8] = b"HTTP/1.1 200 OK\r\nX-A: one\r\nContent-Length: 3\r\n\r\nabc";
    let b: &[u8] =
        b"HTTP/1.1 404 NF\r\nX-A: two\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n";
    let c: &[u8] = b"HTTP/1.1 200 OK\r\nX-A: one\r\nContent-Length: 3\r\n\r\nabc";
    let all = [a, b, c, a].concat();
    let keep = spec(&["x-a"], true);
    let mut p = ResponseParser::new();
    let mut rest = &all[..];
    let mut next = |p: &mut ResponseParser, capturing: bool| {
        p.start(false);
        if capturing {
            p.capture(&keep);
        }
        let Ok(Step::Done { consumed, .. }) = p.feed(rest) else {
            panic!("a whole reply")
        };
        rest = &rest[consumed..];
        p.take_captured()
    };
    let one = next(&mut p, true).unwrap();
    assert_eq!(
        (one.headers.clone(), one.body.clone()),
        (headers(&[("x-a", "one")]), b"abc".to_vec())
    );
    assert_eq!(p.take_captured(), None, "taken once");
    let two = next(&mut p, true).unwrap();
    assert_eq!(
        (two.status, two.headers.clone(), two.body.clone()),
        (404, headers(&[("x-a", "two")]), b"xy".to_vec())
    );
    // Not captured: nothing, even though the reply before was.
    assert_eq!(next(&mut p, false), None);
    // A repeated head (answered from the parser's memo) still gives its
    // fields: the memo was filled by a reply that was not captured.
    assert_eq!(next(&mut p, true), Some(one));
    assert!(rest.is_empty());
}

#[test]
fn the_head_memo_never_answers_for_the_captured_headers() {
    // The same head four times, byte by byte or whole, captured or not, and
    // a head one byte different: each capture gives its own reply's fields.
    let a: &[u8] = b"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 1\r\n\r\nx";
    let b: &[u8] = b"HTTP/1.1 200 OK\r\nX-A: 2\r\nContent-Length: 1\r\n\r\nx";
    let keep = spec(&["x-a"], false);
    let every: Vec<usize> = (1..a.len()).collect();
    let mut p = ResponseParser::new();
    drive(&mut p, a, &[], false);
    for cuts in [&[][..], &every, &[], &every] {
        let got = capture(&mut p, a, cuts, false, &keep).unwrap();
        assert_eq!(got.headers, headers(&[("x-a", "1")]));
        assert!(p.memo.recall(a, false).is_some());
        let got = capture(&mut p, b, cuts, false, &keep).unwrap();
        assert_eq!(got.headers, headers(&[("x-a", "2")]));
    }
}

#[test]
fn a_failed_or_cut_reply_captures_nothing_and_the_next_starts_clean() {
    let keep = spec(&["x-a"], true);
    let mut p = ResponseParser::new();
    let bad = b"HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX";
    assert_eq!(capture(&mut p, bad, &[], false, &keep), None);
    let cut = b"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 10\r\n\r\nhel";
    assert_eq!(capture(&mut p, cut, &[], false, &keep), None);
    // Started but not captured, after a capture that was never taken.
    p.start(false);
    p.capture(&keep);
    assert!(matches!(
        p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"),
        Ok(Step::NeedMore)
    ));
    p.start(false);
    assert!(matches!(
        p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Ok(Step::Done { .. })
    ));
    assert_eq!(p.take_captured(), None);
}

#[test]
fn hostile_heads_are_bounded_by_the_parser() {
    let keep = spec(&["x"], true);
    // 10,000 fields: the reply fails (at most 100 fields), nothing is kept.
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for _ in 0..10_000 {
        many.extend_from_slice(b"X: v\r\n");
    }
    many.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    assert_eq!(
        capture(&mut ResponseParser::new(), &many, &[], false, &keep),
        None
    );
    let cuts: Vec<usize> = (1000..many.len()).step_by(1000).collect();
    assert_eq!(
        capture(&mut ResponseParser::new(), &many, &cuts, false, &keep),
        None
    );

    // 99 fields of 600 bytes, kept: all of them fit in the 64 KiB head.
    let mut big = b"HTTP/1.1 200 OK\r\n".to_vec();
    for _ in 0..99 {
        big.extend_from_slice(format!("X: {}\r\n", "v".repeat(600)).as_bytes());
    }
    big.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    let got = capture(&mut ResponseParser::new(), &big, &[], false, &keep).unwrap();
    assert_eq!(got.headers.len(), 99);
    let kept: usize = got.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    assert!(kept < MAX_HEAD);

    // One value past 64 KiB: the reply fails, nothing is kept.
    let huge = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "v".repeat(MAX_HEAD));
    assert_eq!(
        capture(
            &mut ResponseParser::new(),
            huge.as_bytes(),
            &[],
            false,
            &keep
        ),
        None
    );
    let cuts: Vec<usize> = (100..huge.len()).step_by(100).collect();
    assert_eq!(
        capture(
            &mut ResponseParser::new(),
            huge.as_bytes(),
            &cuts,
            false,
            &keep
        ),
        None
    );
}

/// As [`capture`], for a cookie jar: kept only if the head sets cookies.
fn capture_cookies(p: &mut ResponseParser, input: &[u8], cut: usize) -> Option<Box<Captured>> {
    p.start(false);
    p.capture_cookies();
    for part in [&input[..cut], &input[cut..]] {
        if let Ok(Step::Done { .. }) = p.feed(part) {
            return p.take_captured();
        }
    }
    None
}

#[test]
fn a_cookie_jar_captures_only_the_replies_that_set_cookies() {
    let only = |names: &[&str]| matches!(Keep::of(Some(&spec(names, false))), Keep::Cookies);
    assert!(only(&["set-cookie"]) && !only(&["set-cookie", "x"]) && !only(&["x"]));
    let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let cookie =
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 2\r\n\r\nok";
    let interim =
        b"HTTP/1.1 100 Continue\r\nSet-Cookie: no=1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let mut p = ResponseParser::new();
    // Twice each, the second from the head memo; every way of splitting.
    for _ in 0..2 {
        for cut in [0, 7, plain.len()] {
            assert_eq!(capture_cookies(&mut p, plain, cut), None);
        }
        assert_eq!(capture_cookies(&mut p, interim, interim.len()), None);
        for cut in 0..=cookie.len() {
            let got = capture_cookies(&mut p, cookie, cut).expect("captured");
            assert_eq!(
                got.headers,
                headers(&[("set-cookie", "a=1"), ("set-cookie", "b=2")]),
                "split at {cut}"
            );
        }
        assert_eq!(capture_cookies(&mut p, plain, 3), None, "not carried over");
    }
}
