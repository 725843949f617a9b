//! Incremental HTTP/1.1 response parser. (Stub: being implemented.)

use std::fmt;

/// The outcome of one complete response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// Final status code (interim 1xx responses are skipped).
    pub status: u16,
    /// Bytes of this response on the wire: every head (interim ones too) and the body framing.
    pub bytes: u64,
    /// False when the connection must be closed after this response.
    pub keep_alive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// All of `data` was consumed; the response is not complete yet.
    NeedMore,
    /// The response completed after `consumed` bytes of `data`.
    Done { response: Response, consumed: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError(pub &'static str);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[derive(Debug, Default)]
pub struct ResponseParser {}

impl ResponseParser {
    pub fn new() -> Self {
        ResponseParser {}
    }
    pub fn start(&mut self, _head_request: bool) {}
    pub fn feed(&mut self, _data: &[u8]) -> Result<Step, ParseError> {
        Err(ParseError("unimplemented"))
    }
    pub fn finish_on_eof(&mut self) -> Result<Response, ParseError> {
        Err(ParseError("unimplemented"))
    }
    pub fn status(&self) -> u16 {
        0
    }
    pub fn bytes(&self) -> u64 {
        0
    }
}
