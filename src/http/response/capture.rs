//! The parser's side of a capture: fills a [`Captured`] from the final head
//! and the body bytes as they are framed, keeping only what the
//! [`CaptureSpec`] asks for and at most [`BODY_PREFIX_MAX`] of the body.

use std::mem::MaybeUninit;
use std::sync::Arc;

use super::MAX_HEADERS;
use crate::journey::capture::{BODY_PREFIX_MAX, CaptureSpec, Captured};

/// A capture in progress, for one reply.
#[derive(Debug)]
pub(super) struct Capturing {
    spec: Arc<CaptureSpec>,
    got: Box<Captured>,
}

impl Capturing {
    pub(super) fn new(spec: Arc<CaptureSpec>) -> Self {
        Capturing {
            spec,
            got: Box::default(),
        }
    }

    /// The final head is complete; `bytes` are all of it.
    ///
    /// The head is parsed again here rather than kept from the parser's
    /// parse: that parse may have been skipped (the head memo answers a
    /// repeated head without httparse), and this way every captured reply
    /// takes its headers from its own bytes.
    pub(super) fn head(&mut self, bytes: &[u8], status: u16) {
        self.got.status = status;
        if !self.spec.wants_headers() {
            return;
        }
        let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut []);
        // These bytes parsed as a head already, with the same limits.
        if httparse::ParserConfig::default()
            .parse_response_with_uninit_headers(&mut resp, bytes, &mut headers)
            .is_err()
        {
            return;
        }
        for h in resp.headers.iter() {
            if self.spec.wants_header(h.name.as_bytes()) {
                (self.got.headers).push((h.name.to_ascii_lowercase(), h.value.to_vec()));
            }
        }
    }

    /// The next bytes of the body, de-chunked.
    pub(super) fn body(&mut self, data: &[u8]) {
        if !self.spec.wants_body() || data.is_empty() {
            return;
        }
        let room = BODY_PREFIX_MAX - self.got.body.len();
        if data.len() > room {
            self.got.truncated = true;
        }
        let keep = data.get(..room).unwrap_or(data);
        self.got.body.extend_from_slice(keep);
    }

    pub(super) fn finish(self) -> Box<Captured> {
        self.got
    }
}
