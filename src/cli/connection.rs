//! The connection flags of `run`: TLS (`--cacert`, `--insecure`, `--cert`,
//! `--key`, `--no-tls-resume`) and how long a connection lives
//! (`--no-keepalive`, `--requests-per-conn`) and what it carries at once
//! (`--pipeline`), checked against the URL.

use super::run::RunArgs;
use crate::http::url::Url;
use crate::tls::{TlsClient, TlsOptions};
use std::path::PathBuf;

/// The deepest `--pipeline`: deeper buys nothing but memory.
pub(crate) const MAX_PIPELINE: u64 = 4096;

/// How the run's connections behave.
pub(super) struct Connections {
    /// None for plain TCP.
    pub(super) tls: Option<TlsClient>,
    pub(super) requests_per_conn: Option<u32>,
    /// Requests in flight on a connection at most (`--pipeline`).
    pub(super) pipeline: usize,
}

/// The run's TLS client (None for http://), its requests per connection
/// and its pipelining depth.
pub(super) fn resolve(args: &RunArgs, url: &Url) -> Result<Connections, String> {
    let requests_per_conn = match (args.no_keepalive, args.requests_per_conn) {
        (true, Some(_)) => {
            return Err(
                "give --no-keepalive or --requests-per-conn, not both (--no-keepalive is --requests-per-conn 1)"
                    .into(),
            );
        }
        (true, None) => Some(1),
        (false, Some(0)) => return Err("--requests-per-conn must be at least 1".into()),
        (false, Some(n)) => Some(u32::try_from(n).unwrap_or(u32::MAX)),
        (false, None) => None,
    };
    let pipeline = match args.pipeline {
        None | Some(1) => 1,
        Some(0) => return Err("--pipeline must be at least 1".into()),
        Some(n) if n > MAX_PIPELINE => {
            return Err(format!("--pipeline {n}: at most {MAX_PIPELINE}"));
        }
        // A connection closed after N requests would have requests
        // pipelined behind its last one.
        Some(_) if requests_per_conn.is_some() => {
            return Err(
                "--pipeline needs connections kept alive: drop --no-keepalive / --requests-per-conn"
                    .into(),
            );
        }
        Some(n) => n as usize,
    };
    let tls_flags = [
        ("--cacert", args.cacert.is_some()),
        ("--insecure", args.insecure),
        ("--cert", args.cert.is_some()),
        ("--key", args.key.is_some()),
        ("--no-tls-resume", args.no_tls_resume),
    ];
    if !url.tls {
        let schemes = match crate::custom::tls_name() {
            Some(name) => format!("https://, rediss:// and {name}://"),
            None => "https:// and rediss://".into(),
        };
        return match tls_flags.iter().find(|(_, given)| *given) {
            Some((flag, _)) => Err(format!(
                "{flag} is for {schemes} targets; {} is plain TCP",
                url.origin()
            )),
            None => Ok(Connections {
                tls: None,
                requests_per_conn,
                pipeline,
            }),
        };
    }
    let options = TlsOptions {
        cacert: args.cacert.as_ref().map(PathBuf::from),
        insecure: args.insecure,
        cert: args.cert.as_ref().map(PathBuf::from),
        key: args.key.as_ref().map(PathBuf::from),
        resume: !args.no_tls_resume,
    };
    let tls = TlsClient::new(&options, &url.host)?;
    Ok(Connections {
        tls: Some(tls),
        requests_per_conn,
        pipeline,
    })
}
