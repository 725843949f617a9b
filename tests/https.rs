//! HTTPS against nginx with TLS (a server we did not write), with a
//! throwaway CA made by openssl in each test. nginx's access log counts
//! what the client did: connections, requests per connection, and whether
//! each TLS session was resumed.

mod common;

use common::tls::Pki;
use common::{
    NGINX_LOG, Proc, assert_accounting, nginx_connections, run_recorded_args, start_nginx_with,
};
use std::collections::BTreeMap;
use std::path::PathBuf;

struct Nginx {
    _proc: Proc,
    url: String,
    dir: PathBuf,
    pki: Pki,
}

/// nginx on TLS with a certificate from a fresh CA; `extra` goes in its
/// server block (protocols, client certificates).
fn nginx_tls(name: &str, extra: &str) -> Option<Nginx> {
    nginx_tls_with(name, |_| extra.to_string())
}

/// `nginx_tls`, with server settings that name the CA's files.
fn nginx_tls_with(name: &str, extra: impl Fn(&Pki) -> String) -> Option<Nginx> {
    let pki = Pki::new(&common::scratch(&format!("{name}-pki")));
    let extra = extra(&pki);
    let http =
        format!("{NGINX_LOG} ssl_session_cache shared:SSL:1m; ssl_protocols TLSv1.2 TLSv1.3;");
    let server = format!(
        "access_log {{dir}}/access.log counted; ssl_certificate {}; ssl_certificate_key {}; {extra}",
        pki.server_cert.display(),
        pki.server_key.display()
    );
    // The log path needs nginx's own scratch dir, known once it is made.
    let dir = common::scratch_path(&format!("nginx-{name}"));
    let server = server.replace("{dir}", &dir.display().to_string());
    let (proc, port, dir) = start_nginx_with(name, "ssl", &http, &server)?;
    Some(Nginx {
        _proc: proc,
        url: format!("https://127.0.0.1:{port}/hello"),
        dir,
        pki,
    })
}

