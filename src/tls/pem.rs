//! PEM files (certificates and private keys), read with one clear error
//! each: the flag, the path and what is wrong with it.

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// PEM files are small; anything larger is not one.
const PEM_MAX: u64 = 16 << 20;

fn read(path: &Path, flag: &str) -> Result<Vec<u8>, String> {
    crate::whole_file::read(path, PEM_MAX).map_err(|e| format!("{flag} {}: {e}", path.display()))
}

fn bad(flag: &str, path: &Path, e: pem::Error) -> String {
    format!("{flag} {}: not a valid PEM file ({e})", path.display())
}

/// Every certificate in the file, at least one.
pub(crate) fn certificates(
    path: &Path,
    flag: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let text = read(path, flag)?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(flag, path, e))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no certificate in it (expected -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// The file's private key (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn private_key(path: &Path, flag: &str) -> Result<PrivateKeyDer<'static>, String> {
    let text = read(path, flag)?;
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| match e {
        pem::Error::NoItemsFound => format!(
            "{flag} {}: no private key in it (expected -----BEGIN PRIVATE KEY-----)",
            path.display()
        ),
        e => bad(flag, path, e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("stampede-pem-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn each_failure_names_the_flag_the_path_and_the_problem() {
        let missing = Path::new("/nonexistent/ca.pem");
        let e = certificates(missing, "--cacert").unwrap_err();
        assert!(e.starts_with("--cacert /nonexistent/ca.pem: "), "{e}");
        let empty = scratch("empty", "");
        assert!(
            certificates(&empty, "--cacert")
                .unwrap_err()
                .contains("no certificate")
        );
        assert!(
            private_key(&empty, "--key")
                .unwrap_err()
                .contains("no private key")
        );
        let broken = scratch("broken", "-----BEGIN CERTIFICATE-----\nnot base64!\n");
        let e = certificates(&broken, "--cert").unwrap_err();
        assert!(e.contains("not a valid PEM file"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        for path in [empty, broken] {
            let _ = std::fs::remove_file(path);
        }
        let e = certificates(Path::new("/dev/zero"), "--cacert").unwrap_err();
        assert!(e.starts_with("--cacert /dev/zero: "), "{e}");
    }
}
