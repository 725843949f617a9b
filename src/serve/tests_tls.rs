//! TLS through the connection state machine, in process, where the test
//! can do what a client outside cannot: give the server's sockets a tiny
//! send buffer (accepted sockets inherit the listener's), so that encrypted
//! records pile up in rustls and only writable edges move them on. The
//! certificates come from the integration tests' throwaway PKI (`openssl`).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use mio::{Interest, Poll, Waker};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::Counts;
use super::tests::{Client, TIMEOUT};
use super::tls::{TlsFiles, server_config};
use super::worker::{LISTENER, WAKER, Worker};

use crate::test_pki as pki;

/// One worker thread serving TLS on a listener with a tiny send buffer.
struct TinyServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    waker: Waker,
    thread: JoinHandle<Counts>,
}

impl TinyServer {
    fn start(pki: &pki::Pki) -> TinyServer {
        let files = TlsFiles {
            cert: &pki.server_cert,
            key: &pki.server_key,
            client_ca: None,
        };
        let config = server_config(&files).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sndbuf: libc::c_int = 4096;
        // SAFETY: setsockopt on a socket we own, with a valid int option.
        let set = unsafe {
            libc::setsockopt(
                listener.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&raw const sndbuf).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(set, 0);
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let poll = Poll::new().unwrap();
        let mut listener = mio::net::TcpListener::from_std(listener);
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .unwrap();
        let waker = Waker::new(poll.registry(), WAKER).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker::new(
            poll,
            listener,
            stop.clone(),
            None,
            Some(config),
            super::STUCK,
        );
        let thread = std::thread::spawn(move || worker.run());
        TinyServer {
            addr,
            stop,
            waker,
            thread,
        }
    }

    fn stop(self) -> Counts {
        self.stop.store(true, Ordering::Release);
        self.waker.wake().unwrap();
        self.thread.join().unwrap()
    }
}

/// A rustls client of `addr` that trusts `pki`'s CA.
fn connect(pki: &pki::Pki, addr: SocketAddr) -> Client<StreamOwned<ClientConnection, TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&pki.ca).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tls = ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(TIMEOUT)).unwrap();
    Client::over(StreamOwned::new(tls, tcp))
}

/// Each response ends with records still in rustls, the socket full: the
/// connection has nothing more to say, yet it must keep flushing on
/// writable edges, or the client waits for the tail forever. And requests
/// must be read to the last decrypted byte.
#[test]
fn bytes_buffered_in_rustls_are_never_forgotten() {
    let dir = std::env::temp_dir().join(format!("stampede-unit-{}-tls", std::process::id()));
    let pki = pki::Pki::new(&dir);
    let server = TinyServer::start(&pki);
    let mut c = connect(&pki, server.addr);
    for _ in 0..3 {
        let r = c.get("/bytes/300000");
        assert_eq!((r.status, r.body.len()), (200, 300_000));
        assert_eq!(c.get("/hello").status, 200);
    }
    // An upload spread over many records: rustls hands it over in pieces,
    // and a short read is no sign that the socket is drained.
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    c.send(
        format!(
            "POST /api/upload HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    c.send(&body);
    assert!(c.response(false).body == body, "the upload echoed");
    // A pipelined batch whose answers outgrow every buffer on the way.
    c.send(&b"GET /chunked/20000 HTTP/1.1\r\n\r\n".repeat(20));
    for _ in 0..20 {
        assert_eq!(c.response(false).body.len(), 20_000);
    }
    drop(c);
    let counts = server.stop();
    assert_eq!((counts.requests, counts.handshakes), (27, 1));
    let _ = std::fs::remove_dir_all(dir);
}

/// Over HTTPS a login's cookie is `Secure`, and works on the next request.
#[test]
fn a_login_over_tls_sets_a_secure_cookie() {
    let dir = std::env::temp_dir().join(format!("stampede-unit-{}-tls-login", std::process::id()));
    let pki = pki::Pki::new(&dir);
    let server = TinyServer::start(&pki);
    let mut c = connect(&pki, server.addr);
    let body = r#"{"user":"tess","password":"pw-tess"}"#;
    c.send(
        format!(
            "POST /api/login HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let r = c.response(false);
    assert_eq!(r.status, 200);
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(cookie.ends_with("; Path=/; HttpOnly; Secure"), "{cookie}");
    let pair = cookie.split(';').next().unwrap();
    c.send(format!("GET /api/me HTTP/1.1\r\nCookie: {pair}\r\n\r\n").as_bytes());
    assert_eq!(c.response(false).body, br#"{"user":"tess"}"#);
    drop(c);
    server.stop();
    let _ = std::fs::remove_dir_all(dir);
}
