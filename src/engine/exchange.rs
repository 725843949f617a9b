//! The protocol's side of one request in flight on a connection, HTTP/1.1:
//! the bytes to write and how many went out, and the response parser.
//! Sans-IO: it never touches a socket, a clock or the recorder.

use crate::http::request::HttpRequest;
use crate::http::response::{ResponseParser, Step};
use crate::record::ErrorKind;
use crate::rng::Rng;

/// What the bytes that came in amount to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// The response is not complete yet.
    Pending,
    /// The response is complete. `reusable`: the connection may carry the
    /// next request (the server keeps it alive and sent nothing extra).
    Done {
        status: u16,
        bytes: u64,
        reusable: bool,
    },
    Failed(ErrorKind),
}

pub(crate) struct Exchange<'a> {
    /// The request's bytes when they are the same every time.
    fixed: Option<&'a [u8]>,
    /// The request rendered for this time, when it has dynamic values;
    /// its capacity is reused.
    rendered: Vec<u8>,
    written: usize,
    parser: ResponseParser,
}

impl<'a> Exchange<'a> {
    pub(crate) fn new() -> Exchange<'a> {
        Exchange {
            fixed: None,
            rendered: Vec::new(),
            written: 0,
            parser: ResponseParser::new(),
        }
    }

    /// Get the next request ready. `close`: it is its connection's last.
    pub(crate) fn start(
        &mut self,
        request: &'a HttpRequest,
        rng: &mut Rng,
        scratch: &mut Vec<u8>,
        close: bool,
    ) {
        self.written = 0;
        self.parser.start(request.is_head);
        self.fixed = request.fixed(close);
        if self.fixed.is_none() {
            request.render(rng, &mut self.rendered, scratch, close);
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
        match self.parser.feed(data) {
            Ok(Step::NeedMore) => Reply::Pending,
            // We never pipeline, so bytes after the response are a server
            // bug; they must not poison the next response.
            Ok(Step::Done { response, consumed }) => Reply::Done {
                status: response.status,
                bytes: response.bytes,
                reusable: response.keep_alive && consumed == data.len(),
            },
            Err(_) => Reply::Failed(ErrorKind::Parse),
        }
    }

    /// The peer closed the stream: a read-until-close body ends here,
    /// anything else was cut short.
    pub(crate) fn ended(&mut self) -> Reply {
        match self.parser.finish_on_eof() {
            Ok(r) => Reply::Done {
                status: r.status,
                bytes: r.bytes,
                reusable: false,
            },
            Err(_) => Reply::Failed(ErrorKind::Closed),
        }
    }

    /// The status so far (0 before a head) and the bytes received so far,
    /// for a request that failed part way.
    pub(crate) fn so_far(&self) -> (u16, u64) {
        (self.parser.status(), self.parser.bytes())
    }
}
