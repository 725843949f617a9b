//! How a connection's bytes move: plain TCP, or TLS over TCP with rustls.
//! [`super::conn`] runs one state machine over either; the difference is
//! here alone (an enum, so the plain path stays a direct call).
//!
//! rustls is sans-IO, and three of its habits shape this file:
//! - it buffers decrypted bytes, so a read shorter than the buffer does not
//!   mean the socket is drained ([`Transport::short_read_drains`]): the TLS
//!   side reads until the socket says `WouldBlock`;
//! - it holds encrypted records until they are written, so a connection
//!   whose own output is all handed over may still have bytes to send
//!   ([`Transport::wants_write`]); the socket stays registered for writable
//!   edges, and [`Transport::flush`] writes until the socket is full;
//! - reading can produce output (handshake messages, session tickets,
//!   alerts), which [`Transport::read`] writes at once.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use mio::net::TcpStream;
use rustls::{HandshakeKind, ServerConfig, ServerConnection};

pub(super) enum Transport {
    Plain(TcpStream),
    Tls(Box<Tls>),
}

pub(super) struct Tls {
    tls: ServerConnection,
    tcp: TcpStream,
    /// The socket has reached its end; nothing more will arrive.
    eof: bool,
}

impl Transport {
    /// Plain TCP without a config; otherwise a TLS server connection that
    /// has yet to read the client's hello.
    pub(super) fn new(
        tcp: TcpStream,
        tls: Option<&Arc<ServerConfig>>,
    ) -> Result<Transport, rustls::Error> {
        Ok(match tls {
            None => Transport::Plain(tcp),
            Some(config) => Transport::Tls(Box::new(Tls {
                tls: ServerConnection::new(config.clone())?,
                tcp,
                eof: false,
            })),
        })
    }

    /// The socket, to register with the poll or to read raw bytes from
    /// once the conversation is over.
    pub(super) fn tcp(&mut self) -> &mut TcpStream {
        match self {
            Transport::Plain(tcp) => tcp,
            Transport::Tls(t) => &mut t.tcp,
        }
    }

    /// Whether this is HTTPS (a login's cookie is then `Secure`).
    pub(super) fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }

    /// Whether a read that did not fill the buffer drained the socket, so
    /// that the next readable edge will say when more arrives.
    pub(super) fn short_read_drains(&self) -> bool {
        matches!(self, Transport::Plain(_))
    }

    /// Read request bytes: `Ok(0)` at the end of the client's stream,
    /// `WouldBlock` when nothing more can be read until the next readable
    /// edge. A TLS error (garbage, a failed handshake) is `InvalidData`.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.read(buf),
            Transport::Tls(t) => t.read(buf),
        }
    }

    /// Write response bytes; `WouldBlock` when nothing could be taken.
    pub(super) fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.write(data),
            Transport::Tls(t) => t.write(data),
        }
    }

    /// Write what the transport itself still holds. Ok(true) once nothing
    /// is left, Ok(false) when the socket is full.
    pub(super) fn flush(&mut self) -> io::Result<bool> {
        match self {
            Transport::Plain(_) => Ok(true),
            Transport::Tls(t) => t.flush(),
        }
    }

    /// Bytes are waiting in the transport for the socket to take them.
    pub(super) fn wants_write(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            Transport::Tls(t) => t.tls.wants_write(),
        }
    }

    /// Close our sending side politely: TLS says `close_notify` first, then
    /// the socket sends its FIN. Called once all output is written, so the
    /// few bytes of the alert fit in the socket's buffer.
    pub(super) fn shutdown(&mut self) {
        if let Transport::Tls(t) = self {
            t.tls.send_close_notify();
            let _ = t.flush();
        }
        let _ = self.tcp().shutdown(Shutdown::Write);
    }

    /// Whether the TLS handshake is still going on (never, for plain TCP).
    pub(super) fn handshaking(&self) -> bool {
        matches!(self, Transport::Tls(t) if t.tls.is_handshaking())
    }

    /// How the TLS handshake went, once it has completed; None for plain
    /// TCP and for a handshake that never finished.
    pub(super) fn handshake(&self) -> Option<HandshakeKind> {
        match self {
            Transport::Plain(_) => None,
            Transport::Tls(t) if t.tls.is_handshaking() => None,
            Transport::Tls(t) => t.tls.handshake_kind(),
        }
    }
}

impl Tls {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // Decrypted bytes first: they may be there with the socket drained.
            match self.tls.reader().read(buf) {
                // 0: the client's close_notify.
                Ok(n) => return Ok(n),
                // The socket ended without a close_notify: an end all the same.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if self.eof {
                // Mid-handshake the reader may not say so itself.
                return Ok(0);
            }
            match self.tls.read_tls(&mut self.tcp) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // WouldBlock: the socket is drained.
                Err(e) => return Err(e),
            }
            if let Err(e) = self.tls.process_new_packets() {
                // rustls has queued an alert that says why; send it if the
                // socket takes it, and give up on the connection.
                let _ = self.flush();
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            // Handshake messages and session tickets go out at once.
            self.flush()?;
        }
    }

    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        loop {
            // rustls takes what fits under its buffer limit (64 KiB).
            let n = self.tls.writer().write(data)?;
            let drained = self.flush()?;
            if n > 0 || data.is_empty() {
                return Ok(n);
            }
            if !drained {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            // The buffer was full and is empty now: it takes `data` this time.
        }
    }

    fn flush(&mut self) -> io::Result<bool> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut self.tcp) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
