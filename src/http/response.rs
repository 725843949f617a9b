//! Incremental HTTP/1.1 response parser.
//!
//! Bytes may arrive split at any boundary. The head is parsed with `httparse`,
//! directly from the caller's buffer when it arrives whole (the common case,
//! no copy and no allocation); otherwise the partial head is kept in a buffer
//! whose capacity is reused between responses. The body is framed per
//! RFC 9112 section 6.3: no body, `Content-Length`, chunked (a byte-level
//! state machine in [`chunked`] that buffers nothing), or read until close.
//!
//! A load test asks one server for the same thing over and over, and gets
//! the same head back byte for byte (nginx's changes once a second, with its
//! `Date`). So each parser remembers its last head and what it meant; bytes
//! that start with exactly that head mean exactly that again, and skip
//! httparse. On this project's benchmark that is most of the client's
//! user-space work per request.
//!
//! A reply can also be captured (some headers, the start of the body; see
//! [`ResponseParser::capture`]), for the tasks whose checks or references
//! read it. A reply not captured costs one branch more, no copy.

mod capture;
pub(crate) mod chunked;
mod memo;
#[cfg(test)]
mod tests;

use std::fmt;
use std::mem::MaybeUninit;
use std::sync::Arc;

use crate::digits::{BadDecimal, parse_decimal};
use crate::journey::capture::{CaptureSpec, Captured};
use capture::Capturing;
use chunked::Chunked;
use memo::HeadMemo;

