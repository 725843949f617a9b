//! Data files (`# @data NAME = ./file.csv`) through the real binary, against
//! a Python server on loopback that writes down every request it gets:
//! which rows users and requests send, across threads and segments, and
//! every bad input (exit 2, one line, nothing sent).

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// One request as the server got it.
#[derive(Debug)]
struct Seen {
    /// The client's port: one per connection, so one per user.
    port: u16,
    path: String,
    row: String,
    body: String,
}

/// A recording server: each request becomes a line of `log`, tab-separated
/// (client port, path, X-Row header, body), and is answered 200.
fn start_recorder(log: &Path) -> (Proc, String) {
    let script = r#"
import http.server, sys, threading
lock = threading.Lock()
log = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        line = "%d\t%s\t%s\t%s\n" % (self.client_address[1], self.path,
                                     self.headers.get("X-Row", ""), body.replace("\n", " "))
        with lock:
            log.write(line)
            log.flush()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    do_GET = handle_one
    do_POST = handle_one
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port", s.server_address[1], flush=True)
s.serve_forever()
"#;
    let mut child = Command::new("python3")
        .args(["-c", script, log.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python3");
    let stdout = child.stdout.take().unwrap();
    let proc = Proc(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut line = String::new();
        let mut reader = std::io::BufReader::new(stdout);
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the server printed its port");
    let port = line.split_whitespace().last().unwrap().to_string();
    (proc, format!("http://127.0.0.1:{port}"))
}

fn seen(log: &Path) -> Vec<Seen> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, '\t').collect();
            Seen {
                port: f[0].parse().unwrap(),
                path: f[1].to_string(),
                row: f[2].to_string(),
                body: f[3].to_string(),
            }
        })
        .collect()
}

/// A scratch directory with `users.csv` and `s.http` in it.
fn files(name: &str, csv: &str, scenario: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("users.csv"), csv).unwrap();
    std::fs::write(dir.join("s.http"), scenario).unwrap();
    dir
}

/// Run the scenario in `dir` against `base`, quietly, without a CSV.
fn run(dir: &Path, base: &str, args: &[&str]) -> Outcome {
    let file = dir.join("s.http");
    let mut all = vec![
        "run",
        "-f",
        file.to_str().unwrap(),
        "--host",
        base,
        "-q",
        "--no-out",
    ];
    all.extend_from_slice(args);
    stampede(&all, Duration::from_secs(60))
}

/// Run `scenario` with `csv` as users.csv against a recording server;
/// what the server got. The run must succeed.
fn run_seen(name: &str, csv: &str, scenario: &str, args: &[&str]) -> Vec<Seen> {
    let dir = files(name, csv, scenario);
    let log = dir.join("log");
    let (_server, base) = start_recorder(&log);
    let out = run(&dir, &base, args);
    assert_eq!(out.code, 0, "{name}: {}", out.stderr);
    seen(&log)
}

fn users_csv(rows: usize) -> String {
    let mut csv = String::from("name,password\n");
    for i in 0..rows {
        csv.push_str(&format!("user{i},pw{i}\n"));
    }
    csv
}

const PER_USER: &str = "# @data users = ./users.csv\n\
                        ### me\n\
                        GET /me/{{users.name}}\n\
                        X-Row: {{users.name}}\n";

/// Per connection (user): the rows it sent, which must be one.
fn rows_by_user(seen: &[Seen]) -> BTreeMap<u16, BTreeSet<String>> {
    let mut by_user: BTreeMap<u16, BTreeSet<String>> = BTreeMap::new();
    for s in seen {
        assert_eq!(s.path, format!("/me/{}", s.row), "{s:?}");
        by_user.entry(s.port).or_default().insert(s.row.clone());
    }
    by_user
}

