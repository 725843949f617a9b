//! HTTPS against our own `serve --tls-cert`, counted by serve's stop line:
//! requests, connections, TLS handshakes and how many resumed. The run's
//! own figures (CSV, summary JSON) must say the same.

mod common;

use common::tls::Pki;
use common::{
    ServeCounts, assert_accounting, json_number, run_recorded_args, scratch, start_serve_tls,
    stop_serve,
};

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// Run against a fresh TLS serve; returns what serve counted, the rows and
/// the JSON. `args` follow the URL.
fn run_counted(
    name: &str,
    serve_extra: &[&str],
    args: &[&str],
) -> (ServeCounts, Vec<common::Row>, String, Pki) {
    let pki = Pki::new(&scratch(&format!("{name}-pki")));
    let (serve, base) = start_serve_tls(&pki, serve_extra);
    let url = format!("{base}/hello");
    let ca = path(&pki.ca).to_string();
    let mut full = vec![url.as_str(), "-t", "1", "--cacert", &ca];
    full.extend_from_slice(args);
    let (out, rows, json) = run_recorded_args(name, &full);
    let counts = stop_serve(serve);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    (counts, rows, json, pki)
}

#[test]
fn keep_alive_opens_one_connection_per_user() {
    let (counts, rows, json, _) =
        run_counted("serve-tls-keepalive", &[], &["-n", "300", "-c", "3"]);
    assert_accounting(&rows, &json);
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    assert_eq!(
        (counts.requests, counts.connections, counts.handshakes),
        (300, 3, 3)
    );
    assert_eq!(json_number(&json, "connections_opened"), 3.0);
    // The request that opened a connection carries its connect and TLS times.
    assert_eq!(rows.iter().filter(|r| r.tls_us > 0).count(), 3);
    assert_eq!(rows.iter().filter(|r| r.connect_us > 0).count(), 3);
}

#[test]
fn no_keepalive_resumes_every_session_but_the_first() {
    let (counts, rows, json, _) = run_counted(
        "serve-tls-nokeepalive",
        &[],
        &["-n", "50", "-c", "1", "--no-keepalive"],
    );
    assert_accounting(&rows, &json);
    assert!(
        rows.iter()
            .all(|r| r.status == 200 && r.connect_us > 0 && r.tls_us > 0)
    );
    assert_eq!(
        (counts.requests, counts.connections, counts.handshakes),
        (50, 50, 50)
    );
    assert_eq!(
        counts.resumed, 49,
        "one user: every later handshake resumes"
    );
    assert_eq!(json_number(&json, "connections_resumed"), 49.0);
}

#[test]
fn no_tls_resume_does_a_full_handshake_every_time() {
    let (counts, _, json, _) = run_counted(
        "serve-tls-noresume",
        &[],
        &["-n", "30", "-c", "1", "--no-keepalive", "--no-tls-resume"],
    );
    assert_eq!(
        (counts.connections, counts.handshakes, counts.resumed),
        (30, 30, 0)
    );
    assert_eq!(json_number(&json, "connections_resumed"), 0.0);
}

#[test]
fn requests_per_conn_in_the_open_model() {
    let (counts, rows, json, _) = run_counted(
        "serve-tls-perconn",
        &[],
        &[
            "--rate",
            "200",
            "-n",
            "40",
            "-c",
            "1",
            "--requests-per-conn",
            "8",
        ],
    );
    assert_accounting(&rows, &json);
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    assert_eq!((counts.requests, counts.connections), (40, 5));
}

