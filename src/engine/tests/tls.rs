//! The connection over TLS against scripted rustls servers: both versions,
//! and the pitfalls of a sans-IO TLS under an edge-triggered loop: plaintext
//! rustls holds after a short read, records between requests that are no
//! response (key updates, session tickets, close_notify), handshakes that
//! fail, resumption and client certificates.

use super::tls_peer::*;
use super::*;
use crate::record::ErrorKind;
use rustls::{ServerConfig, ServerConnection, StreamOwned, SupportedProtocolVersion};
use std::sync::mpsc;

const VERSIONS: [&SupportedProtocolVersion; 2] = [&TLS13, &TLS12];

const TLS_FAILED: Progress = Progress::Failed {
    kind: ErrorKind::Tls,
    status: 0,
    bytes: 0,
};

/// A peer that answers every request with `response` over TLS.
fn answering(config: ServerConfig, response: Vec<u8>) -> Peer {
    let config = Arc::new(config);
    Peer::spawn(move |_, sock| {
        let mut tls = tls_stream(&config, sock);
        handshake(&mut tls).unwrap();
        answer_all(&mut tls, &response);
    })
}

#[test]
fn both_versions_carry_requests_and_only_the_first_pays_the_handshake() {
    for version in VERSIONS {
        let config = Arc::new(server(version));
        let (spoke, spoken) = mpsc::channel();
        let peer = Peer::spawn(move |_, sock| {
            let mut tls = tls_stream(&config, sock);
            handshake(&mut tls).unwrap();
            spoke.send(tls.conn.protocol_version()).unwrap();
            answer_all(&mut tls, &ok(5));
        });
        let tls = client(true, false);
        let request = get(peer.addr, false);
        let mut client = Client::new(peer.addr, Some(&tls), None);
        assert_eq!(client.send(&request), done(ok(5).len()), "{version:?}");
        let (connect_us, tls_us) = client.opening_us();
        assert!(connect_us > 0 && tls_us > 0, "{connect_us} {tls_us}");
        for _ in 0..2 {
            assert_eq!(client.send(&request), done(ok(5).len()), "{version:?}");
            assert_eq!(client.opening_us(), (0, 0));
        }
        assert_eq!(client.report.connections_opened, 1);
        drop(client);
        assert_eq!(peer.connections(), 1);
        assert_eq!(spoken.try_recv().unwrap(), Some(version.version));
    }
}

/// rustls decrypts a whole record while the caller reads less: a short
/// read of plaintext does not mean the socket is drained, and a loop that
/// took it for that would wait for an edge that never comes.
#[test]
fn a_large_response_in_many_records_completes() {
    for version in VERSIONS {
        let response = ok(1 << 20);
        let peer = answering(server(version), response.clone());
        let tls = client(true, false);
        let request = get(peer.addr, false);
        let mut client = Client::new(peer.addr, Some(&tls), None);
        for _ in 0..2 {
            assert_eq!(client.send(&request), done(response.len()), "{version:?}");
        }
        drop(client);
        assert_eq!(peer.connections(), 1);
    }
}

