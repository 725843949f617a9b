use super::*;

/// What one reply parses to: (consumed, is_error, bytes, message).
type Parsed = (usize, bool, u64, String);

/// Feed `pieces` one after another; the reply must complete in the last.
fn feed_pieces(pieces: &[&[u8]]) -> Result<Option<Parsed>, &'static str> {
    let mut p = ReplyParser::new();
    let mut before = 0;
    for (k, piece) in pieces.iter().enumerate() {
        match p.feed(piece)? {
            Some(consumed) => {
                assert_eq!(k, pieces.len() - 1, "completed early");
                let got = (before + consumed, p.is_error(), p.bytes(), p.message());
                return Ok(Some(got));
            }
            None => before += piece.len(),
        }
    }
    Ok(None)
}

/// Parse `wire` whole, split in two at every byte, and byte by byte: all
/// must agree. A reply must be complete, consuming all of `wire`.
fn parse(wire: &[u8]) -> Result<Parsed, &'static str> {
    let whole = feed_pieces(&[wire])?.ok_or("incomplete")?;
    for cut in 1..wire.len() {
        let split = feed_pieces(&[&wire[..cut], &wire[cut..]]);
        assert_eq!(split, Ok(Some(whole.clone())), "{wire:?} cut at {cut}");
    }
    let bytes: Vec<&[u8]> = wire.chunks(1).collect();
    assert_eq!(
        feed_pieces(&bytes),
        Ok(Some(whole.clone())),
        "{wire:?} byte by byte"
    );
    assert_eq!(whole.0, wire.len(), "{wire:?}");
    assert_eq!(whole.2, wire.len() as u64, "{wire:?}");
    Ok(whole)
}

fn ok(wire: &[u8]) {
    let (_, error, _, _) = parse(wire).unwrap_or_else(|e| panic!("{wire:?}: {e}"));
    assert!(!error, "{wire:?} is no error");
}

/// Malformed at some point: an error whole, split anywhere, or byte by byte.
fn bad(wire: &[u8]) {
    assert!(feed_pieces(&[wire]).is_err(), "{wire:?} whole");
    for cut in 1..wire.len() {
        assert!(
            feed_pieces(&[&wire[..cut], &wire[cut..]]).is_err(),
            "{wire:?} at {cut}"
        );
    }
}

#[test]
fn every_resp2_type() {
    for wire in [
        &b"+OK\r\n"[..],
        b"+\r\n",
        b":0\r\n",
        b":-42\r\n",
        b":9223372036854775807\r\n",
        b"$5\r\nhello\r\n",
        b"$0\r\n\r\n",
        b"$-1\r\n",
        b"$4\r\na\r\nb\r\n",
        b"*0\r\n",
        b"*-1\r\n",
        b"*2\r\n$3\r\nfoo\r\n:1\r\n",
        b"*2\r\n*2\r\n+a\r\n*0\r\n$-1\r\n",
        b"*3\r\n*1\r\n*1\r\n:1\r\n*-1\r\n-ERR nested\r\n",
    ] {
        ok(wire);
    }
}

#[test]
fn errors_are_the_top_level_value_only() {
    let (_, error, _, message) = parse(b"-ERR unknown command 'FOO'\r\n").unwrap();
    assert!(error);
    assert_eq!(message, "ERR unknown command 'FOO'");
    let (_, error, _, message) = parse(b"!21\r\nSYNTAX invalid syntax\r\n").unwrap();
    assert!(error);
    assert_eq!(message, "SYNTAX invalid syntax");
    let (_, error, ..) = parse(b"-WRONGTYPE Operation\r\n").unwrap();
    assert!(error);
    ok(b"*1\r\n-ERR in EXEC\r\n");
    let long = format!("-{}\r\n", "x".repeat(1000));
    let (_, _, _, message) = parse(long.as_bytes()).unwrap();
    assert_eq!(message.len(), MESSAGE_MAX, "the message is bounded");
}

