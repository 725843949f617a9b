//! Why a TLS handshake failed, in one line with the flag that helps: the
//! run's summary says it once, whatever the number of failed requests.

use rustls::{AlertDescription, CertificateError, Error};

/// One line for a rustls error.
pub(crate) fn explain(error: &Error) -> String {
    match error {
        Error::InvalidCertificate(e) => certificate(e),
        Error::AlertReceived(alert) => alert_received(*alert),
        Error::PeerIncompatible(e) => {
            format!("the server and stampede share no TLS version or cipher suite ({e:?})")
        }
        Error::NoApplicationProtocol => {
            "the server speaks no protocol stampede offered (ALPN http/1.1)".into()
        }
        e => format!("TLS handshake failed: {e}"),
    }
}

fn certificate(e: &CertificateError) -> String {
    let why = match e {
        CertificateError::UnknownIssuer => "certificate not trusted",
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "certificate expired"
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "certificate not valid yet"
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "certificate not valid for the URL's host"
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "certificate not meant for a TLS server (extended key usage)"
        }
        CertificateError::Revoked => "certificate revoked",
        // webpki's own reasons come wrapped: say the inner one.
        CertificateError::Other(other) => {
            let inner = format!("{other:?}");
            let inner = inner
                .strip_prefix("OtherError(")
                .and_then(|i| i.strip_suffix(')'))
                .unwrap_or(&inner)
                .to_string();
            if inner == "CaUsedAsEndEntity" {
                // What `openssl req -x509` makes by default: trusting it
                // with --cacert does not help, a leaf signed by it does.
                return "the server's certificate is a CA certificate (CaUsedAsEndEntity): \
                        serve a certificate signed by a CA and pass the CA with --cacert FILE, \
                        or pass --insecure"
                    .into();
            }
            return format!("certificate rejected ({inner}): pass --cacert FILE or --insecure");
        }
        _ => "certificate rejected",
    };
    // The variant's name without its context (times, names), as rustls says it.
    let variant = format!("{e:?}");
    let variant = variant.split([' ', '{', '(']).next().unwrap_or_default();
    format!("{why} ({variant}): pass --cacert FILE or --insecure")
}

fn alert_received(alert: AlertDescription) -> String {
    let hint = match alert {
        AlertDescription::CertificateRequired
        | AlertDescription::BadCertificate
        | AlertDescription::UnknownCA
        | AlertDescription::CertificateUnknown => {
            ": the server wants a client certificate it trusts (--cert FILE --key FILE)"
        }
        AlertDescription::ProtocolVersion | AlertDescription::HandshakeFailure => {
            ": no TLS version or cipher suite in common?"
        }
        _ => "",
    };
    format!("the server refused the TLS handshake (alert {alert:?}){hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untrusted_certificate_says_what_to_pass() {
        assert_eq!(
            explain(&Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            "certificate not trusted (UnknownIssuer): pass --cacert FILE or --insecure"
        );
        let e = explain(&Error::InvalidCertificate(
            CertificateError::NotValidForName,
        ));
        assert!(
            e.starts_with("certificate not valid for the URL's host (NotValidForName)"),
            "{e}"
        );
    }

    #[test]
    fn a_refused_client_certificate_points_at_cert_and_key() {
        let e = explain(&Error::AlertReceived(AlertDescription::CertificateRequired));
        assert!(e.contains("--cert FILE --key FILE"), "{e}");
        assert!(!e.contains('\n'));
    }
}
