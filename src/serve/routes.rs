//! Routing: a parsed request head becomes a [`Reply`] description.
//!
//! | route                 | answer                                          |
//! |-----------------------|-------------------------------------------------|
//! | `GET /hello`          | 200, `{"message":"hello"}`                       |
//! | `POST /api/upload`    | 200, the request body with its Content-Type      |
//! | `GET /delay/{ms}`     | 200 after `ms` milliseconds (at most one hour)   |
//! | `GET /work/{us}`      | 200 after `us` µs of the thread's own time (≤ 1 s) |
//! | `GET /status/{code}`  | that status (200..=599)                          |
//! | `GET /bytes/{n}`      | `n` filler bytes with Content-Length             |
//! | `GET /chunked/{n}`    | `n` filler bytes, chunked                        |
//! | `GET /close`          | 200, then the connection is closed               |
//! | `POST /api/login`     | 200, a token and a session cookie (see [`super::session`]) |
//! | `GET /api/me`         | 200, the user of the token or cookie; 401 without |
//!
//! Delays are never short, and usually late by under a millisecond: the
//! event loop's poll timeout has millisecond resolution, rounded up.
//!
//! `/work` is the opposite of `/delay`: its `us` are spent holding the
//! server thread (see [`super::work`]), so a thread serves such requests
//! one at a time and `threads x 1e6 / us` per second is the capacity, which
//! `find-max` tests measure.
//!
//! `HEAD` works on every GET route. An unknown path is 404, a known path
//! with the wrong method 405, a bad parameter 400.

use super::request::{Head, Method, Reject};
use super::response::{Body, ContentType, Reply};
use super::session;

/// Longest delay `/delay/{ms}` accepts; longer is 400.
pub(super) const DELAY_MAX_MS: u64 = 3_600_000;
/// Largest body `/bytes/{n}` and `/chunked/{n}` send; larger is 400.
pub(super) const BYTES_MAX: u64 = 100 * 1024 * 1024;
/// Longest service `/work/{us}` accepts, in µs; longer is 400. The thread
/// serves nothing else meanwhile, so this keeps it answering stops.
pub(super) const WORK_MAX_US: u64 = 1_000_000;

const GET_ALLOW: &str = "GET, HEAD";
const POST_ALLOW: &str = "POST";

/// What the path asks for, before the method is checked.
enum Target {
    Hello,
    Upload,
    Delay(Option<u64>),
    Work(Option<u64>),
    Status(Option<u64>),
    Bytes(Option<u64>),
    Chunked(Option<u64>),
    Close,
    Login,
    Me,
}

/// Decide the answer to a complete request. `data` is the input the head was
/// parsed from; its body, if any, follows the head there. `tls`: it came
/// over HTTPS.
pub(super) fn route(head: &Head, data: &[u8], tls: bool) -> Reply {
    let mut reply = Reply::new(200, head);
    let Some(target) = target(head.path.get(data)) else {
        return reply.error(404, b"not found\n");
    };
    let allow = match target {
        Target::Upload | Target::Login => POST_ALLOW,
        _ => GET_ALLOW,
    };
    let method_ok = match head.method {
        Method::Get | Method::Head => allow == GET_ALLOW,
        Method::Post => allow == POST_ALLOW,
        Method::Other => false,
    };
    if !method_ok {
        reply.allow = allow;
        return reply.error(405, b"method not allowed\n");
    }
    match target {
        Target::Hello => reply.body = Body::Hello,
        Target::Upload => {
            let start = head.head_len;
            reply.body = Body::Echo(super::request::Span {
                start,
                len: head.body_len,
            });
            reply.content_type = match head.content_type {
                Some(span) => ContentType::Echo(span),
                None => ContentType::Octet,
            };
        }
        Target::Delay(Some(ms)) if ms <= DELAY_MAX_MS => {
            reply.delay_ms = ms;
            reply.content_type = ContentType::Json;
            reply.body = Body::Static(b"{\"delayed\":true}");
        }
        Target::Work(Some(us)) if us <= WORK_MAX_US => {
            reply.work_us = us;
            reply.content_type = ContentType::Json;
            reply.body = Body::Static(b"{\"worked\":true}");
        }
        Target::Status(Some(code)) if (200..=599).contains(&code) => {
            let code = code as u16;
            reply.status = code;
            reply.content_type = ContentType::Text;
            reply.body = Body::Static(crate::http::status::reason(code).as_bytes());
        }
        Target::Bytes(Some(n)) if n <= BYTES_MAX => {
            reply.content_type = ContentType::Octet;
            reply.body = Body::Filler(n);
        }
        Target::Chunked(Some(n)) if n <= BYTES_MAX => {
            reply.content_type = ContentType::Octet;
            reply.body = Body::Chunked(n);
        }
        Target::Close => {
            reply.keep_alive = false;
            reply.content_type = ContentType::Text;
            reply.body = Body::Static(b"bye\n");
        }
        Target::Login => return session::login(reply, head, data, tls),
        Target::Me => return session::me(reply, head, data),
        _ => return reply.error(400, b"bad parameter\n"),
    }
    reply
}