#[test]
fn mutual_tls_refused_without_a_client_certificate_says_why() {
    let pki = Pki::new(&scratch("serve-mtls-pki"));
    let client_ca = path(&pki.ca).to_string();
    let (serve, base) = start_serve_tls(&pki, &["--tls-client-ca", &client_ca]);
    let url = format!("{base}/hello");
    let ca = path(&pki.ca);
    let (out, rows, json) = run_recorded_args(
        "serve-mtls-without",
        &[&url, "-n", "5", "-c", "1", "--cacert", ca],
    );
    assert_eq!(out.code, 1, "not one response: {}", out.stderr);
    assert_accounting(&rows, &json);
    assert!(rows.iter().all(|r| r.error == "tls"), "{rows:?}");
    assert_eq!(
        out.stderr.matches("--cert FILE --key FILE").count(),
        1,
        "{}",
        out.stderr
    );
    let (cert, key) = (path(&pki.client_cert), path(&pki.client_key));
    let args = [
        &url as &str,
        "-n",
        "5",
        "-c",
        "1",
        "--cacert",
        ca,
        "--cert",
        cert,
        "--key",
        key,
    ];
    let (out, rows, _) = run_recorded_args("serve-mtls-with", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    let counts = stop_serve(serve);
    assert_eq!(
        counts.requests, 5,
        "only the run with a certificate got answers"
    );
}

#[test]
fn a_server_that_closes_mid_handshake_is_a_tls_error_not_a_hang() {
    // A listener that accepts, reads the ClientHello and closes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(5) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 512];
            let _ = std::io::Read::read(&mut stream, &mut buf);
        }
    });
    let url = format!("https://127.0.0.1:{port}/");
    let (out, rows, json) = run_recorded_args(
        "tls-midhandshake",
        &[
            &url,
            "-n",
            "5",
            "-c",
            "1",
            "-t",
            "1",
            "-k",
            "--timeout",
            "5s",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_accounting(&rows, &json);
    assert!(rows.iter().all(|r| r.error == "tls"), "{rows:?}");
    // Failed at once, not at the timeout.
    assert!(rows.iter().all(|r| r.latency_us < 1_000_000), "{rows:?}");
    assert!(
        out.stderr
            .contains("closed the connection during the TLS handshake"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_self_signed_ca_certificate_as_the_servers_says_what_to_do() {
    // `openssl req -x509` marks its certificate as a CA: trusting it with
    // --cacert cannot make it a server's certificate.
    let pki = Pki::new(&scratch("serve-selfsigned-pki"));
    let cert = path(&pki.untrusted_cert);
    let self_signed = Pki {
        server_cert: pki.untrusted_cert.clone(),
        server_key: pki.untrusted_key.clone(),
        ..Pki::new(&scratch("serve-selfsigned-pki2"))
    };
    let (serve, base) = start_serve_tls(&self_signed, &[]);
    let url = format!("{base}/hello");
    let (out, rows, _) = run_recorded_args(
        "serve-selfsigned",
        &[&url, "-n", "3", "-c", "1", "-t", "1", "--cacert", cert],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.error == "tls"), "{rows:?}");
    assert!(
        out.stderr
            .contains("is a CA certificate (CaUsedAsEndEntity)"),
        "{}",
        out.stderr
    );
    let (out, rows, _) = run_recorded_args(
        "serve-selfsigned-k",
        &[&url, "-n", "3", "-c", "1", "-t", "1", "-k"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    drop(serve);
}

#[test]
fn the_system_ca_bundle_is_found_or_said_plainly() {
    let pki = Pki::new(&scratch("serve-bundle-pki"));
    let (serve, base) = start_serve_tls(&pki, &[]);
    let url = format!("{base}/hello");
    let ca = path(&pki.ca);
    let run = |env: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            &url as &str,
            "-n",
            "2",
            "-c",
            "1",
            "-t",
            "1",
            "--no-out",
            "-q",
        ];
        args.extend_from_slice(extra);
        let child = std::process::Command::new(common::BIN)
            .args(&args)
            .env("SSL_CERT_FILE", env)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        common::finish_within(child, std::time::Duration::from_secs(30))
    };
    // An empty SSL_CERT_FILE is no setting at all.
    let out = run("", &["--cacert", ca]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A missing bundle does not matter when --cacert brings the CA ...
    let out = run("/nonexistent/bundle.pem", &["--cacert", ca]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // ... and is one clear line otherwise.
    let out = run("/nonexistent/bundle.pem", &[]);
    out.assert_one_line_error(
        "set SSL_CERT_FILE to a CA bundle, or pass --cacert FILE",
        "no bundle",
    );
    drop(serve);
}

#[test]
fn keys_that_cannot_be_used_say_why() {
    let pki = Pki::new(&scratch("serve-keys-pki"));
    let dir = &pki.dir;
    let openssl = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "pkey",
        "-in",
        "client.key",
        "-aes256",
        "-passout",
        "pass:x",
        "-out",
        "enc.key",
    ]);
    openssl(&["genrsa", "-out", "rsa1024.key", "1024"]);
    openssl(&[
        "req",
        "-x509",
        "-key",
        "rsa1024.key",
        "-subj",
        "/CN=x",
        "-days",
        "1",
        "-out",
        "rsa1024.pem",
    ]);
    let url = "https://127.0.0.1:9/";
    let (cert, enc) = (path(&pki.client_cert), dir.join("enc.key"));
    let out = common::stampede(
        &["run", url, "--cert", cert, "--key", path(&enc)],
        std::time::Duration::from_secs(30),
    );
    out.assert_one_line_error("the key is encrypted; decrypt it first", "encrypted key");
    let (rsa_cert, rsa_key) = (dir.join("rsa1024.pem"), dir.join("rsa1024.key"));
    let out = common::stampede(
        &[
            "run",
            url,
            "--cert",
            path(&rsa_cert),
            "--key",
            path(&rsa_key),
        ],
        std::time::Duration::from_secs(30),
    );
    out.assert_one_line_error("RSA keys need at least 2048 bits", "RSA 1024 client key");
    let out = common::stampede(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--tls-cert",
            path(&rsa_cert),
            "--tls-key",
            path(&rsa_key),
        ],
        std::time::Duration::from_secs(30),
    );
    out.assert_one_line_error("RSA keys need at least 2048 bits", "RSA 1024 server key");
}