#[test]
fn each_user_sends_its_own_row() {
    let seen = run_seen(
        "per-user",
        &users_csv(3),
        PER_USER,
        &["-c", "3", "-t", "2", "-n", "30"],
    );
    assert_eq!(seen.len(), 30);
    let by_user = rows_by_user(&seen);
    assert_eq!(by_user.len(), 3, "{by_user:?}");
    let mut all = BTreeSet::new();
    for rows in by_user.values() {
        assert_eq!(rows.len(), 1, "one user, one row: {by_user:?}");
        all.extend(rows.iter().cloned());
    }
    let expected: BTreeSet<String> = (0..3).map(|i| format!("user{i}")).collect();
    assert_eq!(all, expected);
}

#[test]
fn with_fewer_rows_than_users_rows_are_shared_round_robin() {
    let args = ["-c", "5", "-t", "1", "-n", "25"];
    let by_user = rows_by_user(&run_seen("per-user-wrap", &users_csv(2), PER_USER, &args));
    assert_eq!(by_user.len(), 5, "{by_user:?}");
    let mut users_per_row: BTreeMap<String, usize> = BTreeMap::new();
    for rows in by_user.values() {
        assert_eq!(rows.len(), 1);
        *users_per_row
            .entry(rows.first().unwrap().clone())
            .or_default() += 1;
    }
    // Users 0, 2, 4 take row 0; users 1 and 3 row 1.
    assert_eq!(
        users_per_row,
        BTreeMap::from([("user0".to_string(), 3), ("user1".to_string(), 2)])
    );
}

#[test]
fn segments_take_rows_without_overlap() {
    let mut halves = Vec::new();
    for segment in ["0/2", "1/2"] {
        let name = format!("per-user-segment-{}", &segment[..1]);
        let args = ["-c", "4", "-t", "2", "-n", "20", "--segment", segment];
        let by_user = rows_by_user(&run_seen(&name, &users_csv(4), PER_USER, &args));
        let rows: BTreeSet<String> = by_user.values().flatten().cloned().collect();
        assert_eq!(by_user.len(), 2, "{segment}: {by_user:?}");
        halves.push(rows);
    }
    // User k is segment k mod 2's, with row k.
    let names =
        |ids: [usize; 2]| -> BTreeSet<String> { ids.iter().map(|i| format!("user{i}")).collect() };
    assert_eq!(halves, [names([0, 2]), names([1, 3])]);
}

#[test]
fn per_request_rows_are_consecutive_and_columns_share_a_row() {
    let scenario = "# @data users = ./users.csv\n\
                    # @data-mode users per-request\n\
                    ### login\n\
                    POST /login\n\
                    X-Row: {{users.name}}\n\
                    \n\
                    {\"user\": \"{{users.name}}\", \"password\": \"{{users.password}}\"}\n";
    let args = ["-c", "1", "-t", "1", "-n", "7"];
    let seen = run_seen("per-request", &users_csv(5), scenario, &args);
    let order: Vec<&str> = seen.iter().map(|s| s.row.as_str()).collect();
    assert_eq!(
        order,
        [
            "user0", "user1", "user2", "user3", "user4", "user0", "user1"
        ]
    );
    for s in &seen {
        let i = &s.row["user".len()..];
        assert_eq!(
            s.body,
            format!("{{\"user\": \"user{i}\", \"password\": \"pw{i}\"}}")
        );
    }
}

#[test]
fn per_request_rows_split_over_threads_without_overlap() {
    let scenario = "# @data users = ./users.csv\n\
                    # @data-mode users per-request\n\
                    ### me\n\
                    GET /me/{{users.name}}\n\
                    X-Row: {{users.name}}\n";
    // The threads share one count of the rows taken: 40 requests take
    // rows 0..40 of 100, each once, however they fell on the threads.
    let args = ["-c", "4", "-t", "2", "-n", "40"];
    let seen = run_seen("per-request-threads", &users_csv(100), scenario, &args);
    assert_eq!(seen.len(), 40);
    let rows: BTreeSet<&str> = seen.iter().map(|s| s.row.as_str()).collect();
    let first_40: BTreeSet<String> = (0..40).map(|i| format!("user{i}")).collect();
    assert_eq!(rows, first_40.iter().map(String::as_str).collect());
    // Three users on two threads: one thread sends twice as many requests
    // as the other, and past half the rows; still every row once.
    let args = ["-c", "3", "-t", "2", "-n", "24"];
    let seen = run_seen("per-request-uneven", &users_csv(24), scenario, &args);
    assert_eq!(seen.len(), 24);
    let rows: BTreeSet<&str> = seen.iter().map(|s| s.row.as_str()).collect();
    assert_eq!(rows.len(), 24, "no row twice: {rows:?}");
}

