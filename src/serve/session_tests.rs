use super::*;
use crate::serve::request::{Parsed, parse};
use crate::serve::response::render as render_reply;
use crate::serve::routes::route;

/// The status and the rendered response to `request`.
fn answer(request: &str, tls: bool) -> (u16, String) {
    let Parsed::Head(head) = parse(request.as_bytes()) else {
        panic!("bad test request {request:?}");
    };
    let reply = route(&head, request.as_bytes(), tls);
    let mut out = Vec::new();
    render_reply(&reply, request.as_bytes(), &mut out);
    (reply.status, String::from_utf8(out).unwrap())
}

fn login_request(body: &str) -> String {
    format!(
        "POST /api/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn login(body: &str) -> (u16, String) {
    answer(&login_request(body), false)
}

/// The token of a successful login of `user`.
fn token(user: &str) -> String {
    let (status, text) = login(&format!(r#"{{"user": "{user}", "password": "pw-{user}"}}"#));
    assert_eq!(status, 200, "{text}");
    let start = text.find(r#"{"token":""#).unwrap() + 10;
    let end = start + text[start..].find('"').unwrap();
    text[start..end].to_string()
}

fn me(headers: &str) -> (u16, String) {
    answer(&format!("GET /api/me HTTP/1.1\r\n{headers}\r\n"), false)
}

#[test]
fn a_login_answers_a_token_and_sets_the_cookie() {
    let (status, text) = login(r#"{"user":"alice","password":"pw-alice"}"#);
    assert_eq!(status, 200);
    let token = token("alice");
    assert!(
        token.starts_with("alice.") && token.len() == 6 + 16,
        "{token}"
    );
    let body = format!(r#"{{"token":"{token}","user":"alice"}}"#);
    assert!(text.ends_with(&format!("\r\n\r\n{body}")), "{text}");
    assert!(text.contains(&format!("Content-Length: {}\r\n", body.len())));
    assert!(text.contains("Content-Type: application/json\r\n"));
    let cookie = format!("Set-Cookie: session={token}; Path=/; HttpOnly\r\n");
    assert!(text.contains(&cookie), "{text}");
    // The same user gets the same token: nothing is kept per login.
    assert_eq!(self::token("alice"), token);
    assert_ne!(self::token("bob"), token);
}

#[test]
fn over_https_the_cookie_is_secure() {
    let request = login_request(r#"{"user":"a","password":"pw-a"}"#);
    let (status, text) = answer(&request, true);
    assert_eq!(status, 200);
    assert!(text.contains("; Path=/; HttpOnly; Secure\r\n"), "{text}");
}

#[test]
fn login_refusals() {
    let long = "u".repeat(USER_MAX + 1);
    let longest = "u".repeat(USER_MAX);
    let cases: &[(&str, u16)] = &[
        (r#"{"user":"a","password":"pw-b"}"#, 401),
        (r#"{"user":"a","password":""}"#, 401),
        (r#"{"user":"a","password":"PW-a"}"#, 401),
        // Escapes are not decoded: `\u0061` is not `a`.
        (r#"{"user":"a","password":"pw-\u0061"}"#, 401),
        (r#"{"user":"","password":"pw-"}"#, 400),
        (r#"{"user":"a b","password":"pw-a b"}"#, 400),
        (r#"{"user":"a\"","password":"pw-a\""}"#, 400),
        (r#"{"user":"é","password":"pw-é"}"#, 400),
        (r#"{"user":"a"}"#, 400),
        (r#"{"password":"pw-a"}"#, 400),
        (r#"{"user":"a","user":"a","password":"pw-a"}"#, 400),
        (r#"{"user":"a","password":"pw-a","remember":true}"#, 400),
        (r#"{"user":"a","password":"pw-a"} x"#, 400),
        (r#"["a","pw-a"]"#, 400),
        ("", 400),
        ("not json", 400),
    ];
    for (body, want) in cases {
        let (status, text) = login(body);
        assert_eq!(status, *want, "{body}: {text}");
        assert!(!text.contains("Set-Cookie"), "{body}");
        if status == 401 {
            assert!(text.contains("WWW-Authenticate: Bearer\r\n"), "{text}");
        }
    }
    let body = format!(r#"{{"user":"{long}","password":"pw-{long}"}}"#);
    assert_eq!(login(&body).0, 400);
    let body = format!(r#"{{"user":"{longest}","password":"pw-{longest}"}}"#);
    assert_eq!(login(&body).0, 200);
    let padded = format!(
        r#"{{"user":"a","password":"pw-a"}}{}"#,
        " ".repeat(LOGIN_BODY_MAX)
    );
    assert_eq!(login(&padded).0, 413);
    assert_eq!(login(&padded[..LOGIN_BODY_MAX]).0, 200);
}

#[test]
fn json_objects_of_strings() {
    let ok: &[(&str, (&str, &str))] = &[
        (r#"{"user":"a","password":"b"}"#, ("a", "b")),
        (
            " \r\n\t{ \"password\" : \"b\" ,\n\"user\":\"a\" } \n",
            ("a", "b"),
        ),
        (
            r#"{"x":"\"\\\/\b\f\n\r\t\u00e9","user":"a","password":"b"}"#,
            ("a", "b"),
        ),
        (
            r#"{"user":"a\"b","password":"\u0041"}"#,
            (r#"a\"b"#, r#"\u0041"#),
        ),
    ];
    for (body, (user, password)) in ok {
        let got = credentials(body.as_bytes());
        assert_eq!(got, Some((user.as_bytes(), password.as_bytes())), "{body}");
    }
    for bad in [
        "{",
        "{}",
        r#"{"user":"a","password":"b""#,
        r#"{"user":"a","password":"b",}"#,
        r#"{"user":"a" "password":"b"}"#,
        r#"{"user":"a","password":"b"}}"#,
        r#"{"user":"a\x","password":"b"}"#,
        r#"{"user":"a\u00g0","password":"b"}"#,
        r#"{"user":"a\u00","password":"b"}"#,
        "{\"user\":\"a\nb\",\"password\":\"b\"}",
        r#"{"user":"a","password":"b\"#,
        r#"{"user":"a","password":null}"#,
        r#"{user:"a","password":"b"}"#,
    ] {
        assert_eq!(credentials(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn me_takes_a_bearer_token_or_the_cookie() {
    let token = token("carol");
    let body = r#"{"user":"carol"}"#;
    for headers in [
        format!("Authorization: Bearer {token}\r\n"),
        format!("authorization:   bearer \t{token} \r\n"),
        format!("Cookie: session={token}\r\n"),
        format!("Cookie: a=b;session={token} ; c=d\r\n"),
        format!("Cookie: session=nope; session={token}\r\n"),
        format!("Authorization: Basic eDp5\r\nCookie: x=1\r\nCookie: session={token}\r\n"),
    ] {
        let (status, text) = me(&headers);
        assert_eq!(status, 200, "{headers}: {text}");
        assert!(text.ends_with(&format!("\r\n\r\n{body}")), "{text}");
        assert!(!text.contains("Set-Cookie"));
    }
    let (status, text) = answer(
        &format!("HEAD /api/me HTTP/1.1\r\nCookie: session={token}\r\n\r\n"),
        false,
    );
    assert_eq!(status, 200);
    assert!(
        text.ends_with(&format!("Content-Length: {}\r\n\r\n", body.len())),
        "{text}"
    );
}

#[test]
fn me_refuses_anything_else() {
    let eve = token("eve");
    let token = token("dave");
    let (user, mac) = token.split_once('.').unwrap();
    let forged_user = format!("davf.{mac}");
    let upper = format!("{user}.{}", mac.to_uppercase());
    let other = format!("{}.{mac}", eve.split_once('.').unwrap().0);
    let long = format!("{}.{mac}", "u".repeat(USER_MAX + 1));
    for headers in [
        String::new(),
        format!("Authorization: {token}\r\n"),
        format!("Authorization: Basic {token}\r\n"),
        format!("Authorization: Bearer{token}\r\n"),
        format!("Authorization: Bearer {forged_user}\r\n"),
        format!("Authorization: Bearer {upper}\r\n"),
        format!("Authorization: Bearer {other}\r\n"),
        format!("Authorization: Bearer {long}\r\n"),
        format!("Authorization: Bearer {token}x\r\n"),
        format!("Authorization: Bearer {user}\r\n"),
        "Authorization: Bearer .\r\n".to_string(),
        "Authorization: Bearer \r\n".to_string(),
        format!("Cookie: sessions={token}\r\n"),
        format!("Cookie: session=\"{token}\"\r\n"),
        format!("X-Session: {token}\r\n"),
    ] {
        let (status, text) = me(&headers);
        assert_eq!(status, 401, "{headers:?}: {text}");
        assert!(text.contains("WWW-Authenticate: Bearer\r\n"), "{text}");
        assert!(text.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{text}");
    }
}
