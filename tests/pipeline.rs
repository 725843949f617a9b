//! `--pipeline N` through the real binary: counts against what the server
//! counted, replies matched to their requests in order (two tasks whose
//! replies differ in size: a reply read for the wrong request shows as a
//! row of the wrong size), against `serve`, nginx and redis-server at
//! depths 1, 2 and 16, in both load models, and servers that close
//! connections mid-pipeline.

mod common;
use common::nginx::{NGINX_LOG, nginx_connections, start_nginx_with};
use common::redis::{redis_lines, start_redis};
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const DEPTHS: [&str; 3] = ["1", "2", "16"];

/// Every row a success, and each task's rows all of one size, a size
/// no other task's rows have: no reply was read for another request.
/// Returns the rows per task.
fn assert_in_order(rows: &[Row], case: &str) -> BTreeMap<String, usize> {
    let mut sizes: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for r in rows {
        assert!(r.status == 200 && r.error.is_empty(), "{case}: {r:?}");
        sizes.entry(r.task.clone()).or_default().insert(r.bytes);
        *counts.entry(r.task.clone()).or_default() += 1;
    }
    let all: BTreeSet<u64> = sizes.values().flatten().copied().collect();
    assert!(
        sizes.values().all(|s| s.len() == 1) && all.len() == sizes.len(),
        "{case}: replies of the wrong size for their task: {sizes:?}"
    );
    counts
}

#[test]
fn counts_and_order_against_serve_in_both_models() {
    let file = scenario(
        "pipeline-serve",
        "### small\nGET /bytes/10\n\n### big\nGET /bytes/3000\n",
    );
    for depth in DEPTHS {
        for (model, extra) in [
            ("closed", &["-n", "3000", "-c", "3"][..]),
            // -n: the queue at the end is sent, not recorded as unsent.
            ("open", &["--rate", "3000", "-n", "3000", "-c", "2"]),
        ] {
            let case = format!("{model} at depth {depth}");
            let (serve, base) = start_serve();
            let mut args = vec!["-f", &file, "--host", &base, "-t", "1", "--pipeline", depth];
            args.extend_from_slice(extra);
            let (out, rows, json) =
                run_recorded_args(&format!("pipeline-serve-{model}-{depth}"), &args);
            assert_eq!(out.code, 0, "{case}: {}", out.stderr);
            assert_eq!(rows.len(), 3000, "{case}");
            let counts = assert_in_order(&rows, &case);
            assert_eq!(counts.len(), 2, "{case}: both tasks ran");
            assert_accounting(&rows, &json);
            let served = stop_serve(serve);
            assert_eq!(served.requests, 3000, "{case}: what serve answered");
            assert!(served.connections <= 3, "{case}: {served:?}");
            assert_eq!(json_number(&json, "requests_resent"), 0.0, "{case}");
        }
    }
}

#[test]
fn counts_and_order_against_nginx() {
    let big = "y".repeat(2000);
    let server = format!(
        "location = /small {{ return 200 'x'; }}\n    location = /big {{ return 200 '{big}'; }}"
    );
    let http = format!("{NGINX_LOG}\n  keepalive_requests 100000;");
    let file = scenario(
        "pipeline-nginx",
        "### small\nGET /small\n\n### big\nGET /big\n",
    );
    for depth in DEPTHS {
        let case = format!("nginx at depth {depth}");
        let log = format!(
            "access_log {}/access.log counted;",
            nginx_dir(depth).display()
        );
        let server = format!("{server}\n    {log}");
        let Some((_nginx, port, dir)) =
            start_nginx_with(&format!("pipeline-{depth}"), "", &http, &server)
        else {
            return;
        };
        let host = format!("http://127.0.0.1:{port}");
        let args = [
            "-f",
            &file,
            "--host",
            &host,
            "-t",
            "1",
            "-c",
            "4",
            "-n",
            "4000",
            "--pipeline",
            depth,
        ];
        let (out, rows, json) = run_recorded_args(&format!("pipeline-nginx-run-{depth}"), &args);
        assert_eq!(out.code, 0, "{case}: {}", out.stderr);
        assert_eq!(rows.len(), 4000, "{case}");
        assert_in_order(&rows, &case);
        assert_accounting(&rows, &json);
        let logged = wait_for_log(&dir, 4000);
        assert_eq!(
            logged.values().map(|(n, _)| n).sum::<u64>(),
            4000,
            "{case}: nginx's log"
        );
        assert_eq!(logged.len(), 4, "{case}: one connection per user");
    }
}

