//! examples/memcached/, a protocol written against the public library
//! surface, built and run as its user would, against Debian's memcached on
//! a free port: its counts match memcached's own `stats`, results.csv
//! matches the summary, `report` and `check` read the CSV, and bad input is
//! one line before anything is sent.

mod common;

use common::{
    Outcome, Proc, assert_accounting, finish_within, free_port, scratch, summary_figure,
    wait_for_port,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// The example's binary, built once by the same cargo that runs the tests
/// (`--message-format json` says where it is).
fn example() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        // What cargo set for this test, not for a build: a dependency's
        // build script that watches one (ring: CARGO_MANIFEST_DIR) would
        // otherwise be rebuilt here, and again by the next `cargo test`.
        let for_tests = [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
        ];
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if for_tests.iter().any(|p| text.starts_with(p)) {
                cargo.env_remove(&name);
            }
        }
        let child = cargo
            .args([
                "build",
                "--example",
                "memcached",
                "--message-format",
                "json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run cargo");
        let built = finish_within(child, Duration::from_secs(600));
        assert_eq!(
            built.code, 0,
            "cargo build --example memcached: {}",
            built.stderr
        );
        let line = built
            .stdout
            .lines()
            .find(|l| l.contains("\"name\":\"memcached\"") && l.contains("\"executable\":\""))
            .unwrap_or_else(|| panic!("no executable in cargo's output: {}", built.stdout));
        let start = line.find("\"executable\":\"").unwrap() + "\"executable\":\"".len();
        PathBuf::from(&line[start..start + line[start..].find('"').unwrap()])
    })
}

fn memcached_bin(args: &[&str]) -> Outcome {
    let child = Command::new(example())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    finish_within(child, Duration::from_secs(60))
}

