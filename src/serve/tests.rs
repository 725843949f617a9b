//! Route tests against a real server on loopback, plus the small blocking
//! client that all server tests use. Every read has a timeout, so a broken
//! server fails a test instead of hanging it.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{ServeConfig, Server};

pub(super) const TIMEOUT: Duration = Duration::from_secs(5);

pub(super) fn server() -> Server {
    server_on(Vec::new())
}

pub(super) fn server_on(cores: Vec<usize>) -> Server {
    Server::start(ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        cores,
        stall: None,
        tls: None,
        stuck_after: super::STUCK,
    })
    .expect("server starts")
}

#[derive(Debug)]
pub(super) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Number of data chunks, for chunked bodies.
    pub chunks: usize,
}

impl Resp {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A blocking HTTP/1.1 client over TCP, or over any stream (TLS).
pub(super) struct Client<S = TcpStream> {
    pub stream: S,
    buf: Vec<u8>,
}

impl Client {
    pub(super) fn connect(server: &Server) -> Client {
        Client::from_stream(TcpStream::connect_timeout(&server.local_addr(), TIMEOUT).unwrap())
    }

    pub(super) fn from_stream(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client::over(stream)
    }
}

impl<S: Read + Write> Client<S> {
    /// A client over `stream`, whose reads must be bounded in time already.
    pub(super) fn over(stream: S) -> Client<S> {
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    pub(super) fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Send a GET with no extra headers and read its response.
    pub(super) fn get(&mut self, path: &str) -> Resp {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        self.response(false)
    }

    /// Read more bytes into the buffer; false at end of stream.
    fn more(&mut self) -> bool {
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) => panic!("read failed: {e}"),
        }
    }

    fn need(&mut self, n: usize) {
        while self.buf.len() < n {
            assert!(self.more(), "connection closed mid-response");
        }
    }

    /// Read one response. `head_request`: it answers a HEAD, so no body.
    pub(super) fn response(&mut self, head_request: bool) -> Resp {
        let (status, headers, head_len) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut slots);
            if let httparse::Status::Complete(n) = parsed.parse(&self.buf).unwrap() {
                let headers = parsed
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into()))
                    .collect::<Vec<(String, String)>>();
                break (parsed.code.unwrap(), headers, n);
            }
            assert!(self.more(), "connection closed before a response head");
        };
        self.buf.drain(..head_len);
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
            chunks: 0,
        };
        if head_request || matches!(status, 100..=199 | 204 | 304) {
            return resp;
        }
        if resp.header("transfer-encoding") == Some("chunked") {
            self.read_chunked(&mut resp);
        } else if let Some(len) = resp.header("content-length") {
            let len: usize = len.parse().unwrap();
            self.need(len);
            resp.body = self.buf.drain(..len).collect();
        } else {
            while self.more() {}
            resp.body = std::mem::take(&mut self.buf);
        }
        resp
    }

    fn read_chunked(&mut self, resp: &mut Resp) {
        loop {
            let line_end = loop {
                if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                assert!(self.more(), "closed inside a chunk size line");
            };
            let size_text = std::str::from_utf8(&self.buf[..line_end]).unwrap();
            let size = usize::from_str_radix(size_text, 16).unwrap();
            self.buf.drain(..line_end + 2);
            self.need(size + 2);
            assert_eq!(
                &self.buf[size..size + 2],
                b"\r\n",
                "chunk not followed by CRLF"
            );
            resp.body.extend(self.buf.drain(..size));
            self.buf.drain(..2);
            if size == 0 {
                return;
            }
            resp.chunks += 1;
        }
    }

    /// True if the server closed the connection (EOF, or a reset) with no
    /// more bytes sent.
    pub(super) fn closed(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => matches!(e.kind(), ErrorKind::ConnectionReset),
        }
    }
}

