//! The connection over plain TCP against scripted peers: responses cut
//! anywhere, keep-alive and its limits, peers that close or reset, and
//! the connect and its timing.

use super::*;
use crate::record::ErrorKind;
use std::os::fd::AsRawFd;
use std::sync::mpsc;

/// Long enough between two writes of the peer for the client to read the
/// first on its own, most of the time (the test holds either way).
const PAUSE: Duration = Duration::from_millis(1);

/// Close `sock` with a reset (SO_LINGER 0) instead of a FIN.
fn reset(sock: TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket we own, with a valid linger struct.
    let set = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(set, 0, "SO_LINGER: {}", io::Error::last_os_error());
}

#[test]
fn a_response_split_at_every_byte_boundary_completes() {
    let response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: peer\r\n\r\nhello".to_vec();
    let splits = 1..response.len();
    let script = (response.clone(), splits.clone());
    let peer = Peer::spawn(move |_, mut sock| {
        let (response, splits) = &script;
        for split in splits.clone() {
            read_head(&mut sock).unwrap();
            sock.write_all(&response[..split]).unwrap();
            thread::sleep(PAUSE);
            sock.write_all(&response[split..]).unwrap();
        }
        assert_eq!(read_head(&mut sock), None);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    for split in splits {
        assert_eq!(client.send(&request), done(response.len()), "split {split}");
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_chunked_response_one_byte_at_a_time_completes() {
    let response =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n";
    let peer = Peer::spawn(move |_, mut sock| {
        read_head(&mut sock).unwrap();
        for byte in response {
            sock.write_all(&[*byte]).unwrap();
            thread::sleep(PAUSE);
        }
        assert_eq!(read_head(&mut sock), None);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    assert_eq!(client.send(&request), done(response.len()));
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn keep_alive_carries_every_request_on_one_connection() {
    let (answered, count) = mpsc::channel();
    let peer = Peer::spawn(move |_, mut sock| {
        answered.send(answer_all(&mut sock, &ok(10))).unwrap();
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    for _ in 0..3 {
        assert_eq!(client.send(&request), done(ok(10).len()));
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
    assert_eq!(count.try_iter().collect::<Vec<_>>(), [3]);
}

#[test]
fn bytes_after_a_response_end_the_connection() {
    let idle = Signal::default();
    let junk_sent = Signal::default();
    let script = (idle.clone(), junk_sent.clone());
    let peer = Peer::spawn(move |index, mut sock| {
        let (idle, junk_sent) = &script;
        match index {
            // Bytes right behind the response, in the same segment.
            0 => {
                read_head(&mut sock).unwrap();
                sock.write_all(&[ok(2), b"junk".to_vec()].concat()).unwrap();
            }
            // Bytes nobody asked for while the connection is idle.
            1 => {
                assert!(answer(&mut sock, &ok(2)));
                idle.wait();
                sock.write_all(b"junk").unwrap();
                junk_sent.raise();
            }
            _ => {
                answer_all(&mut sock, &ok(2));
            }
        }
        assert_eq!(read_head(&mut sock), None);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    assert_eq!(client.send(&request), done(ok(2).len()));
    idle.raise();
    junk_sent.wait();
    client.idle();
    assert_eq!(client.send(&request), done(ok(2).len()));
    drop(client);
    assert_eq!(peer.connections(), 3);
}

#[test]
fn a_response_that_does_not_keep_alive_ends_the_connection() {
    let responses: [&[u8]; 2] = [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ];
    let peer = Peer::spawn(move |index, mut sock| match responses.get(index) {
        // The client has to close: the server waits for it.
        Some(response) => {
            assert!(answer(&mut sock, response));
            assert_eq!(read_head(&mut sock), None);
        }
        None => {
            answer_all(&mut sock, &ok(2));
        }
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    for response in responses {
        assert_eq!(client.send(&request), done(response.len()));
    }
    assert_eq!(client.send(&request), done(ok(2).len()));
    drop(client);
    assert_eq!(peer.connections(), 3);
}

#[test]
fn a_body_that_runs_to_the_close_completes() {
    let response = b"HTTP/1.1 200 OK\r\n\r\nall of it";
    let peer = Peer::spawn(move |_, mut sock| {
        assert!(answer(&mut sock, response));
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    assert_eq!(client.send(&request), done(response.len()));
    assert_eq!(client.send(&request), done(response.len()));
    drop(client);
    assert_eq!(peer.connections(), 2);
}

#[test]
fn a_request_larger_than_the_socket_buffers_goes_out_whole() {
    let (bodies, received) = mpsc::channel();
    let peer = Peer::spawn(move |_, mut sock| {
        let head = read_head(&mut sock).unwrap();
        thread::sleep(Duration::from_millis(20));
        bodies.send(read_body(&mut sock, &head)).unwrap();
        sock.write_all(&ok(2)).unwrap();
        assert_eq!(read_head(&mut sock), None);
    });
    let body: Vec<u8> = (0..LARGE_BODY).map(|i| i as u8).collect();
    let request = post(peer.addr, body.clone());
    let mut client = Client::new(peer.addr, None, None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    let sent = request.fixed(false).unwrap().len() as u64;
    assert_eq!(client.report.bytes_sent, sent);
    assert!(
        received.try_recv().unwrap() == body,
        "the body arrived changed"
    );
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_response_that_comes_while_the_request_is_still_going_out_ends_it() {
    // One per connection: the peer holds it until the client has the answer.
    let answered = [Signal::default(), Signal::default()];
    let peer = Peer::spawn({
        let answered = answered.clone();
        move |index, mut sock| {
            // Answer at once, as a server refusing a body does, and read
            // no more: the rest of the request cannot go out.
            read_head(&mut sock).unwrap();
            sock.write_all(&ok(2)).unwrap();
            answered[index].wait();
        }
    });
    let request = post(peer.addr, vec![b'b'; LARGE_BODY]);
    let mut client = Client::new(peer.addr, None, None);
    // The connection carried half a request: the next one opens another.
    for signal in &answered {
        assert_eq!(client.send(&request), done(ok(2).len()));
        signal.raise();
    }
    drop(client);
    assert_eq!(peer.connections(), 2);
}

/// The response's head and 10 of its 100 body bytes.
fn cut_short() -> Vec<u8> {
    let mut part = ok(100);
    part.truncate(part.len() - 90);
    part
}

#[test]
fn a_peer_that_closes_mid_body_fails_the_request_as_closed() {
    let peer = Peer::spawn(|_, mut sock| {
        read_head(&mut sock).unwrap();
        sock.write_all(&cut_short()).unwrap();
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    let failed = Progress::Failed {
        kind: ErrorKind::Closed,
        status: 200,
        bytes: cut_short().len() as u64,
    };
    assert_eq!(client.send(&request), failed);
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_peer_that_resets_mid_body_fails_the_request_as_reset() {
    let peer = Peer::spawn(|_, mut sock| {
        read_head(&mut sock).unwrap();
        sock.write_all(&cut_short()).unwrap();
        // Let the bytes arrive on their own first, as a real server's would.
        thread::sleep(Duration::from_millis(50));
        reset(sock);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    let failed = Progress::Failed {
        kind: ErrorKind::Reset,
        status: 200,
        bytes: cut_short().len() as u64,
    };
    assert_eq!(client.send(&request), failed);
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_peer_that_closes_an_idle_connection_costs_a_reconnect_not_a_failure() {
    let close_now = Signal::default();
    let closed = Signal::default();
    let script = (close_now.clone(), closed.clone());
    let peer = Peer::spawn(move |index, mut sock| {
        let (close_now, closed) = &script;
        if index == 0 {
            assert!(answer(&mut sock, &ok(2)));
            close_now.wait();
            drop(sock);
            closed.raise();
        } else {
            answer_all(&mut sock, &ok(2));
        }
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    close_now.raise();
    closed.wait();
    client.idle();
    assert_eq!(client.send(&request), done(ok(2).len()));
    drop(client);
    assert_eq!(peer.connections(), 2);
}

#[test]
fn a_peer_that_closes_right_behind_its_response_costs_a_reconnect_not_a_failure() {
    let closed = Signal::default();
    let closing = closed.clone();
    let peer = Peer::spawn(move |index, mut sock| {
        if index == 0 {
            assert!(answer(&mut sock, &ok(2)));
            // Keep-alive as far as the head says, yet the FIN follows.
            assert!(answer(&mut sock, &ok(2)));
            drop(sock);
            closing.raise();
        } else {
            answer_all(&mut sock, &ok(2));
        }
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    let started = client.start(&request);
    // The client reads only once the FIN is there too, as a busy worker would.
    closed.wait();
    assert_eq!(client.settle(started), done(ok(2).len()));
    client.idle();
    assert_eq!(client.send(&request), done(ok(2).len()));
    drop(client);
    assert_eq!(peer.connections(), 2);
}

/// Run three requests with `requests_per_conn`; the request heads each
/// connection carried, in order.
fn heads_per_connection(requests_per_conn: u32) -> Vec<Vec<String>> {
    let (heads, received) = mpsc::channel();
    let peer = Peer::spawn(move |index, mut sock| {
        while let Some(head) = read_head(&mut sock) {
            let closing = head.contains("Connection: close\r\n");
            heads.send((index, head)).unwrap();
            sock.write_all(&ok(2)).unwrap();
            if closing {
                break;
            }
        }
    });
    let request = get(peer.addr, true);
    let mut client = Client::new(peer.addr, None, Some(requests_per_conn));
    for _ in 0..3 {
        assert_eq!(client.send(&request), done(ok(2).len()));
    }
    drop(client);
    let mut per_connection = vec![Vec::new(); peer.connections()];
    for (index, head) in received.try_iter() {
        per_connection[index].push(head);
    }
    per_connection
}

#[test]
fn requests_per_conn_closes_after_the_nth_request_and_says_so() {
    let closes = |heads: &[String]| -> Vec<bool> {
        heads
            .iter()
            .map(|h| h.contains("Connection: close\r\n"))
            .collect()
    };
    let two = heads_per_connection(2);
    assert_eq!(two.len(), 2, "{two:?}");
    assert_eq!(closes(&two[0]), [false, true]);
    assert_eq!(closes(&two[1]), [false]);
    let one = heads_per_connection(1);
    assert_eq!(one.len(), 3, "{one:?}");
    assert!(one.iter().all(|heads| closes(heads) == [true]), "{one:?}");
}

#[test]
fn a_refused_connect_fails_the_request_as_connect() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let request = get(addr, false);
    let mut client = Client::new(addr, None, None);
    let failed = Progress::Failed {
        kind: ErrorKind::Connect,
        status: 0,
        bytes: 0,
    };
    assert_eq!(client.send(&request), failed);
    assert_eq!(client.report.connections_opened, 0);
}

#[test]
fn the_request_that_opens_a_connection_pays_its_connect_time_alone() {
    let peer = Peer::spawn(|_, mut sock| {
        answer_all(&mut sock, &ok(2));
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    let (connect_us, tls_us) = client.opening_us();
    assert!(connect_us > 0, "connect_us {connect_us}");
    assert_eq!(tls_us, 0);
    assert_eq!(client.send(&request), done(ok(2).len()));
    assert_eq!(client.opening_us(), (0, 0));
    assert_eq!(client.report.connections_opened, 1);
}

#[test]
fn the_connect_time_counts_from_the_connect_not_from_the_loop_turn() {
    let peer = Peer::spawn(|_, mut sock| {
        answer_all(&mut sock, &ok(2));
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, None, None);
    // A turn that began long ago, busy starting other users since.
    let turn = Instant::now() - Duration::from_secs(2);
    let progress = client.start_at(&request, turn);
    assert_eq!(client.settle(progress), done(ok(2).len()));
    let (connect_us, _) = client.opening_us();
    assert!(connect_us < 1_000_000, "connect_us {connect_us}");
}
