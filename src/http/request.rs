//! Requests are encoded to bytes once, before the run, and written again and
//! again from the same buffer.

use super::template::Template;
use crate::digits::push_decimal;
use crate::dynamic::Values;
use crate::journey::capture::Keep;
use crate::journey::cookies::header::add_cookies;
use crate::plan::RequestSpec;
use crate::rng::Rng;

/// The value of our `User-Agent` header.
pub(crate) const USER_AGENT: &str = concat!("stampede/", env!("CARGO_PKG_VERSION"));

/// One task's request, encoded for HTTP/1.1 once per run.
///
/// The head is the request line, `Host`, `User-Agent` and the user's
/// headers; `Content-Length`, `Connection: close` (on a connection's last
/// request) and the body follow. Without dynamic values the whole request
/// is rendered here, once, and written as is for every request.
#[derive(Clone, Debug)]
pub(crate) struct HttpRequest {
    head: Template,
    body: Template,
    /// Send our Content-Length (the rendered body's length).
    length: bool,
    /// Say `Connection: close` on a connection's last request: the user
    /// has not set a Connection header of their own.
    may_close: bool,
    /// HEAD responses carry no body, whatever their headers say.
    pub(crate) is_head: bool,
    /// What is kept of its replies (`RequestSpec::capture`).
    pub(crate) keep: Keep,
    /// The whole request, when nothing in it is dynamic: kept alive, and
    /// closing (built only when a run asks for it).
    fixed: Option<(Vec<u8>, Option<Vec<u8>>)>,
}

impl HttpRequest {
    /// Encode `spec` for the wire. `closing`: the run closes connections
    /// after some requests (`--no-keepalive`, `--requests-per-conn`), so the
    /// closing form is prepared too. Errors are the user's: a dynamic
    /// value that does not parse, or a Content-Length set by hand on a
    /// body whose length changes.
    pub(crate) fn new(spec: &RequestSpec, closing: bool) -> Result<HttpRequest, String> {
        let headers = &spec.headers;
        let overrides = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let mut head = format!("{} {} HTTP/1.1\r\n", spec.method, spec.target);
        if !overrides("host") {
            head.push_str(&format!("Host: {}\r\n", spec.authority));
        }
        if !overrides("user-agent") {
            head.push_str(&format!("User-Agent: {USER_AGENT}\r\n"));
        }
        for (name, value) in sent(headers) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let head = Template::parse_with(head.as_bytes(), &spec.values)?;
        let body = Template::parse_with(&spec.body, &spec.values)?;
        if !body.is_static() && overrides("content-length") {
            return Err(
                "a Content-Length header cannot go with a body that holds dynamic values; \
                        leave it out and stampede sends the right one"
                    .into(),
            );
        }
        let mut request = HttpRequest {
            length: wants_length(&spec.method, &spec.body)
                && !overrides("content-length")
                && !overrides("transfer-encoding"),
            may_close: !overrides("connection"),
            is_head: spec.method == "HEAD",
            keep: Keep::of(spec.capture.as_ref()),
            head,
            body,
            fixed: None,
        };
        if request.head.is_static() && request.body.is_static() {
            // Static templates draw nothing from the generator.
            let render = |close| {
                let (mut out, mut scratch) = (Vec::new(), Vec::new());
                request.render(
                    &mut Values::new(&mut Rng::new(0)),
                    &mut out,
                    &mut scratch,
                    close,
                );
                out
            };
            let keep = render(false);
            let close = closing.then(|| render(true));
            request.fixed = Some((keep, close));
        }
        Ok(request)
    }

    /// The request's bytes when they are the same every time: None when it
    /// holds dynamic values (see `render`).
    pub(crate) fn fixed(&self, close: bool) -> Option<&[u8]> {
        let (keep, closing) = self.fixed.as_ref()?;
        Some(if close {
            closing.as_deref().unwrap_or(keep)
        } else {
            keep
        })
    }

    /// Render one request into `out` (cleared first); `scratch` holds the
    /// body while its length is written. Neither allocates once warm.
    /// `close`: this is the connection's last request.
    pub(crate) fn render(
        &self,
        values: &mut Values<'_>,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
        close: bool,
    ) {
        scratch.clear();
        self.body.render(values, scratch);
        out.clear();
        self.head.render(values, out);
        if let Some(cookies) = values.cookies() {
            add_cookies(out, cookies);
        }
        if self.length {
            out.extend_from_slice(b"Content-Length: ");
            push_decimal(out, scratch.len() as u64);
            out.extend_from_slice(b"\r\n");
        }
        if close && self.may_close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(scratch);
    }
}

