//! Shared helpers for the integration tests: run the real binary against
//! real servers on loopback, and read what it wrote. Every process started
//! here is killed by its PID when its guard drops, and every wait is bounded.
#![allow(dead_code)] // each test crate uses its own subset

pub mod nginx;
pub mod recording;
pub mod redis;
pub mod tls;

#[allow(unused_imports)] // each test crate uses its own subset
pub use nginx::*;
#[allow(unused_imports)] // each test crate uses its own subset
pub use recording::*;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_stampede");

/// A child process, stopped when dropped: SIGTERM first, so that a master
/// process (nginx) takes its workers down with it, then SIGKILL.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the PID of a child we spawned and have not reaped.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Send a signal to a child we started.
pub fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on the PID of a child we spawned and have not reaped.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// Where `scratch(name)` is, as it was left.
pub fn scratch_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("stampede-test-{}-{name}", std::process::id()))
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = scratch_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `stampede serve` on an ephemeral port; returns its base URL.
pub fn start_serve() -> (Proc, String) {
    start_serve_with(&[])
}

/// `stampede serve` with `extra` flags (one thread unless they say
/// `-t`/`--threads`/`--cpus`); returns it and its base URL. Its stderr is
/// kept for [`stop_serve`].
pub fn start_serve_with(extra: &[&str]) -> (Proc, String) {
    spawn_serve(extra, "http")
}

/// `stampede serve` over TLS with `pki`'s server certificate and key, plus
/// `extra` flags (e.g. `["--tls-client-ca", ca]`, `["-t", "2"]`); returns it
/// and its base URL, `https://127.0.0.1:PORT`. Clients trust `pki.ca`.
/// [`stop_serve`] stops it and says what it served.
pub fn start_serve_tls(pki: &tls::Pki, extra: &[&str]) -> (Proc, String) {
    let mut args = vec![
        "--tls-cert",
        pki.server_cert.to_str().unwrap(),
        "--tls-key",
        pki.server_key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    spawn_serve(&args, "https")
}

fn spawn_serve(extra: &[&str], scheme: &str) -> (Proc, String) {
    let threads_given = extra
        .iter()
        .any(|a| ["-t", "--threads", "--cpus"].contains(a));
    let threads: &[&str] = if threads_given {
        &[]
    } else {
        &["--threads", "1"]
    };
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(threads)
        .args(extra)
        .stdout(Stdio::piped())
        // Read by `stop_serve`; serve writes nothing else there unless it fails.
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stampede serve");
    let stdout = child.stdout.take().unwrap();
    let mut proc = Proc(child);
    let line = read_line_within(stdout, Duration::from_secs(10));
    let url = line
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    if !url.starts_with(&format!("{scheme}://127.0.0.1:")) {
        // Its stderr ends only when it does.
        let _ = proc.0.kill();
        let _ = proc.0.wait();
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut proc.0.stderr.take().unwrap(), &mut stderr);
        panic!("unexpected serve line {line:?}; stderr: {stderr}");
    }
    (proc, url)
}

/// What `stampede serve` said it did, in the one line it prints on stderr
/// when it stops: `stampede serve: R requests on C connections` and, over
/// TLS, `; TLS handshakes H (S resumed)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServeCounts {
    pub requests: u64,
    pub connections: u64,
    /// Completed TLS handshakes, full or resumed (0 on plain HTTP).
    pub handshakes: u64,
    pub resumed: u64,
}

/// Stop a serve from [`start_serve_with`] or [`start_serve_tls`] with
/// SIGTERM, as Ctrl-C does, and read its stop line. Every figure counts what
/// its clients did up to now: connections accepted, responses made, TLS
/// handshakes completed. Panics if it does not stop within 10 s.
pub fn stop_serve(mut serve: Proc) -> ServeCounts {
    let stderr = serve.0.stderr.take().expect("serve's stderr, once");
    signal(&serve.0, libc::SIGTERM);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        // Ends when serve exits and its stderr closes.
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text);
        let _ = tx.send(text);
    });
    let text = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("serve stopped within 10 s");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("stampede serve: "))
        .unwrap_or_else(|| panic!("no stop line in serve's stderr: {text:?}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [requests, connections] => ServeCounts {
            requests,
            connections,
            ..ServeCounts::default()
        },
        [requests, connections, handshakes, resumed] => ServeCounts {
            requests,
            connections,
            handshakes,
            resumed,
        },
        _ => panic!("unexpected stop line {line:?}"),
    }
}

