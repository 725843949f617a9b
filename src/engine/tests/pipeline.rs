//! Several requests in flight on one connection (`--pipeline`): replies
//! matched in order however they are cut, and a connection that dies part
//! way ends every request still on it, each with what it got.

use super::*;
use crate::engine::connection::Retry;

/// Requests on the connection at once in these tests.
const DEPTH: usize = 16;

/// Queue `count` GETs (slots 0..count) as a worker does while settling,
/// then write them together.
fn pipeline<'a>(client: &mut Client<'a>, request: &'a HttpRequest, count: usize) {
    let now = Instant::now();
    for slot in 0..count {
        client.queue(slot, request, now, true);
    }
    client.flush();
}

/// Read `count` request heads, then write `reply` once for each, in
/// pieces of `piece` bytes (0: all in one write).
fn answer_batch(sock: &mut TcpStream, count: usize, reply: &[u8], piece: usize) {
    for _ in 0..count {
        read_head(sock).expect("a pipelined request");
    }
    let all = reply.repeat(count);
    if piece == 0 {
        sock.write_all(&all).unwrap();
    } else {
        for chunk in all.chunks(piece) {
            sock.write_all(chunk).unwrap();
        }
    }
}

/// The slots of `ended`, in the order they ended.
fn slots(ended: &[Completion]) -> Vec<usize> {
    ended.iter().map(|done| done.slot).collect()
}

