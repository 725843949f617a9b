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

use stampede::{Decoded, ErrorKind, Protocol, RequestSpec, Scheme, Template, Values};
use std::io::Write;

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

/// The status of an answer, and of an error reply.
const STATUS_OK: u16 = 200;
const STATUS_ERROR: u16 = 500;
/// The longest reply line we wait for (a key is at most 250 bytes): a
/// longer one is not memcached, and must not grow memory.
const LINE_MAX: usize = 1024;

struct Memcached {
    /// Put before every key, from `--var namespace=NS`; empty for none.
    namespace: String,
    /// What a new connection sends first (`login`); empty for nothing.
    hello: Vec<u8>,
}

/// A task's command, ready to encode.
enum Command {
    /// The same bytes every time.
    Fixed(Vec<u8>),
    /// `get ...`: the line.
    Get(Template),
    /// `set KEY FLAGS EXPTIME` and the value, whose length is only known
    /// once it is rendered.
    Set { head: Template, value: Template },
}

impl Command {
    /// `namespace` goes before every key (`--var namespace=NS`).
    fn parse(line: &str, namespace: &str) -> Result<Command, String> {
        let line = line.trim();
        let bad = |why: &str| format!("bad memcached command {line:?}: {why}");
        let words = words(line).map_err(bad)?;
        let name = words.first().map(|&(s, e)| &line[s..e]);
        if !namespace.is_empty() {
            let keys = match name {
                Some("get" | "gets") => 1..words.len(),
                Some("set") => 1..words.len().min(2),
                _ => 0..0,
            };
            let (mut text, mut at) = (String::new(), 0);
            for key in keys {
                text.push_str(&line[at..words[key].0]);
                text.push_str(namespace);
                at = words[key].0;
            }
            text.push_str(&line[at..]);
            return Command::parse(&text, "");
        }
        let command = match name {
            Some("get" | "gets") if words.len() > 1 => Command::Get(Template::parse(line)?),
            Some("get" | "gets") => return Err(bad("get needs a key")),
            Some("set") if words.len() >= 5 => {
                let (head_end, value_start) = (words[3].1, words[4].0);
                Command::Set {
                    head: Template::parse(&line[words[0].0..head_end])?,
                    value: Template::parse(&line[value_start..])?,
                }
            }
            Some("set") => return Err(bad("expected set KEY FLAGS EXPTIME VALUE")),
            _ => return Err(bad("this example speaks get and set")),
        };
        // No dynamic value: encode once, and write it without a copy.
        let fixed = match &command {
            Command::Get(line) => line.fixed().map(|line| [line, b"\r\n"].concat()),
            Command::Set { head, value } => head
                .fixed()
                .zip(value.fixed())
                .map(|(head, value)| set(head, value)),
            Command::Fixed(_) => None,
        };
        Ok(fixed.map_or(command, Command::Fixed))
    }
}

/// `set KEY FLAGS EXPTIME` and its data block, with the block's length.
fn set(head: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + value.len() + 16);
    push_set(&mut out, head, value);
    out
}

fn push_set(out: &mut Vec<u8>, head: &[u8], value: &[u8]) {
    out.extend_from_slice(head);
    // Into the Vec, with no allocation of its own: this runs per request.
    let _ = write!(out, " {}\r\n", value.len());
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Where each word of `line` starts and ends; a dynamic value
/// (`{{$randomInt 1 9}}`) is part of its word, spaces and all.
fn words(line: &str) -> Result<Vec<(usize, usize)>, &'static str> {
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            if bytes[i..].starts_with(b"{{") {
                let close = line[i..].find("}}").ok_or("a {{ is not closed")?;
                i += close + 2;
            } else {
                i += 1;
            }
        }
        words.push((start, i));
    }
    Ok(words)
}

/// A connection's reply, parsed as it arrives: one line at a time, and a
/// data block counted, never kept.
#[derive(Default)]
struct Reply {
    /// The current line so far, up to `LINE_MAX`.
    line: Vec<u8>,
    /// Bytes of a data block still to come.
    data_left: u64,
    /// A data block ended: the next line must be empty (its `\r\n`).
    block_end: bool,
    /// A `VALUE` came: only another or `END` may follow.
    in_values: bool,
    /// Every byte taken for the current reply, the login's reply too.
    taken: u64,
    /// The login's reply comes first: the request opened the connection.
    greeting: bool,
    /// The bytes of the login's reply, not the request's own.
    greeting_bytes: u64,
    /// memcached's words when it refused the login.
    refusal: Option<String>,
}

/// What a complete line does to the reply.
enum Line {
    More,
    Done(u16),
    Bad,
    /// The login was accepted: the request's reply follows.
    LoggedIn,
    /// The login was refused.
    Refused,
}

impl Reply {
    fn line(&mut self) -> Line {
        let Some(text) = self.line.strip_suffix(b"\r\n") else {
            return Line::Bad;
        };
        if std::mem::take(&mut self.greeting) {
            if text == b"STORED" {
                return Line::LoggedIn;
            }
            // One line for the summary, whatever the server sent.
            let words = String::from_utf8_lossy(text).replace(|c: char| c.is_control(), " ");
            self.refusal = Some(words);
            return Line::Refused;
        }
        if std::mem::take(&mut self.block_end) {
            return if text.is_empty() {
                Line::More
            } else {
                Line::Bad
            };
        }
        if text == b"END" {
            return Line::Done(STATUS_OK);
        }
        if let Some(rest) = text.strip_prefix(b"VALUE ") {
            // VALUE <key> <flags> <bytes> [<cas unique>]
            let length = rest.split(|&b| b == b' ').nth(2);
            let length = length.and_then(|l| std::str::from_utf8(l).ok()?.parse().ok());
            let Some(length) = length else {
                return Line::Bad;
            };
            self.data_left = length;
            self.block_end = true;
            self.in_values = true;
            return Line::More;
        }
        if self.in_values {
            return Line::Bad;
        }
        match text {
            b"STORED" | b"NOT_STORED" | b"EXISTS" | b"NOT_FOUND" => Line::Done(STATUS_OK),
            b"ERROR" => Line::Done(STATUS_ERROR),
            _ if text.starts_with(b"CLIENT_ERROR") || text.starts_with(b"SERVER_ERROR") => {
                Line::Done(STATUS_ERROR)
            }
            _ => Line::Bad,
        }
    }
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
