//! Malformed and oversized responses: an error, never a panic or a hang.

use super::*;

#[test]
fn bad_status_line() {
    check_err(b"HTTP/1.1 2x0 OK\r\n\r\n");
    check_err(b"FOO 200 OK\r\n\r\n");
    check_err(b"HTTP/2.0 200 OK\r\n\r\n");
    check_err(b"HTTP/1.1  200 OK\r\n\r\n");
    check_err(b"HTTP/1.1 200OK\r\n\r\n");
}

#[test]
fn bad_header() {
    check_err(b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n");
    check_err(b"HTTP/1.1 200 OK\r\nX\x01y: z\r\n\r\n");
    check_err(b"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n");
    check_err(b"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n");
}

#[test]
fn too_many_headers() {
    let mut ok = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..99 {
        ok.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    let mut bad = ok.clone();
    ok.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    check_done(&ok, false, 200, true);
    bad.extend_from_slice(b"X-a: 1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(check_err(&bad), ParseError("too many response headers"));
}

#[test]
fn bad_content_length() {
    let cases: [&[u8]; 11] = [
        b"Content-Length: 3\r\nContent-Length: 4",
        b"Content-Length: 3, 4",
        b"Content-Length: abc",
        b"Content-Length: -1",
        b"Content-Length: +5",
        b"Content-Length: 0x10",
        b"Content-Length: 1 2",
        b"Content-Length: 3,",
        b"Content-Length:",
        b"Content-Length: 18446744073709551616",
        b"Content-Length: 99999999999999999999999",
    ];
    for h in cases {
        let input = [b"HTTP/1.1 200 OK\r\n", h, b"\r\n\r\nabc"].concat();
        check_err(&input);
    }
}

fn chunked(body: &[u8]) -> Vec<u8> {
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice(),
        body,
    ]
    .concat()
}

#[test]
fn bad_chunk_size() {
    check_err(&chunked(b"zz\r\nab\r\n0\r\n\r\n"));
    check_err(&chunked(b"\r\nab\r\n0\r\n\r\n"));
    check_err(&chunked(b";ext\r\nab\r\n0\r\n\r\n"));
    check_err(&chunked(b"-1\r\n"));
    check_err(&chunked(b"2x\r\nab\r\n0\r\n\r\n"));
    check_err(&chunked(b"2\r\rab\r\n0\r\n\r\n"));
}

#[test]
fn overflowing_chunk_size() {
    let e = check_err(&chunked(b"10000000000000000\r\n"));
    assert_eq!(e, ParseError("chunk size over 16 hex digits"));
    check_err(&chunked(b"00000000000000001\r\nx\r\n0\r\n\r\n"));
    // 16 digits is the most, and fits.
    let mut p = ResponseParser::new();
    assert_eq!(
        p.feed(&chunked(b"ffffffffffffffff\r\nabc")),
        Ok(Step::NeedMore)
    );
}

#[test]
fn chunk_extension_line_is_capped() {
    let mut body = b"1;".to_vec();
    body.resize(5000, b'a');
    body.extend_from_slice(b"\r\nx\r\n0\r\n\r\n");
    assert_eq!(
        check_err(&chunked(&body)),
        ParseError("chunk size line over 4 KiB")
    );
}

#[test]
fn missing_crlf_after_chunk_data() {
    check_err(&chunked(b"5\r\nhelloX\r\n0\r\n\r\n"));
    check_err(&chunked(b"5\r\nhello\rX0\r\n\r\n"));
    check_err(&chunked(b"5\r\nhello0\r\n\r\n"));
    check_err(&chunked(b"0\r\n\rX"));
}

/// Splits at these many evenly spread places, plus byte at a time.
fn check_big_err(input: &[u8]) -> ParseError {
    let mut p = ResponseParser::new();
    let e = match p.feed(input) {
        Err(e) => e,
        other => panic!("expected an error, got {other:?}"),
    };
    for cut in (0..=input.len()).step_by(997) {
        assert_eq!(
            drive(&mut p, input, &[cut], false),
            Outcome::Err,
            "cut {cut}"
        );
    }
    let every: Vec<usize> = (1..input.len()).collect();
    assert_eq!(drive(&mut p, input, &every, false), Outcome::Err);
    let chunks: Vec<usize> = (1000..input.len()).step_by(1000).collect();
    assert_eq!(drive(&mut p, input, &chunks, false), Outcome::Err);
    e
}

#[test]
fn head_over_64k() {
    let mut input = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    input.resize(70_000, b'a');
    assert_eq!(
        check_big_err(&input),
        ParseError("response head over 64 KiB")
    );
    // Complete but too big is refused too, whatever the split.
    input.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        check_big_err(&input),
        ParseError("response head over 64 KiB")
    );
    // Just under the limit is fine.
    let mut ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Big: ".to_vec();
    ok.resize(MAX_HEAD - 4, b'a');
    ok.extend_from_slice(b"\r\n\r\n");
    let mut p = ResponseParser::new();
    for cuts in [vec![], vec![1], vec![MAX_HEAD - 1], (1..MAX_HEAD).collect()] {
        assert_eq!(
            drive(&mut p, &ok, &cuts, false),
            Outcome::Done(resp(200, MAX_HEAD, true), MAX_HEAD)
        );
    }
}

#[test]
fn trailers_over_64k() {
    let mut body = b"1\r\nx\r\n0\r\nX-Trailer: ".to_vec();
    body.resize(70_000, b't');
    body.extend_from_slice(b"\r\n\r\n");
    let input = chunked(&body);
    assert_eq!(
        check_big_err(&input),
        ParseError("chunked trailer section over 64 KiB")
    );
    // Many small trailer lines count too.
    let mut body = b"0\r\n".to_vec();
    for _ in 0..12_000 {
        body.extend_from_slice(b"T: 1\r\n");
    }
    body.extend_from_slice(b"\r\n");
    check_big_err(&chunked(&body));
}

#[test]
fn eof_before_complete() {
    // Mid-body with Content-Length.
    check(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
        false,
        Outcome::EofErr,
    );
    // Mid-head, and before anything at all.
    check(b"HTTP/1.1 200 OK\r\nContent-Le", false, Outcome::EofErr);
    check(b"", false, Outcome::EofErr);
    // Mid-chunked, at every stage of a chunk.
    for body in [
        &b"5"[..],
        b"5;ext",
        b"5\r",
        b"5\r\nhel",
        b"5\r\nhello",
        b"5\r\nhello\r",
        b"5\r\nhello\r\n0\r\n",
        b"5\r\nhello\r\n0\r\nT: 1",
        b"5\r\nhello\r\n0\r\nT: 1\r\n\r",
    ] {
        check(&chunked(body), false, Outcome::EofErr);
    }
    // After an interim response only.
    check(b"HTTP/1.1 100 Continue\r\n\r\n", false, Outcome::EofErr);
}

#[test]
fn eof_error_message() {
    let mut p = ResponseParser::new();
    assert_eq!(p.feed(b"HTTP/1.1 200 OK\r\n"), Ok(Step::NeedMore));
    assert_eq!(
        p.finish_on_eof(),
        Err(ParseError(
            "connection closed before the response was complete"
        ))
    );
}

#[test]
fn parser_is_reusable_after_errors() {
    let mut p = ResponseParser::new();
    assert!(p.feed(b"garbage\r\n\r\n").is_err());
    assert!(p.feed(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
    p.start(false);
    assert!(matches!(
        p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Ok(Step::Done { .. })
    ));
}

/// One Content-Length value, byte by byte: optional whitespace (space and
/// tab) around it, digits only, any number of leading zeros, and too large
/// told apart from invalid.
#[test]
fn content_length_value_edges() {
    let invalid = Err(ParseError("invalid Content-Length"));
    let large = Err(ParseError("Content-Length too large"));
    let cases: [(&[u8], Result<u64, ParseError>); 17] = [
        (b"0", Ok(0)),
        (b"5", Ok(5)),
        (b" \t5 \t", Ok(5)),
        (b"000000000000000000000000042", Ok(42)),
        (b"18446744073709551615", Ok(u64::MAX)),
        (b"18446744073709551616", large),
        (b"99999999999999999999x", large),
        (b"", invalid),
        (b" \t ", invalid),
        (b"+5", invalid),
        (b"-5", invalid),
        (b"5 5", invalid),
        (b"\r5", invalid),
        (b"5\x0b", invalid),
        (b"0x10", invalid),
        ("٣".as_bytes(), invalid),
        (b"5,05", Ok(5)),
    ];
    for (value, want) in cases {
        let mut acc = None;
        let got = parse_content_length(value, &mut acc).map(|()| acc.unwrap());
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(value));
    }
}
