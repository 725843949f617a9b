//! How a connection's bytes move: plain TCP, or TLS over TCP. An enum, not
//! a trait object, so the plain hot path is a direct call. Knows nothing
//! of requests: the connection state machine drives it.
//!
//! rustls is sans-IO: TLS records are read from and written to the socket
//! here (`read_tls`, `write_tls`), and plaintext goes in and out of its
//! buffers. Two habits of plain sockets do not hold over TLS, and this
//! file keeps them true for its callers: a read that returns less than
//! asked does not mean the socket is empty (see `drained`), and bytes
//! between requests are not necessarily a response (session tickets,
//! key updates, close_notify; see `still_usable`).

use crate::tls::TlsClient;
use mio::net::TcpStream;
use rustls::ClientConnection;
use rustls::HandshakeKind;
use std::io::{self, Read, Write};
use std::net::SocketAddr;

pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<Tls>),
}

pub(crate) struct Tls {
    sock: TcpStream,
    conn: ClientConnection,
    /// The last socket read returned less than it asked for: the kernel
    /// had nothing more then, and edge-triggered epoll reports what comes.
    socket_drained: bool,
    /// The peer's close_notify came: the end of the stream is in rustls,
    /// and no epoll edge will announce it if the peer keeps TCP open.
    closed: bool,
}

/// A socket reader that remembers whether its last read was short.
struct Counting<'a> {
    sock: &'a mut TcpStream,
    short: bool,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.sock.read(buf);
        self.short = match &read {
            Ok(n) => *n < buf.len(),
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        };
        read
    }
}