/// The user's headers that go on the wire. An empty value is not sent: it
/// removes ours and every header of that name before it (a scenario's, when
/// it comes from `-H`).
fn sent(headers: &[(String, String)]) -> impl Iterator<Item = &(String, String)> {
    headers.iter().enumerate().filter_map(|(i, header)| {
        let removed = headers[i..]
            .iter()
            .any(|(name, value)| value.is_empty() && name.eq_ignore_ascii_case(&header.0));
        (!removed).then_some(header)
    })
}

/// Whether a request gets our Content-Length: it has a body, or its method
/// usually carries one (servers may refuse a POST without the header).
fn wants_length(method: &str, body: &[u8]) -> bool {
    !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH")
}

/// Check a method token (RFC 9110: tchar+). Upper case is the convention, not a rule.
pub(crate) fn validate_method(method: &str) -> Result<(), String> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || !method.bytes().all(tchar) {
        return Err(format!("bad HTTP method {method:?}"));
    }
    Ok(())
}

/// Parse `Name: value` as given to `-H`.
pub(crate) fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("bad header {text:?}: expected \"Name: value\""))?;
    let name = name.trim();
    if validate_method(name).is_err() {
        return Err(format!(
            "bad header {text:?}: {name:?} is not a valid header name"
        ));
    }
    let value = value.trim();
    // RFC 9110 field values: visible characters, spaces and tabs (and bytes
    // past ASCII). CR and LF would end the header early; other controls and
    // DEL are invalid, and servers differ on what they make of them.
    if let Some(b) = value.bytes().find(|&b| b.is_ascii_control() && b != b'\t') {
        let what = match b {
            b'\r' | b'\n' => "a line break".to_string(),
            _ => format!("the control character 0x{b:02X}"),
        };
        return Err(format!("bad header {text:?}: the value holds {what}"));
    }
    let framing = ["host", "content-length", "transfer-encoding"];
    if value.is_empty() && framing.iter().any(|f| name.eq_ignore_ascii_case(f)) {
        return Err(format!(
            "bad header {text:?}: {name} cannot be removed; HTTP/1.1 requests need Host and their body's length"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> RequestSpec {
        RequestSpec {
            method: method.into(),
            authority: "h:1".into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
            values: Vec::new(),
            capture: None,
        }
    }

    /// The bytes of a request without dynamic values, kept alive or closing.
    fn wire(spec: &RequestSpec, close: bool) -> String {
        let request = HttpRequest::new(spec, true).unwrap();
        String::from_utf8(request.fixed(close).unwrap().to_vec()).unwrap()
    }

    /// One rendering of a request with dynamic values.
    fn rendered(spec: &RequestSpec, close: bool) -> String {
        let request = HttpRequest::new(spec, true).unwrap();
        assert!(request.fixed(close).is_none());
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        request.render(
            &mut Values::new(&mut Rng::new(1)),
            &mut out,
            &mut scratch,
            close,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn encodes_get_without_content_length() {
        let text = wire(&spec("GET", "/x", &[("Accept", "*/*")], b""), false);
        assert_eq!(
            text,
            format!(
                "GET /x HTTP/1.1\r\nHost: h:1\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n\r\n"
            )
        );
        assert!(
            !HttpRequest::new(&spec("GET", "/", &[], b""), false)
                .unwrap()
                .is_head
        );
    }

    #[test]
    fn a_connections_last_request_says_close_unless_the_user_set_connection() {
        let closing = wire(&spec("GET", "/", &[("User-Agent", "")], b""), true);
        assert_eq!(
            closing,
            "GET / HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\n\r\n"
        );
        let theirs = spec(
            "GET",
            "/",
            &[("User-Agent", ""), ("Connection", "keep-alive")],
            b"",
        );
        assert_eq!(
            wire(&theirs, true),
            "GET / HTTP/1.1\r\nHost: h:1\r\nConnection: keep-alive\r\n\r\n"
        );
        let dynamic = spec("POST", "/{{$randomInt 7 7}}", &[("User-Agent", "")], b"ab");
        assert_eq!(
            rendered(&dynamic, true),
            "POST /7 HTTP/1.1\r\nHost: h:1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"
        );
        // Without a closing run, the closing form is the kept-alive one.
        let request = HttpRequest::new(&spec("GET", "/", &[], b""), false).unwrap();
        assert_eq!(request.fixed(true), request.fixed(false));
    }

    #[test]
    fn an_empty_header_removes_ours_and_is_not_sent() {
        let headers = [("user-agent", ""), ("X-Empty", "")];
        assert_eq!(
            wire(&spec("GET", "/x", &headers, b""), false),
            "GET /x HTTP/1.1\r\nHost: h:1\r\n\r\n"
        );
        assert_eq!(
            rendered(&spec("GET", "/{{$randomInt 1 1}}", &headers, b""), false),
            "GET /1 HTTP/1.1\r\nHost: h:1\r\n\r\n"
        );
        assert_eq!(
            parse_header("User-Agent:").unwrap(),
            ("User-Agent".into(), "".into())
        );
        for framing in ["content-length: ", "Transfer-Encoding:", "HOST:"] {
            assert!(
                parse_header(framing)
                    .unwrap_err()
                    .contains("cannot be removed")
            );
        }
    }

    #[test]
    fn an_empty_header_also_removes_earlier_ones_of_that_name() {
        let headers = [
            ("X-Token", "a"),
            ("Accept", "*/*"),
            ("x-token", ""),
            ("X-Token", "b"),
        ];
        let expected = format!(
            "GET / HTTP/1.1\r\nHost: h:1\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nX-Token: b\r\n\r\n"
        );
        assert_eq!(wire(&spec("GET", "/", &headers, b""), false), expected);
    }

    #[test]
    fn encodes_post_with_body_and_length() {
        assert!(
            wire(&spec("POST", "/", &[], b"abc"), false).ends_with("Content-Length: 3\r\n\r\nabc")
        );
        assert!(wire(&spec("POST", "/", &[], b""), false).ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn user_headers_replace_ours() {
        let headers = [("host", "other"), ("User-Agent", "me")];
        assert_eq!(
            wire(&spec("GET", "/", &headers, b""), false),
            "GET / HTTP/1.1\r\nhost: other\r\nUser-Agent: me\r\n\r\n"
        );
    }

    #[test]
    fn transfer_encoding_replaces_our_length() {
        let headers = [("Transfer-Encoding", "chunked")];
        let text = wire(
            &spec("POST", "/", &headers, b"3\r\nabc\r\n0\r\n\r\n"),
            false,
        );
        assert!(!text.contains("Content-Length"));
    }

    #[test]
    fn dynamic_bodies_get_their_own_length() {
        let request =
            HttpRequest::new(&spec("POST", "/", &[], b"n={{$randomInt 1 100000}}"), false).unwrap();
        let (mut out, mut scratch, mut rng) = (Vec::new(), Vec::new(), Rng::new(1));
        for _ in 0..50 {
            request.render(&mut Values::new(&mut rng), &mut out, &mut scratch, false);
            let text = String::from_utf8(out.clone()).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert!(
                head.ends_with(&format!("Content-Length: {}", body.len())),
                "{text}"
            );
        }
        let fixed = spec("POST", "/", &[("Content-Length", "5")], b"{{$uuid}}");
        assert!(
            HttpRequest::new(&fixed, false)
                .unwrap_err()
                .contains("Content-Length")
        );
        let plain = HttpRequest::new(&spec("GET", "/plain", &[], b""), false).unwrap();
        assert!(plain.fixed(false).is_some(), "nothing dynamic");
    }

    #[test]
    fn head_is_flagged() {
        assert!(
            HttpRequest::new(&spec("HEAD", "/", &[], b""), false)
                .unwrap()
                .is_head
        );
    }

    #[test]
    fn parses_and_rejects_headers() {
        assert_eq!(
            parse_header("X-A:  b c ").unwrap(),
            ("X-A".into(), "b c".into())
        );
        assert_eq!(parse_header("X: a:b").unwrap(), ("X".into(), "a:b".into()));
        assert!(parse_header("nocolon").is_err());
        assert!(parse_header("bad name: x").is_err());
        assert!(parse_header(": x").is_err());
        assert!(parse_header("X: a\r\nY: b").is_err());
    }

    #[test]
    fn values_hold_no_control_characters_but_tabs() {
        assert_eq!(
            parse_header("X: a\tb").unwrap(),
            ("X".into(), "a\tb".into())
        );
        assert_eq!(
            parse_header("X: caf\u{e9}").unwrap(),
            ("X".into(), "caf\u{e9}".into())
        );
        for (text, what) in [
            ("X: a\u{1}b", "the control character 0x01"),
            ("X: a\u{0}b", "the control character 0x00"),
            ("X: a\u{1b}[31m", "the control character 0x1B"),
            ("X: a\u{7f}", "the control character 0x7F"),
            ("X: a\nb", "a line break"),
        ] {
            let e = parse_header(text).unwrap_err();
            assert!(e.ends_with(&format!("the value holds {what}")), "{e}");
            assert!(!e.contains('\n') && !e.contains('\u{1}'), "{e}");
        }
        assert!(
            parse_header("X\u{1}: a")
                .unwrap_err()
                .contains("not a valid header name")
        );
    }

    #[test]
    fn methods_are_tokens() {
        assert!(validate_method("GET").is_ok());
        assert!(validate_method("M-SEARCH").is_ok());
        assert!(validate_method("").is_err());
        assert!(validate_method("GE T").is_err());
    }
}