/// nginx writes its log as it answers; give it a moment to catch up.
fn wait_for_log(dir: &std::path::Path, want: u64) -> BTreeMap<u64, (u64, bool)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let logged = nginx_connections(dir);
        let total: u64 = logged.values().map(|(n, _)| n).sum();
        if total >= want || std::time::Instant::now() > deadline {
            return logged;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The scratch directory `start_nginx_with` gives nginx `pipeline-{name}`.
fn nginx_dir(name: &str) -> std::path::PathBuf {
    scratch_path(&format!("nginx-pipeline-{name}"))
}

#[test]
fn nginx_closing_mid_pipeline_loses_nothing() {
    // nginx answers 10 requests on a connection, the 10th with
    // `Connection: close`, and drops the requests pipelined behind it:
    // each is sent again, on a new connection, and answered once.
    let http = format!("{NGINX_LOG}\n  keepalive_requests 10;");
    let log = format!(
        "access_log {}/access.log counted;",
        nginx_dir("closing").display()
    );
    let Some((_nginx, port, dir)) = start_nginx_with("pipeline-closing", "", &http, &log) else {
        return;
    };
    let url = format!("http://127.0.0.1:{port}/hello");
    let args = ["-t", "1", "-c", "2", "-n", "2000", "--pipeline", "16"];
    let (out, rows, json) = run_recorded("pipeline-nginx-closing", &url, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 2000);
    assert!(rows.iter().all(|r| r.status == 200 && r.error.is_empty()));
    assert_accounting(&rows, &json);
    let logged = wait_for_log(&dir, 2000);
    assert_eq!(
        logged.values().map(|(n, _)| n).sum::<u64>(),
        2000,
        "answered once each"
    );
    assert!(logged.values().all(|(n, _)| *n <= 10));
    assert!(json_number(&json, "requests_resent") > 0.0);
    assert_eq!(
        json_number(&json, "connections_opened"),
        logged.len() as f64
    );
}

#[test]
fn counts_and_order_against_redis() {
    let Some((_redis, port)) = start_redis("pipeline", "") else {
        return;
    };
    let big = "v".repeat(1500);
    redis_lines(port, &["SET small 1", &format!("SET big {big}")], 2);
    let url = format!("redis://127.0.0.1:{port}");
    for depth in DEPTHS {
        let case = format!("redis at depth {depth}");
        redis_lines(port, &["CONFIG RESETSTAT"], 1);
        let args = [
            "-t",
            "1",
            "-c",
            "3",
            "-n",
            "3000",
            "--pipeline",
            depth,
            "--command",
            "GET small",
            "--command",
            "GET big",
        ];
        let (out, rows, json) = run_recorded(&format!("pipeline-redis-{depth}"), &url, &args);
        assert_eq!(out.code, 0, "{case}: {}", out.stderr);
        assert_eq!(rows.len(), 3000, "{case}");
        assert_in_order(&rows, &case);
        assert_accounting(&rows, &json);
        let stats = redis_lines(port, &["INFO commandstats"], 3);
        let gets = stats
            .iter()
            .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("{case}: no GET stats in {stats:?}"));
        assert_eq!(gets, "3000", "{case}: what redis counted");
    }
}