/// The outcome of one complete response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Response {
    /// Final status code (interim 1xx responses are skipped).
    pub status: u16,
    /// Bytes of this response on the wire: every head (interim ones too) and the body framing.
    pub bytes: u64,
    /// False when the connection must be closed after this response.
    pub keep_alive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// All of `data` was consumed; the response is not complete yet.
    NeedMore,
    /// The response completed after `consumed` bytes of `data`.
    Done { response: Response, consumed: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParseError(pub &'static str);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ParseError {}

/// Most headers accepted in one response head.
const MAX_HEADERS: usize = 100;
/// Largest response head (status line, headers and the empty line).
const MAX_HEAD: usize = 64 * 1024;
/// Capacity reserved the first time a head has to be buffered.
const HEAD_BUF_INITIAL: usize = 1024;

/// Where the parser is within the current response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading a (possibly interim) head; partial bytes are in `head_buf`.
    Head,
    /// Reading a body of known length; `remaining` bytes are still due.
    Length { remaining: u64 },
    /// Reading a chunked body.
    Chunked,
    /// Reading a body delimited by the connection closing.
    UntilClose,
    /// The response is complete; `start` must be called before the next one.
    Done,
    /// An error was returned; `start` must be called before the next response.
    Failed,
}

/// How the body of a final response is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// A 1xx interim response (not 101): another head follows.
    Interim,
    /// No body at all.
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// What the parser needs to know from a complete head.
#[derive(Clone, Copy, Debug)]
struct Head {
    /// Bytes of the head, from the status line to the empty line inclusive.
    len: usize,
    status: u16,
    framing: Framing,
    keep_alive: bool,
    /// It has a `Set-Cookie` field: worth capturing for a cookie jar.
    set_cookie: bool,
}

/// An incremental, reusable HTTP/1.1 response parser.
#[derive(Debug)]
pub(crate) struct ResponseParser {
    state: State,
    head_request: bool,
    /// Status of the final head, 0 until it is parsed.
    status: u16,
    /// Bytes of the current response counted so far (not those in `head_buf`).
    bytes: u64,
    keep_alive: bool,
    /// A partial head; allocated lazily, capacity kept between responses.
    head_buf: Vec<u8>,
    chunked: Chunked,
    memo: HeadMemo,
    /// What is kept of the current reply, when it is captured.
    capture: Option<Capturing>,
    /// The current reply is captured only if its head sets cookies.
    cookies_only: bool,
}

impl Default for ResponseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseParser {
    /// A parser ready for a response to a non-HEAD request.
    pub(crate) fn new() -> Self {
        ResponseParser {
            state: State::Head,
            head_request: false,
            status: 0,
            bytes: 0,
            keep_alive: false,
            head_buf: Vec::new(),
            chunked: Chunked::new(),
            memo: HeadMemo::default(),
            capture: None,
            cookies_only: false,
        }
    }

    /// Resets for a new response. `head_request`: the request was HEAD, so the
    /// response has no body whatever its headers say.
    pub(crate) fn start(&mut self, head_request: bool) {
        self.state = State::Head;
        self.head_request = head_request;
        self.status = 0;
        self.bytes = 0;
        self.keep_alive = false;
        self.head_buf.clear();
        // A capture not taken (the reply failed, or nobody asked) ends here.
        self.capture = None;
        self.cookies_only = false;
    }

    /// Captures the reply just started (after [`Self::start`], before the
    /// first byte is fed): what `spec` asks for, from its final head and
    /// body. [`Self::take_captured`] hands it out once the reply is done.
    pub(crate) fn capture(&mut self, spec: &Arc<CaptureSpec>) {
        self.capture = Some(Capturing::new(Arc::clone(spec)));
    }

    /// Captures the reply just started for its Set-Cookie fields, if its
    /// head has any. Most replies of a run that keeps cookies set none:
    /// those cost a flag, not a capture (see `capture_head`).
    #[inline]
    pub(crate) fn capture_cookies(&mut self) {
        self.cookies_only = true;
    }

    /// What was captured of the reply that just completed (`Step::Done` or
    /// [`Self::finish_on_eof`]); None when it was not captured, or did not
    /// complete.
    pub(crate) fn take_captured(&mut self) -> Option<Box<Captured>> {
        if self.state != State::Done {
            return None;
        }
        self.capture.take().map(Capturing::finish)
    }

    /// Feeds the next received bytes. When they fail the response, all of
    /// them count in [`Self::bytes`]: they arrived, whatever they were.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<Step, ParseError> {
        let before = self.bytes();
        let result = self.feed_inner(data);
        if result.is_err() {
            // Bytes fed after the response ended are not part of it.
            let ended = matches!(self.state, State::Done | State::Failed);
            self.fail(if ended {
                before
            } else {
                before + data.len() as u64
            });
        }
        result
    }

    /// The peer closed the connection: completes a read-until-close body,
    /// otherwise the response was cut short.
    pub(crate) fn finish_on_eof(&mut self) -> Result<Response, ParseError> {
        match self.state {
            State::UntilClose => {
                self.state = State::Done;
                Ok(self.response())
            }
            State::Done => Err(ParseError(
                "connection closed after the response was complete",
            )),
            _ => {
                self.fail(self.bytes());
                Err(ParseError(
                    "connection closed before the response was complete",
                ))
            }
        }
    }

    /// The response failed having received `received` bytes in all, a
    /// partial head included; [`Self::bytes`] reports them from now on.
    fn fail(&mut self, received: u64) {
        self.state = State::Failed;
        self.bytes = received;
        self.head_buf.clear();
        self.capture = None;
    }

    /// Status of the final head parsed so far, 0 if none yet.
    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    /// Bytes of the current response received so far, also after it failed.
    pub(crate) fn bytes(&self) -> u64 {
        if self.state == State::Head {
            self.bytes + self.head_buf.len() as u64
        } else {
            self.bytes
        }
    }

    fn response(&self) -> Response {
        Response {
            status: self.status,
            bytes: self.bytes,
            keep_alive: self.keep_alive,
        }
    }

    fn done(&mut self, consumed: usize) -> Step {
        self.state = State::Done;
        Step::Done {
            response: self.response(),
            consumed,
        }
    }

    fn feed_inner(&mut self, data: &[u8]) -> Result<Step, ParseError> {
        let mut pos = 0;
        loop {
            let rest = data.get(pos..).unwrap_or_default();
            match self.state {
                State::Head => {
                    let Some((used, head)) = self.head(rest)? else {
                        return Ok(Step::NeedMore);
                    };
                    pos += used;
                    self.bytes += head.len as u64;
                    match head.framing {
                        Framing::Interim => {}
                        Framing::Empty | Framing::Length(0) => {
                            self.set_final(&head);
                            return Ok(self.done(pos));
                        }
                        Framing::Length(n) => {
                            self.set_final(&head);
                            self.state = State::Length { remaining: n };
                        }
                        Framing::Chunked => {
                            self.set_final(&head);
                            self.chunked.reset();
                            self.state = State::Chunked;
                        }
                        Framing::UntilClose => {
                            self.set_final(&head);
                            self.keep_alive = false;
                            self.state = State::UntilClose;
                        }
                    }
                }
                State::Length { remaining } => {
                    let avail = rest.len() as u64;
                    if avail >= remaining {
                        self.bytes += remaining;
                        // `remaining <= rest.len()`, so it fits in usize.
                        let end = remaining as usize;
                        if let Some(c) = &mut self.capture {
                            c.body(rest.get(..end).unwrap_or_default());
                        }
                        return Ok(self.done(pos + end));
                    }
                    if let Some(c) = &mut self.capture {
                        c.body(rest);
                    }
                    self.bytes += avail;
                    self.state = State::Length {
                        remaining: remaining - avail,
                    };
                    return Ok(Step::NeedMore);
                }
                State::Chunked => {
                    let (used, complete) = match &mut self.capture {
                        None => self.chunked.feed(rest)?,
                        Some(c) => self.chunked.feed_with(rest, |data| c.body(data))?,
                    };
                    self.bytes += used as u64;
                    if complete {
                        return Ok(self.done(pos + used));
                    }
                    return Ok(Step::NeedMore);
                }
                State::UntilClose => {
                    if let Some(c) = &mut self.capture {
                        c.body(rest);
                    }
                    self.bytes += rest.len() as u64;
                    return Ok(Step::NeedMore);
                }
                State::Done => {
                    return Err(ParseError("response already complete; call start first"));
                }
                State::Failed => {
                    return Err(ParseError("parser failed earlier; call start first"));
                }
            }
        }
    }

    fn set_final(&mut self, head: &Head) {
        self.status = head.status;
        self.keep_alive = head.keep_alive;
    }

    /// Advances the head. `Ok(None)`: all of `data` was taken and the head is
    /// still incomplete. `Ok(Some((used, head)))`: the head completed after
    /// `used` bytes of `data`.
    fn head(&mut self, data: &[u8]) -> Result<Option<(usize, Head)>, ParseError> {
        if self.head_buf.is_empty() {
            // Common case: parse straight from the caller's bytes.
            if let Some(head) = self.memo.parse(data, self.head_request)? {
                capture_head(&mut self.capture, self.cookies_only, data, &head);
                return Ok(Some((head.len, head)));
            }
            if data.len() > MAX_HEAD {
                return Err(ParseError("response head over 64 KiB"));
            }
            if !data.is_empty() {
                if self.head_buf.capacity() == 0 {
                    self.head_buf.reserve(HEAD_BUF_INITIAL.max(data.len()));
                }
                self.head_buf.extend_from_slice(data);
            }
            return Ok(None);
        }

        let old = self.head_buf.len();
        let take = data.len().min(MAX_HEAD.saturating_sub(old));
        self.head_buf
            .extend_from_slice(data.get(..take).unwrap_or_default());
        // The head can only have completed if the new bytes end its empty
        // line; skipping the reparse otherwise keeps byte-at-a-time feeding
        // linear rather than quadratic.
        if take > 0
            && ends_head_possibly(self.head_buf.get(old.saturating_sub(2)..))
            && let Some(head) = self.memo.parse(&self.head_buf, self.head_request)?
        {
            let Some(used) = head.len.checked_sub(old).filter(|&u| u > 0 && u <= take) else {
                return Err(ParseError(
                    "internal error: head ended inside buffered bytes",
                ));
            };
            capture_head(&mut self.capture, self.cookies_only, &self.head_buf, &head);
            self.head_buf.clear();
            return Ok(Some((used, head)));
        }
        if take < data.len() {
            return Err(ParseError("response head over 64 KiB"));
        }
        Ok(None)
    }
}

