//! A user's cookies put into a request's head as `HttpRequest::render`
//! renders it: a `Cookie:` header after the others, or, when the
//! scenario's request has a `Cookie` header of its own, added at the end of
//! it (a request carries one Cookie header, RFC 6265 5.4).

use super::CookieView;

/// Add the user's cookies that go with the request whose head is `head`:
/// its request line and header lines, each ending in CRLF, without the
/// blank line yet. Nothing changes when none goes with it. Allocates
/// nothing but `head` growing.
pub(crate) fn add_cookies(head: &mut Vec<u8>, cookies: CookieView<'_>) {
    let line_end = |at: usize| {
        head[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(head.len(), |n| at + n)
    };
    let request_line = &head[..line_end(0)];
    let target = request_line
        .split(|&b| b == b' ')
        .nth(1)
        .unwrap_or_default();
    let chosen = cookies.jar.choose(cookies.site, target, cookies.now);
    if chosen.is_empty() {
        return;
    }
    // Where the cookies go, and what goes around them.
    let mut at = (head.len(), &b"Cookie: "[..], &b"\r\n"[..]);
    let mut line = line_end(0) + 2;
    while line < head.len() {
        let end = line_end(line);
        let field = &head[line..end];
        if let Some(colon) = field.iter().position(|&b| b == b':')
            && field[..colon].eq_ignore_ascii_case(b"cookie")
        {
            let theirs = !field[colon + 1..].trim_ascii().is_empty();
            at = (end, if theirs { &b"; "[..] } else { &b""[..] }, &b""[..]);
            break;
        }
        line = end + 2;
    }
    let (at, before, after) = at;
    let added = head.len();
    head.extend_from_slice(before);
    cookies.jar.write(chosen, head);
    head.extend_from_slice(after);
    // Moved into place behind what follows it, in place.
    let moved = head.len() - added;
    head[at..].rotate_right(moved);
}

#[cfg(test)]
mod tests {
    use super::super::{CookieJar, CookieView, Site};
    use super::add_cookies;

    const NOW: i64 = 1_796_140_800;

    /// `head` with the cookies of a jar that took `set` from a reply to
    /// `/` on `h` over http.
    fn with(head: &str, set: &[&str]) -> String {
        let site = Site::new("h", false);
        let mut jar = CookieJar::default();
        for value in set {
            jar.store(&site, b"/", value.as_bytes(), NOW);
        }
        let mut out = head.as_bytes().to_vec();
        let view = CookieView {
            jar: &jar,
            site: &site,
            now: NOW,
        };
        add_cookies(&mut out, view);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_cookie_header_goes_after_the_others() {
        assert_eq!(
            with("GET / HTTP/1.1\r\nHost: h\r\n", &["a=1", "b=2"]),
            "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2\r\n"
        );
        assert_eq!(
            with("POST /x HTTP/1.1\r\nHost: h\r\nX-A: b\r\n", &["s=t"]),
            "POST /x HTTP/1.1\r\nHost: h\r\nX-A: b\r\nCookie: s=t\r\n"
        );
        // A head of only its request line.
        assert_eq!(
            with("GET / HTTP/1.1\r\n", &["a=1"]),
            "GET / HTTP/1.1\r\nCookie: a=1\r\n"
        );
    }

    #[test]
    fn the_requests_own_cookie_header_gets_them_appended() {
        assert_eq!(
            with(
                "GET / HTTP/1.1\r\nHost: h\r\nCookie: mine=1\r\nAccept: */*\r\n",
                &["a=1"]
            ),
            "GET / HTTP/1.1\r\nHost: h\r\nCookie: mine=1; a=1\r\nAccept: */*\r\n"
        );
        assert_eq!(
            with("GET / HTTP/1.1\r\ncookie:mine=1\r\n", &["a=1", "b=2"]),
            "GET / HTTP/1.1\r\ncookie:mine=1; a=1; b=2\r\n"
        );
        assert_eq!(
            with("GET / HTTP/1.1\r\nCOOKIE: \r\n", &["a=1"]),
            "GET / HTTP/1.1\r\nCOOKIE: a=1\r\n"
        );
        // Only the first of several, and not a header that merely starts
        // so, nor the request line.
        assert_eq!(
            with(
                "GET /cookie:x HTTP/1.1\r\nCookie2: x\r\nCookie: m\r\nCookie: n\r\n",
                &["a=1"]
            ),
            "GET /cookie:x HTTP/1.1\r\nCookie2: x\r\nCookie: m; a=1\r\nCookie: n\r\n"
        );
    }

    #[test]
    fn the_request_lines_target_chooses_them() {
        let set = ["root=1", "api=2; Path=/api", "secure=3; Secure"];
        let head = |target: &str| format!("GET {target} HTTP/1.1\r\nHost: h\r\n");
        assert_eq!(
            with(&head("/api/me?x=1"), &set),
            head("/api/me?x=1") + "Cookie: api=2; root=1\r\n"
        );
        assert_eq!(
            with(&head("/apix"), &set),
            head("/apix") + "Cookie: root=1\r\n"
        );
        // None goes: the head is as it was.
        assert_eq!(with(&head("/"), &["api=2; Path=/api"]), head("/"));
        assert_eq!(with(&head("/"), &["secure=3; Secure"]), head("/"));
        // No target, no path: no cookie.
        for odd in ["", "GET\r\n", "GET  HTTP/1.1\r\n", "\r\n"] {
            assert_eq!(with(odd, &["root=1"]), odd, "{odd:?}");
        }
    }
}
