//! `stampede serve --tls-cert --tls-key` against clients we did not write
//! (curl and `openssl s_client`, both on OpenSSL), with a throwaway PKI made
//! in each test. The server's stop line must count exactly what the clients
//! did: connections, requests, full and resumed handshakes.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::tls::Pki;
use common::{ServeCounts, scratch, stampede, start_serve_tls, start_serve_with, stop_serve};

/// curl with a time limit, trusting `pki`'s CA; `args` end with the URLs.
fn curl(pki: &Pki, args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(&pki.ca)
        .args(args)
        .output()
        .expect("run curl (apt-get install curl)")
}

fn body(out: &Output) -> String {
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn hello_over_tls_1_2_and_1_3_with_alpn_http_1_1() {
    let pki = Pki::new(&scratch("tls-versions"));
    let (serve, url) = start_serve_tls(&pki, &[]);
    let hello = format!("{url}/hello");
    for (version, flags) in [
        ("TLSv1.2", &["--tlsv1.2", "--tls-max", "1.2"][..]),
        ("TLSv1.3", &["--tlsv1.3"][..]),
    ] {
        let mut args = vec!["-v"];
        args.extend_from_slice(flags);
        args.push(&hello);
        let out = curl(&pki, &args);
        assert_eq!(body(&out), r#"{"message":"hello"}"#);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            log.contains(&format!("SSL connection using {version}")),
            "{log}"
        );
        assert!(log.contains("ALPN: server accepted http/1.1"), "{log}");
    }
    let counts = stop_serve(serve);
    assert_eq!(
        counts,
        ServeCounts {
            requests: 2,
            connections: 2,
            handshakes: 2,
            resumed: 0
        }
    );
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let pki = Pki::new(&scratch("tls-keepalive"));
    let upload = pki.dir.join("upload.bin");
    // Larger than a TLS record, so the body comes in many reads.
    let sent: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&upload, &sent).unwrap();
    let (serve, url) = start_serve_tls(&pki, &[]);
    let echoed = pki.dir.join("echoed.bin");
    let data = format!("@{}", path(&upload));
    let out = curl(
        &pki,
        &[
            "-w",
            "%{http_code} %{size_download} %{num_connects}\n",
            &format!("{url}/hello"),
            "-o",
            "/dev/null",
            &format!("{url}/bytes/3000000"),
            "-o",
            "/dev/null",
            &format!("{url}/chunked/100000"),
            "-o",
            "/dev/null",
            &format!("{url}/status/503"),
            "-o",
            "/dev/null",
            // The upload's options go with it alone; the connection stays.
            "--next",
            "-sS",
            "--max-time",
            "10",
            "--cacert",
            path(&pki.ca),
            "-w",
            "%{http_code} %{size_download} %{num_connects}\n",
            "--data-binary",
            &data,
            "-H",
            "Content-Type: application/octet-stream",
            &format!("{url}/api/upload"),
            "-o",
            path(&echoed),
        ],
    );
    let report = body(&out);
    assert_eq!(
        report.lines().collect::<Vec<_>>(),
        [
            "200 19 1",
            "200 3000000 0",
            "200 100000 0",
            "503 19 0",
            "200 300000 0"
        ],
        "one connection for all five (num_connects 1, then 0)"
    );
    assert!(std::fs::read(&echoed).unwrap() == sent, "the upload echoed");
    let counts = stop_serve(serve);
    assert_eq!(
        counts,
        ServeCounts {
            requests: 5,
            connections: 1,
            handshakes: 1,
            resumed: 0
        }
    );
}

/// 2000 pipelined requests written at once: rustls hands them over in
/// pieces, and the server must keep reading past a short read.
#[test]
fn pipelined_requests_over_tls_are_all_answered() {
    let pki = Pki::new(&scratch("tls-pipelined"));
    let (serve, url) = start_serve_tls(&pki, &[]);
    let port = url.rsplit(':').next().unwrap();
    let mut input = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1999);
    input.push_str("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let out = s_client(&pki, port, &["-quiet"], input.as_bytes());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2000);
    let counts = stop_serve(serve);
    assert_eq!((counts.requests, counts.connections), (2000, 1));
}

