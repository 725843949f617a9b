//! The connection flags of `run`: TLS (`--cacert`, `--insecure`, `--cert`,
//! `--key`, `--no-tls-resume`) and how long a connection lives
//! (`--no-keepalive`, `--requests-per-conn`), checked against the URL.

use super::run::RunArgs;
use crate::http::url::Url;
use crate::tls::{TlsClient, TlsOptions};
use std::path::PathBuf;

/// The run's TLS client (None for http://) and its requests per connection.
pub(super) fn resolve(
    args: &RunArgs,
    url: &Url,
) -> Result<(Option<TlsClient>, Option<u32>), String> {
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
            None => Ok((None, requests_per_conn)),
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
    Ok((Some(tls), requests_per_conn))
}
