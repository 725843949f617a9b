//! Writing responses: a [`Reply`] is rendered into the connection's output
//! buffer, and large bodies are streamed from a static filler buffer by a
//! [`Stream`], so no request allocates its body.
//!
//! Framing: every response carries `Content-Length`, except chunked ones and
//! statuses that have no body (204, 304), which carry neither. HTTP/1.0
//! clients cannot read chunked bodies, so `/chunked/{n}` answers them with a
//! Content-Length. There is no `Date` header: it costs a clock read and a
//! format per response and no client here needs it.

use super::request::{Head, Span};
use super::session::{self, Session};
use crate::digits::push_decimal;
use crate::http::status::reason;

/// Bytes sent by `/bytes/{n}` and `/chunked/{n}`.
pub(super) static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];
/// Bodies up to this size are copied into the output buffer with their head
/// (one write); larger ones are written straight from [`FILLER`].
pub(super) const INLINE_BODY: usize = 16 * 1024;
/// Largest chunk `/chunked/{n}` sends.
const CHUNK_MAX: u64 = 8 * 1024;

const HELLO_BODY: &[u8] = b"{\"message\":\"hello\"}";
/// The whole keep-alive answer to `GET /hello`, rendered once.
const HELLO_RESPONSE: &[u8] = concat!(
    "HTTP/1.1 200 OK\r\n",
    "Server: stampede\r\n",
    "Content-Type: application/json\r\n",
    "Content-Length: 19\r\n",
    "\r\n",
    "{\"message\":\"hello\"}"
)
.as_bytes();

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Body {
    Empty,
    Hello,
    Static(&'static [u8]),
    /// A range of the connection's input: the request body of an upload.
    Echo(Span),
    /// `n` filler bytes with Content-Length.
    Filler(u64),
    /// `n` filler bytes, chunked.
    Chunked(u64),
    /// A login, `/api/me` or their 401, with its own header.
    Session(Session),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ContentType {
    None,
    Json,
    Text,
    Octet,
    /// The request's own Content-Type value (a range of the input).
    Echo(Span),
}

/// Everything needed to write one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Reply {
    pub status: u16,
    pub body: Body,
    pub content_type: ContentType,
    /// The `Allow` header value for 405, else empty.
    pub allow: &'static str,
    pub keep_alive: bool,
    pub head_only: bool,
    pub http10: bool,
    /// Hold the reply this long before releasing it.
    pub delay_ms: u64,
    /// Hold the server thread this many µs before answering (`/work`).
    pub work_us: u64,
}

impl Reply {
    /// An empty reply to the request `head`, with its connection semantics.
    pub(super) fn new(status: u16, head: &Head) -> Reply {
        Reply {
            status,
            body: Body::Empty,
            content_type: ContentType::None,
            allow: "",
            keep_alive: head.keep_alive,
            head_only: head.method == super::request::Method::Head,
            http10: head.http10,
            delay_ms: 0,
            work_us: 0,
        }
    }

    /// An empty reply after which the connection closes.
    pub(super) fn closing(status: u16) -> Reply {
        Reply {
            status,
            body: Body::Empty,
            content_type: ContentType::None,
            allow: "",
            keep_alive: false,
            head_only: false,
            http10: false,
            delay_ms: 0,
            work_us: 0,
        }
    }

    /// This reply turned into an error with a short text body.
    pub(super) fn error(mut self, status: u16, text: &'static [u8]) -> Reply {
        self.status = status;
        self.content_type = ContentType::Text;
        self.body = Body::Static(text);
        self
    }
}

/// The part of a body still to be written after the output buffer drains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stream {
    Idle,
    /// This many filler bytes, written straight from [`FILLER`].
    Raw(u64),
    /// This many filler bytes still to frame as chunks, then the last chunk.
    Chunked {
        left: u64,
        chunk: u64,
    },
}

impl Stream {
    pub(super) fn is_idle(&self) -> bool {
        *self == Stream::Idle
    }

    /// Append chunks to `out` until it holds about `budget` bytes; append
    /// the last chunk and become idle when the body is done.
    pub(super) fn refill(&mut self, out: &mut Vec<u8>, budget: usize) {
        let Stream::Chunked { left, chunk } = self else {
            return;
        };
        while *left > 0 && out.len() < budget {
            let n = (*left).min(*chunk) as usize;
            push_hex(out, n);
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&FILLER[..n]);
            out.extend_from_slice(b"\r\n");
            *left -= n as u64;
        }
        if *left == 0 {
            out.extend_from_slice(b"0\r\n\r\n");
            *self = Stream::Idle;
        }
    }
}

pub(super) enum Length {
    /// No framing header: statuses without a body.
    None,
    Fixed(u64),
    Chunked,
}

