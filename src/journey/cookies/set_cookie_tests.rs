use super::*;

const NOW: i64 = 1_796_140_800;

fn parse(text: &str) -> Option<SetCookie<'_>> {
    SetCookie::parse(text.as_bytes(), NOW)
}

fn cookie(text: &str) -> SetCookie<'_> {
    parse(text).unwrap_or_else(|| panic!("{text:?} is a cookie"))
}

#[test]
fn name_and_value_are_trimmed_and_attributes_optional() {
    let c = cookie("session=abc");
    assert_eq!((c.name, c.value), (&b"session"[..], &b"abc"[..]));
    assert_eq!(
        (c.expires, c.domain, c.path, c.secure),
        (None, None, None, false)
    );
    let c = cookie(" \tsid = a b \t; Path=/");
    assert_eq!((c.name, c.value), (&b"sid"[..], &b"a b"[..]));
    // The value runs to the first `;`, and may hold `=`, quotes and commas.
    let c = cookie("t=a=b==; x");
    assert_eq!(c.value, b"a=b==");
    assert_eq!(cookie("q=\"x,y\"").value, b"\"x,y\"");
    assert_eq!(cookie("e=").value, b"");
    assert_eq!(cookie("e=;").value, b"");
}

#[test]
fn what_is_not_a_cookie_is_none() {
    for text in [
        "",
        ";",
        "novalue",
        "novalue; Path=/",
        "=value",
        " =value",
        "\t=",
        "; a=b",
        "a\0b=c",
        "a=b\rc",
        "a=b\nSet-Cookie: c=d",
        "a=b; Path=/\u{1}",
        "a=b\u{7f}",
        "a=b; Expires=Wed, 09 Jun 2021 10:18:14 GMT\x0b",
    ] {
        assert_eq!(parse(text), None, "{text:?}");
    }
    // A tab is not a control here: it is whitespace.
    assert_eq!(cookie("a=b\tc").value, b"b\tc");
    // Bytes past ASCII are a value's like any other.
    assert_eq!(cookie("a=caf\u{e9}").value, "caf\u{e9}".as_bytes());
}

#[test]
fn the_size_of_name_and_value_is_bounded() {
    let at_limit = format!("n={}", "v".repeat(MAX_COOKIE_BYTES - 1));
    assert_eq!(cookie(&at_limit).value.len(), MAX_COOKIE_BYTES - 1);
    let over = format!("n={}", "v".repeat(MAX_COOKIE_BYTES));
    assert_eq!(parse(&over), None);
    let megabyte = format!("big={}; Path=/", "x".repeat(1 << 20));
    assert_eq!(parse(&megabyte), None);
    let long_name = format!("{}=1", "n".repeat(1 << 20));
    assert_eq!(parse(&long_name), None);
    // Attributes do not count, but a long Domain or Path is left out.
    let long_path = format!("a=1; Path=/{}", "p".repeat(MAX_ATTRIBUTE_BYTES));
    assert_eq!(cookie(&long_path).path, None);
    let path = format!("/{}", "p".repeat(MAX_ATTRIBUTE_BYTES - 1));
    assert_eq!(
        cookie(&format!("a=1; Path={path}")).path,
        Some(path.as_bytes())
    );
    let long_domain = format!("a=1; Domain=example.com; Domain={}.com", "d".repeat(1100));
    assert_eq!(cookie(&long_domain).domain, Some(&b"example.com"[..]));
}

