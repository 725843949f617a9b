use super::set_cookie::MAX_COOKIE_BYTES;
use super::*;

const NOW: i64 = 1_796_140_800;

fn site(host: &str) -> Site {
    Site::new(host, false)
}

/// A jar that took these Set-Cookie values from replies to `target` on
/// `site`, at NOW.
fn jar(site: &Site, target: &str, set: &[&str]) -> CookieJar {
    let mut jar = CookieJar::default();
    for value in set {
        jar.store(site, target.as_bytes(), value.as_bytes(), NOW);
    }
    jar
}

/// The Cookie header the jar sends with a request to `target` at `now`.
fn sent(jar: &CookieJar, site: &Site, target: &str, now: i64) -> String {
    let mut out = b"before|".to_vec();
    let chosen = jar.choose(site, target.as_bytes(), now);
    if !chosen.is_empty() {
        jar.write(chosen, &mut out);
    }
    let out = String::from_utf8_lossy(&out).into_owned();
    out.strip_prefix("before|").unwrap().to_string()
}

#[test]
fn an_empty_jar_sends_nothing() {
    let empty = CookieJar::default();
    assert!(empty.is_empty());
    assert_eq!(sent(&empty, &site("h"), "/", NOW), "");
    let ignored = jar(&site("h"), "/", &["no value", "=x", ""]);
    assert!(ignored.is_empty());
    assert_eq!(sent(&ignored, &site("h"), "/", NOW), "");
}

#[test]
fn cookies_go_back_in_one_header() {
    let h = site("h");
    let jar = jar(
        &h,
        "/login",
        &["session=abc; Path=/; HttpOnly", "theme=dark"],
    );
    assert!(!jar.is_empty());
    assert_eq!(sent(&jar, &h, "/api/me", NOW), "session=abc; theme=dark");
    assert_eq!(sent(&jar, &h, "/", NOW), "session=abc; theme=dark");
}

#[test]
fn the_domain_must_be_the_hosts_or_a_parent() {
    let www = site("WWW.Example.com");
    let j = jar(
        &www,
        "/",
        &[
            "own=1",
            "parent=2; Domain=example.com",
            "dotted=3; Domain=.EXAMPLE.com",
            "self=4; Domain=www.example.com",
            "child=5; Domain=a.www.example.com",
            "other=6; Domain=other.com",
            "sibling=7; Domain=api.example.com",
            "suffix=8; Domain=ample.com",
        ],
    );
    assert_eq!(
        sent(&j, &www, "/", NOW),
        "own=1; parent=2; dotted=3; self=4"
    );
    // Host-only cookies go to their host only; Domain ones to subdomains too.
    let sub = site("a.www.example.com");
    assert_eq!(sent(&j, &sub, "/", NOW), "parent=2; dotted=3; self=4");
    assert_eq!(
        sent(&j, &site("example.com"), "/", NOW),
        "parent=2; dotted=3"
    );
    assert_eq!(sent(&j, &site("other.com"), "/", NOW), "");
    assert_eq!(
        sent(&j, &site("www.example.com"), "/", NOW),
        "own=1; parent=2; dotted=3; self=4"
    );
}

#[test]
fn an_ip_host_matches_only_itself() {
    let ip = site("127.0.0.1");
    let j = jar(
        &ip,
        "/",
        &[
            "a=1",
            "b=2; Domain=127.0.0.1",
            "c=3; Domain=0.0.1",
            "d=4; Domain=1",
        ],
    );
    assert_eq!(sent(&j, &ip, "/", NOW), "a=1; b=2");
    assert_eq!(sent(&j, &site("127.0.0.2"), "/", NOW), "");
    for host in ["::1", "[::1]", "[::1"] {
        let v6 = site(host);
        let j = jar(&v6, "/", &["a=1", "b=2; Domain=::1", "c=3; Domain=1"]);
        assert_eq!(sent(&j, &site("::1"), "/", NOW), "a=1; b=2", "{host}");
    }
}