/// Write `reply` into `out`. `input` is the connection's unconsumed input,
/// which Echo spans index. Returns what is left to stream after `out`.
pub(super) fn render(reply: &Reply, input: &[u8], out: &mut Vec<u8>) -> Stream {
    if reply.body == Body::Hello
        && reply.status == 200
        && reply.keep_alive
        && !reply.http10
        && !reply.head_only
    {
        out.extend_from_slice(HELLO_RESPONSE);
        return Stream::Idle;
    }
    let bodyless = matches!(reply.status, 100..=199 | 204 | 304);
    let bytes: &[u8] = match reply.body {
        Body::Empty | Body::Filler(_) | Body::Chunked(_) => b"",
        Body::Hello => HELLO_BODY,
        Body::Static(text) => text,
        Body::Echo(span) => span.get(input),
        Body::Session(s) => {
            session::render(reply, s, input, out);
            return Stream::Idle;
        }
    };
    let length = match reply.body {
        _ if bodyless => Length::None,
        Body::Filler(n) => Length::Fixed(n),
        Body::Chunked(n) if reply.http10 => Length::Fixed(n),
        Body::Chunked(_) => Length::Chunked,
        _ => Length::Fixed(bytes.len() as u64),
    };
    write_fields(reply, input, &length, out);
    out.extend_from_slice(b"\r\n");
    if bodyless || reply.head_only {
        return Stream::Idle;
    }
    match (reply.body, length) {
        (Body::Filler(n), _) | (Body::Chunked(n), Length::Fixed(_)) => {
            if n <= INLINE_BODY as u64 {
                out.extend_from_slice(&FILLER[..n as usize]);
                Stream::Idle
            } else {
                Stream::Raw(n)
            }
        }
        (Body::Chunked(n), _) => {
            let chunk = n.div_ceil(4).clamp(1, CHUNK_MAX);
            let mut stream = Stream::Chunked { left: n, chunk };
            stream.refill(out, out.len() + INLINE_BODY);
            stream
        }
        _ => {
            out.extend_from_slice(bytes);
            Stream::Idle
        }
    }
}

/// The head without its closing empty line, so that a route can add its
/// own header fields.
pub(super) fn write_fields(reply: &Reply, input: &[u8], length: &Length, out: &mut Vec<u8>) {
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, u64::from(reply.status));
    out.push(b' ');
    out.extend_from_slice(reason(reply.status).as_bytes());
    out.extend_from_slice(b"\r\nServer: stampede\r\n");
    let content_type: &[u8] = match reply.content_type {
        ContentType::None => b"",
        ContentType::Json => b"application/json",
        ContentType::Text => b"text/plain; charset=utf-8",
        ContentType::Octet => b"application/octet-stream",
        ContentType::Echo(span) => span.get(input),
    };
    if !content_type.is_empty() {
        out.extend_from_slice(b"Content-Type: ");
        out.extend_from_slice(content_type);
        out.extend_from_slice(b"\r\n");
    }
    if !reply.allow.is_empty() {
        out.extend_from_slice(b"Allow: ");
        out.extend_from_slice(reply.allow.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match length {
        Length::None => {}
        Length::Fixed(n) => {
            out.extend_from_slice(b"Content-Length: ");
            push_decimal(out, *n);
            out.extend_from_slice(b"\r\n");
        }
        Length::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
    }
    if !reply.keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    } else if reply.http10 {
        out.extend_from_slice(b"Connection: keep-alive\r\n");
    }
}

fn push_hex(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[n & 15];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::request::{Parsed, parse};

    fn render_for(text: &str, body: Body) -> (Vec<u8>, Stream) {
        let Parsed::Head(head) = parse(text.as_bytes()) else {
            panic!("bad test head");
        };
        let mut reply = Reply::new(200, &head);
        reply.body = body;
        reply.content_type = ContentType::Json;
        let mut out = Vec::new();
        let stream = render(&reply, text.as_bytes(), &mut out);
        (out, stream)
    }

    #[test]
    fn prerendered_hello_matches_the_generic_renderer() {
        let (fast, _) = render_for("GET /hello HTTP/1.1\r\n\r\n", Body::Hello);
        assert_eq!(fast, HELLO_RESPONSE);
        let (slow, _) = render_for("GET /hello HTTP/1.1\r\n\r\n", Body::Static(HELLO_BODY));
        assert_eq!(slow, HELLO_RESPONSE);
    }

    #[test]
    fn hello_variants_use_the_generic_renderer() {
        let (out, _) = render_for("GET /hello HTTP/1.0\r\n\r\n", Body::Hello);
        assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
        assert!(out.windows(19).any(|w| w == b"Connection: close\r\n"));
        assert!(out.ends_with(HELLO_BODY));
        let (out, _) = render_for("HEAD /hello HTTP/1.1\r\n\r\n", Body::Hello);
        assert!(out.ends_with(b"Content-Length: 19\r\n\r\n"));
    }

    #[test]
    fn chunked_bodies_split_and_terminate() {
        let (out, stream) = render_for("GET / HTTP/1.1\r\n\r\n", Body::Chunked(10));
        assert!(stream.is_idle());
        assert!(out.ends_with(b"3\r\nxxx\r\n3\r\nxxx\r\n3\r\nxxx\r\n1\r\nx\r\n0\r\n\r\n"));
        let (out, stream) = render_for("GET / HTTP/1.1\r\n\r\n", Body::Chunked(2));
        assert!(stream.is_idle());
        assert!(out.ends_with(b"\r\n\r\n1\r\nx\r\n1\r\nx\r\n0\r\n\r\n"));
        let (_, stream) = render_for("GET / HTTP/1.1\r\n\r\n", Body::Chunked(1 << 20));
        assert!(matches!(stream, Stream::Chunked { chunk: 8192, .. }));
    }

    #[test]
    fn numbers() {
        let mut out = Vec::new();
        push_decimal(&mut out, 0);
        out.push(b' ');
        push_decimal(&mut out, u64::MAX);
        out.push(b' ');
        push_hex(&mut out, 0x2000);
        assert_eq!(out, b"0 18446744073709551615 2000");
    }
}
