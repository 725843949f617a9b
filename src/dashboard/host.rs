//! Which `Host` the dashboard answers to. A page on another site can point
//! its own name at 127.0.0.1 (DNS rebinding) and then read the page or press
//! Stop as if it were same-origin; its requests still carry that name in
//! `Host`. So only names no other site can take are answered: IP literals,
//! `localhost`, and the name the user bound the dashboard to.

use std::net::{Ipv4Addr, Ipv6Addr};

pub(crate) struct Hosts {
    /// The name given in `--dashboard HOST:PORT`, when it was a name.
    bound: Option<String>,
}

impl Hosts {
    pub(crate) fn new(bound: Option<&str>) -> Hosts {
        Hosts {
            bound: bound.map(str::to_string),
        }
    }

    /// A `Host` value, `host[:port]`, names this dashboard.
    pub(crate) fn accepts(&self, authority: &str) -> bool {
        match host_of(authority.trim()) {
            Some(Host::Ip) => true,
            Some(Host::Name(name)) => {
                name.eq_ignore_ascii_case("localhost")
                    || self
                        .bound
                        .as_deref()
                        .is_some_and(|b| name.eq_ignore_ascii_case(b))
            }
            None => false,
        }
    }

    /// An `Origin` value comes from this dashboard's own page, reached as
    /// `host` (the request's accepted `Host`).
    pub(crate) fn same_origin(&self, origin: &str, host: &str) -> bool {
        let Some((scheme, authority)) = origin.trim().split_once("://") else {
            return false; // e.g. "null", from a sandboxed or file: page
        };
        scheme.eq_ignore_ascii_case("http")
            && self.accepts(authority)
            && authority.eq_ignore_ascii_case(host.trim())
    }
}

enum Host<'a> {
    Ip,
    Name(&'a str),
}

/// The host of `host[:port]` or `[v6][:port]`, or None when it is malformed.
fn host_of(authority: &str) -> Option<Host<'_>> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<Ipv6Addr>().ok()?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(port_ok);
        return port_ok.then_some(Host::Ip);
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if port.is_some_and(|p| !port_ok(p)) {
        return None;
    }
    if host.parse::<Ipv4Addr>().is_ok() {
        return Some(Host::Ip);
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    (!host.is_empty() && host.chars().all(name_char)).then_some(Host::Name(host))
}

/// Digits only (`u16` parsing alone would take "+80"), 0 to 65535.
fn port_ok(digits: &str) -> bool {
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.parse::<u16>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_and_localhost_are_answered() {
        let hosts = Hosts::new(None);
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8089",
            "10.1.2.3:80",
            "[::1]",
            "[::1]:8089",
            "[fe80::1:2]:1",
            "localhost",
            "LocalHost:8089",
            " localhost:8089 ",
        ] {
            assert!(hosts.accepts(ok), "{ok:?}");
        }
    }

    #[test]
    fn other_names_and_malformed_hosts_are_not() {
        let hosts = Hosts::new(None);
        for bad in [
            "",
            "evil.example",
            "evil.example:8089",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "localhost:",
            "localhost:+80",
            "localhost:99999",
            "localhost:80:80",
            "127.0.0.1:abc",
            "::1",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[evil.example]",
            "local host",
            "localhost/x",
            "user@localhost",
        ] {
            assert!(!hosts.accepts(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_bound_name_is_answered_too() {
        let hosts = Hosts::new(Some("box.lan"));
        assert!(hosts.accepts("box.lan:8089") && hosts.accepts("BOX.LAN"));
        assert!(hosts.accepts("localhost") && !hosts.accepts("evil.example"));
        assert!(!Hosts::new(None).accepts("box.lan"));
    }

    #[test]
    fn an_origin_must_be_this_page() {
        let hosts = Hosts::new(None);
        let host = "127.0.0.1:8089";
        assert!(hosts.same_origin("http://127.0.0.1:8089", host));
        assert!(hosts.same_origin("HTTP://127.0.0.1:8089", host));
        assert!(hosts.same_origin("http://localhost:8089", "localhost:8089"));
        for bad in [
            "http://evil.example",
            "http://evil.example:8089",
            "http://127.0.0.1:9",
            "https://127.0.0.1:8089",
            "null",
            "",
        ] {
            assert!(!hosts.same_origin(bad, host), "{bad:?}");
        }
        // Even when Host says so: the name itself is not accepted.
        let evil = "evil.example:8089";
        assert!(!hosts.same_origin("http://evil.example:8089", evil));
    }
}