#[test]
fn paths_default_to_the_targets_directory_and_longest_go_first() {
    let h = site("h");
    let j = jar(
        &h,
        "/api/v1/login?next=/x/y",
        &[
            "root=1; Path=/",
            "default=2",
            "api=3; Path=/api",
            "deep=4; Path=/api/v1/users/",
            "slash=5; Path=/api/",
            "bad=6; Path=api",
        ],
    );
    // default=2 and bad=6 have the path /api/v1.
    assert_eq!(
        sent(&j, &h, "/api/v1/users/7", NOW),
        "deep=4; default=2; bad=6; slash=5; api=3; root=1"
    );
    assert_eq!(
        sent(&j, &h, "/api/v1", NOW),
        "default=2; bad=6; slash=5; api=3; root=1"
    );
    assert_eq!(sent(&j, &h, "/api", NOW), "api=3; root=1");
    assert_eq!(sent(&j, &h, "/apix", NOW), "root=1");
    assert_eq!(sent(&j, &h, "/", NOW), "root=1");
    assert_eq!(sent(&j, &h, "/api?x=/api/v1", NOW), "api=3; root=1");
}

#[test]
fn same_path_length_goes_by_creation_and_replacing_keeps_the_place() {
    let h = site("h");
    let mut j = jar(&h, "/", &["a=1", "b=2", "c=3"]);
    assert_eq!(sent(&j, &h, "/", NOW), "a=1; b=2; c=3");
    j.store(&h, b"/", b"a=new", NOW + 1);
    assert_eq!(sent(&j, &h, "/", NOW + 1), "a=new; b=2; c=3");
    // Another path is another cookie.
    j.store(&h, b"/", b"a=x; Path=/p", NOW + 1);
    assert_eq!(sent(&j, &h, "/p", NOW + 1), "a=x; a=new; b=2; c=3");
    // The same domain given as Domain is the same cookie (RFC 6265 5.3
    // step 11), now for subdomains too.
    j.store(&h, b"/", b"a=y; Domain=H", NOW + 1);
    assert_eq!(sent(&j, &h, "/", NOW + 1), "a=y; b=2; c=3");
    assert_eq!(sent(&j, &site("w.h"), "/", NOW + 1), "a=y");
    // Names are case-sensitive.
    j.store(&h, b"/", b"A=z", NOW + 1);
    assert_eq!(sent(&j, &h, "/", NOW + 1), "a=y; b=2; c=3; A=z");
}

#[test]
fn max_age_and_expires_end_a_cookie() {
    let h = site("h");
    let j = jar(
        &h,
        "/",
        &[
            "short=1; Max-Age=10",
            "dated=2; Expires=Thu, 01 Jan 2099 00:00:00 GMT",
            "session=3",
            "both=4; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=20",
        ],
    );
    assert_eq!(
        sent(&j, &h, "/", NOW + 9),
        "short=1; dated=2; session=3; both=4"
    );
    assert_eq!(sent(&j, &h, "/", NOW + 10), "dated=2; session=3; both=4");
    assert_eq!(sent(&j, &h, "/", NOW + 20), "dated=2; session=3");
    let year_2099 = 4_070_908_800;
    assert_eq!(sent(&j, &h, "/", year_2099 - 1), "dated=2; session=3");
    assert_eq!(sent(&j, &h, "/", year_2099), "session=3");
    assert_eq!(sent(&j, &h, "/", i64::MAX - 1), "session=3");
}

#[test]
fn an_expired_cookie_deletes_its_namesake_and_is_not_kept() {
    let h = site("h");
    let mut j = jar(&h, "/", &["a=1", "b=2; Path=/x", "c=3"]);
    j.store(&h, b"/", b"a=; Max-Age=0", NOW);
    assert_eq!(sent(&j, &h, "/x", NOW), "b=2; c=3");
    j.store(&h, b"/", b"b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", NOW);
    assert_eq!(sent(&j, &h, "/x", NOW), "b=2; c=3", "another path: kept");
    j.store(&h, b"/", b"b=; Path=/x; Max-Age=-1", NOW);
    assert_eq!(sent(&j, &h, "/x", NOW), "c=3");
    j.store(&h, b"/", b"new=1; Max-Age=0", NOW);
    j.store(&h, b"/", b"c=3; Expires=Mon, 01 Dec 2025 00:00:00 GMT", NOW);
    assert!(j.is_empty());
    // Expiring right now is expired.
    j.store(&h, b"/", b"d=4; Expires=Tue, 01 Dec 2026 16:00:00 GMT", NOW);
    assert!(j.is_empty());
    j.store(&h, b"/", b"d=4; Expires=Tue, 01 Dec 2026 16:00:01 GMT", NOW);
    assert_eq!(sent(&j, &h, "/", NOW), "d=4");
}

