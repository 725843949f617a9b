//! Reading the PEM certificates and private keys that the user names on the
//! command line (run's `--cacert`, `--cert`, `--key`; serve's `--tls-cert`,
//! `--tls-key`, `--tls-client-ca`; and the system's CA bundle), with
//! one clear message per way a file can be wrong. The file is read whole
//! with a small limit, so `/dev/zero` is an error rather than all of memory.

use std::path::Path;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Far more than any certificate chain, key or system CA bundle (Debian's
/// is about 200 KiB); a larger file is a mistake.
const PEM_MAX: u64 = 4 << 20;

/// Every certificate in the PEM file at `path`, in order (other sections,
/// such as a key in a combined file, are skipped). At least one, or an
/// error naming `flag` and the file.
pub(crate) fn certificates(
    flag: &str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(flag, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(flag, path, &e))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no certificate in it (expected a PEM \"-----BEGIN CERTIFICATE-----\" block)",
            path.display()
        ));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 RSA or SEC1 EC) in the PEM file at
/// `path`, or an error naming `flag` and the file.
pub(crate) fn private_key(flag: &str, path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = read(flag, path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound if bytes.windows(23).any(|w| w == b"ENCRYPTED PRIVATE KEY--") => {
            format!(
                "{flag} {}: the key is encrypted; decrypt it first: openssl pkey -in KEY -out KEY.plain",
                path.display()
            )
        }
        pem::Error::NoItemsFound => format!(
            "{flag} {}: no private key in it (expected a PEM \"-----BEGIN PRIVATE KEY-----\", \
             \"RSA PRIVATE KEY\" or \"EC PRIVATE KEY\" block)",
            path.display()
        ),
        e => invalid(flag, path, &e),
    })
}

/// Why rustls refused a CA from `flag`'s file, in one line.
pub(crate) fn ca_error(flag: &str, path: &Path, e: rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(why) => {
            format!(
                "{flag} {}: not a valid certificate ({why:?})",
                path.display()
            )
        }
        e => format!("{flag} {}: not a usable CA ({e})", path.display()),
    }
}

/// Why rustls refused a certificate and key pair (`--cert`/`--key`,
/// `--tls-cert`/`--tls-key`), in one line that names the file at fault.
pub(crate) fn identity_error(
    (cert_flag, cert): (&str, &Path),
    (key_flag, key): (&str, &Path),
    e: rustls::Error,
) -> String {
    use rustls::{Error, InconsistentKeys};
    match e {
        Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => format!(
            "{key_flag} {}: does not match the certificate in {cert_flag} {}",
            key.display(),
            cert.display()
        ),
        Error::InvalidCertificate(why) => {
            format!(
                "{cert_flag} {}: not a valid certificate ({why:?})",
                cert.display()
            )
        }
        // ring refuses RSA keys under 2048 bits, and says only that it
        // could not parse them.
        e => format!(
            "{key_flag} {}: not a usable key ({e}); RSA keys need at least 2048 bits",
            key.display()
        ),
    }
}

fn read(flag: &str, path: &Path) -> Result<Vec<u8>, String> {
    crate::whole_file::read(path, PEM_MAX)
        .map_err(|e| format!("{flag} {}: cannot read: {e}", path.display()))
}

fn invalid(flag: &str, path: &Path, e: &pem::Error) -> String {
    // pem::Error's own text shows the offending line as a list of bytes.
    let why = match e {
        pem::Error::MissingSectionEnd { .. } => "a PEM block has no END line".to_string(),
        pem::Error::IllegalSectionStart { .. } => "a PEM BEGIN line is malformed".to_string(),
        pem::Error::Base64Decode(e) => format!("bad base64 in a PEM block ({e})"),
        e => e.to_string(),
    };
    format!("{flag} {}: not valid PEM: {why}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A scratch file holding `text`, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str, text: &str) -> Scratch {
            let path =
                std::env::temp_dir().join(format!("stampede-pem-{}-{name}", std::process::id()));
            std::fs::write(&path, text).unwrap();
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn each_bad_file_says_what_is_wrong() {
        let empty = Scratch::new("empty", "");
        let junk = Scratch::new("junk", "hello\n");
        let unended = Scratch::new("unended", "-----BEGIN CERTIFICATE-----\nAAAA\n");
        let bad64 = Scratch::new(
            "bad64",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        );
        let missing = Path::new("/nonexistent/stampede.pem");
        let cases: [(&Path, &str); 5] = [
            (&empty.0, "no certificate"),
            (&junk.0, "no certificate"),
            (&unended.0, "no END line"),
            (&bad64.0, "bad base64"),
            (missing, "cannot read"),
        ];
        for (path, needle) in cases {
            let e = certificates("--tls-cert", path).unwrap_err();
            assert!(e.starts_with("--tls-cert "), "{e}");
            assert!(e.contains(needle), "{path:?}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        assert!(
            private_key("--tls-key", &junk.0)
                .unwrap_err()
                .contains("no private key")
        );
        assert!(
            private_key("--tls-key", &bad64.0)
                .unwrap_err()
                .contains("bad base64")
        );
        assert!(certificates("--tls-cert", Path::new("/dev/zero")).is_err());
    }

    #[test]
    fn a_combined_file_gives_its_certificates_and_its_key() {
        let text = "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n\
                    -----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n\
                    -----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n";
        let file = Scratch::new("combined", text);
        let certs = certificates("--tls-cert", &file.0).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].as_ref(), [1, 2, 3]);
        let key = private_key("--tls-key", &file.0).unwrap();
        assert_eq!(key.secret_der(), [0, 1, 2]);
    }
}