#[test]
fn bad_data_files_are_refused_before_anything_is_sent() {
    let cases: [(&str, &str, &str); 12] = [
        (
            "# @data users = ./missing.csv\nGET /\n",
            "name\na\n",
            "s.http:1: cannot read data file ./missing.csv: No such file or directory",
        ),
        (
            "# @data users = ./users.csv\nGET /\n",
            "",
            "s.http:1: ./users.csv: empty",
        ),
        (
            "# @data users = ./users.csv\nGET /\n",
            "name,password\n",
            "s.http:1: ./users.csv: no rows, only the header line",
        ),
        (
            "# @data users = ./users.csv\nGET /\n",
            "name,name\na,b\n",
            "s.http:1: ./users.csv:1: column \"name\" is named twice",
        ),
        (
            "\n# @data users = ./users.csv\nGET /\n",
            "a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3\n",
            "s.http:2: ./users.csv:7: 3 fields, expected 4 as in the header",
        ),
        (
            "# @data users = ./users.csv\n# @data-mode people per-request\nGET /\n",
            "name\na\n",
            "s.http:2: @data-mode for \"people\", which no @data line defines",
        ),
        (
            "# @data users = ./users.csv\n# @data-mode users sometimes\nGET /\n",
            "name\na\n",
            "s.http:2: bad mode \"sometimes\"",
        ),
        (
            "# @data users = ./users.csv\n# @data users = ./users.csv\nGET /\n",
            "name\na\n",
            "s.http:2: data set \"users\" is defined twice",
        ),
        (
            "# @data users = ./users.csv\n###\nGET /\n\n###\nGET /{{users.nme}}\n",
            "name,password\na,b\n",
            "s.http:6: ./users.csv has no column \"nme\" (columns: name, password)",
        ),
        (
            "# @data users = ./users.csv\n###\nGET /{{users.name}}\n",
            "name\n\"a b\"\n",
            "s.http:3: ./users.csv:2: column \"name\" holds the byte 0x20, which a URL cannot carry",
        ),
        (
            "# @data users = ./users.csv\n###\n# @name users\nGET /\n",
            "name\na\n",
            "s.http:3: @name users is the name of a data set",
        ),
        (
            "# @data users = ./users.csv\nGET /\n",
            "name\nJos\u{e9}\n",
            "",
        ),
    ];
    for (i, (scenario, csv, expected)) in cases.into_iter().enumerate() {
        let dir = files(&format!("bad-{i}"), csv, scenario);
        let csv_path = dir.join("users.csv");
        if expected.is_empty() {
            // Latin-1, not UTF-8.
            std::fs::write(&csv_path, b"name\nJos\xe9\n").unwrap();
        }
        if scenario.contains("missing.csv") {
            std::fs::remove_file(&csv_path).unwrap();
        }
        let expected = match expected {
            "" => "s.http:1: ./users.csv:2: not UTF-8 text",
            e => e,
        };
        let log = dir.join("log");
        let (_server, base) = start_recorder(&log);
        let out = run(&dir, &base, &["-c", "1", "-n", "1"]);
        out.assert_one_line_error(expected, scenario);
        assert!(out.stderr.starts_with("stampede: "), "{}", out.stderr);
        assert!(seen(&log).is_empty(), "{scenario}: something was sent");
    }
}