/// Hands a complete head to the capture, if any, when it is the final one:
/// an interim 1xx head's fields are not the reply's. `cookies_only`: the
/// reply is captured for its Set-Cookie fields alone, and only if it has
/// some.
#[inline(always)]
fn capture_head(capture: &mut Option<Capturing>, cookies_only: bool, buf: &[u8], head: &Head) {
    // Most replies are captured for nothing: one test, inline.
    if capture.is_some() || (cookies_only && head.set_cookie) {
        capture_final_head(capture, cookies_only, buf, head);
    }
}

fn capture_final_head(
    capture: &mut Option<Capturing>,
    cookies_only: bool,
    buf: &[u8],
    head: &Head,
) {
    if head.framing == Framing::Interim {
        return;
    }
    if cookies_only && head.set_cookie {
        *capture = Some(Capturing::new(CaptureSpec::cookies()));
    }
    if let Some(c) = capture {
        c.head(buf.get(..head.len).unwrap_or_default(), head.status);
    }
}

/// Whether `s` contains an end of line followed by an empty line
/// (`\n\n` or `\n\r\n`).
fn ends_head_possibly(s: Option<&[u8]>) -> bool {
    let s = s.unwrap_or_default();
    let mut i = 0;
    while let Some(off) = s.get(i..).and_then(|t| t.iter().position(|&b| b == b'\n')) {
        let at = i + off;
        match (s.get(at + 1), s.get(at + 2)) {
            (Some(b'\n'), _) | (Some(b'\r'), Some(b'\n')) => return true,
            _ => i = at + 1,
        }
    }
    false
}

