//! The command line: every bad input is one clear line and exit code 2,
//! before anything is sent; help lists every flag.

mod common;
use common::*;

use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn bad_inputs_give_one_line_and_exit_2() {
    let dir = scratch("bad-inputs");
    let out_csv = dir.join("r.csv");
    let out_csv = out_csv.to_str().unwrap();
    let ok = "http://127.0.0.1:9/";
    // Sparse, so nothing is written: refused by its size, never read.
    let huge = dir.join("huge.bin");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let huge = huge.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "not a url"], "bad URL"),
        (&["run", "127.0.0.1:8080/x"], "expected http://"),
        (
            &["run", "ftp://127.0.0.1/"],
            "use http://, https://, redis:// or rediss://",
        ),
        (&["run", ok, "--cacert", "/nonexistent.pem"], "--cacert"),
        (
            &["run", ok, "-k"],
            "--insecure is for https:// and rediss:// targets",
        ),
        (
            &[
                "run",
                "https://127.0.0.1:9/",
                "--cacert",
                "/nonexistent.pem",
            ],
            "--cacert /nonexistent.pem",
        ),
        (
            &["run", "https://127.0.0.1:9/", "--cacert", "/dev/zero"],
            "--cacert /dev/zero",
        ),
        (
            &["run", "https://127.0.0.1:9/", "--cert", "/nonexistent.pem"],
            "--cert needs --key",
        ),
        (
            &["run", "https://127.0.0.1:9/", "--key", "/nonexistent.pem"],
            "--key needs --cert",
        ),
        (
            &[
                "run",
                "https://127.0.0.1:9/",
                "--cert",
                "/nonexistent.pem",
                "--key",
                "/nonexistent.pem",
            ],
            "--cert /nonexistent.pem",
        ),
        (
            &["run", ok, "--requests-per-conn", "0"],
            "--requests-per-conn must be at least 1",
        ),
        (
            &[
                "run",
                "redis://127.0.0.1:9",
                "--command",
                "PING",
                "--var",
                "a=b",
            ],
            "--var goes with a scenario (-f FILE)",
        ),
        (
            &["run", ok, "--no-cookies"],
            "--no-cookies goes with a scenario (-f FILE)",
        ),
        (
            &["run", "redis://127.0.0.1:9", "--no-cookies"],
            "--no-cookies goes with a scenario (-f FILE)",
        ),
        (
            &["run", ok, "--no-keepalive", "--requests-per-conn", "5"],
            "not both",
        ),
        (&["run", ok, "-c", "0"], "--users must be at least 1"),
        (&["run", ok, "-c", "abc"], "'-c' with value 'abc'"),
        (&["run", ok, "-d", "0s"], "--duration must be longer than 0"),
        (&["run", ok, "-d", "10x"], "unknown unit"),
        (&["run", ok, "-n", "0"], "--requests must be at least 1"),
        (&["run", ok, "-c", "1.5"], "expected a whole number"),
        (&["run", ok, "--rate", "1x"], "with k or M"),
        (&["run", ok, "-n", "-5"], "'-n'"),
        (&["run", ok, "-d", "1.2.3"], "expected a number"),
        (
            &["run", ok, "--timeout", "0"],
            "--timeout must be longer than 0",
        ),
        (&["run", ok, "--timeout", "0ms"], "--timeout"),
        (&["run", ok, "--think", "2s-1s"], "backwards"),
        (&["run", ok, "-r", "0"], "--spawn-rate"),
        (&["run", ok, "-t", "0"], "--threads"),
        (&["run", ok, "--cpus", "999"], "core 999 does not exist"),
        (&["run", ok, "--cpus", "x"], "--cpus"),
        (
            &["run", ok, "--cpus", "0-18446744073709551615"],
            "highest core id",
        ),
        (&["run", ok, "--cpus", "0-4294967295"], "highest core id"),
        (&["run", ok, "-H", "NoColon"], "bad header"),
        (
            &["run", ok, "-H", "X: a\u{1}b"],
            "the value holds the control character 0x01",
        ),
        (
            &["run", ok, "-H", "X: a\u{7f}"],
            "the value holds the control character 0x7F",
        ),
        (&["run", ok, "-H", "X\u{1}: a"], "not a valid header name"),
        (&["run", ok, "-H", "Host:"], "cannot be removed"),
        (&["run", ok, "-H", "Content-Length:"], "cannot be removed"),
        (&["run", ok, "-m", "GE T"], "bad HTTP method"),
        (
            &["run", ok, "--body-file", "/nonexistent/body.json"],
            "--body-file",
        ),
        (
            &["run", ok, "-b", "x", "--body-file", "/etc/hostname"],
            "not both",
        ),
        (
            &["run", ok, "--body-file", "/dev/zero"],
            "--body-file /dev/zero: not a regular file or a pipe",
        ),
        (
            &["run", ok, "--body-file", huge],
            "larger than 1 GiB, the limit for a body",
        ),
        (
            &["run", "-f", "/dev/zero"],
            "/dev/zero: cannot read: not a regular file or a pipe",
        ),
        (&["run", ok, "-o", "/nonexistent/dir/r.csv"], "cannot write"),
        (
            &["run", ok, "--summary", "/nonexistent/dir/s.json"],
            "cannot write",
        ),
        (&["run", "http://host.invalid/"], "cannot resolve host"),
        (&["run", ok, "-c", "100000000"], "open files"),
        (&["run", ok, "--bogus"], "Unrecognized argument"),
        (
            &["run", ok, "--dashboard", "localhost:abc"],
            "--dashboard \"localhost:abc\": expected PORT, HOST:PORT or [IPv6]:PORT",
        ),
        (
            &["run", "--dashboard", "99999", ok],
            "--dashboard \"99999\": expected PORT, HOST:PORT or [IPv6]:PORT",
        ),
        (&["run"], "give the target URL, or a scenario"),
        (&["serve", "--addr", "nope"], "--addr"),
        (
            &["serve", "--cpus", "0-18446744073709551615"],
            "highest core id",
        ),
        (&["serve", "--cpus", "0-99999999"], "highest core id"),
        (&["frobnicate"], "Unrecognized"),
        (&[], "no command"),
    ];
    for (args, needle) in cases {
        let mut full: Vec<&str> = args.to_vec();
        if args.first() == Some(&"run") && !args.contains(&"-o") {
            full.extend(["-o", out_csv]);
        }
        let out = stampede(&full, LIMIT);
        assert_eq!(
            out.code, 2,
            "{args:?} should exit 2; stderr: {}",
            out.stderr
        );
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line, got {lines:?}");
        assert!(lines[0].starts_with("stampede: "), "{args:?}: {lines:?}");
        assert!(
            lines[0].contains(needle),
            "{args:?}: expected {needle:?} in {:?}",
            lines[0]
        );
        assert!(
            out.stdout.is_empty(),
            "{args:?}: nothing on stdout, got {}",
            out.stdout
        );
    }
}

