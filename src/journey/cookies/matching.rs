//! Which requests a cookie goes with: RFC 6265's domain-match (5.1.3),
//! default-path (5.1.4) and path-match (5.1.4). Hosts and domains come here
//! in lower case.

/// Whether `host` (the request's) domain-matches `domain`: the same, or
/// `domain` is a parent of the host name `host` (`example.com` for
/// `www.example.com`). An IP address matches only itself.
pub(super) fn domain_match(host: &[u8], domain: &[u8], host_is_ip: bool) -> bool {
    if host == domain {
        return true;
    }
    !host_is_ip
        && !domain.is_empty()
        && host.len() > domain.len()
        && host.ends_with(domain)
        && host[host.len() - domain.len() - 1] == b'.'
}

/// The path a cookie without a `Path` attribute gets, from the request's
/// target: up to its last `/`, not included; `/` when that leaves nothing.
pub(super) fn default_path(target: &[u8]) -> &[u8] {
    let path = path_of(target);
    if !path.starts_with(b"/") {
        return b"/";
    }
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) | None => b"/",
        Some(last) => &path[..last],
    }
}

/// Whether a request to `target` gets a cookie of `cookie_path`: the same
/// path, or one below it (`/a` and `/a/` cover `/a/b`, not `/ab`).
pub(super) fn path_match(target: &[u8], cookie_path: &[u8]) -> bool {
    let path = path_of(target);
    path.starts_with(cookie_path)
        && (path.len() == cookie_path.len()
            || cookie_path.ends_with(b"/")
            || path[cookie_path.len()] == b'/')
}

/// The path of a request target: before its query or fragment.
fn path_of(target: &[u8]) -> &[u8] {
    let end = target
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(target.len());
    &target[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_themselves_and_their_subdomains() {
        for (host, domain, ip, expected) in [
            ("example.com", "example.com", false, true),
            ("www.example.com", "example.com", false, true),
            ("a.b.example.com", "example.com", false, true),
            ("a.b.example.com", "b.example.com", false, true),
            ("example.com", "www.example.com", false, false),
            ("badexample.com", "example.com", false, false),
            ("example.com.evil", "example.com", false, false),
            ("example.com", "com", false, true),
            ("example.com", "", false, false),
            ("example.com", ".example.com", false, false),
            ("127.0.0.1", "127.0.0.1", true, true),
            ("127.0.0.1", "0.0.1", true, false),
            ("127.0.0.1", "0.1", true, false),
            ("::1", "::1", true, true),
            ("::1", "1", true, false),
            ("localhost", "localhost", false, true),
            ("localhost", "host", false, false),
        ] {
            assert_eq!(
                domain_match(host.as_bytes(), domain.as_bytes(), ip),
                expected,
                "{host} {domain}"
            );
        }
    }

    #[test]
    fn the_default_path_is_the_targets_directory() {
        for (target, expected) in [
            ("/", "/"),
            ("", "/"),
            ("*", "/"),
            ("/login", "/"),
            ("/api/login", "/api"),
            ("/api/", "/api"),
            ("/api/v1/login?next=/a/b", "/api/v1"),
            ("/a/b#c/d", "/a"),
            ("/?x=/y/z", "/"),
            ("//", "/"),
        ] {
            assert_eq!(
                default_path(target.as_bytes()),
                expected.as_bytes(),
                "{target}"
            );
        }
    }

    #[test]
    fn paths_match_themselves_and_what_is_below() {
        for (target, cookie_path, expected) in [
            ("/", "/", true),
            ("/anything", "/", true),
            ("/api", "/api", true),
            ("/api/me", "/api", true),
            ("/api/me?x=1", "/api", true),
            ("/api?x=/", "/api", true),
            ("/api/", "/api/", true),
            ("/api/me", "/api/", true),
            ("/api", "/api/", false),
            ("/apis", "/api", false),
            ("/ap", "/api", false),
            ("/API/me", "/api", false),
            ("/", "/api", false),
            ("/other/api", "/api", false),
            ("/api/v1/x", "/api/v1", true),
        ] {
            assert_eq!(
                path_match(target.as_bytes(), cookie_path.as_bytes()),
                expected,
                "{target} {cookie_path}"
            );
        }
    }
}
