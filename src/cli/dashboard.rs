//! `--dashboard [ADDR]`: the optional address, and what it may be.

use super::run::resolve;
use crate::plan::DashboardAddr;
use std::net::{Ipv4Addr, SocketAddr};

/// The dashboard's default address, like Locust's web UI.
const DEFAULT: &str = "127.0.0.1:8089";

/// `--dashboard` takes an optional address, which argh cannot express:
/// put the default after it unless an address follows. A URL (it has a
/// `/`) or a flag is not one; anything else is taken as an attempt at an
/// address, so that a typo there gets its own error, not the URL's.
pub(super) fn with_default(mut args: Vec<&str>) -> Vec<&str> {
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--dashboard" {
            let has_addr = args
                .get(i + 1)
                .is_some_and(|a| !a.starts_with('-') && !a.contains('/'));
            if !has_addr {
                args.insert(i + 1, DEFAULT);
            }
            i += 1;
        }
        i += 1;
    }
    args
}

/// `PORT` (on 127.0.0.1), `HOST:PORT` (`localhost` is 127.0.0.1; another
/// name is resolved, and the dashboard then answers to it too) or
/// `[IPv6]:PORT`.
pub(super) fn parse(text: &str) -> Result<DashboardAddr, String> {
    let expected = || {
        format!(
            "--dashboard {text:?}: expected PORT, HOST:PORT or [IPv6]:PORT, e.g. 8089 or 127.0.0.1:8089"
        )
    };
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(DashboardAddr { addr, name: None });
    }
    let (host, port) = text.rsplit_once(':').unwrap_or(("", text));
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected());
    }
    let port = port.parse::<u16>().map_err(|_| expected())?;
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    let addr = match host {
        "" if !text.contains(':') => SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        _ if host.eq_ignore_ascii_case("localhost") => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, port))
        }
        _ if !host.is_empty() && host.chars().all(name_char) => {
            resolve(host, port).map_err(|e| format!("--dashboard: {e}"))?
        }
        _ => return Err(expected()),
    };
    let name = (!host.is_empty()).then(|| host.to_string());
    Ok(DashboardAddr { addr, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_follows_or_the_default_goes_in() {
        let url = "http://127.0.0.1:9/";
        for (args, want) in [
            (
                vec!["run", "--dashboard"],
                vec!["run", "--dashboard", DEFAULT],
            ),
            (
                vec!["run", "--dashboard", url],
                vec!["run", "--dashboard", DEFAULT, url],
            ),
            (
                vec!["run", "--dashboard", "-q"],
                vec!["run", "--dashboard", DEFAULT, "-q"],
            ),
            (
                vec!["run", "--dashboard", "8089"],
                vec!["run", "--dashboard", "8089"],
            ),
            (
                vec!["run", "--dashboard", "localhost:abc"],
                vec!["run", "--dashboard", "localhost:abc"],
            ),
            (
                vec!["run", "--dashboard", "[::1]:9"],
                vec!["run", "--dashboard", "[::1]:9"],
            ),
        ] {
            assert_eq!(with_default(args.clone()), want, "{args:?}");
        }
    }

    #[test]
    fn a_port_a_name_or_an_ip_literal() {
        let loopback = |port| DashboardAddr {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            name: None,
        };
        assert_eq!(parse("8089"), Ok(loopback(8089)));
        assert_eq!(parse("0"), Ok(loopback(0)));
        assert_eq!(parse("127.0.0.1:8089"), Ok(loopback(8089)));
        let v6 = parse("[::1]:8089").unwrap();
        assert_eq!((v6.addr, v6.name), (addr("[::1]:8089"), None));
        let local = parse("localhost:8089").unwrap();
        assert_eq!(local.addr, addr("127.0.0.1:8089"));
        assert_eq!(local.name.as_deref(), Some("localhost"));
    }

    #[test]
    fn anything_else_says_what_is_expected() {
        for bad in [
            "localhost:abc",
            "localhost:",
            "localhost",
            "99999",
            "+80",
            "127.0.0.1:99999",
            "[::1]:abc",
            "::1",
            ":8089",
            "bad host:8089",
            "",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                e.contains("expected PORT, HOST:PORT or [IPv6]:PORT"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn a_name_that_does_not_resolve_says_so() {
        let e = parse("host.invalid:8089").unwrap_err();
        assert!(e.starts_with("--dashboard: cannot resolve host"), "{e}");
    }
}
