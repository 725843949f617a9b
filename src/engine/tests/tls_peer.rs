//! The TLS side of the scripted peers: a throwaway PKI made once per test
//! run (by the helper the integration tests use), rustls server configs,
//! and the client each test builds through `TlsClient::new`, as a run does.

use crate::test_pki as pki;
use crate::tls::pem;
use crate::tls::{TlsClient, TlsOptions};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    RootCertStore, ServerConfig, ServerConnection, StreamOwned, SupportedProtocolVersion,
};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

pub(super) use rustls::version::{TLS12, TLS13};

/// A peer's side of a TLS connection, on a blocking socket.
pub(super) type TlsStream = StreamOwned<ServerConnection, TcpStream>;

/// A certificate chain and its key.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    fn read(cert: &Path, key: &Path) -> Identity {
        Identity {
            chain: pem::certificates("cert", cert).unwrap(),
            key: pem::private_key("key", key).unwrap(),
        }
    }
}

/// The PKI, read into memory: its files live only while it is made.
struct Material {
    /// PEM files a client reads: the CA, and the client's certificate and key.
    ca: Vec<u8>,
    /// The CA, for a server that verifies client certificates.
    ca_cert: CertificateDer<'static>,
    client_cert: Vec<u8>,
    client_key: Vec<u8>,
    /// The server's certificate, signed by the CA.
    server: Identity,
    /// A self-signed certificate for 127.0.0.1 that chains to nothing,
    /// and the same as PEM (what a client of another CA trusts).
    self_signed: Identity,
    self_signed_pem: Vec<u8>,
}

fn material() -> &'static Material {
    static MATERIAL: OnceLock<Material> = OnceLock::new();
    MATERIAL.get_or_init(|| {
        let pki = pki::Pki::new(&scratch("pki"));
        let read = |path: &Path| std::fs::read(path).unwrap();
        let material = Material {
            ca: read(&pki.ca),
            ca_cert: pem::certificates("ca", &pki.ca).unwrap().remove(0),
            client_cert: read(&pki.client_cert),
            client_key: read(&pki.client_key),
            server: Identity::read(&pki.server_cert, &pki.server_key),
            self_signed: Identity::read(&pki.untrusted_cert, &pki.untrusted_key),
            self_signed_pem: read(&pki.untrusted_cert),
        };
        std::fs::remove_dir_all(&pki.dir).unwrap();
        material
    })
}

/// A fresh directory of this test process's own.
fn scratch(what: &str) -> std::path::PathBuf {
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let n = MADE.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    std::env::temp_dir().join(format!("stampede-conntests-{pid}-{what}-{n}"))
}

/// A client for 127.0.0.1 that trusts the test CA, with its own session
/// cache; with `cert`, it presents the client certificate (mutual TLS).
pub(super) fn client(resume: bool, cert: bool) -> TlsClient {
    client_trusting(&material().ca, resume, cert)
}

/// A client that trusts another CA than the test servers' (and the
/// system's CAs).
pub(super) fn client_of_another_ca() -> TlsClient {
    client_trusting(&material().self_signed_pem, true, false)
}

/// A client built by `TlsClient::new` from files, as a run builds it.
fn client_trusting(ca: &[u8], resume: bool, cert: bool) -> TlsClient {
    let m = material();
    let dir = scratch("client");
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, pem: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    let options = TlsOptions {
        cacert: Some(file("ca.pem", ca)),
        cert: cert.then(|| file("client.pem", &m.client_cert)),
        key: cert.then(|| file("client.key", &m.client_key)),
        insecure: false,
        resume,
    };
    let client = TlsClient::new(&options, "127.0.0.1").unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    client
}

fn config(
    version: &'static SupportedProtocolVersion,
    identity: &Identity,
    client_auth: bool,
) -> ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[version])
        .unwrap();
    let builder = if client_auth {
        let mut roots = RootCertStore::empty();
        roots.add(material().ca_cert.clone()).unwrap();
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    builder
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())
        .unwrap()
}

/// A server speaking only `version`, with a certificate the test CA signed.
pub(super) fn server(version: &'static SupportedProtocolVersion) -> ServerConfig {
    config(version, &material().server, false)
}

/// A server whose certificate is self-signed.
pub(super) fn self_signed_server(version: &'static SupportedProtocolVersion) -> ServerConfig {
    config(version, &material().self_signed, false)
}

/// A server that wants a client certificate the test CA signed.
pub(super) fn mutual_server(version: &'static SupportedProtocolVersion) -> ServerConfig {
    config(version, &material().server, true)
}

/// The server side of a new connection, before its handshake.
pub(super) fn tls_stream(config: &Arc<ServerConfig>, sock: TcpStream) -> TlsStream {
    StreamOwned::new(ServerConnection::new(Arc::clone(config)).unwrap(), sock)
}

/// Run the server's side of the handshake to its end.
pub(super) fn handshake(stream: &mut TlsStream) -> io::Result<()> {
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(())
}

/// After a failed handshake (rustls has sent its alert): stop writing and
/// read what the client still sends until it closes, so that the close is
/// a FIN behind the alert, not a reset that could overtake it.
pub(super) fn wind_down(stream: &mut TlsStream) {
    let _ = stream.sock.shutdown(Shutdown::Write);
    let mut buf = [0; 4096];
    while matches!(stream.sock.read(&mut buf), Ok(1..)) {}
}

/// Read whole TLS records off the socket, undecrypted, until `count`
/// records of `kind` came (23, application data, is also what a TLS 1.3
/// handshake message is sent as once encrypted).
pub(super) fn take_records(sock: &mut TcpStream, kind: u8, count: usize) -> Vec<u8> {
    let mut taken = Vec::new();
    let mut seen = 0;
    while seen < count {
        let mut header = [0; 5];
        sock.read_exact(&mut header).unwrap();
        let len = u16::from_be_bytes([header[3], header[4]]) as usize;
        let mut body = vec![0; len];
        sock.read_exact(&mut body).unwrap();
        seen += (header[0] == kind) as usize;
        taken.extend_from_slice(&header);
        taken.extend_from_slice(&body);
    }
    taken
}

/// Write what the server connection holds encrypted to its socket.
pub(super) fn push(conn: &mut ServerConnection, sock: &mut TcpStream) {
    while conn.wants_write() {
        conn.write_tls(sock).unwrap();
    }
    sock.flush().unwrap();
}