#[test]
fn max_age_counts_from_now_and_wins_over_expires() {
    assert_eq!(cookie("a=1; Max-Age=60").expires, Some(NOW + 60));
    assert_eq!(cookie("a=1; max-age=0").expires, Some(EXPIRED));
    assert_eq!(cookie("a=1; MAX-AGE=-5").expires, Some(EXPIRED));
    assert_eq!(
        cookie("a=1; Max-Age=99999999999999999999999").expires,
        Some(i64::MAX)
    );
    let expires = "Expires=Wed, 09 Jun 2021 10:18:14 GMT";
    assert_eq!(
        cookie(&format!("a=1; {expires}")).expires,
        Some(1_623_233_894)
    );
    assert_eq!(
        cookie(&format!("a=1; Max-Age=10; {expires}")).expires,
        Some(NOW + 10)
    );
    assert_eq!(
        cookie(&format!("a=1; {expires}; Max-Age=10")).expires,
        Some(NOW + 10)
    );
    // The last that parses wins; one that does not is left out.
    assert_eq!(cookie("a=1; Max-Age=5; Max-Age=7").expires, Some(NOW + 7));
    for bad in ["", "-", "+5", "5s", "1e3", " 5 5", "0x10", "--1"] {
        assert_eq!(
            cookie(&format!("a=1; Max-Age=3; Max-Age={bad}")).expires,
            Some(NOW + 3),
            "{bad:?}"
        );
        assert_eq!(
            cookie(&format!("a=1; Max-Age={bad}")).expires,
            None,
            "{bad:?}"
        );
    }
    assert_eq!(cookie("a=1; Max-Age= 8 ").expires, Some(NOW + 8));
    assert_eq!(
        cookie("a=1; Max-Age=9223372036854775807").expires,
        Some(i64::MAX)
    );
}

#[test]
fn expires_takes_cookie_dates_and_ignores_the_rest() {
    assert_eq!(
        cookie("a=1; expires=Thu, 01 Jan 1970 00:00:00 GMT").expires,
        Some(0)
    );
    assert_eq!(
        cookie("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Expires=never").expires,
        Some(0)
    );
    for bad in ["", "never", "0", "Wed, 31 Jun 2021 10:18:14 GMT", "\u{ff}"] {
        assert_eq!(
            cookie(&format!("a=1; Expires={bad}")).expires,
            None,
            "{bad:?}"
        );
    }
}

#[test]
fn domain_loses_its_leading_dot_and_empty_is_ignored() {
    assert_eq!(
        cookie("a=1; Domain=Example.COM").domain,
        Some(&b"Example.COM"[..])
    );
    assert_eq!(
        cookie("a=1; domain=.example.com").domain,
        Some(&b"example.com"[..])
    );
    assert_eq!(cookie("a=1; Domain=").domain, None);
    assert_eq!(
        cookie("a=1; Domain=a.com; Domain=").domain,
        Some(&b"a.com"[..])
    );
    assert_eq!(
        cookie("a=1; Domain=a.com; Domain=b.com").domain,
        Some(&b"b.com"[..])
    );
    // Only one dot goes: `..x` keeps one, which matches no host.
    assert_eq!(cookie("a=1; Domain=..x").domain, Some(&b".x"[..]));
    assert_eq!(cookie("a=1; Domain=.").domain, Some(&b""[..]));
}

#[test]
fn path_must_start_with_a_slash() {
    assert_eq!(cookie("a=1; Path=/api").path, Some(&b"/api"[..]));
    assert_eq!(cookie("a=1; path = /api/ ").path, Some(&b"/api/"[..]));
    for default in ["", "api", "*", " "] {
        assert_eq!(
            cookie(&format!("a=1; Path={default}")).path,
            None,
            "{default:?}"
        );
    }
    assert_eq!(cookie("a=1; Path").path, None);
    // The last Path wins, even when it asks for the default.
    assert_eq!(cookie("a=1; Path=/x; Path=y").path, None);
    assert_eq!(cookie("a=1; Path=y; Path=/x").path, Some(&b"/x"[..]));
}

#[test]
fn flags_and_unknown_attributes() {
    assert!(cookie("a=1; Secure").secure);
    assert!(cookie("a=1;secure").secure);
    assert!(cookie("a=1; SECURE=no").secure, "a flag's value is ignored");
    assert!(!cookie("a=1; Secured").secure);
    assert!(!cookie("a=1; HttpOnly").secure);
    let all = cookie(
        "id=7; Path=/app; Domain=.example.com; Max-Age=3600; Secure; HttpOnly; \
         SameSite=Strict; Priority=High; Partitioned; =; ;; x=y=z",
    );
    assert_eq!(
        all,
        SetCookie {
            name: b"id",
            value: b"7",
            expires: Some(NOW + 3600),
            domain: Some(b"example.com"),
            path: Some(b"/app"),
            secure: true,
        }
    );
}
