//! A protocol of your own: the memcached text protocol, written only
//! against stampede's public library surface, as a crate outside stampede
//! would. Its binary is `stampede` plus `memcached://host[:port]` URLs,
//! and `memcaches://host[:port]` for memcached over TLS (`memcached -Z`;
//! port 11211 by default for both), whose tasks are `--command`s:
//!
//! ```text
//! cargo run --release --example memcached -- run memcached://127.0.0.1:11211 \
//!     --command 'set key:{{$randomInt 1 1000}} 0 0 hello' \
//!     --command 'get key:{{$randomInt 1 1000}}' -c 50 -d 30s
//! ```
//!
//! Commands: `get KEY...` and `set KEY FLAGS EXPTIME VALUE`, where VALUE
//! is the rest of the line (spaces and all) and goes out as the data block,
//! its byte count written for you. Dynamic values (`{{$randomInt A B}}`,
//! `{{$uuid}}`) work anywhere, as in HTTP requests.
//!
//! How a reply maps onto results.csv, so that `report`, `check` and the
//! dashboard work unchanged: `VALUE ... END` (a hit), `END` (a miss),
//! `STORED`, `NOT_STORED`, `EXISTS`, `NOT_FOUND` are status 200: answers;
//! `ERROR`, `CLIENT_ERROR ...` and `SERVER_ERROR ...` are status 500, a
//! failure with an empty `error` column since the reply was complete.
//! `bytes` is the reply's size, data blocks included. A reply that does
//! not parse is the `parse` error.
//!
//! `--var user=NAME --var password=PW`: each new connection first logs in
//! (memcached's ASCII authentication, `memcached -Y FILE`), the protocol's
//! `hello`; a refused login fails the connection's first request with the
//! `init` error, and the summary says memcached's words once.

mod command;
mod reply;

use command::{Command, push_set, set};
use reply::{LINE_MAX, Line, Reply};
use stampede::{Decoded, ErrorKind, Protocol, RequestSpec, Scheme, Values};

fn main() {
    // memcached's TLS listens on the same port as its plain TCP.
    let scheme = Scheme::new("memcached", 11211).tls("memcaches", 11211);
    std::process::exit(stampede::main_with(scheme, |target| {
        // The global init: host and port, and the user's own settings,
        // from --var or the scenario.
        let path = target.path();
        if !matches!(path, "" | "/") {
            return Err(format!(
                "a memcached URL has no path; {path:?} is one (use memcached://HOST:PORT)"
            ));
        }
        Ok(Memcached {
            namespace: target.var("namespace").unwrap_or("").to_string(),
            hello: login(target.var("user"), target.var("password"))?,
        })
    }));
}

/// What a new connection sends first: memcached's ASCII authentication,
/// a `set` whose data block is `USER PASSWORD`; empty without a user.
fn login(user: Option<&str>, password: Option<&str>) -> Result<Vec<u8>, String> {
    let (user, password) = match (user, password) {
        (None, None) => return Ok(Vec::new()),
        (Some(user), Some(password)) => (user, password),
        _ => return Err("give --var user=NAME and --var password=PW together".into()),
    };
    let plain = |s: &str| {
        !s.is_empty()
            && !s
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    };
    if !plain(user) || !plain(password) {
        return Err("a memcached user and password are one word each, without spaces".into());
    }
    Ok(set(
        b"set auth 0 0",
        format!("{user} {password}").as_bytes(),
    ))
}

struct Memcached {
    /// Put before every key, from `--var namespace=NS`; empty for none.
    namespace: String,
    /// What a new connection sends first (`login`); empty for nothing.
    hello: Vec<u8>,
}

impl Protocol for Memcached {
    type Request = Command;
    type Decoder = Reply;

    fn prepare(&self, spec: &RequestSpec, _closing: bool) -> Result<Command, String> {
        Command::parse(&spec.command(), &self.namespace)
    }

