//! A protocol from outside the crate: `main_with` makes a binary that is
//! `stampede` with one more URL scheme (and, if asked, its twin over TLS),
//! whose tasks are `--command`s and whose protocol the caller makes (see
//! examples/memcached/).
//!
//! The scheme is registered once per process, before argv is parsed, so
//! that `Url::parse` knows it wherever a URL is read.

use crate::app;
use crate::cli::{self, Command, RunArgs, TopLevel};
use crate::http::url::{Url, split_host_port};
use crate::protocol::Protocol;
use std::sync::OnceLock;

/// The URL schemes of a protocol added with `main_with`: its own, over
/// plain TCP, and optionally a second one for the same protocol over TLS,
/// as `rediss://` is Redis over TLS.
///
/// ```no_run
/// # use stampede::Scheme;
/// // memcached://host[:port] and memcaches://host[:port], both on 11211
/// // unless the URL says otherwise.
/// let scheme = Scheme::new("memcached", 11211).tls("memcaches", 11211);
/// ```
#[derive(Clone, Debug)]
pub struct Scheme {
    name: String,
    default_port: u16,
    /// The TLS twin's name and port.
    tls: Option<(String, u16)>,
}

impl Scheme {
    /// `name://host[:port][/path]` URLs, over plain TCP; `default_port`
    /// when the URL gives none. `name` is a new scheme: letters, digits,
    /// `+`, `-` and `.`, and none of stampede's own (http, https, redis,
    /// rediss); `main_with` says so in one line otherwise.
    pub fn new(name: &str, default_port: u16) -> Scheme {
        Scheme {
            name: name.to_ascii_lowercase(),
            default_port,
            tls: None,
        }
    }

    /// And `name://` URLs for the same protocol over TLS, `default_port`
    /// when the URL gives none: the engine does the handshake, and the TLS
    /// flags of `run` (`--cacert`, `--insecure`, `--cert`, `--key`,
    /// `--no-tls-resume`) apply, as for `https://`. The protocol sees the
    /// same bytes either way.
    pub fn tls(self, name: &str, default_port: u16) -> Scheme {
        Scheme {
            tls: Some((name.to_ascii_lowercase(), default_port)),
            ..self
        }
    }

    /// New schemes, each with a port, and two different ones.
    fn check(&self) -> Result<(), String> {
        let taken = ["http", "https", "redis", "rediss"];
        let names = [
            Some((&self.name, self.default_port)),
            self.tls.as_ref().map(|(n, p)| (n, *p)),
        ];
        for (name, port) in names.into_iter().flatten() {
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                || taken.contains(&name.as_str())
            {
                return Err(format!(
                    "the protocol's scheme {name:?} is not a new URL scheme"
                ));
            }
            if port == 0 {
                return Err(format!(
                    "the default port of {name}:// must be from 1 to 65535"
                ));
            }
        }
        if self.tls.as_ref().is_some_and(|(tls, _)| *tls == self.name) {
            return Err(format!(
                "the protocol's TLS scheme must differ from its plain one, {:?}",
                self.name
            ));
        }
        Ok(())
    }

    /// The scheme's name and port, over TLS or not.
    fn named(&self, tls: bool) -> (&str, u16) {
        match (&self.tls, tls) {
            (Some((name, port)), true) => (name, *port),
            _ => (&self.name, self.default_port),
        }
    }
}

/// The schemes `main_with` registered, and the plain one in capitals: a
/// scenario's request line for the protocol.
static SCHEME: OnceLock<(Scheme, String)> = OnceLock::new();

/// Where a run of the custom protocol goes, for its global init.
#[derive(Debug)]
pub struct Target<'a> {
    url: &'a Url,
    vars: &'a [(String, String)],
}

impl Target<'_> {
    /// The host, as the URL writes it (an IPv6 one without brackets).
    pub fn host(&self) -> &str {
        &self.url.host
    }

    /// The port: the URL's, or the scheme's default.
    pub fn port(&self) -> u16 {
        self.url.port
    }

    /// What follows host and port in the URL, `/` included; empty for none.
    pub fn path(&self) -> &str {
        &self.url.target
    }

    /// The user's setting `name`: `--var name=value`, or a scenario's
    /// `@name = value` (`--var` wins), as the protocol's global init may
    /// want them (a password, a namespace, a value size).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Run `stampede` with argv, plus the protocol that `make` returns for
