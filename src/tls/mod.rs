//! TLS for the client side: one rustls configuration per run, shared by
//! every worker and connection (so that a session one connection got can
//! resume another's, as browsers and oha do), and the one-line reasons a
//! handshake failed.

mod explain;
mod insecure;
pub(crate) mod pem;
mod roots;

pub(crate) use explain::explain;
use rustls::client::Resumption;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use std::path::PathBuf;
use std::sync::Arc;

/// What the user asked of TLS on the command line.
#[derive(Clone, Debug, Default)]
pub(crate) struct TlsOptions {
    /// More CAs to trust, besides the system's (`--cacert`).
    pub cacert: Option<PathBuf>,
    /// Skip certificate verification (`--insecure`).
    pub insecure: bool,
    /// A client certificate and its key, for mutual TLS.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Session resumption across connections (off: `--no-tls-resume`).
    pub resume: bool,
}

/// A run's TLS client: the shared configuration and the name every
/// connection asks for (SNI) and verifies against.
#[derive(Clone)]
pub(crate) struct TlsClient {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
    /// Certificates are not verified (`--insecure`).
    pub(crate) insecure: bool,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TlsClient({:?})", self.server_name)
    }
}

impl TlsClient {
    /// Build the configuration for connections to `host`: every file is
    /// read and checked here, before anything is sent.
    pub(crate) fn new(options: &TlsOptions, host: &str) -> Result<TlsClient, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algorithms = provider.signature_verification_algorithms;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(|e| format!("TLS: {e}"))?;
        let mut roots = RootCertStore::empty();
        if !options.insecure {
            roots::add_system_roots(&mut roots, options.cacert.is_some())?;
        }
        if let Some(path) = &options.cacert {
            for cert in pem::certificates("--cacert", path)? {
                roots
                    .add(cert)
                    .map_err(|e| pem::ca_error("--cacert", path, e))?;
            }
        }
        let builder = builder.with_root_certificates(roots);
        let mut config = match (&options.cert, &options.key) {
            (Some(cert), Some(key_path)) => {
                let chain = pem::certificates("--cert", cert)?;
                let key = pem::private_key("--key", key_path)?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| pem::identity_error(("--cert", cert), ("--key", key_path), e))?
            }
            (None, None) => builder.with_no_client_auth(),
            (Some(_), None) => {
                return Err("--cert needs --key, the certificate's private key".into());
            }
            (None, Some(_)) => return Err("--key needs --cert, the client certificate".into()),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        if !options.resume {
            config.resumption = Resumption::disabled();
        }
        if options.insecure {
            config
                .dangerous()
                .set_certificate_verifier(Arc::new(insecure::AnyCertificate(algorithms)));
        }
        let server_name = ServerName::try_from(host.to_string())
            .map_err(|_| format!("{host:?} is not a name TLS can verify (SNI)"))?;
        Ok(TlsClient {
            config: Arc::new(config),
            server_name,
            insecure: options.insecure,
        })
    }
}
