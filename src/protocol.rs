//! A protocol: how a task's request becomes bytes, and how the bytes that
//! come back become a completed request. Sans-IO: a protocol never touches
//! a socket, a clock, a timer or the recorder; the engine owns those, the
//! same for every protocol and transport (see `engine::connection`).
//!
//! HTTP/1.1 (`http::Http1`) and Redis are two; one from outside the crate
//! runs through `stampede::main_with`. The engine is generic over it, so
//! the hot path has no dynamic dispatch.

use crate::dynamic::Values;
use crate::journey::capture::Captured;
use crate::plan::RequestSpec;
use crate::record::ErrorKind;

/// What the bytes received so far amount to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// The reply is not complete yet: every byte given was taken.
    NeedMore,
    /// The reply completed after `consumed` of the bytes given (bytes
    /// after those are the next reply's).
    Done {
        /// results.csv's `status`: 200 to 399 is a success, anything else
        /// a failure with an empty `error` (the reply was complete).
        status: u16,
        /// results.csv's `bytes`: the reply's size.
        bytes: u64,
        /// How many of the bytes given the reply took.
        consumed: usize,
        /// The peer keeps the connection open for more requests.
        keep_alive: bool,
    },
    /// No reply: the request is recorded with this `error`. A protocol's
    /// own are `Parse` (the bytes are not a reply), `Init` (the server
    /// refused `hello`; see `refusal`) and `Closed` (a reply cut short,
    /// from `end_of_stream`); the others are the engine's.
    Failed(ErrorKind),
}

/// A request/reply protocol the engine drives: it turns a task's request
/// into bytes, and the bytes that come back into a completed request.
///
/// Sans-IO: a protocol never touches a socket, a clock, a timer, a thread
/// or a file. The engine owns connections (and TLS), pacing, timeouts,
/// latency and recording, the same for every protocol; so every hook is a
/// plain function of its arguments, and cheap: `fixed`, `render`, `expect`
/// and `decode` run once per request on the hot path.
///
/// One value serves every worker (`Sync`); each connection has its own
/// `Decoder`, reused from reply to reply. Replies come in the order the
/// requests went out: one request in flight per connection, or up to
/// `--pipeline N` when `pipelines` says the protocol allows it (the
/// decoder is then fed the bytes after one reply as the next one's).
///
/// A run: `prepare` each task once; per connection, its decoder; per
/// request, `fixed` (or `render`), then `expect` and `decode` until
/// `Done` or `Failed`; `end_of_stream` if the peer closes first.
pub trait Protocol: Sync {
    /// A task's request, prepared once per run from its spec.
    type Request: Sync;
    /// A connection's decoding state, reused from reply to reply.
    type Decoder: Send;

    /// Prepare a task's request (global init: once per task and run,
    /// before anything is sent). `spec.command()` is the task's text for a
    /// command protocol (`--command`). `closing`: the run closes
    /// connections after some requests, so a connection's last request may
    /// differ. An error is the user's input, in one line: the run stops
    /// with it before it starts, the message after where the task was
    /// given (`--command: `, or a scenario's `FILE:LINE: `).
    fn prepare(&self, spec: &RequestSpec, closing: bool) -> Result<Self::Request, String>;

    /// The request's bytes when they are the same every time (`last`: the
    /// connection's last request), written without a copy; None: render.
    fn fixed<'r>(&self, request: &'r Self::Request, last: bool) -> Option<&'r [u8]>;

    /// Render a request that is not fixed into `out` (cleared first),
    /// drawing its dynamic values from `values` (`Template::render`);
    /// `scratch` is the worker's to reuse.
    fn render(
        &self,
        request: &Self::Request,
        values: &mut Values<'_>,
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

    /// Bytes a healthy connection sends as it closes for good (a user
    /// leaving, the run's end), empty for none: Redis's QUIT. Nothing
    /// waits for their reply.
    fn goodbye(&self) -> &[u8] {
        &[]
    }

    /// Whether a connection may carry several requests before their
    /// replies come (`--pipeline`), answered in order. False by default:
    /// a protocol says so only when its servers allow it.
    fn pipelines(&self) -> bool {
        false
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

    /// What was kept of the reply that just completed (`Decoded::Done`),
    /// for a scenario's reply checks and values: the crate's HTTP/1.1
    /// only. A protocol from outside keeps this default; it cannot name
    /// `Captured`, which is the crate's.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn captured(&self, _decoder: &mut Self::Decoder) -> Option<Box<Captured>> {
        None
    }
}