/// Python's http.server, speaking HTTP/1.1 with keep-alive, on an ephemeral
/// port: GET /hello answers a small body; GET /chunked answers chunked;
/// GET /untilclose answers a body framed by closing the connection.
pub fn start_python() -> (Proc, String) {
    let script = r#"
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith("/untilclose"):
            # No Content-Length: the body ends when the connection does.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"read until close")
            self.close_connection = True
            return
        if self.path.startswith("/chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
            return
        body = b'{"message":"hello from python"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port", s.server_address[1], flush=True)
s.serve_forever()
"#;
    start_python_script(script, &[])
}

/// Python running `script`, which prints `port N` once it listens on
/// 127.0.0.1, with `args` (its `sys.argv[1:]`); returns its base URL.
pub fn start_python_script(script: &str, args: &[&str]) -> (Proc, String) {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python3 http.server");
    let stdout = child.stdout.take().unwrap();
    let proc = Proc(child);
    let line = read_line_within(stdout, Duration::from_secs(10));
    let port = line.split_whitespace().last().unwrap().to_string();
    (proc, format!("http://127.0.0.1:{port}"))
}

/// Write `text` as `scenario.http` in `name`'s scratch directory; its path.
pub fn scenario(name: &str, text: &str) -> String {
    let path = scratch(name).join("scenario.http");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    // A connect to a free port in the ephemeral range can pick that very
    // port as its own and connect to itself (TCP simultaneous open): then
    // nothing listens, and the server about to bind the port cannot.
    let listening = || {
        TcpStream::connect(("127.0.0.1", port))
            .is_ok_and(|s| s.local_addr().ok() != s.peer_addr().ok())
    };
    while !listening() {
        assert!(
            Instant::now() < deadline,
            "nothing listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_line_within(stdout: std::process::ChildStdout, limit: Duration) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep draining so the child never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    rx.recv_timeout(limit)
        .expect("the server printed its address in time")
}

/// One row of results.csv.
#[derive(Clone, Debug)]
pub struct Row {
    pub elapsed_us: u64,
    pub latency_us: u64,
    pub status: u16,
    pub task: String,
    pub wait_us: u64,
    pub bytes: u64,
    pub error: String,
    pub connect_us: u64,
    pub tls_us: u64,
}

pub const HEADER: &str = "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us";

/// Read results.csv, checking the exact header.
pub fn read_csv(path: &Path) -> Vec<Row> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert_eq!(text.lines().next(), Some(HEADER), "exact CSV header");
    assert!(text.ends_with('\n'), "the last row is complete");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("valid CSV row");
            let num = |i: usize| {
                r[i].parse::<u64>()
                    .unwrap_or_else(|_| panic!("numeric field {i} in {r:?}"))
            };
            Row {
                elapsed_us: num(0),
                latency_us: num(1),
                status: num(2) as u16,
                task: r[3].to_string(),
                wait_us: num(4),
                bytes: num(5),
                error: r[6].to_string(),
                connect_us: num(7),
                tls_us: num(8),
            }
        })
        .collect()
}

/// What one run of the binary left behind.
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// A bad input: exit 2 and one line on stderr that contains `needle`.
    /// `case` names the input in the failure message.
    pub fn assert_one_line_error(&self, needle: &str, case: &str) {
        assert_eq!(self.code, 2, "{case}: {}", self.stderr);
        assert_eq!(self.stderr.lines().count(), 1, "{case}: {}", self.stderr);
        assert!(
            self.stderr.contains(needle),
            "{case}: expected {needle:?} in {}",
            self.stderr
        );
    }
}

/// Run the binary to completion, killing it if it outlives `limit`.
pub fn stampede(args: &[&str], limit: Duration) -> Outcome {
    let child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stampede");
    finish_within(child, limit)
}

pub fn finish_within(mut child: Child, limit: Duration) -> Outcome {
    let deadline = Instant::now() + limit;
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let read_all = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let (out, err) = (read_all(Box::new(out)), read_all(Box::new(err)));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("stampede did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Outcome {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// A figure from the text summary, e.g. `summary_figure(out, "Requests")`.
pub fn summary_figure(stdout: &str, label: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| {
            l.trim_start()
                .strip_prefix(label)
                .map(|rest| rest.trim().to_string())
        })
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or_else(|| panic!("no {label:?} figure in summary:\n{stdout}"))
}

/// `"key":{"a":1,"b":2}` in the summary JSON, as pairs.
pub fn json_counts(json: &str, key: &str) -> Vec<(String, u64)> {
    let start = json
        .find(&format!("\"{key}\":{{"))
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + key.len()
        + 4;
    let body = &json[start..start + json[start..].find('}').unwrap()];
    body.split(',')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once(':').unwrap();
            (k.trim_matches('"').to_string(), v.parse().unwrap())
        })
        .collect()
}

/// A top-level number in the summary JSON.
pub fn json_number(json: &str, key: &str) -> f64 {
    let start = json
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + key.len()
        + 3;
    let end = json[start..].find([',', '}']).unwrap() + start;
    json[start..end].parse().unwrap()
}