/// `openssl s_client` to 127.0.0.1:`port`, trusting `pki`'s CA, with
/// `input` on its stdin; it ends when the server closes.
fn s_client(pki: &Pki, port: &str, flags: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-CAfile")
        .arg(&pki.ca)
        .args(["-verify_return_error", "-ign_eof"])
        .args(flags)
        .current_dir(&pki.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl s_client");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Resumption, as the server counts it: TLS 1.2 by session id (the shared
/// session cache) and by ticket, TLS 1.3 by ticket, on two server threads.
#[test]
fn resumed_sessions_are_counted() {
    let pki = Pki::new(&scratch("tls-resume"));
    let (serve, url) = start_serve_tls(&pki, &["--threads", "2"]);
    let port = url.rsplit(':').next().unwrap();
    let request = b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut resumed = 0;
    for (case, flags) in [
        ("tls1.2-id", &["-tls1_2", "-no_ticket"][..]),
        ("tls1.2-ticket", &["-tls1_2"][..]),
        ("tls1.3", &["-tls1_3"][..]),
    ] {
        let session = format!("{case}.session");
        let mut first = flags.to_vec();
        first.extend(["-sess_out", &session]);
        let out = s_client(&pki, port, &first, request);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("\nNew, TLSv1."), "{case}: {text}");
        for _ in 0..3 {
            let mut again = flags.to_vec();
            again.extend(["-sess_in", &session]);
            let out = s_client(&pki, port, &again, request);
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("\nReused, TLSv1."), "{case}: {text}");
            assert!(text.contains("HTTP/1.1 200 OK"), "{case}: {text}");
            resumed += 1;
        }
    }
    let counts = stop_serve(serve);
    assert_eq!(
        counts,
        ServeCounts {
            requests: 12,
            connections: 12,
            handshakes: 12,
            resumed
        }
    );
}

#[test]
fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let pki = Pki::new(&scratch("tls-mutual"));
    let (serve, url) = start_serve_tls(&pki, &["--tls-client-ca", path(&pki.ca)]);
    let hello = format!("{url}/hello");
    let with_cert = [
        "--cert",
        path(&pki.client_cert),
        "--key",
        path(&pki.client_key),
    ];
    for version in ["--tlsv1.3", "--tlsv1.2"] {
        let mut args = vec![version, "--tls-max", &version[6..]];
        args.extend_from_slice(&with_cert);
        args.push(&hello);
        assert_eq!(body(&curl(&pki, &args)), r#"{"message":"hello"}"#);
        // No certificate, or one that the CA did not sign: refused.
        let without = curl(&pki, &[version, "--tls-max", &version[6..], &hello]);
        assert!(!without.status.success(), "no client certificate");
        assert!(without.stdout.is_empty());
        let stranger = curl(
            &pki,
            &[
                version,
                "--tls-max",
                &version[6..],
                "--cert",
                path(&pki.untrusted_cert),
                "--key",
                path(&pki.untrusted_key),
                &hello,
            ],
        );
        assert!(!stranger.status.success(), "a certificate from another CA");
        assert!(stranger.stdout.is_empty());
    }
    let counts = stop_serve(serve);
    assert_eq!(
        counts,
        ServeCounts {
            requests: 2,
            connections: 6,
            handshakes: 2,
            resumed: 0
        }
    );
}

/// Clients that break off or speak nonsense cost the server one connection
/// each, and nothing else.
#[test]
fn broken_clients_do_not_hurt_the_server() {
    let pki = Pki::new(&scratch("tls-broken"));
    let (serve, url) = start_serve_tls(&pki, &[]);
    let addr = url.trim_start_matches("https://").to_string();
    let connect = || {
        let s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    };
    // Closes in the middle of its hello (a record header, then 3 of its
    // 512 promised bytes).
    let mut half = connect();
    half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01])
        .unwrap();
    drop(half);
    // Connects and leaves without a word.
    drop(connect());
    // Garbage, and plain HTTP: the server answers with an alert (or
    // nothing) and closes, instead of waiting for more.
    for junk in [
        (0..4096u32)
            .map(|i| (i * 7919 % 256) as u8)
            .collect::<Vec<_>>(),
        b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
    ] {
        let mut s = connect();
        let _ = s.write_all(&junk);
        let mut answer = Vec::new();
        let read = s.read_to_end(&mut answer);
        assert!(
            read.is_ok() || read.as_ref().is_err_and(is_reset),
            "the server closes: {read:?}"
        );
        assert!(answer.len() < 100, "at most an alert: {answer:?}");
    }
    // Still serving.
    let out = curl(&pki, &[&format!("{url}/hello")]);
    assert_eq!(body(&out), r#"{"message":"hello"}"#);
    let counts = stop_serve(serve);
    assert_eq!(
        counts,
        ServeCounts {
            requests: 1,
            connections: 5,
            handshakes: 1,
            resumed: 0
        }
    );
}