    fn fixed<'r>(&self, request: &'r Command, _last: bool) -> Option<&'r [u8]> {
        match request {
            Command::Fixed(bytes) => Some(bytes),
            _ => None,
        }
    }

    fn render(
        &self,
        request: &Command,
        values: &mut Values<'_>,
        scratch: &mut Vec<u8>,
        out: &mut Vec<u8>,
        _last: bool,
    ) {
        out.clear();
        match request {
            Command::Fixed(bytes) => out.extend_from_slice(bytes),
            Command::Get(line) => {
                line.render(values, out);
                out.extend_from_slice(b"\r\n");
            }
            Command::Set { head, value } => {
                scratch.clear();
                head.render(values, scratch);
                let head_len = scratch.len();
                value.render(values, scratch);
                let (head, value) = scratch.split_at(head_len);
                push_set(out, head, value);
            }
        }
    }

    fn hello(&self) -> &[u8] {
        &self.hello
    }

    fn goodbye(&self) -> &[u8] {
        b"quit\r\n"
    }

    // memcached answers requests in the order they came, so --pipeline works.
    fn pipelines(&self) -> bool {
        true
    }

    fn decoder(&self) -> Reply {
        Reply::default()
    }

    fn expect(&self, reply: &mut Reply, _request: &Command, opened: bool) {
        // The line's buffer is kept: no allocation per request.
        reply.line.clear();
        reply.data_left = 0;
        reply.block_end = false;
        reply.in_values = false;
        reply.taken = 0;
        reply.greeting = opened && !self.hello.is_empty();
        reply.greeting_bytes = 0;
    }

    fn decode(&self, reply: &mut Reply, bytes: &[u8]) -> Decoded {
        let mut at = 0;
        while at < bytes.len() {
            if reply.data_left > 0 {
                let n = reply.data_left.min((bytes.len() - at) as u64);
                reply.data_left -= n;
                at += n as usize;
                continue;
            }
            let rest = &bytes[at..];
            let end = rest.iter().position(|&b| b == b'\n').map(|i| i + 1);
            let piece = &rest[..end.unwrap_or(rest.len())];
            if reply.line.len() + piece.len() > LINE_MAX {
                reply.taken += bytes.len() as u64;
                return Decoded::Failed(ErrorKind::Parse);
            }
            reply.line.extend_from_slice(piece);
            at += piece.len();
            if end.is_none() {
                break;
            }
            let line = reply.line();
            reply.line.clear();
            match line {
                Line::More => {}
                Line::LoggedIn => reply.greeting_bytes = reply.taken + at as u64,
                Line::Done(status) => {
                    reply.taken += at as u64;
                    return Decoded::Done {
                        status,
                        bytes: reply.taken - reply.greeting_bytes,
                        consumed: at,
                        keep_alive: true,
                    };
                }
                Line::Bad | Line::Refused => {
                    reply.taken += bytes.len() as u64;
                    let kind = match line {
                        Line::Refused => ErrorKind::Init,
                        _ => ErrorKind::Parse,
                    };
                    return Decoded::Failed(kind);
                }
            }
        }
        reply.taken += bytes.len() as u64;
        Decoded::NeedMore
    }

    fn end_of_stream(&self, _reply: &mut Reply) -> Decoded {
        // Every reply says where it ends: one cut by a close is cut short.
        Decoded::Failed(ErrorKind::Closed)
    }

    fn received(&self, reply: &Reply) -> (u16, u64) {
        (0, reply.taken)
    }

    fn refusal(&self, reply: &Reply) -> Option<String> {
        reply.refusal.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{STATUS_ERROR, STATUS_OK};

    const PLAIN: Memcached = Memcached {
        namespace: String::new(),
        hello: Vec::new(),
    };

    #[test]
    fn a_namespace_goes_before_every_key() {
        let ns = |line: &str| {
            let command = Command::parse(line, "t1:").unwrap();
            String::from_utf8(render(&command)).unwrap()
        };
        assert_eq!(ns("get a b"), "get t1:a t1:b\r\n");
        assert_eq!(ns("set k 0 0 hello"), "set t1:k 0 0 5\r\nhello\r\n");
        assert_eq!(ns("get k:{{$randomInt 7 7}}"), "get t1:k:7\r\n");
    }

    fn prepare(line: &str) -> Result<Command, String> {
        Command::parse(line, "")
    }

    fn render(command: &Command) -> Vec<u8> {
        let mut out = Vec::new();
        Values::with_seed(1, |values| {
            PLAIN.render(command, values, &mut Vec::new(), &mut out, false)
        });
        out
    }

    #[test]
    fn commands_are_encoded_with_the_data_blocks_length() {
        let set = prepare("set k 0 0 hello world").unwrap();
        let wire = b"set k 0 0 11\r\nhello world\r\n";
        assert_eq!(PLAIN.fixed(&set, false), Some(&wire[..]));
        assert_eq!(render(&set), wire);
        let get = prepare("  get a b ").unwrap();
        assert_eq!(PLAIN.fixed(&get, false), Some(&b"get a b\r\n"[..]));
        let dynamic = prepare("set k:{{$randomInt 7 7}} 0 0 v{{$randomInt 10 10}}").unwrap();
        assert_eq!(PLAIN.fixed(&dynamic, false), None);
        assert_eq!(render(&dynamic), b"set k:7 0 0 3\r\nv10\r\n");
        let get = prepare("get k:{{$randomInt 1 1}}").unwrap();
        assert_eq!(render(&get), b"get k:1\r\n");
    }

    #[test]
    fn bad_commands_are_one_line_errors() {
        for (bad, why) in [
            ("", "speaks get and set"),
            ("delete k", "speaks get and set"),
            ("get", "needs a key"),
            ("set k 0 0", "set KEY FLAGS EXPTIME VALUE"),
            ("get {{$randomInt 1", "not closed"),
            ("get {{$nope}}", "nope"),
        ] {
            let e = prepare(bad).err().unwrap();
            assert!(e.contains(why) && !e.contains('\n'), "{bad}: {e}");
        }
    }

    /// Every reply, split at every byte, then fed a byte at a time.
    #[test]
    fn replies_parse_however_they_are_split() {
        let get = prepare("get k").unwrap();
        let mut reply = PLAIN.decoder();
        for (wire, status) in [
            (&b"END\r\n"[..], STATUS_OK),
            (b"VALUE k 0 5\r\nhello\r\nEND\r\n", STATUS_OK),
            (
                b"VALUE k 3 2 99\r\n\r\n\r\nVALUE j 0 0\r\n\r\nEND\r\n",
                STATUS_OK,
            ),
            (b"STORED\r\n", STATUS_OK),
            (b"NOT_STORED\r\n", STATUS_OK),
            (b"ERROR\r\n", STATUS_ERROR),
            (b"CLIENT_ERROR bad data chunk\r\n", STATUS_ERROR),
            (b"SERVER_ERROR out of memory\r\n", STATUS_ERROR),
        ] {
            let done = |consumed| Decoded::Done {
                status,
                bytes: wire.len() as u64,
                consumed,
                keep_alive: true,
            };
            for cut in 0..wire.len() {
                PLAIN.expect(&mut reply, &get, false);
                if cut > 0 {
                    assert_eq!(PLAIN.decode(&mut reply, &wire[..cut]), Decoded::NeedMore);
                    assert_eq!(PLAIN.received(&reply), (0, cut as u64));
                }
                // The next reply's bytes stay unread.
                let rest = [&wire[cut..], b"END\r\n"].concat();
                let got = PLAIN.decode(&mut reply, &rest);
                assert_eq!(got, done(wire.len() - cut), "{wire:?} cut at {cut}");
            }
            PLAIN.expect(&mut reply, &get, false);
            for (i, b) in wire.iter().enumerate() {
                let got = PLAIN.decode(&mut reply, &[*b]);
                let want = if i + 1 == wire.len() {
                    done(1)
                } else {
                    Decoded::NeedMore
                };
                assert_eq!(got, want, "{wire:?} at {i}");
            }
        }
    }

    #[test]
    fn what_is_not_memcached_fails_with_parse_and_bounded_memory() {
        let get = prepare("get k").unwrap();
        let mut reply = PLAIN.decoder();
        for wire in [
            &b"HTTP/1.1 200 OK\r\n"[..],
            b"END\n",
            b"VALUE k 0\r\n",
            b"VALUE k 0 x\r\n",
            b"VALUE k 0 1\r\nab\r\n",
            b"VALUE k 0 0\r\n\r\nSTORED\r\n",
        ] {
            PLAIN.expect(&mut reply, &get, false);
            let got = PLAIN.decode(&mut reply, wire);
            assert_eq!(got, Decoded::Failed(ErrorKind::Parse), "{wire:?}");
            assert_eq!(PLAIN.received(&reply), (0, wire.len() as u64));
        }
        PLAIN.expect(&mut reply, &get, false);
        let endless = vec![b'x'; 600];
        assert_eq!(PLAIN.decode(&mut reply, &endless), Decoded::NeedMore);
        assert_eq!(
            PLAIN.decode(&mut reply, &endless),
            Decoded::Failed(ErrorKind::Parse)
        );
        PLAIN.expect(&mut reply, &get, false);
        assert_eq!(
            PLAIN.end_of_stream(&mut reply),
            Decoded::Failed(ErrorKind::Closed)
        );
    }

    fn with_login() -> Memcached {
        Memcached {
            namespace: String::new(),
            hello: login(Some("alice"), Some("s3cret")).unwrap(),
        }
    }

    #[test]
    fn the_login_is_a_set_of_user_and_password() {
        assert_eq!(with_login().hello(), b"set auth 0 0 12\r\nalice s3cret\r\n");
        assert_eq!(login(None, None), Ok(Vec::new()));
        for (user, password) in [
            (Some("a"), None),
            (None, Some("p")),
            (Some("a b"), Some("p")),
            (Some("a"), Some("")),
        ] {
            let e = login(user, password).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
    }

    /// The login's reply is read first, split anywhere, and is not the
    /// request's: its bytes are not the reply's size.
    #[test]
    fn a_new_connections_login_reply_comes_first() {
        let mc = with_login();
        let get = Command::parse("get k", "").unwrap();
        let mut reply = mc.decoder();
        let wire = b"STORED\r\nEND\r\n";
        for cut in 0..wire.len() {
            mc.expect(&mut reply, &get, true);
            if cut > 0 {
                assert_eq!(mc.decode(&mut reply, &wire[..cut]), Decoded::NeedMore);
            }
            let got = mc.decode(&mut reply, &wire[cut..]);
            let done = Decoded::Done {
                status: STATUS_OK,
                bytes: 5,
                consumed: wire.len() - cut,
                keep_alive: true,
            };
            assert_eq!(got, done, "cut at {cut}");
        }
        // The connection's next request has no login.
        mc.expect(&mut reply, &get, false);
        let done = Decoded::Done {
            status: STATUS_OK,
            bytes: 5,
            consumed: 5,
            keep_alive: true,
        };
        assert_eq!(mc.decode(&mut reply, b"END\r\n"), done);
    }

    #[test]
    fn a_refused_login_fails_with_init_and_says_why() {
        let mc = with_login();
        let get = Command::parse("get k", "").unwrap();
        let mut reply = mc.decoder();
        mc.expect(&mut reply, &get, true);
        let wire = b"CLIENT_ERROR authentication\rfailure\r\nCLIENT_ERROR unauthenticated\r\n";
        assert_eq!(
            mc.decode(&mut reply, wire),
            Decoded::Failed(ErrorKind::Init)
        );
        assert_eq!(mc.received(&reply), (0, wire.len() as u64));
        assert_eq!(
            mc.refusal(&reply).as_deref(),
            Some("CLIENT_ERROR authentication failure")
        );
    }
}
