//! One virtual user (closed model) or connection slot (open model): a
//! keep-alive connection and the request it has in flight.

use crate::http::response::ResponseParser;
use mio::net::TcpStream;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not running: above the ramp's current count (closed), or a free
    /// connection slot (open), or done for the run.
    Idle,
    /// Between requests: thinking, or backing off after a failed connect.
    Waiting,
    /// A request is due and its connection is being opened.
    Connecting,
    /// The request is partly written.
    Writing,
    /// The request is written; the response is coming in.
    Reading,
}

impl Phase {
    pub fn in_flight(self) -> bool {
        matches!(self, Phase::Connecting | Phase::Writing | Phase::Reading)
    }
}

pub struct User {
    pub sock: Option<TcpStream>,
    pub phase: Phase,
    /// When the current (or next) request is due.
    pub due: Instant,
    /// When the first byte of the current request was written.
    pub wrote_at: Option<Instant>,
    /// Bytes of the current request written so far.
    pub written: usize,
    pub task: u16,
    /// True until the user's first request since it (re)started.
    pub fresh: bool,
    /// The current request, when its task has dynamic values; reused.
    pub rendered: Vec<u8>,
    pub parser: ResponseParser,
}

impl User {
    pub fn new(now: Instant) -> User {
        User {
            sock: None,
            phase: Phase::Idle,
            due: now,
            wrote_at: None,
            written: 0,
            task: 0,
            fresh: true,
            rendered: Vec::new(),
            parser: ResponseParser::new(),
        }
    }
}
