//! A user's cookies in the bytes its exchange writes: a fixed request goes
//! from its encoded bytes, not a copy, until the user has cookies; then it
//! is rendered with them.

use super::super::exchange::Exchange;
use crate::dynamic::Values;
use crate::http::protocol::Http1;
use crate::http::request::HttpRequest;
use crate::journey::capture::Captured;
use crate::journey::cookies::Site;
use crate::journey::{Journey, User, UserView};
use crate::plan::RequestSpec;
use crate::rng::Rng;

fn request(target: &str, headers: &[(&str, &str)]) -> HttpRequest {
    let spec = RequestSpec {
        method: "GET".into(),
        authority: "h".into(),
        target: target.into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: Vec::new(),
        values: Vec::new(),
        capture: None,
    };
    HttpRequest::new(&spec, false).unwrap()
}

/// What an exchange stages for `user`'s `request`, and whether it is the
/// request's own encoded bytes.
fn staged(journey: &Journey, user: &User, request: &HttpRequest) -> (String, bool) {
    let (mut rng, mut scratch) = (Rng::new(1), Vec::new());
    let mut values = Values::of_user(&mut rng, Some(UserView::of(user, journey)));
    let mut exchange = Exchange::new(&Http1);
    exchange.push(0, request, &mut values, &mut scratch, false, false);
    let bytes = exchange.unwritten();
    let own = request.fixed(false).unwrap().as_ptr() == bytes.as_ptr();
    (String::from_utf8(bytes.to_vec()).unwrap(), own)
}

/// A reply that sets these cookies.
fn setting(cookies: &[&str]) -> Captured {
    let headers = cookies
        .iter()
        .map(|c| ("set-cookie".to_string(), c.as_bytes().to_vec()));
    Captured {
        status: 200,
        headers: headers.collect(),
        ..Captured::default()
    }
}

/// A run whose users keep cookies for `h`.
fn keeping_cookies() -> Journey {
    let mut journey = Journey::default();
    journey.cookies = Some(Site::new("h", false));
    journey
}

#[test]
fn a_users_cookies_go_in_its_requests() {
    let journey = keeping_cookies();
    let mut user = User::new(&journey);
    let plain = request("/api/me", &[("User-Agent", "")]);
    let theirs = request("/", &[("User-Agent", ""), ("Cookie", "theme=dark")]);
    assert_eq!(
        staged(&journey, &user, &plain),
        ("GET /api/me HTTP/1.1\r\nHost: h\r\n\r\n".into(), true),
        "no cookies yet: the encoded bytes themselves"
    );
    let login = setting(&["session=abc; Path=/", "deep=1"]);
    user.keep_cookies(&journey, "/login", &login);
    assert_eq!(
        staged(&journey, &user, &plain),
        (
            "GET /api/me HTTP/1.1\r\nHost: h\r\nCookie: session=abc; deep=1\r\n\r\n".into(),
            false
        )
    );
    assert_eq!(
        staged(&journey, &user, &theirs),
        (
            "GET / HTTP/1.1\r\nHost: h\r\nCookie: theme=dark; session=abc; deep=1\r\n\r\n".into(),
            false
        )
    );
    // A new user in the slot starts without them.
    user.reset();
    assert!(staged(&journey, &user, &plain).1);
    // Without cookies in the run, a user's jar is not read, nor filled.
    user.keep_cookies(&journey, "/", &setting(&["a=1"]));
    assert!(staged(&Journey::default(), &user, &plain).1);
    user.reset();
    user.keep_cookies(&Journey::default(), "/", &setting(&["a=1"]));
    assert!(user.jar.is_empty());
}

#[test]
fn the_default_path_of_a_target_with_values_is_taken_before_them() {
    let journey = keeping_cookies();
    let mut user = User::new(&journey);
    let target = "/users/{{login.response.body.$.id}}/x";
    user.keep_cookies(&journey, target, &setting(&["a=1"]));
    let below = request("/users/7/orders", &[("User-Agent", "")]);
    assert!(
        staged(&journey, &user, &below)
            .0
            .contains("Cookie: a=1\r\n")
    );
    // A user with cookies has its requests rendered, with those that fit.
    let beside = request("/usersx", &[("User-Agent", "")]);
    assert_eq!(
        staged(&journey, &user, &beside),
        ("GET /usersx HTTP/1.1\r\nHost: h\r\n\r\n".into(), false)
    );
}