/// A raw HTTP server in Python, as a `&'static str`: on an ephemeral
/// port (printed first), `serve(conn)` (the given Python, which reads
/// `answers`, the script's argument, and ends with `finish(conn)`) runs
/// for each connection, and the server stops when its stdin closes.
macro_rules! python_server_script {
    ($serve:literal) => {
        concat!(
            r#"
import socket, sys, threading
answers = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(64)
print(srv.getsockname()[1], flush=True)
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
def requests(conn):
    # Each request's head (these carry no body), as reads bring them,
    # until `answers` have come or the client is gone.
    data = b""; done = 0
    while done < answers:
        try:
            chunk = conn.recv(65536)
        except OSError:
            return
        if not chunk: return
        data += chunk
        count = 0
        while b"\r\n\r\n" in data and done + count < answers:
            _, data = data.split(b"\r\n\r\n", 1)
            count += 1
        done += count
        yield done - count, count
def finish(conn):
    # A FIN, then what the client still sends is read and dropped: closed
    # with requests unread, the socket would reset, and a reset makes the
    # client's kernel drop replies it has not read yet.
    conn.shutdown(socket.SHUT_WR)
    try:
        while conn.recv(65536): pass
    except OSError:
        pass
    conn.close()
"#,
            $serve,
            r#"
def accept():
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
threading.Thread(target=accept, daemon=True).start()
sys.stdin.read()
"#
        )
    };
}

/// A raw HTTP server in Python that answers `answers` requests on each
/// connection, one write each, then closes it without a word (no
/// `Connection: close`); it prints how many it answered in all when its
/// stdin closes.
const CLOSER: &str = python_server_script!(
    r#"
total = 0; lock = threading.Lock()
def serve(conn):
    global total
    for _, count in requests(conn):
        for _ in range(count):
            conn.sendall(REPLY)
            with lock: total += 1
    finish(conn)
import atexit
atexit.register(lambda: print(total, flush=True))
"#
);

