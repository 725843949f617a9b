//! The protocol's side of one request in flight on a connection: the
//! bytes to write and how many went out, and the protocol's decoder.
//! Sans-IO: it never touches a socket, a clock or the recorder.

use crate::dynamic::Values;
use crate::protocol::{Decoded, Protocol};
use crate::record::ErrorKind;
use crate::rng::Rng;

/// What the bytes that came in amount to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// The reply is not complete yet.
    Pending,
    /// The reply is complete. `reusable`: the connection may carry the
    /// next request (the peer keeps it alive and sent nothing extra).
    Done {
        status: u16,
        bytes: u64,
        reusable: bool,
    },
    Failed(ErrorKind),
}

pub(crate) struct Exchange<'a, P: Protocol> {
    protocol: &'a P,
    /// The request's bytes when they are the same every time.
    fixed: Option<&'a [u8]>,
    /// The request rendered for this time, when it has dynamic values;
    /// its capacity is reused.
    rendered: Vec<u8>,
    written: usize,
    decoder: P::Decoder,
}

impl<'a, P: Protocol> Exchange<'a, P> {
    pub(crate) fn new(protocol: &'a P) -> Exchange<'a, P> {
        Exchange {
            protocol,
            fixed: None,
            rendered: Vec::new(),
            written: 0,
            decoder: protocol.decoder(),
        }
    }

    /// Get the next request ready. `opened`: it is its connection's
    /// first, so the protocol's hello goes before it; `last`: its last.
    pub(crate) fn start(
        &mut self,
        request: &'a P::Request,
        rng: &mut Rng,
        scratch: &mut Vec<u8>,
        opened: bool,
        last: bool,
    ) {
        self.written = 0;
        self.protocol.expect(&mut self.decoder, request, opened);
        let hello = if opened { self.protocol.hello() } else { &[] };
        self.fixed = self.protocol.fixed(request, last);
        match self.fixed {
            Some(_) if hello.is_empty() => {}
            Some(bytes) => {
                self.rendered.clear();
                self.rendered.extend_from_slice(hello);
                self.rendered.extend_from_slice(bytes);
                self.fixed = None;
            }
            None => {
                let mut values = Values::new(rng);
                self.protocol
                    .render(request, &mut values, scratch, &mut self.rendered, last);
                if !hello.is_empty() {
                    self.rendered.splice(0..0, hello.iter().copied());
                }
            }
        }
    }

    /// The bytes still to be written.
    pub(crate) fn unwritten(&self) -> &[u8] {
        let all = self.fixed.unwrap_or(&self.rendered);
        &all[self.written..]
    }

    pub(crate) fn wrote(&mut self, n: usize) {
        self.written += n;
    }

    /// Feed bytes that arrived.
    pub(crate) fn received(&mut self, data: &[u8]) -> Reply {
        match self.protocol.decode(&mut self.decoder, data) {
            Decoded::NeedMore => Reply::Pending,
            // One request in flight: bytes after its reply are a server
            // bug, and must not poison the next reply.
            Decoded::Done {
                status,
                bytes,
                consumed,
                keep_alive,
            } => Reply::Done {
                status,
                bytes,
                reusable: keep_alive && consumed == data.len(),
            },
            Decoded::Failed(kind) => Reply::Failed(kind),
        }
    }

    /// The peer closed the stream.
    pub(crate) fn ended(&mut self) -> Reply {
        match self.protocol.end_of_stream(&mut self.decoder) {
            Decoded::Done { status, bytes, .. } => Reply::Done {
                status,
                bytes,
                reusable: false,
            },
            Decoded::Failed(kind) => Reply::Failed(kind),
            // A reply cannot wait for more once the stream has ended.
            Decoded::NeedMore => Reply::Failed(ErrorKind::Closed),
        }
    }

    /// The status so far (0 before one is known) and the bytes received
    /// so far, for a request that failed part way.
    pub(crate) fn so_far(&self) -> (u16, u64) {
        self.protocol.received(&self.decoder)
    }

    /// Why the server refused the connection's setup, after an `Init` failure.
    pub(crate) fn refusal(&self) -> Option<String> {
        self.protocol.refusal(&self.decoder)
    }
}
