//! Reading a request head: `httparse` plus the few headers the server acts on.
//!
//! Parsing borrows nothing past its return: the result names parts of the
//! input by [`Span`] so that the connection can keep its buffer mutable.

/// Largest request head we accept; a longer one is answered with 431.
pub(crate) const HEAD_MAX: usize = 64 * 1024;
/// Largest request body we accept; a longer one is answered with 413.
pub(crate) const BODY_MAX: usize = 16 * 1024 * 1024;
/// Most header fields in a head; more is answered with 431.
pub(super) const MAX_HEADERS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Post,
    Other,
}

/// A byte range of the parsed input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub len: usize,
}

impl Span {
    /// The span of `part`, which must be a sub-slice of `base`.
    pub(super) fn of(base: &[u8], part: &[u8]) -> Span {
        let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
        Span {
            start,
            len: part.len(),
        }
    }

    /// The bytes of this span in `data`, or nothing if it does not fit.
    pub(crate) fn get<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        let end = self.start.saturating_add(self.len);
        data.get(self.start..end).unwrap_or(&[])
    }
}

/// What the server needs to know about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub method: Method,
    /// The request target without its query string or fragment.
    pub path: Span,
    pub http10: bool,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    pub content_type: Option<Span>,
    pub expect_continue: bool,
    pub head_len: usize,
    pub body_len: usize,
}

/// Why a request is refused. Each one is answered and the connection closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    /// 400: malformed head, bad or conflicting Content-Length.
    BadRequest,
    /// 431: head longer than [`HEAD_MAX`] or more than 64 header fields.
    HeadTooLarge,
    /// 413: Content-Length above [`BODY_MAX`].
    BodyTooLarge,
    /// 411: a `Transfer-Encoding` request body. Chunked uploads are not
    /// supported; the client is told to send a Content-Length instead.
    LengthRequired,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// The head is not complete yet.
    Partial,
    Head(Head),
    Reject(Reject),
}

/// Parse the request head at the start of `data`.
pub(crate) fn parse(data: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(data) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if data.len() > HEAD_MAX => {
            return Parsed::Reject(Reject::HeadTooLarge);
        }
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Reject(Reject::HeadTooLarge),
        Err(_) => return Parsed::Reject(Reject::BadRequest),
    };
    if head_len > HEAD_MAX {
        return Parsed::Reject(Reject::HeadTooLarge);
    }
    let method = match req.method {
        Some("GET") => Method::Get,
        Some("HEAD") => Method::Head,
        Some("POST") => Method::Post,
        _ => Method::Other,
    };
    let target = req.path.unwrap_or("").as_bytes();
    let path_end = target
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(target.len());
    let path = Span::of(data, &target[..path_end]);
    let http10 = req.version != Some(1);

    let mut content_length: Option<u64> = None;
    let mut transfer_encoding = false;
    let mut close = false;
    let mut keep = false;
    let mut content_type = None;
    let mut expect_continue = false;
    for h in req.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            let Some(n) = parse_length(h.value) else {
                return Parsed::Reject(Reject::BadRequest);
            };
            if content_length.is_some_and(|old| old != n) {
                return Parsed::Reject(Reject::BadRequest);
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encoding = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"content-type") {
            content_type = Some(Span::of(data, h.value));
        } else if name.eq_ignore_ascii_case(b"expect") {
            expect_continue = h.value.trim_ascii().eq_ignore_ascii_case(b"100-continue");
        }
    }
    if transfer_encoding {
        // Both framings at once is a request-smuggling shape: refuse it.
        return Parsed::Reject(if content_length.is_some() {
            Reject::BadRequest
        } else {
            Reject::LengthRequired
        });
    }
    let body_len = content_length.unwrap_or(0);
    if body_len > BODY_MAX as u64 {
        return Parsed::Reject(Reject::BodyTooLarge);
    }
    Parsed::Head(Head {
        method,
        path,
        http10,
        keep_alive: !close && (!http10 || keep),
        content_type,
        expect_continue,
        head_len,
        body_len: body_len as usize,
    })
}

/// A Content-Length value: ASCII digits only, no sign, no overflow.
fn parse_length(value: &[u8]) -> Option<u64> {
    crate::digits::parse_decimal(value.trim_ascii()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        match parse(text.as_bytes()) {
            Parsed::Head(h) => h,
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    fn reject(text: &[u8]) -> Reject {
        match parse(text) {
            Parsed::Reject(r) => r,
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn parses_a_simple_get() {
        let text = "GET /hello?x=1 HTTP/1.1\r\nHost: a\r\n\r\nrest";
        let h = head(text);
        assert_eq!(h.method, Method::Get);
        assert_eq!(h.path.get(text.as_bytes()), b"/hello");
        assert!(!h.http10);
        assert!(h.keep_alive);
        assert_eq!(h.head_len, text.len() - 4);
        assert_eq!(h.body_len, 0);
    }

    #[test]
    fn partial_heads_wait_at_every_split() {
        let text = b"POST /api/upload HTTP/1.1\r\nContent-Length: 3\r\n\r\n";
        for cut in 0..text.len() {
            assert_eq!(parse(&text[..cut]), Parsed::Partial, "cut at {cut}");
        }
        let h = head(std::str::from_utf8(text).unwrap());
        assert_eq!((h.method, h.body_len), (Method::Post, 3));
    }

    #[test]
    fn connection_semantics() {
        assert!(!head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive);
        let h = head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(h.keep_alive && h.http10);
    }

    #[test]
    fn content_length_rules() {
        assert_eq!(
            head("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").body_len,
            5
        );
        for bad in [
            "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert_eq!(reject(bad.as_bytes()), Reject::BadRequest, "{bad:?}");
        }
        let big = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            BODY_MAX + 1
        );
        assert_eq!(reject(big.as_bytes()), Reject::BodyTooLarge);
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(reject(chunked), Reject::LengthRequired);
    }

    /// One Content-Length value, byte by byte: ASCII whitespace around it
    /// (CR and LF too), digits only, any number of leading zeros.
    #[test]
    fn content_length_value_edges() {
        let cases: [(&[u8], Option<u64>); 15] = [
            (b"0", Some(0)),
            (b"5", Some(5)),
            (b" \t\r\n5 \x0c", Some(5)),
            (b"000000000000000000000000042", Some(42)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"18446744073709551616", None),
            (b"", None),
            (b" \t ", None),
            (b"+5", None),
            (b"-5", None),
            (b"5 5", None),
            (b"5\x0b", None),
            (b"0x10", None),
            ("٣".as_bytes(), None),
            (b"5,5", None),
        ];
        for (value, want) in cases {
            assert_eq!(
                parse_length(value),
                want,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn oversized_and_malformed_heads() {
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.resize(HEAD_MAX + 10, b'a');
        assert_eq!(reject(&big), Reject::HeadTooLarge);
        let mut many = String::from("GET / HTTP/1.1\r\n");
        for i in 0..65 {
            many.push_str(&format!("X-{i}: y\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(reject(many.as_bytes()), Reject::HeadTooLarge);
        assert_eq!(reject(b"\x00\x01\x02 \r\n\r\n"), Reject::BadRequest);
        assert_eq!(
            reject(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
            Reject::BadRequest
        );
    }

    #[test]
    fn expect_and_content_type() {
        let text = "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: text/csv\r\n\r\n";
        let h = head(text);
        assert!(h.expect_continue);
        assert_eq!(h.content_type.unwrap().get(text.as_bytes()), b"text/csv");
    }
}