/// The answer to a refused request. The connection closes after it.
pub(super) fn rejection(why: Reject) -> Reply {
    let (status, text): (u16, &'static [u8]) = match why {
        Reject::BadRequest => (400, b"bad request\n"),
        Reject::HeadTooLarge => (431, b"request head too large\n"),
        Reject::BodyTooLarge => (413, b"request body too large\n"),
        Reject::LengthRequired => (411, b"send a Content-Length\n"),
    };
    let mut reply = Reply::closing(status);
    reply.content_type = ContentType::Text;
    reply.body = Body::Static(text);
    reply
}

fn target(path: &[u8]) -> Option<Target> {
    Some(match path {
        b"/hello" => Target::Hello,
        b"/api/upload" => Target::Upload,
        b"/close" => Target::Close,
        b"/api/login" => Target::Login,
        b"/api/me" => Target::Me,
        _ => {
            let (prefix, param) = split_param(path)?;
            let n = parse_number(param);
            match prefix {
                b"/delay" => Target::Delay(n),
                b"/work" => Target::Work(n),
                b"/status" => Target::Status(n),
                b"/bytes" => Target::Bytes(n),
                b"/chunked" => Target::Chunked(n),
                _ => return None,
            }
        }
    })
}

/// `/name/param` -> (`/name`, `param`).
fn split_param(path: &[u8]) -> Option<(&[u8], &[u8])> {
    let slash = path.iter().rposition(|&b| b == b'/')?;
    if slash == 0 {
        return None;
    }
    Some((&path[..slash], &path[slash + 1..]))
}

/// At most 19 decimal digits (any such value fits a u64); anything else
/// is `None` (a 400).
fn parse_number(text: &[u8]) -> Option<u64> {
    if text.len() > 19 {
        return None;
    }
    crate::digits::parse_decimal(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::request::{Parsed, parse};

    fn reply(text: &str) -> Reply {
        match parse(text.as_bytes()) {
            Parsed::Head(h) => route(&h, text.as_bytes(), false),
            other => panic!("{other:?}"),
        }
    }

    fn status(text: &str) -> u16 {
        reply(text).status
    }

    /// A route's number, byte by byte: digits only, at most 19 of them
    /// (so any value fits a u64), whatever their value.
    #[test]
    fn route_number_edges() {
        let cases: [(&[u8], Option<u64>); 11] = [
            (b"0", Some(0)),
            (b"42", Some(42)),
            (b"9999999999999999999", Some(9_999_999_999_999_999_999)),
            (b"0000000000000000042", Some(42)),
            (b"00000000000000000042", None),
            (b"", None),
            (b" 5", None),
            (b"5 ", None),
            (b"+5", None),
            (b"-5", None),
            ("٣".as_bytes(), None),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_number(text),
                want,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn routes_and_methods() {
        assert_eq!(status("GET /hello HTTP/1.1\r\n\r\n"), 200);
        assert_eq!(status("GET /hello?a=b HTTP/1.1\r\n\r\n"), 200);
        assert_eq!(status("HEAD /hello HTTP/1.1\r\n\r\n"), 200);
        assert_eq!(status("POST /hello HTTP/1.1\r\n\r\n"), 405);
        assert_eq!(status("GET /api/upload HTTP/1.1\r\n\r\n"), 405);
        assert_eq!(status("DELETE /bytes/1 HTTP/1.1\r\n\r\n"), 405);
        assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), 404);
        assert_eq!(status("GET /hello/ HTTP/1.1\r\n\r\n"), 404);
        assert_eq!(status("GET /nope/1 HTTP/1.1\r\n\r\n"), 404);
        assert_eq!(status("GET * HTTP/1.1\r\n\r\n"), 404);
        assert_eq!(reply("POST /hello HTTP/1.1\r\n\r\n").allow, "GET, HEAD");
        let login = "POST /api/login HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(status(login), 400);
        assert_eq!(status("GET /api/me HTTP/1.1\r\n\r\n"), 401);
        assert_eq!(status("HEAD /api/me HTTP/1.1\r\n\r\n"), 401);
        assert_eq!(reply("GET /api/login HTTP/1.1\r\n\r\n").allow, "POST");
        assert_eq!(status("POST /api/me HTTP/1.1\r\n\r\n"), 405);
        assert_eq!(status("GET /api/me/ HTTP/1.1\r\n\r\n"), 404);
        assert_eq!(status("GET /api/login/x HTTP/1.1\r\n\r\n"), 404);
    }

    #[test]
    fn parameters() {
        assert_eq!(status("GET /status/503 HTTP/1.1\r\n\r\n"), 503);
        assert_eq!(status("GET /status/200 HTTP/1.1\r\n\r\n"), 200);
        for bad in ["199", "600", "", "x", "-1", "99999999999999999999999"] {
            assert_eq!(status(&format!("GET /status/{bad} HTTP/1.1\r\n\r\n")), 400);
        }
        assert_eq!(reply("GET /delay/25 HTTP/1.1\r\n\r\n").delay_ms, 25);
        assert_eq!(status("GET /delay/3600001 HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(reply("GET /work/250 HTTP/1.1\r\n\r\n").work_us, 250);
        assert_eq!(status("GET /work/1000001 HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(
            status(&format!("GET /bytes/{BYTES_MAX} HTTP/1.1\r\n\r\n")),
            200
        );
        let over = BYTES_MAX + 1;
        assert_eq!(status(&format!("GET /bytes/{over} HTTP/1.1\r\n\r\n")), 400);
        assert_eq!(
            status(&format!("GET /chunked/{over} HTTP/1.1\r\n\r\n")),
            400
        );
    }
}
