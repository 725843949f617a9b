//! Redis as a `Protocol`: a task's command is encoded once (or per request
//! when it holds dynamic values), and each reply is parsed as it arrives.
//!
//! How a reply maps onto results.csv, so that `report`, `check` and the
//! dashboard work unchanged: any reply but an error is status 200 (a nil
//! too: it is an answer); an error reply (`-ERR ...`, `-WRONGTYPE ...`,
//! a RESP3 `!` blob error) is status 500, a failure, with the `error`
//! column empty since the reply was complete. `bytes` is the reply's own.
//! A reply that does not parse is the `parse` error; the server refusing
//! a new connection's AUTH, HELLO or SELECT fails its first request with
//! `init`, and the summary says why once.

use super::command::{Command, push_command};
use super::reply::ReplyParser;
use super::url::Login;
use crate::dynamic::Values;
use crate::plan::RequestSpec;
use crate::protocol::{Decoded, Protocol};
use crate::record::ErrorKind;

/// The status of a reply that is not an error.
pub(crate) const STATUS_OK: u16 = 200;
/// The status of an error reply.
pub(crate) const STATUS_ERROR: u16 = 500;

pub(crate) struct Redis {
    /// AUTH, HELLO 3 and SELECT, as a new connection sends them.
    hello: Vec<u8>,
    /// How many replies `hello` gets.
    hellos: u32,
}

impl Redis {
    pub(crate) fn new(login: &Login) -> Redis {
        let mut hello = Vec::new();
        let mut hellos = 0;
        let mut say = |args: &[&[u8]]| {
            push_command(&mut hello, args);
            hellos += 1;
        };
        match (&login.user, &login.password) {
            (Some(user), Some(password)) => say(&[b"AUTH", user.as_bytes(), password.as_bytes()]),
            (None, Some(password)) => say(&[b"AUTH", password.as_bytes()]),
            _ => {}
        }
        if login.resp3 {
            say(&[b"HELLO", b"3"]);
        }
        if let Some(db) = login.db {
            say(&[b"SELECT", db.to_string().as_bytes()]);
        }
        Redis { hello, hellos }
    }
}

pub(crate) struct RedisDecoder {
    reply: ReplyParser,
    /// Replies to `hello` still to come before the request's.
    hellos: u32,
    /// Every byte taken for the current request, `hello`'s replies too.
    taken: u64,
    /// What the server said when it refused `hello`.
    refusal: Option<String>,
}

impl Protocol for Redis {
    type Request = Command;
    type Decoder = RedisDecoder;

    fn prepare(&self, spec: &RequestSpec, _closing: bool) -> Result<Command, String> {
        Command::parse(&spec.command())
    }