#[test]
fn hello() {
    let server = server();
    let mut c = Client::connect(&server);
    for path in ["/hello", "/hello?x=1&y=2"] {
        let r = c.get(path);
        assert_eq!(r.status, 200);
        assert_eq!(r.body, br#"{"message":"hello"}"#);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("server"), Some("stampede"));
        assert_eq!(r.header("content-length"), Some("19"));
    }
    server.stop();
}

#[test]
fn upload_echoes_body_and_type() {
    let server = server();
    let mut c = Client::connect(&server);
    c.send(
        b"POST /api/upload HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: 5\r\n\r\na,b\n1",
    );
    let r = c.response(false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"a,b\n1"[..]));
    assert_eq!(r.header("content-type"), Some("text/csv"));
    c.send(b"POST /api/upload HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    let r = c.response(false);
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    // A 1 MiB body, echoed whole.
    let body: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    c.send(
        format!(
            "POST /api/upload HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    c.send(&body);
    let r = c.response(false);
    assert_eq!(r.status, 200);
    assert!(r.body == body, "echoed body differs");
    assert_eq!(c.get("/hello").status, 200);
}

#[test]
fn status_codes() {
    let server = server();
    let mut c = Client::connect(&server);
    for code in [200u16, 201, 302, 404, 418, 429, 500, 503, 599] {
        let r = c.get(&format!("/status/{code}"));
        assert_eq!(r.status, code);
        assert!(!r.body.is_empty());
        assert_eq!(
            r.header("content-length"),
            Some(r.body.len().to_string().as_str())
        );
    }
    for code in [204u16, 304] {
        let r = c.get(&format!("/status/{code}"));
        assert_eq!(r.status, code);
        assert_eq!(r.header("content-length"), None);
    }
    for bad in ["199", "600", "abc", "", "1000000000000000000000"] {
        assert_eq!(c.get(&format!("/status/{bad}")).status, 400, "{bad}");
    }
    assert_eq!(c.get("/hello").status, 200);
}

#[test]
fn bytes() {
    let server = server();
    let mut c = Client::connect(&server);
    for n in [0usize, 1, 10, 16 * 1024, 16 * 1024 + 1, 200_000, 3 << 20] {
        let r = c.get(&format!("/bytes/{n}"));
        assert_eq!(r.status, 200);
        assert_eq!(r.body.len(), n);
        assert_eq!(r.header("content-length"), Some(n.to_string().as_str()));
    }
    assert_eq!(c.get("/bytes/104857601").status, 400);
    assert_eq!(c.get("/bytes/x").status, 400);
    assert_eq!(c.get("/hello").status, 200);
}

#[test]
fn chunked() {
    let server = server();
    let mut c = Client::connect(&server);
    for n in [0usize, 1, 2, 3, 100, 16 * 1024, 100_000, 2 << 20] {
        let r = c.get(&format!("/chunked/{n}"));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        assert_eq!(r.header("content-length"), None);
        assert_eq!(r.body.len(), n);
        assert!(r.body.iter().all(|&b| b == b'x'));
        let min_chunks = n.min(2);
        assert!(
            r.chunks >= min_chunks,
            "{n} bytes came in {} chunks",
            r.chunks
        );
    }
    assert_eq!(c.get("/chunked/104857601").status, 400);
    assert_eq!(c.get("/hello").status, 200);
}

#[test]
fn close_route_closes() {
    let server = server();
    let mut c = Client::connect(&server);
    let r = c.get("/close");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closed());
}

#[test]
fn not_found_and_wrong_method() {
    let server = server();
    let mut c = Client::connect(&server);
    let r = c.get("/nope");
    assert_eq!(r.status, 404);
    assert!(!r.body.is_empty());
    c.send(b"POST /hello HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
    let r = c.response(false);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let r = c.get("/api/upload");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    c.send(b"DELETE /bytes/3 HTTP/1.1\r\n\r\n");
    assert_eq!(c.response(false).status, 405);
    assert_eq!(c.get("/hello").status, 200);
}

#[test]
fn head_sends_headers_only() {
    let server = server();
    let mut c = Client::connect(&server);
    for (path, length) in [
        ("/hello", Some("19")),
        ("/bytes/100000", Some("100000")),
        ("/chunked/10", None),
    ] {
        c.send(format!("HEAD {path} HTTP/1.1\r\n\r\n").as_bytes());
        let r = c.response(true);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-length"), length, "{path}");
        // Had a body been sent, this next response would not parse.
        assert_eq!(c.get("/status/201").status, 201, "after HEAD {path}");
    }
    c.send(b"HEAD /delay/10 HTTP/1.1\r\n\r\n");
    assert_eq!(c.response(true).status, 200);
    assert_eq!(c.get("/hello").status, 200);
}

#[test]
fn delay_waits() {
    let server = server();
    let mut c = Client::connect(&server);
    let start = Instant::now();
    let r = c.get("/delay/100");
    assert_eq!(r.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(100));
    assert_eq!(c.get("/delay/0").status, 200);
    assert_eq!(c.get("/delay/3600001").status, 400);
}

/// A login, then its cookie and its token on the same connection; the
/// failures in between keep the connection open.
#[test]
fn login_then_me() {
    let server = server();
    let mut c = Client::connect(&server);
    assert_eq!(c.get("/api/me").status, 401);
    let body = r#"{"user": "zed", "password": "pw-zed"}"#;
    let login = format!(
        "POST /api/login HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    c.send(login.replace("pw-zed", "pw-zee").as_bytes());
    assert_eq!(c.response(false).status, 401);
    c.send(login.as_bytes());
    let r = c.response(false);
    assert_eq!(r.status, 200);
    let cookie = r.header("set-cookie").unwrap().to_string();
    let token = cookie
        .strip_prefix("session=")
        .and_then(|rest| rest.strip_suffix("; Path=/; HttpOnly"))
        .unwrap();
    let expected = format!(r#"{{"token":"{token}","user":"zed"}}"#);
    assert_eq!(r.body, expected.as_bytes());
    // Both ways in, pipelined.
    c.send(format!("GET /api/me HTTP/1.1\r\nCookie: session={token}\r\n\r\n").as_bytes());
    c.send(format!("GET /api/me HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\r\n").as_bytes());
    for _ in 0..2 {
        let r = c.response(false);
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &br#"{"user":"zed"}"#[..])
        );
    }
    assert_eq!(c.get("/hello").status, 200);
    drop(c);
    assert_eq!(server.stop().requests, 6);
}