/// URLs of `scheme` (`memcached://host[:port][/path]`, and its TLS twin
/// if `Scheme::tls` named one): every subcommand and flag of `stampede`
/// (`run` with `--command` tasks or a scenario of them, the CSV, the live
/// line, the dashboard, `report`, `check`...), the same exit codes.
/// Returns the exit code, for `std::process::exit`.
///
/// `make` is the protocol's global init, called once a run's flags are
/// valid and before anything is sent; its error is the user's input, one
/// line, and the run stops with exit code 2. Each task's text then goes
/// through `Protocol::prepare` (same rule for its errors, which stampede
/// prefixes with where the task was given: `--command`, or the scenario's
/// `FILE:LINE`).
pub fn main_with<P: Protocol>(
    scheme: Scheme,
    make: impl FnOnce(&Target<'_>) -> Result<P, String>,
) -> i32 {
    if let Err(e) = register(scheme) {
        crate::console::errln!("stampede: {e}");
        return cli::USAGE_EXIT;
    }
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match cli::parse(&argv) {
        Err(code) => code,
        Ok(TopLevel { version: true, .. }) => app::version(),
        Ok(TopLevel { command: None, .. }) => app::no_command(),
        Ok(TopLevel {
            command: Some(command),
            ..
        }) => match command {
            Command::Run(args) => run(&args, make),
            Command::FindMax(args) => app::find_max(&args),
            Command::Serve(args) => app::serve(&args),
            Command::Demo(args) => app::demo(&args),
            Command::Report(args) => app::report(&args),
            Command::Check(args) => app::check(&args),
        },
    }
}

fn run<P: Protocol>(args: &RunArgs, make: impl FnOnce(&Target<'_>) -> Result<P, String>) -> i32 {
    app::run_with(args, |plan| {
        make(&Target {
            url: &plan.url,
            vars: &plan.vars,
        })
    })
}

fn register(scheme: Scheme) -> Result<(), String> {
    scheme.check()?;
    let keyword = scheme.name.to_ascii_uppercase();
    let _ = SCHEME.set((scheme, keyword));
    Ok(())
}

/// Whether `scheme` is the registered plain one (`Some(false)`) or its
/// TLS twin (`Some(true)`).
pub(crate) fn tls_if_named(scheme: &str) -> Option<bool> {
    let (registered, _) = SCHEME.get()?;
    [false, true]
        .into_iter()
        .filter(|&tls| !tls || registered.tls.is_some())
        .find(|&tls| registered.named(tls).0.eq_ignore_ascii_case(scheme))
}

/// The registered schemes (plain, then TLS, the plain one again when
/// there is no TLS twin), and the scenario keyword.
pub(crate) fn keyword() -> Option<([&'static str; 2], &'static str)> {
    SCHEME.get().map(|(scheme, keyword)| {
        (
            [scheme.named(false).0, scheme.named(true).0],
            keyword.as_str(),
        )
    })
}

/// The registered TLS twin's name, if there is one.
pub(crate) fn tls_name() -> Option<&'static str> {
    SCHEME.get()?.0.tls.as_ref().map(|(name, _)| name.as_str())
}

/// The registered scheme's name and port, over TLS or not (only asked of
/// a custom URL).
pub(crate) fn scheme(tls: bool) -> (&'static str, u16) {
    SCHEME
        .get()
        .map_or(("custom", 0), |(scheme, _)| scheme.named(tls))
}

/// `rest`: what follows `scheme://` in `text`, `scheme` a registered one.
pub(crate) fn parse_url(text: &str, scheme: &str, rest: &str) -> Result<Url, String> {
    let tls = tls_if_named(scheme) == Some(true);
    let err = |why: &str| Err(format!("bad URL {text:?}: {why}"));
    if rest
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return err("it contains whitespace or control characters");
    }
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let (host, port) = split_host_port(authority, self::scheme(tls).1)
        .map_err(|why| format!("bad URL {text:?}: {why}"))?;
    if host.is_empty() {
        return err("missing host");
    }
    Ok(Url {
        tls,
        host,
        port,
        target: path.to_string(),
        redis: None,
        custom: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheme_is_new_and_its_tls_twin_another() {
        assert!(Scheme::new("memcached", 11211).check().is_ok());
        let both = Scheme::new("Memcached", 11211).tls("MEMCACHES", 11212);
        assert!(both.check().is_ok());
        assert_eq!(both.named(false), ("memcached", 11211));
        assert_eq!(both.named(true), ("memcaches", 11212));
        assert_eq!(Scheme::new("mc", 1).named(true), ("mc", 1), "no twin");
        for (bad, why) in [
            (Scheme::new("", 1), "not a new URL scheme"),
            (Scheme::new("m c", 1), "not a new URL scheme"),
            (Scheme::new("HTTPS", 1), "not a new URL scheme"),
            (
                Scheme::new("mc", 1).tls("rediss", 1),
                "not a new URL scheme",
            ),
            (Scheme::new("mc", 0), "port of mc://"),
            (Scheme::new("mc", 1).tls("mcs", 0), "port of mcs://"),
            (Scheme::new("mc", 1).tls("MC", 1), "must differ"),
        ] {
            let e = bad.check().unwrap_err();
            assert!(e.contains(why) && !e.contains('\n'), "{bad:?}: {e}");
        }
    }
}