#[test]
fn replies_cut_anywhere_end_the_requests_in_order() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec();
    let len = reply.len();
    // Whole, one byte at a time, and cut across the replies' boundaries.
    let pieces = [0, 1, 7, len - 1, len + 1];
    let script = reply.clone();
    let peer = Peer::spawn(move |_, mut sock| {
        for piece in pieces {
            answer_batch(&mut sock, DEPTH, &script, piece);
        }
        assert_eq!(read_head(&mut sock), None);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    for piece in pieces {
        pipeline(&mut client, &request, DEPTH);
        let ended = client.ended(DEPTH);
        assert_eq!(
            slots(&ended),
            (0..DEPTH).collect::<Vec<_>>(),
            "pieces of {piece}"
        );
        for answered in &ended {
            assert_eq!(Progress::from(answered.end), done(len), "pieces of {piece}");
            assert!(answered.wrote_at.is_some());
        }
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn only_the_request_that_opened_the_connection_pays_for_it() {
    let reply = ok(3);
    let script = reply.clone();
    let peer = Peer::spawn(move |_, mut sock| answer_batch(&mut sock, 4, &script, 0));
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    pipeline(&mut client, &request, 4);
    let ended = client.ended(4);
    assert!(ended[0].connect_us > 0);
    assert!(ended[1..].iter().all(|later| later.connect_us == 0));
    // Queued behind the connect, all four went out in its first write.
    let first = ended[0].wrote_at.unwrap();
    assert!(ended.iter().all(|each| each.wrote_at == Some(first)));
    assert_eq!(client.report.connections_opened, 1);
}

#[test]
fn a_server_closing_mid_pipeline_leaves_the_rest_to_send_again() {
    // Five answered, then the connection closes: with `Connection: close`
    // on the fifth, or with no word.
    let closing = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nxx";
    for (last, said_close) in [(ok(2), false), (closing.to_vec(), true)] {
        let script = (ok(2), last.clone());
        let peer = Peer::spawn(move |_, mut sock| {
            let (reply, last) = &script;
            for _ in 0..DEPTH {
                read_head(&mut sock).unwrap();
            }
            sock.write_all(&reply.repeat(4)).unwrap();
            sock.write_all(last).unwrap();
        });
        let request = get(peer.addr, false);
        let mut client = Client::new(peer.addr, None, None);
        pipeline(&mut client, &request, DEPTH);
        let ended = client.ended(DEPTH);
        assert_eq!(slots(&ended), (0..DEPTH).collect::<Vec<_>>());
        for (i, answered) in ended[..5].iter().enumerate() {
            let len = if i == 4 { last.len() } else { ok(2).len() };
            assert_eq!(
                (Progress::from(answered.end), answered.retry),
                (done(len), Retry::No)
            );
        }
        for unanswered in &ended[5..] {
            let closed = Progress::Failed {
                kind: ErrorKind::Closed,
                status: 0,
                bytes: 0,
            };
            assert_eq!(Progress::from(unanswered.end), closed);
            // Behind `Connection: close`, the server did not process it.
            let retry = if said_close {
                Retry::Unseen
            } else {
                Retry::Once
            };
            assert_eq!(unanswered.retry, retry, "slot {}", unanswered.slot);
        }
        drop(client);
        assert_eq!(peer.connections(), 1);
    }
}

#[test]
fn a_reply_that_does_not_parse_fails_it_and_closes_under_the_rest() {
    let peer = Peer::spawn(move |_, mut sock| {
        for _ in 0..3 {
            read_head(&mut sock).unwrap();
        }
        let mut replies = ok(1);
        replies.extend_from_slice(b"HTTP/9 nonsense\r\n\r\n");
        sock.write_all(&replies).unwrap();
        // Held open: the client closes it.
        let _ = read_head(&mut sock);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    pipeline(&mut client, &request, 3);
    let ended = client.ended(3);
    assert_eq!(Progress::from(ended[0].end), done(ok(1).len()));
    assert!(matches!(
        ended[1].end,
        End::Failed {
            kind: ErrorKind::Parse,
            ..
        }
    ));
    assert_eq!(ended[1].retry, Retry::No, "a reply came, and did not parse");
    let closed = End::Failed {
        kind: ErrorKind::Closed,
        status: 0,
        bytes: 0,
    };
    assert_eq!((ended[2].end, ended[2].retry), (closed, Retry::Once));
}

#[test]
fn a_timeout_ends_the_requests_behind_it_too() {
    let peer = Peer::spawn(move |_, mut sock| {
        for _ in 0..3 {
            read_head(&mut sock).unwrap();
        }
        // Never answers; waits for the client to give up.
        let _ = read_head(&mut sock);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    pipeline(&mut client, &request, 3);
    client.idle();
    // The worker's sweep finds slot 1 past its timeout first.
    let mut io = Io {
        registry: client.poll.registry(),
        buf: &mut client.buf,
        report: &mut client.report,
        done: &mut client.done,
    };
    client.conn.abandon(&mut io, 1, ErrorKind::Timeout);
    let ended = client.ended(3);
    assert_eq!(slots(&ended), [0, 1, 2]);
    for each in &ended {
        let timeout = End::Failed {
            kind: ErrorKind::Timeout,
            status: 0,
            bytes: 0,
        };
        assert_eq!((each.end, each.retry), (timeout, Retry::No));
    }
    assert!(client.conn.is_idle());
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn requests_started_while_replies_come_go_out_on_the_same_connection() {
    // A sliding window, as a worker keeps it: each reply's slot sends
    // its next request at once.
    const TOTAL: usize = 200;
    let reply = ok(10);
    let script = reply.clone();
    let peer = Peer::spawn(move |_, mut sock| {
        let mut answered = 0;
        while read_head(&mut sock).is_some() {
            sock.write_all(&script).unwrap();
            answered += 1;
        }
        assert_eq!(answered, TOTAL);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    pipeline(&mut client, &request, 4);
    let (mut started, mut finished) = (4, 0);
    while finished < TOTAL {
        for answered in client.ended(1) {
            assert_eq!(Progress::from(answered.end), done(reply.len()));
            finished += 1;
            if started < TOTAL {
                client.queue(answered.slot, &request, Instant::now(), true);
                started += 1;
            }
        }
        client.flush();
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_deep_pipeline_refills_in_batches_of_half_its_window() {
    use crate::engine::exchange::Exchange;
    let request = get("127.0.0.1:9".parse().unwrap(), false);
    let mut exchange = Exchange::new(&Http1);
    let now = Instant::now();
    // Slot `slot`'s request behind the others; the first opens the
    // connection.
    fn push<'a>(exchange: &mut Exchange<'a, Http1>, request: &'a HttpRequest, slot: usize) {
        let opened = exchange.is_idle();
        let (mut rng, mut scratch) = (Rng::new(slot as u64), Vec::new());
        let values = &mut Values::new(&mut rng);
        exchange.push(slot, request, values, &mut scratch, opened, false);
    }
    for slot in 0..4 {
        push(&mut exchange, &request, slot);
    }
    assert!(
        exchange.worth_writing(4),
        "nothing on its way: write at once"
    );
    let all = exchange.unwritten().len();
    exchange.wrote(all, now);
    assert!(!exchange.worth_writing(4), "nothing waits");
    // One reply in, one request more: it waits for a second.
    exchange.answered();
    push(&mut exchange, &request, 0);
    assert!(!exchange.worth_writing(4));
    exchange.answered();
    push(&mut exchange, &request, 1);
    assert!(exchange.worth_writing(4), "half the window waits");
    // Both go out in one write.
    assert_eq!(exchange.unwritten().len(), 2 * all / 4);
    // At depth 1 and 2, a request never waits.
    assert!(exchange.worth_writing(2) && exchange.worth_writing(1));
}

#[test]
fn requests_queued_behind_a_slow_write_are_not_all_copied_at_once() {
    // 32 POSTs of 1 MiB on one connection to a peer that reads nothing
    // for a while: the connection holds what the socket does not take
    // yet, but not a copy of every request queued behind it.
    const COUNT: usize = 32;
    const BODY: usize = 1 << 20;
    let go = Signal::default();
    let reading = go.clone();
    let peer = Peer::spawn(move |_, mut sock| {
        reading.wait();
        for _ in 0..COUNT {
            let head = read_head(&mut sock).expect("a pipelined POST");
            assert_eq!(read_body(&mut sock, &head).len(), BODY);
            sock.write_all(&ok(1)).unwrap();
        }
    });
    let request = post(peer.addr, vec![b'b'; BODY]);
    let mut client = Client::new(peer.addr, None, None);
    let now = Instant::now();
    for slot in 0..COUNT {
        client.queue(slot, &request, now, true);
    }
    client.flush();
    client.idle();
    let held = client.conn.buffered();
    assert!(
        held <= 4 * BODY,
        "{held} bytes held for {COUNT} requests of {BODY}"
    );
    go.raise();
    let ended = client.ended(COUNT);
    assert_eq!(slots(&ended), (0..COUNT).collect::<Vec<_>>());
    for answered in &ended {
        assert_eq!(Progress::from(answered.end), done(ok(1).len()));
        assert!(answered.wrote_at.is_some());
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn requests_waiting_to_be_staged_go_out_in_order() {
    // Large fixed POSTs and small rendered GETs, alternating, behind a
    // write the peer is slow to take: each reply (its size says which
    // request it answers) ends the request it belongs to.
    const COUNT: usize = 12;
    const BODY: usize = 600 << 10;
    let go = Signal::default();
    let reading = go.clone();
    let peer = Peer::spawn(move |_, mut sock| {
        reading.wait();
        for i in 0..COUNT {
            let head = read_head(&mut sock).expect("a pipelined request");
            if i % 2 == 0 {
                assert!(head.starts_with("POST / "), "{i}: {head}");
                assert_eq!(read_body(&mut sock, &head).len(), BODY);
            } else {
                assert!(head.starts_with("GET /7 "), "{i}: {head}");
            }
            sock.write_all(&ok(i)).unwrap();
        }
    });
    let large = post(peer.addr, vec![b'b'; BODY]);
    let spec = RequestSpec {
        method: "GET".into(),
        authority: peer.addr.to_string(),
        target: "/{{$randomInt 7 7}}".into(),
        headers: Vec::new(),
        body: Vec::new(),
        values: Vec::new(),
        capture: None,
    };
    let rendered = HttpRequest::new(&spec, false).unwrap();
    assert!(rendered.fixed(false).is_none(), "the GET is rendered");
    let mut client = Client::new(peer.addr, None, None);
    let now = Instant::now();
    for slot in 0..COUNT {
        let request = if slot % 2 == 0 { &large } else { &rendered };
        client.queue(slot, request, now, true);
    }
    client.flush();
    client.idle();
    go.raise();
    let ended = client.ended(COUNT);
    assert_eq!(slots(&ended), (0..COUNT).collect::<Vec<_>>());
    for (i, answered) in ended.iter().enumerate() {
        assert_eq!(Progress::from(answered.end), done(ok(i).len()), "{i}");
        assert!(answered.wrote_at.is_some());
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_connection_closed_before_any_reply_is_not_a_race_to_absorb() {
    // A server that takes the requests and closes without a word: none
    // of them met a kept-alive connection closing, so none goes again.
    let peer = Peer::spawn(move |_, mut sock| {
        for _ in 0..4 {
            read_head(&mut sock).unwrap();
        }
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    pipeline(&mut client, &request, 4);
    let ended = client.ended(4);
    for each in &ended {
        let closed = End::Failed {
            kind: ErrorKind::Closed,
            status: 0,
            bytes: 0,
        };
        assert_eq!(
            (each.end, each.retry),
            (closed, Retry::No),
            "slot {}",
            each.slot
        );
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
}
