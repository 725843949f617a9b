//! A user's cookies put into a request encoded for the wire
//! (`http::request::HttpRequest`, fixed or rendered): a `Cookie:` header
//! before the blank line that ends the head, or, when the scenario's
//! request has a `Cookie` header of its own, added at the end of it (a
//! request carries one Cookie header, RFC 6265 5.4).

/// Append `request` (a whole HTTP/1.1 request: its head, ending in a blank
/// line, then its body) to `out`, with `cookies` (a `Cookie` header's
/// value, `a=1; b=2`) in its head. Without cookies, or without a head's
/// end, the request goes as it is.
pub(crate) fn push_with_cookies(out: &mut Vec<u8>, request: &[u8], cookies: &[u8]) {
    let head_end = request.windows(4).position(|w| w == b"\r\n\r\n");
    let Some(head_end) = head_end.filter(|_| !cookies.is_empty()) else {
        out.extend_from_slice(request);
        return;
    };
    // The head's lines, each ending in CRLF, the blank one left out.
    let head = &request[..head_end + 2];
    let first_header = head.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
    let mut at = first_header;
    while at < head.len() {
        let line_end = at
            + head[at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .unwrap_or(0);
        let line = &head[at..line_end];
        if let Some(colon) = line.iter().position(|&b| b == b':')
            && line[..colon].eq_ignore_ascii_case(b"cookie")
        {
            out.extend_from_slice(&request[..line_end]);
            if !line[colon + 1..].trim_ascii().is_empty() {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(cookies);
            out.extend_from_slice(&request[line_end..]);
            return;
        }
        at = line_end + 2;
    }
    out.extend_from_slice(head);
    out.extend_from_slice(b"Cookie: ");
    out.extend_from_slice(cookies);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&request[head.len()..]);
}

#[cfg(test)]
mod tests {
    use super::push_with_cookies;
    use crate::http::request::HttpRequest;
    use crate::plan::RequestSpec;
    use crate::rng::Rng;

    fn with(request: &str, cookies: &str) -> String {
        let mut out = b"before|".to_vec();
        push_with_cookies(&mut out, request.as_bytes(), cookies.as_bytes());
        let out = String::from_utf8(out).unwrap();
        out.strip_prefix("before|").unwrap().to_string()
    }

    #[test]
    fn a_cookie_header_goes_before_the_blank_line() {
        assert_eq!(
            with("GET / HTTP/1.1\r\nHost: h\r\n\r\n", "a=1; b=2"),
            "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2\r\n\r\n"
        );
        assert_eq!(
            with(
                "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\n\r\n\r\nbody",
                "s=t"
            ),
            "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\nCookie: s=t\r\n\r\n\r\n\r\nbody"
        );
        // A head of only its request line.
        assert_eq!(
            with("GET / HTTP/1.1\r\n\r\n", "a=1"),
            "GET / HTTP/1.1\r\nCookie: a=1\r\n\r\n"
        );
    }

    #[test]
    fn the_requests_own_cookie_header_gets_them_appended() {
        assert_eq!(
            with(
                "GET / HTTP/1.1\r\nHost: h\r\nCookie: mine=1\r\nAccept: */*\r\n\r\nx",
                "a=1"
            ),
            "GET / HTTP/1.1\r\nHost: h\r\nCookie: mine=1; a=1\r\nAccept: */*\r\n\r\nx"
        );
        assert_eq!(
            with("GET / HTTP/1.1\r\ncookie:mine=1\r\n\r\n", "a=1; b=2"),
            "GET / HTTP/1.1\r\ncookie:mine=1; a=1; b=2\r\n\r\n"
        );
        assert_eq!(
            with("GET / HTTP/1.1\r\nCOOKIE: \r\n\r\n", "a=1"),
            "GET / HTTP/1.1\r\nCOOKIE: a=1\r\n\r\n"
        );
        // Only the first of several, and not a header that merely starts
        // so, nor the body.
        assert_eq!(
            with(
                "GET / HTTP/1.1\r\nCookie2: x\r\nCookie: m\r\nCookie: n\r\n\r\nCookie: b",
                "a=1"
            ),
            "GET / HTTP/1.1\r\nCookie2: x\r\nCookie: m; a=1\r\nCookie: n\r\n\r\nCookie: b"
        );
        // The request line is not a header, whatever its target.
        assert_eq!(
            with("GET /cookie:x HTTP/1.1\r\nHost: h\r\n\r\n", "a=1"),
            "GET /cookie:x HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\n\r\n"
        );
    }

    #[test]
    fn without_cookies_or_a_head_the_request_is_unchanged() {
        for request in [
            "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\n",
            "",
        ] {
            assert_eq!(with(request, ""), request);
        }
        assert_eq!(with("GET / HTTP/1.1\r\n", "a=1"), "GET / HTTP/1.1\r\n");
        assert_eq!(with("\r\n\r\n", "a=1"), "\r\nCookie: a=1\r\n\r\n");
    }

    /// What the engine does: the request as `HttpRequest` encodes it,
    /// fixed or rendered, with the jar's cookies.
    #[test]
    fn goes_into_requests_as_encoded() {
        let spec = |target: &str, headers: &[(&str, &str)], body: &[u8]| RequestSpec {
            method: "POST".into(),
            authority: "h:1".into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
        };
        let plain = spec("/a", &[("User-Agent", "")], b"ab");
        let fixed = HttpRequest::new(&plain, true).unwrap();
        let mut out = Vec::new();
        push_with_cookies(&mut out, fixed.fixed(true).unwrap(), b"s=1");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /a HTTP/1.1\r\nHost: h:1\r\nContent-Length: 2\r\nConnection: close\r\nCookie: s=1\r\n\r\nab"
        );
        let dynamic = spec(
            "/{{$randomInt 5 5}}",
            &[("User-Agent", ""), ("Cookie", "theme=dark")],
            b"ab",
        );
        let request = HttpRequest::new(&dynamic, false).unwrap();
        let (mut rendered, mut scratch, mut out) = (Vec::new(), Vec::new(), Vec::new());
        request.render(&mut Rng::new(1), &mut rendered, &mut scratch, false);
        push_with_cookies(&mut out, &rendered, b"s=1");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /5 HTTP/1.1\r\nHost: h:1\r\nCookie: theme=dark; s=1\r\nContent-Length: 2\r\n\r\nab"
        );
    }
}