#[test]
fn secure_cookies_go_over_https_only() {
    let plain = site("h");
    let tls = Site::new("h", true);
    let j = jar(&plain, "/", &["s=1; Secure", "p=2"]);
    assert_eq!(sent(&j, &plain, "/", NOW), "p=2");
    assert_eq!(sent(&j, &tls, "/", NOW), "s=1; p=2");
    let j = jar(&tls, "/", &["s=1; Secure; HttpOnly; SameSite=None", "p=2"]);
    assert_eq!(sent(&j, &tls, "/", NOW), "s=1; p=2");
}

#[test]
fn a_full_jar_drops_the_expired_then_the_least_recently_used() {
    let h = site("h");
    let mut j = CookieJar::default();
    for i in 0..MAX_COOKIES {
        j.store(&h, b"/", format!("c{i}={i}").as_bytes(), NOW);
    }
    // Sending uses them all; then c0 is set again, so c1 is the stalest.
    assert_eq!(
        sent(&j, &h, "/", NOW).matches("; ").count(),
        MAX_COOKIES - 1
    );
    j.store(&h, b"/", b"c0=again", NOW);
    j.store(&h, b"/", b"extra=1", NOW);
    let header = sent(&j, &h, "/", NOW);
    assert_eq!(header.split("; ").count(), MAX_COOKIES);
    assert!(header.starts_with("c0=again; c2=2;"), "{header}");
    assert!(header.ends_with("c49=49; extra=1"), "{header}");
    // Those sent together were used together: the oldest of them goes.
    j.store(&h, b"/", b"brief=1; Max-Age=1", NOW);
    let header = sent(&j, &h, "/", NOW);
    assert!(
        header.starts_with("c2=2;") && header.ends_with("extra=1; brief=1"),
        "{header}"
    );
    // An expired one goes before any live one.
    j.store(&h, b"/", b"late=1", NOW + 5);
    let header = sent(&j, &h, "/", NOW + 5);
    assert_eq!(header.split("; ").count(), MAX_COOKIES);
    assert!(
        header.starts_with("c2=2;") && header.ends_with("extra=1; late=1"),
        "{header}"
    );
    // Hostile servers cannot make it grow.
    for i in 0..10_000 {
        j.store(
            &h,
            b"/",
            format!("flood{i}=x; Path=/{i}").as_bytes(),
            NOW + 5,
        );
    }
    assert_eq!(j.cookies.len(), MAX_COOKIES);
}

#[test]
fn hostile_values_are_ignored_without_harm() {
    let h = site("h");
    let megabyte = format!("big={}", "x".repeat(1 << 20));
    let max = format!("max={}", "x".repeat(MAX_COOKIE_BYTES - 3));
    let mut j = jar(
        &h,
        "/",
        &[
            "noequals",
            "=empty name",
            "",
            &megabyte,
            "ctl=a\u{0}b",
            "crlf=a\r\nX-Injected: 1",
            "date=1; Expires=32 Foo 99999 99:99:99",
            "age=1; Max-Age=1e9",
            "dom=1; Domain=",
            "ok=1",
            &max,
        ],
    );
    let header = sent(&j, &h, "/", NOW);
    assert!(
        header.starts_with("date=1; age=1; dom=1; ok=1; max=xxx"),
        "{header}"
    );
    assert_eq!(
        header.len(),
        "date=1; age=1; dom=1; ok=1; =".len() + MAX_COOKIE_BYTES
    );
    // Random bytes: no panic, and nothing that breaks a header.
    let mut rng = crate::rng::Rng::new(7);
    for _ in 0..2000 {
        let len = (rng.next_u64() % 40) as usize;
        let value: Vec<u8> = (0..len)
            .map(|_| {
                b"a=;.\r\n\t =/-:0129Jan Path Domain Max-Age Expires Secure\xff\x00"
                    [(rng.next_u64() % 56) as usize]
            })
            .collect();
        j.store(&h, b"/a/b", &value, NOW);
    }
    let header = sent(&j, &h, "/a/b", NOW);
    assert!(
        !header.bytes().any(|b| b.is_ascii_control() && b != b'\t'),
        "{header:?}"
    );
    assert!(j.cookies.len() <= MAX_COOKIES);
}