    #[inline]
    fn fixed<'r>(&self, request: &'r Command, _last: bool) -> Option<&'r [u8]> {
        request.fixed()
    }

    fn render(
        &self,
        request: &Command,
        values: &mut Values<'_>,
        scratch: &mut Vec<u8>,
        out: &mut Vec<u8>,
        _last: bool,
    ) {
        request.render(values, scratch, out);
    }

    fn hello(&self) -> &[u8] {
        &self.hello
    }

    fn goodbye(&self) -> &[u8] {
        b"*1\r\n$4\r\nQUIT\r\n"
    }

    fn pipelines(&self) -> bool {
        true
    }

    fn decoder(&self) -> RedisDecoder {
        RedisDecoder {
            reply: ReplyParser::new(),
            hellos: 0,
            taken: 0,
            refusal: None,
        }
    }

    #[inline]
    fn expect(&self, decoder: &mut RedisDecoder, _request: &Command, opened: bool) {
        decoder.reply.reset();
        decoder.hellos = if opened { self.hellos } else { 0 };
        decoder.taken = 0;
    }

    fn decode(&self, d: &mut RedisDecoder, bytes: &[u8]) -> Decoded {
        let mut at = 0;
        loop {
            match d.reply.feed(&bytes[at..]) {
                Ok(None) => {
                    d.taken += bytes.len() as u64;
                    return Decoded::NeedMore;
                }
                Err(_) => {
                    // Not a reply at all: no status.
                    d.reply.reset();
                    d.taken += bytes.len() as u64;
                    return Decoded::Failed(ErrorKind::Parse);
                }
                Ok(Some(n)) => at += n,
            }
            if d.hellos == 0 {
                d.taken += at as u64;
                let status = if d.reply.is_error() {
                    STATUS_ERROR
                } else {
                    STATUS_OK
                };
                return Decoded::Done {
                    status,
                    bytes: d.reply.bytes(),
                    consumed: at,
                    keep_alive: true,
                };
            }
            if d.reply.is_error() {
                d.taken += bytes.len() as u64;
                d.refusal = Some(d.reply.message());
                return Decoded::Failed(ErrorKind::Init);
            }
            d.hellos -= 1;
            d.reply.reset();
        }
    }

    fn end_of_stream(&self, _decoder: &mut RedisDecoder) -> Decoded {
        // Every reply says where it ends: one cut by a close is cut short.
        Decoded::Failed(ErrorKind::Closed)
    }

    fn received(&self, d: &RedisDecoder) -> (u16, u64) {
        let status = match (d.hellos, d.reply.started(), d.reply.is_error()) {
            (0, true, false) => STATUS_OK,
            (0, true, true) => STATUS_ERROR,
            _ => 0,
        };
        (status, d.taken)
    }

    fn refusal(&self, d: &RedisDecoder) -> Option<String> {
        d.refusal.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(command: &str) -> RequestSpec {
        RequestSpec {
            method: "GET".into(),
            authority: String::new(),
            target: String::new(),
            headers: vec![],
            body: command.as_bytes().to_vec(),
            values: Vec::new(),
            capture: None,
        }
    }

    fn login(password: Option<&str>, db: Option<u32>, resp3: bool) -> Login {
        Login {
            user: None,
            password: password.map(String::from),
            db,
            resp3,
        }
    }

    fn done(status: u16, bytes: u64, consumed: usize) -> Decoded {
        Decoded::Done {
            status,
            bytes,
            consumed,
            keep_alive: true,
        }
    }

    #[test]
    fn replies_map_onto_statuses() {
        let redis = Redis::new(&Login::default());
        assert!(redis.hello().is_empty());
        let command = redis.prepare(&spec("GET k"), false).unwrap();
        let mut d = redis.decoder();
        for (wire, status) in [
            (&b"$-1\r\n"[..], STATUS_OK),
            (b"*-1\r\n", STATUS_OK),
            (b"_\r\n", STATUS_OK),
            (b"$2\r\nhi\r\n", STATUS_OK),
            (b"*1\r\n-ERR inside\r\n", STATUS_OK),
            (b"-ERR unknown command\r\n", STATUS_ERROR),
            (b"-WRONGTYPE Operation\r\n", STATUS_ERROR),
            (b"!3\r\nERR\r\n", STATUS_ERROR),
        ] {
            redis.expect(&mut d, &command, false);
            let cut = wire.len() / 2;
            assert_eq!(redis.decode(&mut d, &wire[..cut]), Decoded::NeedMore);
            assert_eq!(redis.received(&d).1, cut as u64);
            let got = redis.decode(&mut d, &wire[cut..]);
            assert_eq!(
                got,
                done(status, wire.len() as u64, wire.len() - cut),
                "{wire:?}"
            );
        }
        redis.expect(&mut d, &command, false);
        assert_eq!(
            redis.decode(&mut d, b"$x\r\n"),
            Decoded::Failed(ErrorKind::Parse)
        );
        assert_eq!(redis.received(&d), (0, 4));
        redis.expect(&mut d, &command, false);
        assert_eq!(
            redis.end_of_stream(&mut d),
            Decoded::Failed(ErrorKind::Closed)
        );
    }

    #[test]
    fn a_new_connection_says_hello_first_and_reads_its_replies() {
        let redis = Redis::new(&login(Some("pw"), Some(2), true));
        assert_eq!(
            redis.hello(),
            &b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n\
               *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"[..]
        );
        let command = redis.prepare(&spec("PING"), false).unwrap();
        let mut d = redis.decoder();
        redis.expect(&mut d, &command, true);
        let wire = b"+OK\r\n%1\r\n+server\r\n+redis\r\n+OK\r\n+PONG\r\n";
        for (i, &b) in wire.iter().enumerate() {
            let got = redis.decode(&mut d, &[b]);
            if i + 1 < wire.len() {
                assert_eq!(got, Decoded::NeedMore, "at {i}");
            } else {
                assert_eq!(got, done(STATUS_OK, 7, 1), "the reply's own bytes");
            }
        }
        // The next request on the same connection has no hello.
        redis.expect(&mut d, &command, false);
        assert_eq!(redis.decode(&mut d, b"+PONG\r\n"), done(STATUS_OK, 7, 7));
    }

    #[test]
    fn a_refused_hello_fails_the_request_with_init() {
        let redis = Redis::new(&login(Some("bad"), None, false));
        let command = redis.prepare(&spec("PING"), false).unwrap();
        let mut d = redis.decoder();
        redis.expect(&mut d, &command, true);
        let wire = b"-WRONGPASS invalid username-password pair\r\n-NOAUTH x\r\n";
        assert_eq!(redis.decode(&mut d, wire), Decoded::Failed(ErrorKind::Init));
        assert_eq!(redis.received(&d), (0, wire.len() as u64));
        assert_eq!(
            redis.refusal(&d).as_deref(),
            Some("WRONGPASS invalid username-password pair")
        );
    }

    #[test]
    fn auth_with_a_user_sends_both() {
        let mut l = login(Some("p"), None, false);
        l.user = Some("u".into());
        let redis = Redis::new(&l);
        assert_eq!(
            redis.hello(),
            &b"*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$1\r\np\r\n"[..]
        );
        assert!(redis.prepare(&spec("SET \"k"), false).is_err());
    }
}