/// Check results.csv against the summary JSON: the same totals overall, by
/// status, by error kind and by task.
pub fn assert_accounting(rows: &[Row], json: &str) {
    use std::collections::BTreeMap;
    assert_eq!(
        rows.len() as f64,
        json_number(json, "requests"),
        "CSV rows = summary requests"
    );
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_error: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = 0;
    for r in rows {
        *by_status.entry(r.status.to_string()).or_default() += 1;
        if !r.error.is_empty() {
            *by_error.entry(r.error.clone()).or_default() += 1;
        }
        failures += (!r.error.is_empty() || r.status >= 400) as u64;
    }
    let as_map = |v: Vec<(String, u64)>| v.into_iter().collect::<BTreeMap<_, _>>();
    assert_eq!(
        by_status,
        as_map(json_counts(json, "status_counts")),
        "by status"
    );
    assert_eq!(
        by_error,
        as_map(json_counts(json, "error_counts")),
        "by error"
    );
    assert_eq!(failures as f64, json_number(json, "failures"), "failures");
    let mut by_task: BTreeMap<String, u64> = BTreeMap::new();
    for r in rows {
        *by_task.entry(r.task.clone()).or_default() += 1;
    }
    assert_eq!(by_task, json_tasks(json), "by task");
    let mut by_outcome: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in rows {
        // A row's outcome: its error, or else its status.
        let outcome = if r.error.is_empty() {
            r.status.to_string()
        } else {
            r.error.clone()
        };
        *by_outcome.entry((r.task.clone(), outcome)).or_default() += 1;
    }
    assert_eq!(by_outcome, json_outcomes(json), "by task and outcome");
    let bytes: u64 = rows.iter().map(|r| r.bytes).sum();
    assert_eq!(bytes as f64, json_number(json, "bytes_received"), "bytes");
    // The connect and TLS figures count the rows that opened a connection,
    // and no more connects than connections opened.
    let connects = rows.iter().filter(|r| r.connect_us > 0).count();
    let handshakes = rows.iter().filter(|r| r.tls_us > 0).count();
    assert_eq!(connects as f64, json_field(json, "connect_ms", "count"));
    assert_eq!(handshakes as f64, json_field(json, "tls_ms", "count"));
    assert!(
        connects as f64 <= json_number(json, "connections_opened"),
        "{connects} rows with a connect time"
    );
    // Connecting and the handshake happen before the first byte goes out:
    // both are part of wait_us (each µs figure is cut down, or raised to 1).
    for r in rows {
        assert!(
            r.connect_us + r.tls_us <= r.wait_us + 2 && r.wait_us <= r.latency_us,
            "connect and TLS inside wait, wait inside latency: {r:?}"
        );
    }
}

/// A number in one of the summary JSON's top-level objects, e.g.
/// `json_field(json, "connect_ms", "count")`.
pub fn json_field(json: &str, object: &str, key: &str) -> f64 {
    let start = json
        .find(&format!("\"{object}\":{{"))
        .unwrap_or_else(|| panic!("no {object} object in {json}"));
    let body = &json[start..start + json[start..].find('}').unwrap()];
    json_number(body, key)
}

/// Requests per task name in the summary JSON.
pub fn json_tasks(json: &str) -> std::collections::BTreeMap<String, u64> {
    json.split("{\"method\":")
        .skip(1)
        .map(|task| {
            let name_at = task.find("\"name\":\"").unwrap() + 8;
            let name_end = name_at + task[name_at..].find("\",\"requests\":").unwrap();
            let n_at = name_end + 13;
            let n_end = n_at + task[n_at..].find(',').unwrap();
            (
                task[name_at..name_end].to_string(),
                task[n_at..n_end].parse().unwrap(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Counts per (task name, status or error) in the summary JSON's `outcomes`.
pub fn json_outcomes(json: &str) -> std::collections::BTreeMap<(String, String), u64> {
    let mut all = std::collections::BTreeMap::new();
    for task in json.split("{\"method\":").skip(1) {
        let name_at = task.find("\"name\":\"").unwrap() + 8;
        let name = &task[name_at..name_at + task[name_at..].find("\",\"").unwrap()];
        let (key, n) = ("\"outcomes\":{", "outcomes".len() + 4);
        let body = &task[task.find(key).unwrap() + n..];
        let body = &body[..body.find('}').unwrap()];
        for pair in body.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once(':').unwrap();
            let key = (name.to_string(), k.trim_matches('"').to_string());
            all.insert(key, v.parse().unwrap());
        }
    }
    all
}

/// `stampede run URL -q` with `extra` flags, writing results.csv and the
/// summary JSON into a scratch directory named `name`. Returns the outcome,
/// the CSV rows and the JSON text.
pub fn run_recorded(name: &str, url: &str, extra: &[&str]) -> (Outcome, Vec<Row>, String) {
    let mut args = vec![url];
    args.extend_from_slice(extra);
    run_recorded_args(name, &args)
}

/// `stampede run -q ARGS...`, recorded as `run_recorded` does.
pub fn run_recorded_args(name: &str, args: &[&str]) -> (Outcome, Vec<Row>, String) {
    let dir = scratch(name);
    let csv = dir.join("results.csv");
    let json = dir.join("summary.json");
    let mut full = vec![
        "run",
        "-q",
        "-o",
        csv.to_str().unwrap(),
        "--summary",
        json.to_str().unwrap(),
    ];
    full.extend_from_slice(args);
    let out = stampede(&full, Duration::from_secs(60));
    let rows = if out.code == 2 {
        Vec::new()
    } else {
        read_csv(&csv)
    };
    (out, rows, std::fs::read_to_string(json).unwrap_or_default())
}