/// A Python server from `script`, given `arg`: it prints its port first;
/// its stdin, closed, tells it to stop (and print what it counted, if it
/// does, on the lines that follow).
fn python_server(
    script: &str,
    arg: &str,
) -> (
    Proc,
    String,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    std::process::ChildStdin,
) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new("python3")
        .args(["-c", script, arg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = lines.next().unwrap().unwrap();
    let stdin = child.stdin.take().unwrap();
    (Proc(child), port, lines, stdin)
}

#[test]
fn a_server_closing_mid_pipeline_without_a_word_loses_nothing() {
    use std::io::Write;
    let (server, port, mut lines, mut stdin) = python_server(CLOSER, "5");
    let url = format!("http://127.0.0.1:{port}/");
    let args = ["-t", "1", "-c", "2", "-n", "500", "--pipeline", "16"];
    let (out, rows, json) = run_recorded("pipeline-closer", &url, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Every request has its row; each is a 200 the server answered, or
    // one it never answered (resent once, cut off again).
    assert_eq!(rows.len(), 500);
    let ok = rows
        .iter()
        .filter(|r| r.status == 200 && r.error.is_empty())
        .count();
    let cut = rows
        .iter()
        .filter(|r| r.status == 0 && r.bytes == 0 && r.error == "closed");
    assert_eq!(ok + cut.count(), 500, "only 200s, and requests cut off");
    assert!(ok > 0 && json_number(&json, "requests_resent") > 0.0);
    assert_accounting(&rows, &json);
    stdin.write_all(b"").unwrap();
    drop(stdin);
    let answered: usize = lines.next().unwrap().unwrap().parse().unwrap();
    assert_eq!(answered, ok, "every 200 row is one the server answered");
    drop(server);
}

#[test]
fn bad_pipeline_input_is_one_line_and_exit_2() {
    for (args, needle) in [
        (&["--pipeline", "0"][..], "--pipeline must be at least 1"),
        (&["--pipeline", "5000"], "at most 4096"),
        (&["--pipeline", "x"], "--pipeline"),
        (&["--pipeline", "2", "--no-keepalive"], "kept alive"),
        (
            &["--pipeline", "2", "--requests-per-conn", "5"],
            "kept alive",
        ),
    ] {
        let mut full = vec!["run", "http://127.0.0.1:9/", "-d", "1s", "--no-out"];
        full.extend_from_slice(args);
        let out = stampede(&full, Duration::from_secs(10));
        out.assert_one_line_error(needle, &format!("{args:?}"));
    }
}

/// A raw HTTP server in Python that answers `answers` requests on each
/// connection, the last with `Connection: close`, in one write for the
/// requests one read brought, then closes it.
const CLOSE_AFTER: &str = python_server_script!(
    r#"
LAST = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
def serve(conn):
    for before, count in requests(conn):
        done = [before + k + 1 for k in range(count)]
        conn.sendall(b"".join(LAST if d == answers else REPLY for d in done))
    finish(conn)
"#
);

#[test]
fn requests_sent_again_behind_connection_close_are_not_starved() {
    // Each connection answers 4 requests, the 4th with `Connection:
    // close`, in one write: the 4 pipelined behind it go again on the
    // next connection. Were the 4 that were answered to take the front of
    // the next connection again, those 4 would be cut off there too, and
    // again, until they timed out.
    let (_server, port, _lines, _stdin) = python_server(CLOSE_AFTER, "4");
    let url = format!("http://127.0.0.1:{port}/");
    let args = [
        "-t",
        "1",
        "-c",
        "1",
        "-d",
        "2s",
        // Long enough that a loaded box's stall is not a timeout; a starved
        // request would still time out, in the drain.
        "--timeout",
        "2s",
        "--pipeline",
        "8",
    ];
    let (out, rows, json) = run_recorded("pipeline-starve", &url, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let failed: Vec<&Row> = rows.iter().filter(|r| !r.error.is_empty()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} rows failed, e.g. {:?}",
        failed.len(),
        rows.len(),
        failed.first()
    );
    assert!(rows.len() > 100, "{} rows", rows.len());
    assert!(json_number(&json, "requests_resent") > 0.0);
    assert_accounting(&rows, &json);
}

#[test]
fn counts_and_order_over_tls() {
    // Replies smaller than a TLS record and larger than the read buffer:
    // rustls holds what one read of the socket decrypted, and more than
    // one read's worth is in flight at depth 16.
    let file = scenario(
        "pipeline-tls",
        "### small\nGET /bytes/10\n\n### big\nGET /bytes/100000\n",
    );
    for depth in ["2", "16"] {
        for (model, extra) in [
            ("closed", &["-n", "2000", "-c", "2"][..]),
            ("open", &["--rate", "2000", "-n", "2000", "-c", "2"]),
        ] {
            let case = format!("TLS, {model} at depth {depth}");
            let pki = common::tls::Pki::new(&scratch(&format!("pipeline-tls-{model}-{depth}")));
            let (serve, base) = start_serve_tls(&pki, &[]);
            let ca = pki.ca.to_str().unwrap().to_string();
            let mut args = vec![
                "-f",
                &file,
                "--host",
                &base,
                "-t",
                "1",
                "--cacert",
                &ca,
                "--pipeline",
                depth,
            ];
            args.extend_from_slice(extra);
            let (out, rows, json) =
                run_recorded_args(&format!("pipeline-tls-run-{model}-{depth}"), &args);
            assert_eq!(out.code, 0, "{case}: {}", out.stderr);
            assert_eq!(rows.len(), 2000, "{case}");
            assert_in_order(&rows, &case);
            assert_accounting(&rows, &json);
            let served = stop_serve(serve);
            assert_eq!(served.requests, 2000, "{case}: what serve answered");
            assert!(served.connections <= 2, "{case}: {served:?}");
        }
    }
}
