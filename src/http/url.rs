//! `http://` and `https://host[:port]/path?query` URLs, parsed strictly
//! enough to give a clear one-line error for anything we cannot load-test;
//! `redis://` and `rediss://` ones are read by `redis::url`, with the same
//! host and port rules (`split_host_port`).

use crate::redis::url::Login;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url {
    /// `https://`: connections are TLS.
    pub tls: bool,
    /// Host as written, without brackets for IPv6 (`::1`).
    pub host: String,
    pub port: u16,
    /// Path and query, always starting with `/` (for Redis: `/db`, or empty).
    pub target: String,
    /// A `redis://` or `rediss://` URL: what it says beyond where to go.
    pub redis: Option<Login>,
    /// A URL of the scheme a protocol from outside the crate registered
    /// (`crate::custom`).
    pub custom: bool,
}

impl Url {
    pub(crate) fn parse(text: &str) -> Result<Url, String> {
        let err = |why: &str| Err(format!("bad URL {text:?}: {why}"));
        let (tls, rest) = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (false, rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => (true, rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("redis") => {
                return crate::redis::url::parse(text, false, rest);
            }
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("rediss") => {
                return crate::redis::url::parse(text, true, rest);
            }
            Some((scheme, rest)) if crate::custom::tls_if_named(scheme).is_some() => {
                return crate::custom::parse_url(text, scheme, rest);
            }
            Some((scheme, _)) => {
                return err(&format!(
                    "unsupported scheme {scheme:?}; use http://, https://, redis:// or rediss://"
                ));
            }
            None => return err("expected http://host[:port]/path or https://..."),
        };
        if rest
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return err("it contains whitespace or control characters");
        }
        let (authority, target) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let target = target.split('#').next().unwrap_or("/");
        let target = if target.starts_with('?') {
            format!("/{target}")
        } else {
            target.to_string()
        };
        if authority.contains('@') {
            return err(
                "user:password@ in URLs is not supported; send an Authorization header with -H",
            );
        }
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = split_host_port(authority, default_port)
            .map_err(|why| format!("bad URL {text:?}: {why}"))?;
        if host.is_empty() {
            return err("missing host");
        }
        Ok(Url {
            tls,
            host,
            port,
            target: if target.is_empty() {
                "/".into()
            } else {
                target
            },
            redis: None,
            custom: false,
        })
    }

    /// The scheme's port: 443 for https, 80 for http, 6379 for Redis.
    pub(crate) fn default_port(&self) -> u16 {
        if self.custom {
            return crate::custom::scheme(self.tls).1;
        }
        match (&self.redis, self.tls) {
            (Some(_), _) => crate::redis::url::DEFAULT_PORT,
            (None, true) => 443,
            (None, false) => 80,
        }
    }

    /// `scheme://host[:port]`, without the target (nor a Redis password).
    pub(crate) fn origin(&self) -> String {
        let scheme = match (&self.redis, self.tls) {
            _ if self.custom => crate::custom::scheme(self.tls).0,
            (Some(_), true) => "rediss",
            (Some(_), false) => "redis",
            (None, true) => "https",
            (None, false) => "http",
        };
        format!("{scheme}://{}", self.host_header())
    }

    /// A command protocol's (Redis, or one from outside the crate): its
    /// tasks are `--command`s.
    pub(crate) fn takes_commands(&self) -> bool {
        self.redis.is_some() || self.custom
    }

    /// The protocol's name, in messages about its tasks.
    pub(crate) fn protocol_name(&self) -> &'static str {
        match (&self.redis, self.custom) {
            (_, true) => crate::custom::scheme(false).0,
            (Some(_), false) => "Redis",
            (None, false) => "HTTP",
        }
    }

    /// The `Host` header value: the port is left out when it is the default.
    pub(crate) fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// `host[:port]` or `[v6][:port]`; the port is 1 to 65535.
pub(crate) fn split_host_port(
    authority: &str,
    default_port: u16,
) -> Result<(String, u16), &'static str> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or("unclosed [ in IPv6 host")?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or("expected :port after ]")?),
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err("port must be a number from 1 to 65535"),
            Ok(p) => p,
        },
    };
    Ok((host.to_string(), port))
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(host: &str, port: u16, target: &str) -> Url {
        Url {
            tls: false,
            host: host.into(),
            port,
            target: target.into(),
            redis: None,
            custom: false,
        }
    }

    #[test]
    fn https_defaults_to_port_443() {
        let u = Url::parse("HTTPS://example.test/x").unwrap();
        assert_eq!(
            (u.tls, u.port, u.host_header()),
            (true, 443, "example.test".into())
        );
        assert_eq!(u.to_string(), "https://example.test/x");
        let u = Url::parse("https://example.test:80/").unwrap();
        assert_eq!(u.host_header(), "example.test:80");
        assert_eq!(Url::parse("http://a:443/").unwrap().host_header(), "a:443");
    }

    #[test]
    fn parses_the_usual_shapes() {
        assert_eq!(
            Url::parse("http://127.0.0.1:8080/hello").unwrap(),
            url("127.0.0.1", 8080, "/hello")
        );
        assert_eq!(
            Url::parse("http://localhost").unwrap(),
            url("localhost", 80, "/")
        );
        assert_eq!(Url::parse("HTTP://a:1?x=1").unwrap(), url("a", 1, "/?x=1"));
        assert_eq!(
            Url::parse("http://[::1]:9/p?q#frag").unwrap(),
            url("::1", 9, "/p?q")
        );
        assert_eq!(Url::parse("http://[::1]/").unwrap(), url("::1", 80, "/"));
    }

    #[test]
    fn host_header_omits_default_port_and_brackets_ipv6() {
        assert_eq!(url("a", 80, "/").host_header(), "a");
        assert_eq!(url("a", 81, "/").host_header(), "a:81");
        assert_eq!(url("::1", 81, "/").host_header(), "[::1]:81");
    }

    #[test]
    fn rejects_what_we_cannot_use() {
        for (bad, why) in [
            ("ftp://x/", "scheme"),
            ("wss://x/", "use http://, https://, redis:// or rediss://"),
            ("127.0.0.1:80/", "expected http://"),
            ("http://", "missing host"),
            ("http://:80/", "missing host"),
            ("http://x:0/", "port"),
            ("http://x:99999/", "port"),
            ("http://x:abc/", "port"),
            ("http://[::1/", "unclosed"),
            ("http://u:p@x/", "Authorization"),
            ("http://x/a b", "whitespace"),
        ] {
            let e = Url::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