#[test]
fn a_request_larger_than_what_rustls_and_the_socket_buffer_goes_out_whole() {
    let config = Arc::new(server(&TLS13));
    let (bodies, received) = mpsc::channel();
    let peer = Peer::spawn(move |_, sock| {
        let mut tls = tls_stream(&config, sock);
        handshake(&mut tls).unwrap();
        let head = read_head(&mut tls).unwrap();
        thread::sleep(Duration::from_millis(20));
        bodies.send(read_body(&mut tls, &head)).unwrap();
        tls.write_all(&ok(2)).unwrap();
        tls.flush().unwrap();
        assert_eq!(read_head(&mut tls), None);
    });
    let body: Vec<u8> = (0..LARGE_BODY).map(|i| i as u8).collect();
    let request = post(peer.addr, body.clone());
    let tls = client(true, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    assert_eq!(
        client.report.bytes_sent,
        request.fixed(false).unwrap().len() as u64
    );
    assert!(
        received.try_recv().unwrap() == body,
        "the body arrived changed"
    );
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_response_that_comes_while_the_request_is_still_going_out_ends_it() {
    let config = Arc::new(server(&TLS13));
    // One per connection: the peer holds it until the client has the answer.
    let answered = [Signal::default(), Signal::default()];
    let peer = Peer::spawn({
        let answered = answered.clone();
        move |index, sock| {
            let mut tls = tls_stream(&config, sock);
            handshake(&mut tls).unwrap();
            // Answer at once and read no more.
            read_head(&mut tls).unwrap();
            tls.write_all(&ok(2)).unwrap();
            tls.flush().unwrap();
            answered[index].wait();
        }
    });
    let request = post(peer.addr, vec![b'b'; LARGE_BODY]);
    let tls = client(true, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    for signal in &answered {
        assert_eq!(client.send(&request), done(ok(2).len()));
        signal.raise();
    }
    drop(client);
    assert_eq!(peer.connections(), 2);
}

#[test]
fn a_response_in_one_byte_records_completes() {
    let config = Arc::new(server(&TLS13));
    let peer = Peer::spawn(move |_, sock| {
        let mut tls = tls_stream(&config, sock);
        handshake(&mut tls).unwrap();
        read_head(&mut tls).unwrap();
        for byte in ok(5) {
            tls.write_all(&[byte]).unwrap();
            tls.flush().unwrap();
        }
        answer_all(&mut tls, &ok(5));
    });
    let tls = client(true, false);
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    for _ in 0..2 {
        assert_eq!(client.send(&request), done(ok(5).len()));
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_key_update_between_requests_keeps_the_connection() {
    let config = Arc::new(server(&TLS13));
    let idle = Signal::default();
    let updated = Signal::default();
    let script = (idle.clone(), updated.clone());
    let peer = Peer::spawn(move |_, sock| {
        let (idle, updated) = &script;
        let mut tls = tls_stream(&config, sock);
        handshake(&mut tls).unwrap();
        assert!(answer(&mut tls, &ok(2)));
        // While the client is idle.
        idle.wait();
        tls.conn.refresh_traffic_keys().unwrap();
        tls.flush().unwrap();
        updated.raise();
        // Right before a response.
        read_head(&mut tls).unwrap();
        tls.conn.refresh_traffic_keys().unwrap();
        tls.write_all(&ok(2)).unwrap();
        tls.flush().unwrap();
        answer_all(&mut tls, &ok(2));
    });
    let tls = client(true, false);
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    idle.raise();
    updated.wait();
    client.idle();
    for _ in 0..2 {
        assert_eq!(client.send(&request), done(ok(2).len()));
    }
    drop(client);
    assert_eq!(peer.connections(), 1);
}

/// A TLS 1.3 server sends its session tickets once it has the client's
/// Finished, which comes with the first request. This one answers that
/// request before reading the Finished (half-RTT data), so the tickets
/// reach the client while it is idle.
#[test]
fn a_session_ticket_between_requests_keeps_the_connection() {
    let mut config = server(&TLS13);
    config.send_half_rtt_data = true;
    let config = Arc::new(config);
    let idle = Signal::default();
    let ticketed = Signal::default();
    let script = (idle.clone(), ticketed.clone());
    let peer = Peer::spawn(move |_, mut sock| {
        let (idle, ticketed) = &script;
        let mut conn = ServerConnection::new(Arc::clone(&config)).unwrap();
        // The ClientHello in; the server's flight, to its Finished, out.
        while !conn.wants_write() {
            conn.read_tls(&mut sock).unwrap();
            conn.process_new_packets().unwrap();
        }
        push(&mut conn, &mut sock);
        // The client's Finished and its first request, held back.
        let held = take_records(&mut sock, 23, 2);
        conn.writer().write_all(&ok(2)).unwrap();
        push(&mut conn, &mut sock);
        idle.wait();
        let mut rest = &held[..];
        while !rest.is_empty() {
            conn.read_tls(&mut rest).unwrap();
        }
        conn.process_new_packets().unwrap();
        assert!(!conn.is_handshaking());
        assert!(read_head(&mut conn.reader()).is_some());
        assert!(conn.wants_write(), "no session ticket to send");
        push(&mut conn, &mut sock);
        ticketed.raise();
        answer_all(&mut StreamOwned::new(conn, sock), &ok(2));
    });
    let tls = client(true, false);
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    idle.raise();
    ticketed.wait();
    client.idle();
    assert_eq!(client.send(&request), done(ok(2).len()));
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_close_notify_on_an_idle_connection_costs_a_reconnect_not_a_failure() {
    let config = Arc::new(server(&TLS13));
    let idle = Signal::default();
    let notified = Signal::default();
    let script = (idle.clone(), notified.clone());
    let peer = Peer::spawn(move |index, sock| {
        let (idle, notified) = &script;
        let mut tls = tls_stream(&config, sock);
        handshake(&mut tls).unwrap();
        if index == 0 {
            assert!(answer(&mut tls, &ok(2)));
            idle.wait();
            tls.conn.send_close_notify();
            tls.flush().unwrap();
            notified.raise();
            assert_eq!(read_head(&mut tls), None);
        } else {
            answer_all(&mut tls, &ok(2));
        }
    });
    let tls = client(true, false);
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    idle.raise();
    notified.wait();
    client.idle();
    assert_eq!(client.send(&request), done(ok(2).len()));
    drop(client);
    assert_eq!(peer.connections(), 2);
}

/// A close_notify right behind a keep-alive response, there before the
/// client reads; `fin`: the TCP close follows it at once.
fn close_notify_behind_the_response(fin: bool) {
    let config = Arc::new(server(&TLS13));
    let notified = Signal::default();
    let notifying = notified.clone();
    let peer = Peer::spawn(move |index, sock| {
        let mut tls = tls_stream(&config, sock);
        handshake(&mut tls).unwrap();
        if index > 0 {
            answer_all(&mut tls, &ok(2));
            return;
        }
        assert!(answer(&mut tls, &ok(2)));
        read_head(&mut tls).unwrap();
        tls.write_all(&ok(2)).unwrap();
        tls.conn.send_close_notify();
        tls.flush().unwrap();
        if fin {
            drop(tls);
            notifying.raise();
        } else {
            notifying.raise();
            assert_eq!(read_head(&mut tls), None);
        }
    });
    let tls = client(true, false);
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    assert_eq!(client.send(&request), done(ok(2).len()));
    let started = client.start(&request);
    notified.wait();
    assert_eq!(client.settle(started), done(ok(2).len()));
    client.idle();
    assert_eq!(client.send(&request), done(ok(2).len()), "fin: {fin}");
    drop(client);
    assert_eq!(peer.connections(), 2);
}

#[test]
fn a_close_notify_right_behind_a_response_costs_a_reconnect_not_a_failure() {
    close_notify_behind_the_response(true);
    close_notify_behind_the_response(false);
}

#[test]
fn a_close_notify_ends_a_body_that_runs_to_the_close_while_tcp_stays_open() {
    let config = Arc::new(server(&TLS13));
    let response = b"HTTP/1.1 200 OK\r\n\r\nall of it";
    let done_reading = Signal::default();
    let peer = Peer::spawn({
        let done_reading = done_reading.clone();
        move |_, sock| {
            let mut tls = tls_stream(&config, sock);
            handshake(&mut tls).unwrap();
            assert!(answer(&mut tls, response));
            // The TLS stream ends here; TCP stays open until the client
            // has the response, as with a server awaiting our close_notify.
            tls.conn.send_close_notify();
            tls.flush().unwrap();
            done_reading.wait();
        }
    });
    let tls = client(true, false);
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    assert_eq!(client.send(&request), done(response.len()));
    done_reading.raise();
    drop(client);
    assert_eq!(peer.connections(), 1);
}

#[test]
fn a_body_that_runs_to_the_close_completes_with_or_without_close_notify() {
    let config = Arc::new(server(&TLS13));
    let response = b"HTTP/1.1 200 OK\r\n\r\nall of it";
    let peer = Peer::spawn(move |index, sock| {
        let mut tls = tls_stream(&config, sock);
        handshake(&mut tls).unwrap();
        assert!(answer(&mut tls, response));
        // Many servers skip the close_notify.
        if index == 0 {
            tls.conn.send_close_notify();
            tls.flush().unwrap();
        }
    });
    let tls = client(true, false);
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    for _ in 0..2 {
        assert_eq!(client.send(&request), done(response.len()));
    }
    drop(client);
    assert_eq!(peer.connections(), 2);
}

/// Run one request against a peer that plays `script` instead of a TLS
/// server; the request must fail as tls, and the report say why in one
/// line, which is returned.
fn handshake_fails(script: fn(TcpStream)) -> String {
    let peer = Peer::spawn(move |_, sock| script(sock));
    let tls = client(true, false);
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    assert_eq!(client.send(&request), TLS_FAILED);
    let problem = client.report.tls_problem.take().expect("a tls_problem");
    assert!(!problem.contains('\n'), "{problem:?}");
    drop(client);
    assert_eq!(peer.connections(), 1);
    problem
}

#[test]
fn a_server_that_closes_mid_handshake_fails_the_request_as_tls() {
    let problem = handshake_fails(|mut sock| {
        // The ClientHello, and no answer.
        take_records(&mut sock, 22, 1);
    });
    assert!(problem.contains("handshake"), "{problem}");
}

#[test]
fn a_plain_http_server_fails_the_request_as_tls() {
    let problem = handshake_fails(|mut sock| {
        take_records(&mut sock, 22, 1);
        let refusal = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        sock.write_all(refusal).unwrap();
    });
    assert!(problem.contains("handshake"), "{problem}");
}

/// Run one request from `tls` against a server with `config` whose
/// certificate it refuses; the tls_problem the report got.
fn refused_by_client(tls: TlsClient, config: ServerConfig) -> String {
    let config = Arc::new(config);
    let peer = Peer::spawn(move |_, sock| {
        let mut tls = tls_stream(&config, sock);
        assert!(handshake(&mut tls).is_err());
        wind_down(&mut tls);
    });
    let request = get(peer.addr, false);
    let mut client = Client::new(peer.addr, Some(&tls), None);
    assert_eq!(client.send(&request), TLS_FAILED);
    let problem = client.report.tls_problem.take().expect("a tls_problem");
    assert!(!problem.contains('\n'), "{problem:?}");
    drop(client);
    assert_eq!(peer.connections(), 1);
    problem
}

#[test]
fn an_untrusted_certificate_fails_the_request_as_tls_and_says_why() {
    for version in VERSIONS {
        let problem = refused_by_client(client_of_another_ca(), server(version));
        assert!(problem.contains("UnknownIssuer"), "{version:?}: {problem}");
        // openssl's self-signed certificates say CA:TRUE, which webpki
        // refuses for a server whatever the trust.
        let problem = refused_by_client(client(true, false), self_signed_server(version));
        assert!(
            problem.contains("is a CA certificate (CaUsedAsEndEntity)"),
            "{version:?}: {problem}"
        );
    }
}

/// Two connections in a row, each for one request; how many resumed.
fn resumed(version: &'static SupportedProtocolVersion, resume: bool) -> u64 {
    let peer = answering(server(version), ok(2));
    let tls = client(resume, false);
    let request = get(peer.addr, true);
    let mut client = Client::new(peer.addr, Some(&tls), Some(1));
    for _ in 0..2 {
        assert_eq!(client.send(&request), done(ok(2).len()), "{version:?}");
        let (_, tls_us) = client.opening_us();
        assert!(tls_us > 0);
    }
    assert_eq!(client.report.connections_opened, 2);
    let resumed = client.report.connections_resumed;
    drop(client);
    assert_eq!(peer.connections(), 2);
    resumed
}

#[test]
fn the_second_connection_resumes_the_session_unless_told_not_to() {
    for version in VERSIONS {
        assert_eq!(resumed(version, true), 1, "{version:?}");
        assert_eq!(resumed(version, false), 0, "{version:?}");
    }
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    for version in VERSIONS {
        let config = Arc::new(mutual_server(version));
        let peer = Peer::spawn(move |_, sock| {
            let mut tls = tls_stream(&config, sock);
            match handshake(&mut tls) {
                Ok(()) => {
                    answer_all(&mut tls, &ok(2));
                }
                Err(_) => wind_down(&mut tls),
            }
        });
        let request = get(peer.addr, false);
        let without = client(true, false);
        let mut client_without = Client::new(peer.addr, Some(&without), None);
        assert_eq!(client_without.send(&request), TLS_FAILED, "{version:?}");
        let problem = client_without.report.tls_problem.clone();
        let problem = problem.expect("a tls_problem");
        assert!(problem.contains("--cert"), "{version:?}: {problem}");
        let with = client(true, true);
        let mut client_with = Client::new(peer.addr, Some(&with), None);
        assert_eq!(client_with.send(&request), done(ok(2).len()), "{version:?}");
        drop((client_without, client_with));
        assert_eq!(peer.connections(), 2);
    }
}
