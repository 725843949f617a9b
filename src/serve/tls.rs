//! serve's TLS settings: one rustls `ServerConfig`, built once from the PEM
//! files and shared by every worker thread, so that a client resuming a
//! session on another thread's connection finds it (the session cache and
//! the ticket keys live in the config).

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::ring;
use rustls::server::{ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig};

use crate::tls::pem;

/// TLS 1.2 sessions remembered for resumption by session id. Enough for
/// thousands of clients that each reconnect, at a few hundred bytes each.
/// (TLS 1.3 and TLS 1.2 clients that take tickets need no server state.)
const SESSION_CACHE: usize = 16 * 1024;

/// The files `serve` reads for TLS, as given on the command line.
pub(crate) struct TlsFiles<'a> {
    /// The certificate chain, the server's own certificate first.
    pub cert: &'a Path,
    pub key: &'a Path,
    /// Require client certificates signed by one of these CAs (mutual TLS).
    pub client_ca: Option<&'a Path>,
}

/// The server config for `files`: TLS 1.3 and 1.2 with the ring provider,
/// ALPN `http/1.1`, resumption by session id and by ticket. Every problem
/// with a file is one line that names the flag and the file.
pub(crate) fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, String> {
    let chain = pem::certificates("--tls-cert", files.cert)?;
    let key = pem::private_key("--tls-key", files.key)?;
    let provider = Arc::new(ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS setup: {e}"))?;
    let builder = match files.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for cert in pem::certificates("--tls-client-ca", path)? {
                roots
                    .add(cert)
                    .map_err(|e| pem::ca_error("--tls-client-ca", path, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("--tls-client-ca {}: {e}", path.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| {
        pem::identity_error(("--tls-cert", files.cert), ("--tls-key", files.key), e)
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE);
    config.ticketer = ring::Ticketer::new().map_err(|e| format!("TLS setup: {e}"))?;
    Ok(Arc::new(config))
}
