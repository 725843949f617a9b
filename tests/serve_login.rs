//! The real `stampede serve`'s login routes, driven by `stampede run` and
//! by a raw client: `POST /api/login` answers a token and a session
//! cookie, `GET /api/me` wants one of them back.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const LOGIN: &str = r#"{"user": "ann", "password": "pw-ann"}"#;

/// `stampede run URL` with `extra` flags; every row's status.
fn statuses(name: &str, url: &str, extra: &[&str]) -> Vec<u16> {
    let (out, rows, _) = run_recorded(name, url, extra);
    assert_eq!(out.code, 0, "{name}: {}", out.stderr);
    rows.iter().map(|r| r.status).collect()
}

/// Log in with `body` over a fresh connection; the whole response.
fn raw_login(base: &str, body: &str) -> String {
    let addr = base.strip_prefix("http://").unwrap();
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn logins_answer_200_and_wrong_passwords_401() {
    let (serve, base) = start_serve();
    let url = format!("{base}/api/login");
    let json = ["-m", "POST", "-H", "Content-Type: application/json"];
    let run = |name: &str, body: &str| {
        let mut args = json.to_vec();
        args.extend(["-b", body, "-n", "5", "-c", "2"]);
        statuses(name, &url, &args)
    };
    assert_eq!(run("login-ok", LOGIN), [200; 5]);
    let wrong = LOGIN.replace("pw-ann", "pw-bob");
    assert_eq!(run("login-wrong", &wrong), [401; 5]);
    assert_eq!(run("login-malformed", r#"{"user": "ann"}"#), [400; 5]);
    let counts = stop_serve(serve);
    assert_eq!(counts.requests, 15);
}

#[test]
fn me_wants_the_token_or_the_cookie() {
    let (serve, base) = start_serve();
    let response = raw_login(&base, LOGIN);
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let cookie_line = response
        .lines()
        .find_map(|line| line.strip_prefix("Set-Cookie: "))
        .unwrap();
    let token = cookie_line
        .strip_prefix("session=")
        .and_then(|rest| rest.strip_suffix("; Path=/; HttpOnly"))
        .unwrap();
    assert!(
        response.ends_with(&format!(r#"{{"token":"{token}","user":"ann"}}"#)),
        "{response}"
    );
    let url = format!("{base}/api/me");
    let n = ["-n", "5", "-c", "2"];
    assert_eq!(statuses("me-none", &url, &n), [401; 5]);
    let bearer = format!("Authorization: Bearer {token}");
    let cookie = format!("Cookie: session={token}");
    let forged = format!("Authorization: Bearer {}", token.replacen("ann", "amm", 1));
    for (name, header, want) in [
        ("me-bearer", bearer, 200),
        ("me-cookie", cookie, 200),
        ("me-forged", forged, 401),
    ] {
        let mut args = n.to_vec();
        args.extend(["-H", &header]);
        assert_eq!(statuses(name, &url, &args), [want; 5], "{name}");
    }
    let counts = stop_serve(serve);
    assert_eq!(counts.requests, 21);
}
