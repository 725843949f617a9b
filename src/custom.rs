//! A protocol from outside the crate: `main_with` makes a binary that is
//! `stampede` with one more URL scheme, whose tasks are `--command`s
//! and whose protocol the caller makes (see examples/memcached.rs).
//!
//! The scheme is registered once per process, before argv is parsed, so
//! that `Url::parse` knows it wherever a URL is read.

use crate::app;
use crate::cli::{self, Command, RunArgs, TopLevel};
use crate::http::url::{Url, split_host_port};
use crate::protocol::Protocol;
use std::sync::OnceLock;

/// The scheme `main_with` registered, and its port.
struct Scheme {
    name: String,
    /// The name in capitals: a scenario's request line for the protocol.
    keyword: String,
    default_port: u16,
}

static SCHEME: OnceLock<Scheme> = OnceLock::new();

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
/// URLs of `scheme` (`scheme://host[:port][/path]`, `default_port` when
/// none is given): every subcommand and flag of `stampede` (`run` with
/// `--command` tasks, the CSV, the live line, the dashboard, `report`,
/// `check`...), the same exit codes. Returns the exit code, for
/// `std::process::exit`.
///
/// `make` is the protocol's global init, called once a run's flags are
/// valid and before anything is sent; its error is the user's input, one
/// line, and the run stops with exit code 2. Each task's text then goes
/// through `Protocol::prepare` (same rule for its errors).
pub fn main_with<P: Protocol>(
    scheme: &str,
    default_port: u16,
    make: impl FnOnce(&Target<'_>) -> Result<P, String>,
) -> i32 {
    if let Err(e) = register(scheme, default_port) {
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

fn register(scheme: &str, default_port: u16) -> Result<(), String> {
    let taken = ["http", "https", "redis", "rediss"];
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        || taken.iter().any(|t| t.eq_ignore_ascii_case(scheme))
    {
        return Err(format!(
            "the protocol's scheme {scheme:?} is not a new URL scheme"
        ));
    }
    if default_port == 0 {
        return Err("the protocol's default port must be from 1 to 65535".into());
    }
    let _ = SCHEME.set(Scheme {
        name: scheme.to_ascii_lowercase(),
        keyword: scheme.to_ascii_uppercase(),
        default_port,
    });
    Ok(())
}

/// The registered scheme's name, when it is `scheme`.
pub(crate) fn name_if(scheme: &str) -> Option<&'static str> {
    SCHEME
        .get()
        .filter(|s| s.name.eq_ignore_ascii_case(scheme))
        .map(|s| s.name.as_str())
}

/// The registered scheme, and its scenario keyword.
pub(crate) fn keyword() -> Option<(&'static str, &'static str)> {
    SCHEME.get().map(|s| (s.name.as_str(), s.keyword.as_str()))
}

/// The registered scheme and its port (only asked of a custom URL).
pub(crate) fn scheme() -> (&'static str, u16) {
    SCHEME
        .get()
        .map_or(("custom", 0), |s| (s.name.as_str(), s.default_port))
}

/// `rest`: what follows `scheme://` in `text`.
pub(crate) fn parse_url(text: &str, rest: &str) -> Result<Url, String> {
    let err = |why: &str| Err(format!("bad URL {text:?}: {why}"));
    if rest
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return err("it contains whitespace or control characters");
    }
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let (host, port) =
        split_host_port(authority, scheme().1).map_err(|why| format!("bad URL {text:?}: {why}"))?;
    if host.is_empty() {
        return err("missing host");
    }
    Ok(Url {
        tls: false,
        host,
        port,
        target: path.to_string(),
        redis: None,
        custom: true,
    })
}