#[test]
fn every_flag_in_the_help_has_a_readme_line() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for command in ["run", "find-max", "serve", "demo", "report", "check"] {
        let out = stampede(&[command, "--help"], LIMIT);
        assert_eq!(out.code, 0);
        let options = out.stdout.split("Options:").nth(1).unwrap_or("");
        // A flag's line starts with it: `  -c, --users    text`.
        let flags = options.lines().filter_map(|line| {
            line.split_whitespace()
                .take(2)
                .map(|w| w.trim_end_matches(','))
                .find(|w| w.starts_with("--") && *w != "--help")
        });
        for flag in flags {
            // A row of a flag table that names it as a whole word.
            let named = readme.lines().filter(|l| l.starts_with('|')).any(|l| {
                l.match_indices(flag).any(|(i, _)| {
                    let next = l[i + flag.len()..].chars().next();
                    !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
                })
            });
            assert!(named, "README.md has no table row for `{command} {flag}`");
        }
    }
}

#[test]
fn help_lists_every_flag_with_defaults_and_examples() {
    let out = stampede(&["run", "--help"], LIMIT);
    assert_eq!(out.code, 0);
    for flag in [
        "--users",
        "--duration",
        "--spawn-rate",
        "--threads",
        "--cpus",
        "--method",
        "--header",
        "--body",
        "--body-file",
        "--think",
        "--timeout",
        "--out",
        "--no-out",
        "--summary",
        "--quiet",
        "--name",
        "--seed",
        "(default 50)",
        "(default 10s)",
        "Examples:",
        "Exit codes",
    ] {
        assert!(
            out.stdout.contains(flag),
            "run --help lacks {flag}:\n{}",
            out.stdout
        );
    }
    for (cmd, flags) in [
        (
            "serve",
            &["--addr", "--threads", "--cpus", "--tls-cert", "Examples:"][..],
        ),
        ("demo", &["--users", "--duration", "--out"][..]),
    ] {
        let out = stampede(&[cmd, "--help"], LIMIT);
        assert_eq!(out.code, 0);
        for flag in flags {
            assert!(out.stdout.contains(flag), "{cmd} --help lacks {flag}");
        }
    }
    let top = stampede(&["--help"], LIMIT);
    assert!(
        top.stdout.contains("run") && top.stdout.contains("serve") && top.stdout.contains("demo")
    );
}

#[test]
fn version_prints_the_crate_version() {
    let out = stampede(&["--version"], LIMIT);
    assert_eq!(
        (out.code, out.stdout.trim()),
        (0, concat!("stampede ", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn a_run_that_never_starts_leaves_an_existing_csv_alone() {
    let dir = scratch("keep-csv");
    let csv = dir.join("keep.csv");
    std::fs::write(&csv, "precious\n").unwrap();
    let keep = csv.to_str().unwrap();
    // Bad input found late in validation, and a dashboard port already taken.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    for extra in [
        vec!["--dashboard-linger", "5s"],
        vec!["--summary", "/nonexistent/dir/s.json"],
        vec!["--dashboard", busy_addr.as_str()],
    ] {
        let mut args = vec!["run", "http://127.0.0.1:9/", "-d", "1s", "-o", keep];
        args.extend(extra.iter().copied());
        let out = stampede(&args, LIMIT);
        assert_eq!(out.code, 2, "{extra:?}: {}", out.stderr);
        assert_eq!(
            std::fs::read_to_string(&csv).unwrap(),
            "precious\n",
            "{extra:?} emptied the CSV"
        );
    }
}
