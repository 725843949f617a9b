use super::*;

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
            Err(_) => return Outcome::Err,
        }
    }
    match p.finish_on_eof() {
        Ok(r) => {
            assert_eq!(r.bytes, input.len() as u64);
            Outcome::Eof(r)
        }
        Err(_) => Outcome::EofErr,
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

/// xorshift64: enough randomness for a deterministic fuzz test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Feeds `input` in pieces cut at `cuts`, starting a new response after each
/// one completes, until an error or EOF. Returns each response's outcome.
fn drive_pipelined(p: &mut ResponseParser, input: &[u8], cuts: &[usize]) -> Vec<Outcome> {
    let mut out = Vec::new();
    p.start(false);
    let mut at = 0;
    let mut resp_start = 0;
    let ends = cuts.iter().copied().chain(std::iter::once(input.len()));
    for end in ends {
        let mut piece = &input[at..end];
        loop {
            match p.feed(piece) {
                Ok(Step::NeedMore) => {
                    assert_eq!(p.bytes(), (end - resp_start) as u64);
                    break;
                }
                Ok(Step::Done { response, consumed }) => {
                    assert!(consumed <= piece.len());
                    let done_at = end - piece.len() + consumed;
                    assert_eq!(response.bytes, (done_at - resp_start) as u64);
                    out.push(Outcome::Done(response, done_at));
                    resp_start = done_at;
                    piece = &piece[consumed..];
                    p.start(false);
                    if piece.is_empty() {
                        break;
                    }
                }
                Err(_) => {
                    out.push(Outcome::Err);
                    return out;
                }
            }
        }
        at = end;
    }
    out.push(match p.finish_on_eof() {
        Ok(r) => Outcome::Eof(r),
        Err(_) => Outcome::EofErr,
    });
    out
}

/// Errors may surface in `feed` or only at EOF depending on the split.
fn failed(o: &Outcome) -> bool {
    matches!(o, Outcome::Err | Outcome::EofErr)
}

#[test]
fn fuzz_random_and_mutated_inputs() {
    let seeds: [&[u8]; 8] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close",
        b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\n0\n\n",
    ];
    let alphabet = b"\r\n\r\n0123456789abcdefABCDEF;:, \t=\"HTTP/1.chunked-Length";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut p = ResponseParser::new();
    let mut q = ResponseParser::new();
    for iter in 0..20_000 {
        let mut input: Vec<u8> = if iter % 10 == 0 {
            (0..rng.below(64)).map(|_| rng.next() as u8).collect()
        } else {
            seeds[rng.below(seeds.len())].to_vec()
        };
        for _ in 0..=rng.below(4) {
            let len = input.len();
            match rng.below(6) {
                0 if len > 0 => {
                    let i = rng.below(len);
                    input[i] = rng.next() as u8;
                }
                1 => {
                    let i = rng.below(len + 1);
                    let b = alphabet[rng.below(alphabet.len())];
                    input.insert(i, b);
                }
                2 if len > 0 => {
                    input.remove(rng.below(len));
                }
                3 => input.truncate(rng.below(len + 1)),
                4 if len > 0 => {
                    let a = rng.below(len);
                    let b = a + rng.below(len - a);
                    let seg = input[a..b].to_vec();
                    let at = rng.below(len + 1);
                    input.splice(at..at, seg);
                }
                _ => {
                    let i = rng.below(len + 1);
                    input.insert(i, alphabet[rng.below(alphabet.len())]);
                }
            }
        }

        let whole = drive_pipelined(&mut p, &input, &[]);
        let mut cuts: Vec<usize> = (0..rng.below(6))
            .map(|_| rng.below(input.len() + 1))
            .collect();
        cuts.sort_unstable();
        let split = drive_pipelined(&mut q, &input, &cuts);
        let bytewise: Vec<usize> = if iter % 8 == 0 {
            (1..input.len()).collect()
        } else {
            Vec::new()
        };
        let byte = drive_pipelined(&mut q, &input, &bytewise);
        for other in [&split, &byte] {
            assert_eq!(whole.len(), other.len(), "input {input:?}");
            for (a, b) in whole.iter().zip(other.iter()) {
                assert!(a == b || (failed(a) && failed(b)), "input {input:?}");
            }
        }
    }
}