/// A TLS failure as an `io::Error` that carries the rustls error, so that
/// the connection can tell it from a socket error (see `tls_error`).
fn wrap(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// The rustls error inside an error from this transport, if it is one.
pub(crate) fn tls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

impl Transport {
    /// Start a non-blocking connect to `addr`; with `tls`, the handshake
    /// starts once the socket is connected (see `handshake`).
    pub(crate) fn connect(addr: SocketAddr, tls: Option<&TlsClient>) -> io::Result<Transport> {
        let sock = TcpStream::connect(addr)?;
        sock.set_nodelay(true)?;
        Ok(match tls {
            None => Transport::Plain(sock),
            Some(tls) => {
                let conn = ClientConnection::new(tls.config.clone(), tls.server_name.clone())
                    .map_err(wrap)?;
                Transport::Tls(Box::new(Tls {
                    sock,
                    conn,
                    socket_drained: false,
                    closed: false,
                }))
            }
        })
    }

    pub(crate) fn socket(&mut self) -> &mut TcpStream {
        match self {
            Transport::Plain(sock) => sock,
            Transport::Tls(tls) => &mut tls.sock,
        }
    }

    /// Move the TLS handshake on as far as the socket allows: Ok(true)
    /// once it is done (at once for plain TCP), Ok(false) to wait for the
    /// next event. A peer that closes mid-handshake is an `UnexpectedEof`.
    pub(crate) fn handshake(&mut self) -> io::Result<bool> {
        let Transport::Tls(tls) = self else {
            return Ok(true);
        };
        loop {
            if !tls.conn.is_handshaking() {
                // The client's Finished may still be queued: it goes out
                // with the first request.
                return Ok(true);
            }
            let mut moved = false;
            if tls.conn.wants_write() {
                match tls.conn.write_tls(&mut tls.sock) {
                    Ok(_) => moved = true,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            if tls.conn.wants_read() {
                match tls.read_records() {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed the connection during the TLS handshake",
                        ));
                    }
                    Ok(_) => moved = true,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            if !moved {
                return Ok(false);
            }
        }
    }

    /// Whether the TLS handshake resumed an earlier session.
    pub(crate) fn resumed(&self) -> bool {
        matches!(self, Transport::Tls(tls) if tls.conn.handshake_kind() == Some(HandshakeKind::Resumed))
    }

    /// Write some of `buf`; over TLS it is encrypted and pushed to the
    /// socket as far as the socket takes it (see `flush`). `buf` is not empty.
    pub(crate) fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(sock) => sock.write(buf),
            Transport::Tls(tls) => loop {
                let n = tls.conn.writer().write(buf)?;
                let flushed = tls.flush();
                if n > 0 {
                    return match flushed {
                        Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
                        _ => Ok(n),
                    };
                }
                // rustls's buffer was full: it took nothing until flushed.
                flushed?;
            },
        }
    }

    /// Push what TLS holds encrypted to the socket: Ok once all of it is
    /// there, `WouldBlock` while the socket is full. Plain TCP holds nothing.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(_) => Ok(()),
            Transport::Tls(tls) => tls.flush(),
        }
    }

    /// Read response bytes. Ok(0) is the end of the stream: the peer closed
    /// (with or without a TLS close_notify; the protocol decides whether
    /// what came before was complete).
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(sock) => sock.read(buf),
            Transport::Tls(tls) => tls.read(buf),
        }
    }

    /// After a read of `n` bytes into a buffer of `asked`: whether nothing
    /// more can be read until epoll says so. Over TLS a short read of
    /// plaintext only means rustls's buffer is empty; the socket must have
    /// come up short too, and no close_notify be waiting to be read as the
    /// end of the stream.
    pub(crate) fn drained(&self, n: usize, asked: usize) -> bool {
        match self {
            Transport::Plain(_) => n < asked,
            Transport::Tls(tls) => n < asked && tls.socket_drained && !tls.closed,
        }
    }

    /// After a complete response, whether TLS already says the connection
    /// cannot carry another request: plaintext nobody asked for is waiting
    /// (after the last reply in flight), or the server's close_notify came with the
    /// response (no event will report it again).
    pub(crate) fn spent(&mut self) -> bool {
        match self {
            Transport::Plain(_) => false,
            Transport::Tls(tls) => tls.conn.process_new_packets().map_or(true, |state| {
                state.plaintext_bytes_to_read() > 0 || state.peer_has_closed()
            }),
        }
    }

    /// An event on a connection between requests: whether it can still
    /// carry the next one. The peer closing, an error, or response bytes
    /// nobody asked for end it; a TLS session ticket or key update does not.
    pub(crate) fn still_usable(&mut self, buf: &mut [u8]) -> bool {
        match self {
            Transport::Plain(sock) => {
                matches!(sock.read(buf), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
            Transport::Tls(tls) => loop {
                match tls.read_records() {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                    Ok(0) | Err(_) => return false,
                    Ok(_) => {}
                }
                let Ok(state) = tls.conn.process_new_packets() else {
                    return false;
                };
                if state.plaintext_bytes_to_read() > 0 || state.peer_has_closed() {
                    return false;
                }
            },
        }
    }

    /// Close politely: the protocol's `goodbye` (Redis's QUIT), then over
    /// TLS a close_notify, go out if the socket takes them at once. The
    /// socket closes when the transport drops.
    pub(crate) fn say_goodbye(&mut self, goodbye: &[u8]) {
        match self {
            Transport::Plain(sock) => {
                if !goodbye.is_empty() {
                    let _ = sock.write(goodbye);
                }
            }
            Transport::Tls(tls) => {
                let _ = tls.conn.writer().write(goodbye);
                tls.conn.send_close_notify();
                let _ = tls.conn.write_tls(&mut tls.sock);
            }
        }
    }
}

impl Tls {
    /// Read TLS records from the socket into rustls and decrypt them.
    /// Ok(0): the socket reached its end.
    fn read_records(&mut self) -> io::Result<usize> {
        let mut counting = Counting {
            sock: &mut self.sock,
            short: false,
        };
        let read = self.conn.read_tls(&mut counting);
        self.socket_drained = counting.short;
        let n = read?;
        if n > 0 {
            match self.conn.process_new_packets() {
                Ok(state) => self.closed |= state.peer_has_closed(),
                Err(e) => {
                    // rustls has queued an alert saying why; send it if we can.
                    let _ = self.conn.write_tls(&mut self.sock);
                    return Err(wrap(e));
                }
            }
            // A key update asks for an answer.
            if self.conn.wants_write() {
                let _ = self.flush();
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.sock)?;
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // A request written over TLS may still sit encrypted in rustls.
        match self.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                // The TCP stream ended without a close_notify: the end of
                // the stream all the same (servers often skip it).
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            // Nothing decrypted is waiting: take records off the socket.
            if self.read_records()? == 0 {
                // The end: what was decrypted before it, then 0.
                return match self.conn.reader().read(buf) {
                    Ok(n) => Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                    Err(e) => Err(e),
                };
            }
        }
    }
}
