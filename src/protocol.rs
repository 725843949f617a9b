//! A protocol: how a task's request becomes bytes, and how the bytes that
//! come back become a completed request. Sans-IO: a protocol never touches
//! a socket, a clock, a timer or the recorder; the engine owns those, the
//! same for every protocol and transport (see `engine::connection`).
//!
//! HTTP/1.1 (`http::Http1`) is one. The engine is generic over it, so the
//! hot path has no dynamic dispatch.

use crate::plan::RequestSpec;
use crate::record::ErrorKind;
use crate::rng::Rng;

/// What the bytes received so far amount to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// The reply is not complete yet: every byte given was taken.
    NeedMore,
    /// The reply completed after `consumed` of the bytes given.
    /// `keep_alive`: the peer keeps the connection open for more.
    Done {
        status: u16,
        bytes: u64,
        consumed: usize,
        keep_alive: bool,
    },
    Failed(ErrorKind),
}

pub(crate) trait Protocol: Sync {
    /// A task's request, prepared once per run from its spec.
    type Request: Sync;
    /// A connection's decoding state, reused from reply to reply.
    type Decoder: Send;

    /// Prepare a task's request. `closing`: the run closes connections
    /// after some requests, so a connection's last request may differ.
    /// Errors are the user's input, in one line.
    fn prepare(&self, spec: &RequestSpec, closing: bool) -> Result<Self::Request, String>;

    /// The request's bytes when they are the same every time (`last`: the
    /// connection's last request), written without a copy; None: render.
    fn fixed<'r>(&self, request: &'r Self::Request, last: bool) -> Option<&'r [u8]>;

    /// Render a request that is not fixed into `out` (cleared first);
    /// `scratch` is the worker's to reuse.
    fn render(
        &self,
        request: &Self::Request,
        rng: &mut Rng,
        scratch: &mut Vec<u8>,
        out: &mut Vec<u8>,
        last: bool,
    );

    /// Bytes every new connection sends before its first request (AUTH,
    /// SELECT, HELLO 3 for Redis), empty for none. They go out with that
    /// request, and their replies come before its reply: the decoder,
    /// told by `expect` that the request opened the connection, reads them
    /// first, and a refusal fails the request.
    fn hello(&self) -> &[u8] {
        &[]
    }

    /// A new connection's decoder.
    fn decoder(&self) -> Self::Decoder;

    /// The next reply on the connection answers `request`; `opened`: the
    /// request is the connection's first, so `hello`'s replies come first.
    fn expect(&self, decoder: &mut Self::Decoder, request: &Self::Request, opened: bool);

    /// Feed bytes that arrived. When they fail the reply, every one of
    /// them counts in `received`.
    fn decode(&self, decoder: &mut Self::Decoder, bytes: &[u8]) -> Decoded;

    /// The peer closed the stream: a reply that runs until the close ends
    /// here; any other was cut short.
    fn end_of_stream(&self, decoder: &mut Self::Decoder) -> Decoded;

    /// The status so far (0 before one is known) and the bytes received
    /// for the current reply: what a failed request records.
    fn received(&self, decoder: &Self::Decoder) -> (u16, u64);

    /// Why the server refused `hello` (its words, in one line), after a
    /// decode failed with `ErrorKind::Init`. Only read on that failure,
    /// so the hot path never calls it.
    fn refusal(&self, _decoder: &Self::Decoder) -> Option<String> {
        None
    }
}
