//! `POST /api/login` and `GET /api/me`: a login that hands out a token and
//! a session cookie, and a resource that wants one of them back, so that
//! scenarios can rehearse a user journey against serve.
//!
//! A test target, not security:
//! - Any user name of 1 to [`USER_MAX`] bytes of `A-Z a-z 0-9 . _ - @`
//!   logs in with the password `pw-` followed by the name (`alice`,
//!   `pw-alice`); any other password is 401.
//! - The token is `NAME.MAC`, MAC being 16 hex digits of std's keyed
//!   SipHash of the name under a key drawn once per process. Nothing is
//!   kept per login, so a load of logins costs the server no memory;
//!   tokens die with the process. The `session` cookie carries the token.
//! - The login body is a JSON object whose members are all strings, at
//!   most [`LOGIN_BODY_MAX`] bytes (413 beyond): anything else, or a
//!   missing or repeated `user` or `password`, is 400. Its strings are
//!   compared as written: escapes are checked, not decoded.
//!
//! The names allowed need no escaping in a JSON string, a cookie or a
//! token, so the answers copy them from the request as they are.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use super::request::{Head, MAX_HEADERS, Span};
use super::response::{Body, ContentType, Length, Reply, write_fields};

/// Largest login body; larger is 413.
pub(super) const LOGIN_BODY_MAX: usize = 4 * 1024;
/// Longest user name; longer is 400.
pub(super) const USER_MAX: usize = 64;
/// What a login's password starts with; the user name follows.
const PASSWORD_PREFIX: &[u8] = b"pw-";

/// The answers of this module, rendered by [`render`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Session {
    /// A login of the user at this span of the input; `secure`: the cookie
    /// is for HTTPS only.
    Login { user: Span, secure: bool },
    /// `/api/me` for the user at this span of the input.
    Me(Span),
    /// 401 with this text.
    Denied(&'static [u8]),
}

/// Answer `POST /api/login`. `tls`: served over HTTPS.
pub(super) fn login(mut reply: Reply, head: &Head, data: &[u8], tls: bool) -> Reply {
    if head.body_len > LOGIN_BODY_MAX {
        return reply.error(413, b"login body larger than 4096 bytes\n");
    }
    let body = Span {
        start: head.head_len,
        len: head.body_len,
    }
    .get(data);
    let Some((user, password)) = credentials(body) else {
        return reply.error(
            400,
            b"expected a JSON object of strings with \"user\" and \"password\"\n",
        );
    };
    if !valid_user(user) {
        return reply.error(400, b"user: 1 to 64 of A-Z a-z 0-9 . _ - @\n");
    }
    if password.strip_prefix(PASSWORD_PREFIX) != Some(user) {
        return denied(reply, b"wrong password: it is pw- and the user name\n");
    }
    reply.content_type = ContentType::Json;
    reply.body = Body::Session(Session::Login {
        user: Span::of(data, user),
        secure: tls,
    });
    reply
}

/// Answer `GET /api/me`: the user of a valid bearer token or session
/// cookie, else 401.
pub(super) fn me(mut reply: Reply, head: &Head, data: &[u8]) -> Reply {
    let Some(user) = signed_in(&data[..head.head_len]) else {
        return denied(
            reply,
            b"send Authorization: Bearer TOKEN or the session cookie\n",
        );
    };
    reply.content_type = ContentType::Json;
    reply.body = Body::Session(Session::Me(Span::of(data, user)));
    reply
}

fn denied(mut reply: Reply, text: &'static [u8]) -> Reply {
    reply.status = 401;
    reply.content_type = ContentType::Text;
    reply.body = Body::Session(Session::Denied(text));
    reply
}