#[test]
fn every_resp3_type() {
    for wire in [
        &b"_\r\n"[..],
        b"#t\r\n",
        b"#f\r\n",
        b",1.5\r\n",
        b",-inf\r\n",
        b",nan\r\n",
        b",1e-10\r\n",
        b"(3492890328409238509324850943850943825024385\r\n",
        b"(-1\r\n",
        b"=15\r\ntxt:Some string\r\n",
        b"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n",
        b"%0\r\n",
        b"~3\r\n:1\r\n:2\r\n#t\r\n",
        b"*2\r\n%1\r\n+k\r\n~1\r\n_\r\n,2\r\n",
    ] {
        ok(wire);
    }
}

#[test]
fn attributes_and_pushes_come_before_the_reply() {
    // An attribute before the reply: counted, not taken for it.
    let (_, error, ..) =
        parse(b"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n-ERR after\r\n").unwrap();
    assert!(error, "the value after the attribute is the reply");
    // Inside an aggregate, an attribute takes no element's place.
    ok(b"*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n");
    // A push before the reply (e.g. an invalidation).
    ok(b">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n+OK\r\n");
    ok(b"|0\r\n:1\r\n");
}

#[test]
fn a_reply_ends_where_it_ends() {
    let mut p = ReplyParser::new();
    assert_eq!(p.feed(b"+OK\r\n:1\r\n"), Ok(Some(5)));
    assert_eq!(p.bytes(), 5);
    p.reset();
    assert_eq!(p.feed(b":1\r\n"), Ok(Some(4)));
    assert_eq!(p.bytes(), 4);
    assert!(!p.started() || !p.is_error());
}

#[test]
fn a_huge_bulk_string_is_counted_not_stored() {
    let len: u64 = 512 << 20;
    let mut p = ReplyParser::new();
    assert_eq!(p.feed(format!("${len}\r\n").as_bytes()), Ok(None));
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..512 {
        assert_eq!(p.feed(&chunk), Ok(None));
    }
    assert_eq!(p.feed(b"\r\n"), Ok(Some(2)));
    assert_eq!(p.bytes(), len + 14, "$536870912 CRLF, the payload, CRLF");
    assert!(p.message.capacity() == 0 && p.stack.capacity() <= MAX_DEPTH);
}

#[test]
fn malformed_input_is_an_error() {
    for wire in [
        &b"?\r\n"[..],
        b"x",
        b"$\r\n",
        b"$abc\r\n",
        b"$-2\r\n",
        b"$-0\r\n",
        b"*-2\r\n",
        b"%-1\r\n",
        b"!-1\r\n",
        b"$99999999999\r\n",
        b"$99999999999999999999\r\n",
        b"*4294967296\r\n",
        b"$3\r\nabcd\r\n",
        b"$3\r\nabc\n\n",
        b"+OK\r+",
        b"+O\nK\r\n",
        b":\r\n",
        b":1x\r\n",
        b":--1\r\n",
        b"_x\r\n",
        b"#x\r\n",
        b"#tt\r\n",
        b"#\r\n",
        b",\r\n",
        b",1 5\r\n",
        b"=2\r\nab\r\n",
        b"$?\r\n",
    ] {
        bad(wire);
    }
}

#[test]
fn depth_bombs_and_endless_lines_are_errors() {
    let bomb = b"*1\r\n".repeat(MAX_DEPTH + 1);
    assert_eq!(feed_pieces(&[&bomb]), Err("aggregates are nested too deep"));
    let deep = [b"*1\r\n".repeat(MAX_DEPTH), b":1\r\n".to_vec()].concat();
    ok(&deep);
    let mut p = ReplyParser::new();
    let line = vec![b'a'; MAX_LINE as usize + 1];
    assert_eq!(p.feed(b"+"), Ok(None));
    assert_eq!(p.feed(&line), Err("a line is too long"));
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = crate::rng::Rng::new(7);
    let alphabet = b"+-:$*_#,(!=%~>|0123456789-\r\nxt?";
    for _ in 0..20_000 {
        let len = (rng.next_u64() % 24) as usize;
        let wire: Vec<u8> = (0..len)
            .map(|_| alphabet[(rng.next_u64() % alphabet.len() as u64) as usize])
            .collect();
        let mut p = ReplyParser::new();
        let _ = p.feed(&wire);
    }
}
