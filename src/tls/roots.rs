//! The system's trusted CAs: the bundle file that the distribution keeps,
//! as OpenSSL and curl find it. Read by hand rather than with a crate: it
//! is one PEM file at one of a few well-known paths (or `SSL_CERT_FILE`).

use super::pem;
use rustls::RootCertStore;
use std::path::{Path, PathBuf};

/// Where distributions keep the bundle: Debian and Ubuntu, Fedora and
/// RHEL, openSUSE, Alpine and others.
const BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
];

/// The bundle to read: `SSL_CERT_FILE` when set (and not empty), else
/// the first that exists.
fn bundle() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    BUNDLES
        .iter()
        .map(Path::new)
        .find(|p| p.exists())
        .map(Path::to_path_buf)
}

/// Add the system's CAs to `store`. A machine with no bundle is not an
/// error here: `--cacert` may bring all the CAs a run needs, and a server
/// whose CA is missing fails verification with a clear reason. A bundle
/// that cannot be read is an error, unless `--cacert` is given
/// (`have_cacert`): then the run goes on with that CA alone.
pub(crate) fn add_system_roots(store: &mut RootCertStore, have_cacert: bool) -> Result<(), String> {
    let Some(path) = bundle() else {
        return Ok(());
    };
    let certs = match pem::certificates("the system's CA bundle", &path) {
        Ok(certs) => certs,
        Err(_) if have_cacert => return Ok(()),
        Err(e) => {
            return Err(format!(
                "{e} (set SSL_CERT_FILE to a CA bundle, or pass --cacert FILE)"
            ));
        }
    };
    // Bundles hold the odd certificate webpki cannot use; skip those.
    store.add_parsable_certificates(certs);
    Ok(())
}