/// Per connection: (requests, whether its handshake resumed), from the log.
fn connections(nginx: &Nginx) -> BTreeMap<u64, (u64, bool)> {
    nginx_connections(&nginx.dir)
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn keep_alive_over_tls_verified_with_cacert() {
    let Some(nginx) = nginx_tls("https-keepalive", "") else {
        return;
    };
    let ca = path(&nginx.pki.ca);
    let args = [
        &nginx.url, "-n", "200", "-c", "4", "-t", "1", "--cacert", ca,
    ];
    let (out, rows, json) = run_recorded_args("https-keepalive", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_accounting(&rows, &json);
    assert_eq!(rows.len(), 200);
    assert!(rows.iter().all(|r| r.status == 200 && r.error.is_empty()));
    let conns = connections(&nginx);
    assert_eq!(conns.len(), 4, "one connection per user: {conns:?}");
    assert_eq!(conns.values().map(|c| c.0).sum::<u64>(), 200);
}

#[test]
fn an_untrusted_certificate_is_a_tls_error_said_once() {
    let Some(nginx) = nginx_tls("https-untrusted", "") else {
        return;
    };
    let args = [&nginx.url, "-n", "20", "-c", "2", "-t", "1"];
    let (out, rows, json) = run_recorded_args("https-untrusted", &args);
    assert_eq!(out.code, 1, "not one response: {}", out.stderr);
    assert_accounting(&rows, &json);
    assert_eq!(rows.len(), 20);
    assert!(
        rows.iter().all(|r| r.error == "tls" && r.status == 0),
        "{rows:?}"
    );
    let why = "certificate not trusted (UnknownIssuer): pass --cacert FILE or --insecure";
    assert_eq!(out.stderr.matches(why).count(), 1, "{}", out.stderr);
    assert!(json.contains(why), "{json}");
    assert!(connections(&nginx).is_empty(), "no request reached nginx");
}

#[test]
fn insecure_skips_verification_and_warns_once() {
    let Some(nginx) = nginx_tls("https-insecure", "") else {
        return;
    };
    let args = [&nginx.url, "-n", "20", "-c", "2", "-t", "1", "-k"];
    let (out, rows, _) = run_recorded_args("https-insecure", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.status == 200));
    assert_eq!(
        out.stderr.matches("--insecure").count(),
        1,
        "{}",
        out.stderr
    );
}

#[test]
fn no_keepalive_opens_a_connection_per_request_and_resumes_sessions() {
    let Some(nginx) = nginx_tls("https-nokeepalive", "") else {
        return;
    };
    let ca = path(&nginx.pki.ca);
    let args = [
        &nginx.url,
        "-n",
        "60",
        "-c",
        "2",
        "-t",
        "1",
        "--cacert",
        ca,
        "--no-keepalive",
    ];
    let (out, rows, json) = run_recorded_args("https-nokeepalive", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_accounting(&rows, &json);
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    let conns = connections(&nginx);
    assert_eq!(conns.len(), 60, "a connection per request");
    assert!(conns.values().all(|c| c.0 == 1));
    // Each user's first handshake is full; the two may race for the cache.
    let resumed = conns.values().filter(|c| c.1).count();
    assert!(resumed >= 58, "{resumed} of 60 resumed");
}

#[test]
fn no_tls_resume_makes_every_handshake_full() {
    let Some(nginx) = nginx_tls("https-noresume", "") else {
        return;
    };
    let ca = path(&nginx.pki.ca);
    let args = [
        &nginx.url,
        "-n",
        "30",
        "-c",
        "2",
        "-t",
        "1",
        "--cacert",
        ca,
        "--no-keepalive",
        "--no-tls-resume",
    ];
    let (out, rows, _) = run_recorded_args("https-noresume", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 30);
    let conns = connections(&nginx);
    assert_eq!(conns.len(), 30);
    assert_eq!(conns.values().filter(|c| c.1).count(), 0, "none resumed");
}

#[test]
fn requests_per_conn_reconnects_after_n_in_both_models() {
    let Some(nginx) = nginx_tls("https-perconn", "") else {
        return;
    };
    let ca = path(&nginx.pki.ca);
    // Closed model: 100 requests over 2 users, 10 per connection; a user's
    // last connection may carry fewer (the users share the worker's 100).
    let args = [
        &nginx.url,
        "-n",
        "100",
        "-c",
        "2",
        "-t",
        "1",
        "--cacert",
        ca,
        "--requests-per-conn",
        "10",
    ];
    let (out, rows, json) = run_recorded_args("https-perconn", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_accounting(&rows, &json);
    let conns = connections(&nginx);
    assert_eq!(conns.values().map(|c| c.0).sum::<u64>(), 100);
    assert!(conns.values().all(|c| c.0 <= 10), "{conns:?}");
    assert!(
        conns.values().filter(|c| c.0 < 10).count() <= 2,
        "{conns:?}"
    );
    // Open model: 40 arrivals on 1 connection at most, 4 per connection.
    let _ = std::fs::write(nginx.dir.join("access.log"), "");
    let args = [
        &nginx.url,
        "--rate",
        "200",
        "-n",
        "40",
        "-c",
        "1",
        "-t",
        "1",
        "--cacert",
        ca,
        "--requests-per-conn",
        "4",
    ];
    let (out, rows, _) = run_recorded_args("https-perconn-open", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    let conns = connections(&nginx);
    assert_eq!(conns.len(), 10, "{conns:?}");
}

#[test]
fn tls_1_2_and_1_3_servers_both_work() {
    for version in ["TLSv1.2", "TLSv1.3"] {
        let name = format!("https-{}", version.replace('.', ""));
        let Some(nginx) = nginx_tls(&name, &format!("ssl_protocols {version};")) else {
            return;
        };
        let ca = path(&nginx.pki.ca);
        let args = [&nginx.url, "-n", "10", "-c", "1", "-t", "1", "--cacert", ca];
        let (out, rows, _) = run_recorded_args(&name, &args);
        assert_eq!(out.code, 0, "{version}: {}", out.stderr);
        assert!(rows.iter().all(|r| r.status == 200));
        let log = std::fs::read_to_string(nginx.dir.join("access.log")).unwrap();
        assert!(log.lines().all(|l| l.contains(version)), "{log}");
    }
}

#[test]
fn mutual_tls_with_a_client_certificate() {
    // nginx trusts client certificates from the server's own CA.
    let client_ca = |pki: &Pki| {
        format!(
            "ssl_verify_client on; ssl_client_certificate {};",
            pki.ca.display()
        )
    };
    let Some(nginx) = nginx_tls_with("https-mtls", client_ca) else {
        return;
    };
    let (ca, cert, key) = (
        path(&nginx.pki.ca),
        path(&nginx.pki.client_cert),
        path(&nginx.pki.client_key),
    );
    let base = [
        &nginx.url as &str,
        "-n",
        "10",
        "-c",
        "1",
        "-t",
        "1",
        "--cacert",
        ca,
    ];
    let mut with = base.to_vec();
    with.extend(["--cert", cert, "--key", key]);
    let (out, rows, _) = run_recorded_args("https-mtls-with", &with);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    // nginx finishes the handshake and answers 400 when no certificate came.
    let (_, rows, _) = run_recorded_args("https-mtls-without", &base);
    assert!(rows.iter().all(|r| r.status == 400), "{rows:?}");
}