fn is_reset(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::ConnectionReset
}

#[test]
fn bad_tls_inputs_exit_2_before_listening() {
    let pki = Pki::new(&scratch("tls-inputs"));
    let dir = &pki.dir;
    std::fs::write(dir.join("empty.pem"), "").unwrap();
    std::fs::write(dir.join("text.pem"), "not a certificate\n").unwrap();
    std::fs::write(
        dir.join("broken.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("junk-der.pem"),
        "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("junk-key.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAECAwQF\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let f = |name: &str| path(&dir.join(name)).to_string();
    let (cert, key) = (path(&pki.server_cert), path(&pki.server_key));
    let (empty, text, broken, junk) = (
        f("empty.pem"),
        f("text.pem"),
        f("broken.pem"),
        f("junk-der.pem"),
    );
    let (missing, junk_key) = (f("missing.pem"), f("junk-key.pem"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--tls-cert", &missing, "--tls-key", key],
            "cannot read",
        ),
        (
            vec!["--tls-cert", path(dir), "--tls-key", key],
            "cannot read",
        ),
        (
            vec!["--tls-cert", &empty, "--tls-key", key],
            "no certificate",
        ),
        (
            vec!["--tls-cert", &text, "--tls-key", key],
            "no certificate",
        ),
        (vec!["--tls-cert", key, "--tls-key", key], "no certificate"),
        (
            vec!["--tls-cert", &broken, "--tls-key", key],
            "not valid PEM",
        ),
        (
            vec!["--tls-cert", &junk, "--tls-key", key],
            "not a valid certificate",
        ),
        (
            vec!["--tls-cert", cert, "--tls-key", &missing],
            "cannot read",
        ),
        (
            vec!["--tls-cert", cert, "--tls-key", &empty],
            "no private key",
        ),
        (
            vec!["--tls-cert", cert, "--tls-key", &junk_key],
            "not a usable key",
        ),
        (
            vec!["--tls-cert", cert, "--tls-key", cert],
            "no private key",
        ),
        (
            vec!["--tls-cert", cert, "--tls-key", path(&pki.untrusted_key)],
            "does not match the certificate",
        ),
        (vec!["--tls-key", key], "--tls-key needs --tls-cert"),
        (vec!["--tls-cert", cert], "--tls-cert needs --tls-key"),
        (
            vec!["--tls-client-ca", path(&pki.ca)],
            "--tls-client-ca needs --tls-cert",
        ),
        (
            vec![
                "--tls-cert",
                cert,
                "--tls-key",
                key,
                "--tls-client-ca",
                &empty,
            ],
            "--tls-client-ca",
        ),
        (
            vec![
                "--tls-cert",
                cert,
                "--tls-key",
                key,
                "--tls-client-ca",
                &missing,
            ],
            "cannot read",
        ),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--threads", "1"];
        args.extend_from_slice(&flags);
        let out = stampede(&args, Duration::from_secs(10));
        let case = format!("{flags:?}");
        out.assert_one_line_error(needle, &case);
        assert!(
            out.stderr.starts_with("stampede: "),
            "{case}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{case}: never listened");
    }
}

#[test]
fn plain_serve_says_what_it_served_without_tls_figures() {
    let (serve, url) = start_serve_with(&[]);
    for _ in 0..2 {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10"])
            .arg(format!("{url}/hello"))
            .arg(format!("{url}/status/204"))
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    assert_eq!(
        stop_serve(serve),
        ServeCounts {
            requests: 4,
            connections: 2,
            handshakes: 0,
            resumed: 0
        }
    );
}