/// memcached on 127.0.0.1 (no UDP), with `extra` arguments. `None` (with
/// a note) when it is not installed, unless STAMPEDE_REQUIRE_MEMCACHED is
/// set, as .ci/run does.
fn start_memcached(extra: &[&str]) -> Option<(Proc, u16)> {
    let Some(server) = ["/usr/bin/memcached", "/usr/sbin/memcached"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        assert!(
            std::env::var_os("STAMPEDE_REQUIRE_MEMCACHED").is_none(),
            "memcached is required here but not installed"
        );
        eprintln!("SKIP: memcached is not installed (apt-get install memcached)");
        return None;
    };
    let port = free_port();
    let child = Command::new(server)
        // `-u` only matters to a root user, which memcached otherwise refuses.
        .args([
            "-p",
            &port.to_string(),
            "-l",
            "127.0.0.1",
            "-U",
            "0",
            "-u",
            "nobody",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start memcached");
    let proc = Proc(child);
    wait_for_port(port);
    Some((proc, port))
}

/// memcached's own `stats` figure `name`.
fn stat(port: u16, name: &str) -> u64 {
    stat_in(&ask(port, "stats"), name)
}

/// The figure `name` in memcached's answer to `stats`.
fn stat_in(text: &str, name: &str) -> u64 {
    let prefix = format!("STAT {name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

const SET: &str = "set key:{{$randomInt 1 50}} 0 0 hello";
const GET: &str = "get key:{{$randomInt 1 50}}";

#[test]
fn counts_match_memcached_and_report_and_check_read_the_csv() {
    let Some((_memcached, port)) = start_memcached(&[]) else {
        return;
    };
    let dir = scratch("memcached-counts");
    let (csv, json) = (dir.join("results.csv"), dir.join("summary.json"));
    let url = format!("memcached://127.0.0.1:{port}");
    let out = memcached_bin(&[
        "run",
        &url,
        "-q",
        "-n",
        "600",
        "-c",
        "4",
        "-t",
        "1",
        "-o",
        csv.to_str().unwrap(),
        "--summary",
        json.to_str().unwrap(),
        "--command",
        SET,
        "--command",
        GET,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = common::read_csv(&csv);
    let json = std::fs::read_to_string(&json).unwrap();
    assert_eq!(rows.len(), 600);
    assert_accounting(&rows, &json);
    let (mut sets, mut hits, mut misses) = (0, 0, 0);
    for r in &rows {
        assert_eq!((r.status, r.error.as_str()), (200, ""), "{r:?}");
        match (r.task.as_str(), r.bytes) {
            (SET, 8) => sets += 1,   // STORED
            (GET, 5) => misses += 1, // END
            // VALUE key:N 0 5, hello, END
            (GET, 29..=30) => hits += 1,
            _ => panic!("unexpected row {r:?}"),
        }
    }
    assert!(sets > 0 && hits + misses > 0, "{sets} {hits} {misses}");
    assert_eq!(stat(port, "cmd_set"), sets);
    assert_eq!(stat(port, "cmd_get"), hits + misses);
    assert_eq!(stat(port, "get_hits"), hits);
    assert_eq!(stat(port, "get_misses"), misses);
    assert_eq!(summary_figure(&out.stdout, "Requests"), 600);

    let report = memcached_bin(&["report", csv.to_str().unwrap()]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert_eq!(summary_figure(&report.stdout, "Requests"), 600);
    assert_eq!(summary_figure(&report.stdout, "Failures"), 0);
    let check = memcached_bin(&["check", csv.to_str().unwrap(), "--max-error-rate", "0"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn an_error_reply_is_status_500() {
    let Some((_memcached, port)) = start_memcached(&[]) else {
        return;
    };
    let dir = scratch("memcached-errors");
    let csv = dir.join("results.csv");
    // memcached refuses a key longer than 250 bytes.
    let long = format!("get {}", "k".repeat(300));
    let out = memcached_bin(&[
        "run",
        &format!("memcached://127.0.0.1:{port}"),
        "-q",
        "-n",
        "20",
        "-c",
        "2",
        "-o",
        csv.to_str().unwrap(),
        "--command",
        &long,
    ]);
    let rows = common::read_csv(&csv);
    assert_eq!(rows.len(), 20, "{}", out.stderr);
    for r in &rows {
        assert_eq!((r.status, r.error.as_str()), (500, ""), "{r:?}");
    }
}

#[test]
fn bad_input_is_one_line_before_anything_is_sent() {
    for (args, needle) in [
        (&["--command", "delete k"][..], "speaks get and set"),
        (&["--command", "set k 0 0"], "set KEY FLAGS EXPTIME VALUE"),
        (&["--command", "get {{$nope}}"], "nope"),
        (&[], "a memcached target needs its commands"),
        (
            &["--command", "get k", "--var", "user=alice"],
            "--var password=PW",
        ),
        (
            &["--command", "get k", "--body", "x"],
            "--body is for HTTP targets",
        ),
    ] {
        let mut full = vec!["run", "memcached://127.0.0.1:1", "-n", "1"];
        full.extend_from_slice(args);
        memcached_bin(&full).assert_one_line_error(needle, &format!("{args:?}"));
    }
    for (url, needle) in [
        ("memcached://127.0.0.1:1/x", "has no path"),
        ("memcached://", "missing host"),
        ("memcached://h:0", "port must be"),
        ("memcached://h /", "whitespace"),
    ] {
        memcached_bin(&["run", url, "--command", "get k"]).assert_one_line_error(needle, url);
    }
}

#[test]
fn a_bad_command_in_a_scenario_names_its_file_and_line() {
    let dir = scratch("memcached-bad-scenario");
    let (file, csv) = (dir.join("mc.http"), dir.join("never.csv"));
    for (command, needle) in [
        ("delete k", "this example speaks get and set"),
        ("set k 0 0", "set KEY FLAGS EXPTIME VALUE"),
        ("get {{$nope}}", "nope"),
        ("get {{$randomInt 1", "}}"),
        ("", "expected \"MEMCACHED"),
    ] {
        let text = format!(
            "### good\nMEMCACHED memcached://127.0.0.1:1 get k\n\n### bad\nMEMCACHED memcached://127.0.0.1:1 {command}\n"
        );
        std::fs::write(&file, text).unwrap();
        let out = memcached_bin(&[
            "run",
            "-f",
            file.to_str().unwrap(),
            "-n",
            "1",
            "-o",
            csv.to_str().unwrap(),
        ]);
        out.assert_one_line_error(needle, command);
        out.assert_one_line_error(&format!("stampede: {}:5: ", file.display()), command);
        assert!(!csv.exists(), "{command}: nothing written");
    }
    // The same from --command says so.
    memcached_bin(&["run", "memcached://127.0.0.1:1", "--command", "delete k"])
        .assert_one_line_error("stampede: --command: bad memcached command", "--command");
}

#[test]
fn a_scenario_names_the_protocol_in_capitals() {
    let Some((_memcached, port)) = start_memcached(&[]) else {
        return;
    };
    let dir = scratch("memcached-scenario");
    let (file, csv) = (dir.join("mc.http"), dir.join("results.csv"));
    let text = format!(
        "@mc = memcached://127.0.0.1:{port}\n\n### set\n# @weight 3\nMEMCACHED {{{{mc}}}} set k 0 0 v{{{{$randomInt 1 9}}}}\n\n### get\nMEMCACHED {{{{mc}}}} get k\n"
    );
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let out = memcached_bin(&[
        "run",
        "-f",
        file,
        "-q",
        "-n",
        "200",
        "-c",
        "2",
        "-o",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = common::read_csv(&csv);
    let sets = rows.iter().filter(|r| r.task == "set").count() as u64;
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    assert_eq!((rows.len(), stat(port, "cmd_set")), (200, sets));
    assert_eq!(stat(port, "cmd_get"), 200 - sets);
    // --host replaces the lines' URL, and must be of the same protocol.
    let host = format!("http://127.0.0.1:{port}");
    memcached_bin(&["run", "-f", file, "--host", &host, "-n", "1"])
        .assert_one_line_error("is not a memcached:// URL", "--host http://");
}

/// memcached's answer to one command line, up to its `END`.
fn ask(port: u16, line: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("{line}\r\n").as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"END\r\n") {
        let n = s.read(&mut buf).expect("memcached answered in time");
        assert!(n > 0, "memcached closed the connection");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got).unwrap()
}

#[test]
fn the_users_settings_reach_the_protocols_init() {
    let Some((_memcached, port)) = start_memcached(&[]) else {
        return;
    };
    let url = format!("memcached://127.0.0.1:{port}");
    let out = memcached_bin(&[
        "run",
        &url,
        "-q",
        "--no-out",
        "-n",
        "3",
        "-c",
        "1",
        "-t",
        "1",
        "--var",
        "namespace=ns1:",
        "--command",
        "set k 0 0 hello",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        ask(port, "get ns1:k").contains("VALUE ns1:k 0 5"),
        "the key was namespaced"
    );
    assert_eq!(ask(port, "get k"), "END\r\n", "and only namespaced");
}

#[test]
fn memcaches_goes_over_the_tls_transport() {
    let pki = common::tls::Pki::new(&scratch("memcached-tls-pki"));
    let tls = format!(
        "ssl_chain_cert={},ssl_key={}",
        pki.server_cert.display(),
        pki.server_key.display()
    );
    // -Z: every listener speaks TLS.
    let Some((_memcached, port)) = start_memcached(&["-Z", "-o", &tls]) else {
        return;
    };
    let dir = scratch("memcached-tls");
    let (csv, json) = (dir.join("results.csv"), dir.join("summary.json"));
    let url = format!("memcaches://127.0.0.1:{port}");
    let ca = pki.ca.to_str().unwrap();
    let args = [
        "run",
        &url,
        "-q",
        "-n",
        "50",
        "-c",
        "2",
        "-t",
        "1",
        "--command",
        "set k 0 0 hello",
        "-o",
        csv.to_str().unwrap(),
        "--summary",
        json.to_str().unwrap(),
        "--cacert",
        ca,
    ];
    let out = memcached_bin(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = common::read_csv(&csv);
    assert_eq!(rows.len(), 50);
    // STORED, over two connections, each with its handshake.
    assert!(
        rows.iter().all(|r| (r.status, r.bytes) == (200, 8)),
        "{rows:?}"
    );
    assert_eq!(rows.iter().filter(|r| r.tls_us > 0).count(), 2, "{rows:?}");
    assert_accounting(&rows, &std::fs::read_to_string(&json).unwrap());
    // Without the CA, the handshake fails as for https://.
    let out = memcached_bin(&args[..args.len() - 2]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let rows = common::read_csv(&csv);
    assert!(
        rows.len() == 50 && rows.iter().all(|r| r.error == "tls"),
        "{rows:?}"
    );
    // A scenario's MEMCACHED line takes the TLS scheme too.
    let file = dir.join("mc.http");
    std::fs::write(&file, format!("### get\nMEMCACHED {url} get k\n")).unwrap();
    let out = memcached_bin(&[
        "run",
        "-f",
        file.to_str().unwrap(),
        "-q",
        "-n",
        "10",
        "-c",
        "1",
        "-o",
        csv.to_str().unwrap(),
        "--cacert",
        ca,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // VALUE k 0 5, hello, END
    let rows = common::read_csv(&csv);
    assert!(
        rows.len() == 10 && rows.iter().all(|r| (r.status, r.bytes) == (200, 25)),
        "{rows:?}"
    );
}

#[test]
fn tls_flags_name_the_tls_scheme_on_a_plain_url() {
    memcached_bin(&[
        "run",
        "memcached://127.0.0.1:1",
        "--insecure",
        "--command",
        "get k",
    ])
    .assert_one_line_error("https://, rediss:// and memcaches://", "--insecure");
}

#[test]
fn a_new_connection_logs_in_first_and_a_refused_login_is_init() {
    let dir = scratch("memcached-login");
    let auth = dir.join("auth");
    std::fs::write(&auth, "alice:s3cret\n").unwrap();
    // -Y: every connection must log in before its first command.
    let Some((_memcached, port)) = start_memcached(&["-Y", auth.to_str().unwrap()]) else {
        return;
    };
    let (csv, json) = (dir.join("results.csv"), dir.join("summary.json"));
    let url = format!("memcached://127.0.0.1:{port}");
    let run = |password: &str| {
        let mut args = vec![
            "run",
            &url,
            "-q",
            "-n",
            "20",
            "-c",
            "2",
            "-t",
            "1",
            // A new connection for each request, each with its login.
            "--no-keepalive",
            "--command",
            "set k 0 0 hello",
            "-o",
            csv.to_str().unwrap(),
            "--summary",
            json.to_str().unwrap(),
        ];
        if !password.is_empty() {
            args.extend(["--var", "user=alice", "--var", password]);
        }
        let out = memcached_bin(&args);
        let rows = common::read_csv(&csv);
        assert_eq!(rows.len(), 20, "{}", out.stderr);
        assert_accounting(&rows, &std::fs::read_to_string(&json).unwrap());
        (out, rows)
    };
    // Without a login memcached refuses each command: the test is not empty.
    let (_, rows) = run("");
    assert!(rows.iter().all(|r| r.status == 500), "{rows:?}");
    // Our own look at the stats logs in too: one more auth_cmds each time.
    let stats = || ask(port, "set auth 0 0 12\r\nalice s3cret\r\nstats");
    let before = stats();

    // The login goes first on each of the 20 connections, or memcached
    // would refuse its command; STORED is the reply's own 8 bytes.
    let (out, rows) = run("password=s3cret");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        rows.iter()
            .all(|r| (r.status, r.bytes, r.error.as_str()) == (200, 8, "")),
        "{rows:?}"
    );
    assert_eq!(summary_figure(&out.stdout, "Connections"), 20);
    let after = stats();
    let delta = |name| stat_in(&after, name) - stat_in(&before, name);
    assert_eq!((delta("auth_cmds"), delta("auth_errors")), (20 + 1, 0));

    // A wrong password: each request fails with init, and memcached's
    // words are said once, in one line.
    let (out, rows) = run("password=nope");
    assert_eq!(out.code, 1, "not one response: {}", out.stderr);
    assert!(
        rows.iter()
            .all(|r| (r.status, r.error.as_str()) == (0, "init")),
        "{rows:?}"
    );
    let said: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("refused the connection setup"))
        .collect();
    assert_eq!(said.len(), 1, "{}", out.stderr);
    // memcached's words vary with what follows the login on the wire
    // ("authentication failure", "bad authentication token format").
    assert!(said[0].contains(": CLIENT_ERROR "), "{}", said[0]);
    assert!(out.stdout.contains("Setup refused"), "{}", out.stdout);
    let before = after;
    let after = stats();
    let delta = |name| stat_in(&after, name) - stat_in(&before, name);
    assert_eq!(delta("auth_cmds"), 20 + 1, "{after}");
}

#[test]
fn pipelined_requests_match_what_memcached_counted() {
    let Some((_memcached, port)) = start_memcached(&[]) else {
        return;
    };
    let url = format!("memcached://127.0.0.1:{port}");
    for depth in ["2", "16"] {
        let (sets_before, gets_before) = (stat(port, "cmd_set"), stat(port, "cmd_get"));
        let dir = scratch(&format!("memcached-pipeline-{depth}"));
        let csv = dir.join("results.csv");
        let out = memcached_bin(&[
            "run",
            &url,
            "-q",
            "-n",
            "2000",
            "-c",
            "3",
            "-t",
            "1",
            "--pipeline",
            depth,
            "-o",
            csv.to_str().unwrap(),
            "--command",
            SET,
            "--command",
            GET,
        ]);
        assert_eq!(out.code, 0, "depth {depth}: {}", out.stderr);
        let rows = common::read_csv(&csv);
        assert_eq!(rows.len(), 2000, "depth {depth}");
        let mut sets = 0;
        for r in &rows {
            // A reply read for the wrong request shows as the wrong size.
            match (r.status, r.task.as_str(), r.bytes) {
                (200, SET, 8) => sets += 1,
                (200, GET, 5 | 29..=30) => {}
                _ => panic!("depth {depth}: unexpected row {r:?}"),
            }
        }
        assert_eq!(stat(port, "cmd_set") - sets_before, sets, "depth {depth}");
        assert_eq!(
            stat(port, "cmd_get") - gets_before,
            2000 - sets,
            "depth {depth}"
        );
    }
}