/// Write `reply`, whose body is `session`: its head, the extra header, and
/// its body unless it answers a HEAD.
pub(super) fn render(reply: &Reply, session: Session, input: &[u8], out: &mut Vec<u8>) {
    let mac;
    let body: &[&[u8]] = match session {
        Session::Login { user, .. } => {
            let user = user.get(input);
            mac = mac_hex(user);
            &[
                b"{\"token\":\"",
                user,
                b".",
                &mac,
                b"\",\"user\":\"",
                user,
                b"\"}",
            ]
        }
        Session::Me(user) => &[b"{\"user\":\"", user.get(input), b"\"}"],
        Session::Denied(text) => &[text],
    };
    let length = body.iter().map(|part| part.len() as u64).sum();
    write_fields(reply, input, &Length::Fixed(length), out);
    match session {
        Session::Login { secure, .. } => {
            out.extend_from_slice(b"Set-Cookie: session=");
            // The token: the body's second to fourth parts.
            body[1..4]
                .iter()
                .for_each(|part| out.extend_from_slice(part));
            out.extend_from_slice(b"; Path=/; HttpOnly");
            if secure {
                out.extend_from_slice(b"; Secure");
            }
            out.extend_from_slice(b"\r\n");
        }
        Session::Me(_) => {}
        Session::Denied(_) => out.extend_from_slice(b"WWW-Authenticate: Bearer\r\n"),
    }
    out.extend_from_slice(b"\r\n");
    if !reply.head_only {
        body.iter().for_each(|part| out.extend_from_slice(part));
    }
}

/// The user of the first valid token in an `Authorization: Bearer` header
/// or a `session` cookie of the request head `head`.
fn signed_in(head: &[u8]) -> Option<&[u8]> {
    // Parsed again, here only, so that other routes pay nothing for these
    // headers. It parsed before, with the same limits.
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(head).ok()?;
    req.headers.iter().find_map(|h| {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"authorization") {
            let value = h.value.trim_ascii();
            let space = value.iter().position(|&b| b == b' ' || b == b'\t')?;
            let (scheme, token) = value.split_at(space);
            scheme
                .eq_ignore_ascii_case(b"bearer")
                .then(|| verify(token.trim_ascii()))?
        } else if name.eq_ignore_ascii_case(b"cookie") {
            h.value
                .split(|&b| b == b';')
                .find_map(|pair| verify(pair.trim_ascii().strip_prefix(b"session=")?))
        } else {
            None
        }
    })
}

/// The user of `token` if it is one this process issued.
fn verify(token: &[u8]) -> Option<&[u8]> {
    let dot = token.iter().rposition(|&b| b == b'.')?;
    let (user, mac) = (&token[..dot], &token[dot + 1..]);
    (valid_user(user) && mac == mac_hex(user)).then_some(user)
}

fn valid_user(user: &[u8]) -> bool {
    (1..=USER_MAX).contains(&user.len())
        && user
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

/// The MAC of a user name, in lowercase hex.
fn mac_hex(user: &[u8]) -> [u8; 16] {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    let mut mac = KEY.get_or_init(RandomState::new).hash_one(user);
    let mut hex = [0u8; 16];
    for digit in hex.iter_mut().rev() {
        *digit = b"0123456789abcdef"[(mac & 15) as usize];
        mac >>= 4;
    }
    hex
}

/// The `user` and `password` strings of `body`, as written. None unless
/// `body` is a JSON object whose members are all strings, each of the two
/// present once.
fn credentials(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut json = Reader { text: body, at: 0 };
    let (mut user, mut password) = (None, None);
    json.expect(b'{')?;
    if !json.eat(b'}') {
        loop {
            let key = json.string()?;
            json.expect(b':')?;
            let value = json.string()?;
            match key {
                b"user" if user.is_none() => user = Some(value),
                b"password" if password.is_none() => password = Some(value),
                b"user" | b"password" => return None,
                _ => {}
            }
            if json.eat(b'}') {
                break;
            }
            json.expect(b',')?;
        }
    }
    json.skip_space();
    (json.at == body.len()).then_some(())?;
    Some((user?, password?))
}

/// Just enough JSON for [`credentials`].
struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn skip_space(&mut self) {
        while self
            .text
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            self.at += 1;
        }
    }

    /// Skip whitespace, then take `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let next = self.text.get(self.at) == Some(&byte);
        self.at += usize::from(next);
        next
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// A string's contents, escapes checked and left as written.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            let byte = *self.text.get(self.at)?;
            self.at += 1;
            match byte {
                b'"' => return Some(&self.text[start..self.at - 1]),
                b'\\' => {
                    let escape = *self.text.get(self.at)?;
                    self.at += 1;
                    if escape == b'u' {
                        let hex = self.text.get(self.at..self.at + 4)?;
                        hex.iter().all(u8::is_ascii_hexdigit).then_some(())?;
                        self.at += 4;
                    } else if !b"\"\\/bfnrt".contains(&escape) {
                        return None;
                    }
                }
                0..=0x1f => return None,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
