//! Requests are encoded to bytes once, before the run, and written again and
//! again from the same buffer.

use super::template::Template;
use crate::digits::push_decimal;
use crate::rng::Rng;

/// The value of our `User-Agent` header.
pub const USER_AGENT: &str = concat!("stampede/", env!("CARGO_PKG_VERSION"));

/// One request, ready for the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedRequest {
    pub bytes: Vec<u8>,
    /// HEAD responses carry no body, whatever their headers say.
    pub is_head: bool,
}

/// Encode `METHOD target HTTP/1.1`, `Host`, `User-Agent`, `Content-Length`
/// (when there is a body or the method usually carries one), then the user's
/// headers. A user header named Host, User-Agent or Content-Length replaces ours;
/// one with an empty value is not sent at all, so `User-Agent:` removes ours
/// (as in curl).
pub fn encode(
    method: &str,
    host: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> EncodedRequest {
    let overrides = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut out = Vec::with_capacity(128 + body.len());
    out.extend_from_slice(format!("{method} {target} HTTP/1.1\r\n").as_bytes());
    if !overrides("host") {
        out.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
    }
    if !overrides("user-agent") {
        out.extend_from_slice(format!("User-Agent: {USER_AGENT}\r\n").as_bytes());
    }
    if wants_length(method, body) && !overrides("content-length") && !overrides("transfer-encoding")
    {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    for (name, value) in sent(headers) {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    EncodedRequest {
        bytes: out,
        is_head: method == "HEAD",
    }
}

/// A request with dynamic values (`{{$uuid}}`, ...): its head up to the
/// user's headers, and its body, rendered anew for every request.
#[derive(Clone, Debug)]
pub struct DynamicRequest {
    /// Everything before `Content-Length`: request line, Host, User-Agent
    /// and the user's headers, each line ending in CRLF.
    pub head: Template,
    pub body: Template,
    /// Send a Content-Length header (the length is the rendered body's).
    pub length: bool,
    pub is_head: bool,
}

impl DynamicRequest {
    /// Build from the same parts as `encode`, with dynamic placeholders
    /// left in the text. Returns None when nothing in it is dynamic.
    pub fn parse(
        method: &str,
        host: &str,
        target: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Option<DynamicRequest>, String> {
        let overrides = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let mut head = format!("{method} {target} HTTP/1.1\r\n");
        if !overrides("host") {
            head.push_str(&format!("Host: {host}\r\n"));
        }
        if !overrides("user-agent") {
            head.push_str(&format!("User-Agent: {USER_AGENT}\r\n"));
        }
        for (name, value) in sent(headers) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let head = Template::parse(head.as_bytes())?;
        let body_template = Template::parse(body)?;
        if head.is_static() && body_template.is_static() {
            return Ok(None);
        }
        if !body_template.is_static() && overrides("content-length") {
            return Err(
                "a Content-Length header cannot go with a body that holds dynamic values; \
                        leave it out and stampede sends the right one"
                    .into(),
            );
        }
        let length = wants_length(method, body)
            && !overrides("content-length")
            && !overrides("transfer-encoding");
        Ok(Some(DynamicRequest {
            head,
            body: body_template,
            length,
            is_head: method == "HEAD",
        }))
    }

    /// Render one request into `out` (cleared first); `scratch` holds the
    /// body while its length is written. Neither allocates once warm.
    pub fn render(&self, rng: &mut Rng, out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        scratch.clear();
        self.body.render(rng, scratch);
        out.clear();
        self.head.render(rng, out);
        if self.length {
            out.extend_from_slice(b"Content-Length: ");
            push_decimal(out, scratch.len() as u64);
            out.extend_from_slice(b"\r\n");
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
pub fn validate_method(method: &str) -> Result<(), String> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || !method.bytes().all(tchar) {
        return Err(format!("bad HTTP method {method:?}"));
    }
    Ok(())
}

/// Parse `Name: value` as given to `-H`.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
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

    #[test]
    fn encodes_get_without_content_length() {
        let r = encode("GET", "h:1", "/x", &[("Accept".into(), "*/*".into())], b"");
        let text = String::from_utf8(r.bytes).unwrap();
        assert_eq!(
            text,
            format!(
                "GET /x HTTP/1.1\r\nHost: h:1\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n\r\n"
            )
        );
        assert!(!r.is_head);
    }

    #[test]
    fn an_empty_header_removes_ours_and_is_not_sent() {
        let headers = [
            ("user-agent".into(), String::new()),
            ("X-Empty".into(), String::new()),
        ];
        let r = encode("GET", "h:1", "/x", &headers, b"");
        assert_eq!(r.bytes, b"GET /x HTTP/1.1\r\nHost: h:1\r\n\r\n");
        let d = DynamicRequest::parse("GET", "h:1", "/{{$randomInt 1 1}}", &headers, b"")
            .unwrap()
            .unwrap();
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        d.render(&mut Rng::new(1), &mut out, &mut scratch);
        assert_eq!(out, b"GET /1 HTTP/1.1\r\nHost: h:1\r\n\r\n");
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
            ("X-Token".into(), "a".into()),
            ("Accept".into(), "*/*".into()),
            ("x-token".into(), String::new()),
            ("X-Token".into(), "b".into()),
        ];
        let r = encode("GET", "h", "/", &headers, b"");
        let expected = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nX-Token: b\r\n\r\n"
        );
        assert_eq!(String::from_utf8(r.bytes).unwrap(), expected);
    }

    #[test]
    fn encodes_post_with_body_and_length() {
        let r = encode("POST", "h", "/", &[], b"abc");
        assert!(r.bytes.ends_with(b"Content-Length: 3\r\n\r\nabc"));
        let empty = encode("POST", "h", "/", &[], b"");
        assert!(empty.bytes.ends_with(b"Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn user_headers_replace_ours() {
        let r = encode(
            "GET",
            "h",
            "/",
            &[
                ("host".into(), "other".into()),
                ("User-Agent".into(), "me".into()),
            ],
            b"",
        );
        let text = String::from_utf8(r.bytes).unwrap();
        assert_eq!(
            text,
            "GET / HTTP/1.1\r\nhost: other\r\nUser-Agent: me\r\n\r\n"
        );
    }

    #[test]
    fn transfer_encoding_replaces_our_length() {
        let headers = [("Transfer-Encoding".to_string(), "chunked".to_string())];
        let r = encode("POST", "h", "/", &headers, b"3\r\nabc\r\n0\r\n\r\n");
        assert!(
            !String::from_utf8(r.bytes)
                .unwrap()
                .contains("Content-Length")
        );
    }

    #[test]
    fn dynamic_bodies_get_their_own_length() {
        let d = DynamicRequest::parse("POST", "h", "/", &[], b"n={{$randomInt 1 100000}}")
            .unwrap()
            .unwrap();
        let (mut out, mut scratch, mut rng) = (Vec::new(), Vec::new(), Rng::new(1));
        for _ in 0..50 {
            d.render(&mut rng, &mut out, &mut scratch);
            let text = String::from_utf8(out.clone()).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert!(
                head.ends_with(&format!("Content-Length: {}", body.len())),
                "{text}"
            );
        }
        let fixed = [("Content-Length".to_string(), "5".to_string())];
        assert!(
            DynamicRequest::parse("POST", "h", "/", &fixed, b"{{$uuid}}")
                .unwrap_err()
                .contains("Content-Length")
        );
        assert!(
            DynamicRequest::parse("GET", "h", "/plain", &[], b"")
                .unwrap()
                .is_none(),
            "nothing dynamic"
        );
    }

    #[test]
    fn head_is_flagged() {
        assert!(encode("HEAD", "h", "/", &[], b"").is_head);
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
