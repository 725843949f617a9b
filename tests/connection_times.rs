//! The `connect_us` and `tls_us` columns appended to results.csv: a run
//! writes them and shows their figures; `report` and `check` read files of
//! 9 columns and of the 7 before them, alone or together.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// small-connect.csv is small.csv with the two columns appended: two
/// requests opened a connection, over TLS.
#[test]
fn nine_columns_give_the_figures_of_seven_and_the_connection_setup() {
    let (old, new) = (golden("small.csv"), golden("small-connect.csv"));
    let out = stampede(&["report", s(&new)], LIMIT);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(out.stdout, text(&golden("small-connect.summary.txt")));
    // The same summary, plus one section; a 7-column file says nothing of it.
    let section = "Connection setup (ms; the requests that opened a connection)\n\
                   \x20              count   avg   p50   p90   p99   max\n\
                   connect            2  0.03  0.02  0.04  0.04  0.04\n\
                   TLS handshake      2  0.04  0.03  0.06  0.06  0.06\n\n";
    assert!(out.stdout.contains(section), "{}", out.stdout);
    assert_eq!(
        out.stdout.replace(section, ""),
        text(&golden("small.summary.txt"))
    );

    let json = stampede(&["report", s(&new), "--json"], LIMIT);
    assert_eq!(json.stdout, text(&golden("small-connect.summary.json")));
    assert_eq!(json_field(&json.stdout, "connect_ms", "count"), 2.0);
    assert_eq!(json_field(&json.stdout, "tls_ms", "max"), 0.055);
    let old_json = stampede(&["report", s(&old), "--json"], LIMIT);
    assert_eq!(old_json.stdout, text(&golden("small.summary.json")));
    assert!(
        old_json
            .stdout
            .contains(r#""connect_ms":null,"tls_ms":null,"#),
        "not recorded: {}",
        old_json.stdout
    );
    assert!(old_json.stdout.contains(r#""connections_resumed":null,"#));
}

#[test]
fn files_of_both_widths_merge_with_a_warning() {
    let (old, new) = (golden("small.csv"), golden("small-connect.csv"));
    for files in [[&old, &new], [&new, &old]] {
        let out = stampede(&["report", s(files[0]), s(files[1]), "--json"], LIMIT);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(json_number(&out.stdout, "requests"), 22.0);
        // Only the 9-column file's rows have connect times.
        assert_eq!(json_field(&out.stdout, "connect_ms", "count"), 2.0);
        assert_eq!(
            out.stderr,
            format!(
                "stampede: warning: {}: 7 columns, without connect_us and tls_us: \
                 the connect and TLS figures leave out its rows\n",
                old.display()
            )
        );
    }
    let dir = scratch("connection-times-merge");
    let page = dir.join("r.html");
    let out = stampede(&["report", s(&old), s(&new), "--html", s(&page)], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = text(&page);
    assert!(html.contains("<h2>Connection setup (ms)</h2>"), "{html}");
    assert!(html.contains("the connect and TLS figures leave out its rows"));
    // check reads them together too.
    let out = stampede(&["check", s(&old), s(&new), "--p99", "1h"], LIMIT);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn check_reads_a_run_of_9_columns_against_a_baseline_of_7() {
    let pairs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check-pairs");
    let (base, run) = (
        pairs.join("same-closed-3s.base.csv"),
        pairs.join("same-closed-3s.run.csv"),
    );
    // The same run as a newer stampede writes it.
    let dir = scratch("connection-times-check");
    let run9 = dir.join("run9.csv");
    let mut lines = text(&run).lines().map(String::from).collect::<Vec<_>>();
    lines[0].push_str(",connect_us,tls_us");
    for (i, line) in lines.iter_mut().enumerate().skip(1) {
        line.push_str(if i <= 8 { ",60,0" } else { ",0,0" });
    }
    std::fs::write(&run9, lines.join("\n") + "\n").unwrap();
    let verdicts = |run: &Path| {
        let args = [
            "check",
            s(run),
            "--baseline",
            s(&base),
            "--max-regression",
            "10",
            "--p99",
            "1h",
        ];
        let out = stampede(&args, LIMIT);
        assert_eq!(out.stderr, "", "a run and its baseline each of one width");
        (out.code, out.stdout)
    };
    let (code7, out7) = verdicts(&run);
    assert_eq!(verdicts(&run9), (code7, out7.clone()));
    assert!(out7.contains("p50 vs baseline"), "{out7}");
}

#[test]
fn a_row_of_another_width_or_an_unknown_header_is_a_one_line_error() {
    let dir = scratch("connection-times-bad");
    let head9 = "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us\n";
    for (name, body, needle) in [
        (
            "ragged.csv",
            format!("{head9}0,1,200,a,0,0,,5,6\n1,1,200,a,0,0,\n"),
            "ragged.csv:3: expected 9 fields, found 7",
        ),
        (
            "eight.csv",
            "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us\n0,1,200,a,0,0,,5\n"
                .to_string(),
            "eight.csv:1: wrong header: expected elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us (or its first 7 columns",
        ),
        (
            "connect.csv",
            format!("{head9}0,1,200,a,0,0,,soon,6\n"),
            "connect.csv:2: connect_us is not a whole number",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        stampede(&["report", s(&path)], LIMIT).assert_one_line_error(needle, name);
        stampede(&["check", s(&path), "--p99", "1s"], LIMIT).assert_one_line_error(needle, name);
    }
}

/// A real run against `stampede serve`, where `/close` makes every request
/// open a connection of its own.
#[test]
fn a_run_writes_the_columns_and_shows_their_figures() {
    let (_s, base) = start_serve();
    for (path, users, requests) in [("close", 3, 60), ("hello", 2, 200)] {
        let name = format!("connection-times-{path}");
        let (out, rows, json) = run_recorded(
            &name,
            &format!("{base}/{path}"),
            &["-c", &users.to_string(), "-n", &requests.to_string()],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        // read_csv checked the 9-column header; assert_accounting that the
        // connect and TLS counts are the rows with those times.
        assert_eq!(rows.len(), requests);
        assert_accounting(&rows, &json);
        let opened = json_number(&json, "connections_opened");
        if path == "close" {
            assert_eq!(opened, requests as f64, "one connection per request");
        }
        // Plain HTTP: no handshake, nothing resumed, no TLS line.
        assert!(rows.iter().all(|r| r.tls_us == 0));
        assert_eq!(json_field(&json, "tls_ms", "count"), 0.0);
        assert_eq!(json_number(&json, "connections_resumed"), 0.0);
        assert!(!out.stdout.contains("TLS"), "{}", out.stdout);
        assert!(
            out.stdout
                .contains(&format!("Connections     {opened} opened\n")),
            "{}",
            out.stdout
        );
        // Connections were opened, so the summary has a connect row, of
        // as many requests as the CSV has connect times.
        let timed = rows.iter().filter(|r| r.connect_us > 0).count();
        let row = out
            .stdout
            .lines()
            .find(|l| l.starts_with("connect "))
            .unwrap_or_else(|| panic!("no connect row in\n{}", out.stdout));
        assert_eq!(row.split_whitespace().nth(1), Some(&*timed.to_string()));
        // Each connection opened is one request's connect.
        assert_eq!(timed as f64, opened, "{timed} connect times");
        assert!(json_field(&json, "connect_ms", "max") > 0.0, "{json}");

        // report on the run's CSV: the same connect figures as the run.
        let csv = scratch_path(&name).join("results.csv");
        let report = stampede(&["report", s(&csv), "--json"], LIMIT);
        assert_eq!((report.code, report.stderr.as_str()), (0, ""));
        for (object, key) in [
            ("connect_ms", "count"),
            ("connect_ms", "p50"),
            ("connect_ms", "max"),
            ("tls_ms", "count"),
        ] {
            assert_eq!(
                json_field(&report.stdout, object, key),
                json_field(&json, object, key),
                "{object}.{key}"
            );
        }
    }
}