/// Parses one head from the start of `buf`. `Ok(None)` when incomplete.
fn parse_head(buf: &[u8], head_request: bool) -> Result<Option<Head>, ParseError> {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut resp,
        buf,
        &mut headers,
    ) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(httparse_error(e)),
    };
    if len > MAX_HEAD {
        return Err(ParseError("response head over 64 KiB"));
    }
    let (Some(status), Some(version)) = (resp.code, resp.version) else {
        return Err(ParseError("internal error: complete head without status"));
    };

    let mut content_length: Option<u64> = None;
    let mut te_present = false;
    let mut te_chunked = false;
    let mut conn_close = false;
    let mut conn_keep_alive = false;
    let mut set_cookie = false;
    for h in resp.headers.iter() {
        let name = h.name.as_bytes();
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                parse_content_length(h.value, &mut content_length)?;
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                te_present = true;
                // The last coding across all Transfer-Encoding fields decides;
                // a field with no codings leaves the previous verdict alone.
                if let Some(last) = tokens(h.value).last() {
                    te_chunked = last.eq_ignore_ascii_case(b"chunked");
                }
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for t in tokens(h.value) {
                    if t.eq_ignore_ascii_case(b"close") {
                        conn_close = true;
                    } else if t.eq_ignore_ascii_case(b"keep-alive") {
                        conn_keep_alive = true;
                    }
                }
            }
            10 if name.eq_ignore_ascii_case(b"set-cookie") => set_cookie = true,
            _ => {}
        }
    }

    let keep_alive = !conn_close && (version >= 1 || conn_keep_alive);
    let framing = if (100..200).contains(&status) && status != 101 {
        Framing::Interim
    } else if status == 101 {
        return Ok(Some(Head {
            len,
            status,
            framing: Framing::Empty,
            keep_alive: false,
            set_cookie,
        }));
    } else if head_request || status == 204 || status == 304 {
        Framing::Empty
    } else if te_present {
        if te_chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else if let Some(n) = content_length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok(Some(Head {
        len,
        status,
        framing,
        keep_alive: keep_alive && framing != Framing::UntilClose,
        set_cookie,
    }))
}

/// Folds one Content-Length field value (possibly a comma list of equal
/// values) into `acc`; every value seen must agree.
fn parse_content_length(value: &[u8], acc: &mut Option<u64>) -> Result<(), ParseError> {
    for part in value.split(|&b| b == b',') {
        let n = parse_decimal(trim_ows(part)).map_err(|e| match e {
            BadDecimal::TooLarge => ParseError("Content-Length too large"),
            BadDecimal::Empty | BadDecimal::NotADigit => ParseError("invalid Content-Length"),
        })?;
        match *acc {
            Some(prev) if prev != n => return Err(ParseError("conflicting Content-Length values")),
            _ => *acc = Some(n),
        }
    }
    Ok(())
}

/// The non-empty, whitespace-trimmed elements of a comma-separated list.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|t| !t.is_empty())
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn httparse_error(e: httparse::Error) -> ParseError {
    ParseError(match e {
        httparse::Error::HeaderName => "invalid response header name",
        httparse::Error::HeaderValue => "invalid response header value",
        httparse::Error::NewLine => "invalid line ending in response head",
        httparse::Error::Status => "invalid response status",
        httparse::Error::Token => "invalid token in response head",
        httparse::Error::TooManyHeaders => "too many response headers",
        httparse::Error::Version => "invalid HTTP version in response",
    })
}
