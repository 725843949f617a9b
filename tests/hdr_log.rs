//! `run --hdr-log`: real runs against `serve`, their logs read back by
//! `report` and `check` (equal to their CSVs at histogram precision), and
//! bad input. tests/hdr_log_tools.rs has HdrHistogram's own tools read them.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// Tasks that end every way a log must tell apart: 200s, 503s, and
/// timeouts, one with a name the log's tags must encode.
const SCENARIO: &str = "### hello, world!\nGET /hello\n\n\
                        ### gone\nGET /status/503\n\n\
                        ### slow 100%\n# @weight 1\nGET /delay/900\n";

fn scenario(dir: &Path) -> String {
    let path = dir.join("plan.http");
    std::fs::write(&path, SCENARIO).unwrap();
    path.to_str().unwrap().to_string()
}

/// `n` runs at once against `base`, as `n` boxes would make them: each
/// writes results.csv and a log. Returns their CSVs and logs.
fn runs(dir: &Path, base: &str, n: usize) -> (Vec<String>, Vec<String>) {
    let plan = scenario(dir);
    let path = |name: String| dir.join(name).to_str().unwrap().to_string();
    let (csvs, logs): (Vec<String>, Vec<String>) = (0..n)
        .map(|k| (path(format!("box{k}.csv")), path(format!("box{k}.hlog"))))
        .unzip();
    let children: Vec<_> = (0..n)
        .map(|k| {
            Command::new(env!("CARGO_BIN_EXE_stampede"))
                .args([
                    "run", "-q", "-f", &plan, "--host", base, "-c", "3", "-d", "2500ms",
                ])
                .args(["--timeout", "300ms", "-o", &csvs[k], "--hdr-log", &logs[k]])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = finish_within(child, LIMIT);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    (csvs, logs)
}

fn report(files: &[String], extra: &[&str]) -> Outcome {
    let mut args = vec!["report"];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    let out = stampede(&args, LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

/// The per-second series by task as rows of fields, bytes left out.
fn series(files: &[String], dir: &Path, name: &str) -> Vec<Vec<String>> {
    let path: PathBuf = dir.join(name);
    report(
        files,
        &["--by-task", "--timeseries", path.to_str().unwrap()],
    );
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            // A task name with a comma is quoted: split after it.
            let (start, rest) = line.split_once(',').unwrap();
            let (task, rest) = match rest.strip_prefix('"') {
                Some(quoted) => {
                    let (task, rest) = quoted.split_once("\",").unwrap();
                    (task.to_string(), rest)
                }
                None => {
                    let (task, rest) = rest.split_once(',').unwrap();
                    (task.to_string(), rest)
                }
            };
            let mut fields = vec![start.to_string(), task];
            fields.extend(rest.split(',').map(String::from));
            fields.remove(10); // bytes
            fields
        })
        .collect()
}

#[test]
fn report_and_check_over_n_logs_equal_them_over_the_n_csvs() {
    let (_serve, base) = start_serve();
    let dir = scratch("hdr-log-runs");
    let (csvs, logs) = runs(&dir, &base, 3);

    // The summary JSON: every figure a log holds, exactly.
    let (by_csv, by_log) = (
        report(&csvs, &["--json"]).stdout,
        report(&logs, &["--json"]).stdout,
    );
    for key in ["requests", "failures", "responses", "unsent", "rps"] {
        assert_eq!(
            json_number(&by_csv, key),
            json_number(&by_log, key),
            "{key}"
        );
    }
    for key in ["avg", "stdev", "min", "max", "p50", "p90", "p99", "p99_9"] {
        assert_eq!(
            json_field(&by_csv, "latency_ms", key),
            json_field(&by_log, "latency_ms", key),
            "latency {key}"
        );
    }
    assert_eq!(json_tasks(&by_csv), json_tasks(&by_log));
    assert_eq!(json_outcomes(&by_csv), json_outcomes(&by_log));
    assert_eq!(
        json_counts(&by_csv, "status_counts"),
        json_counts(&by_log, "status_counts")
    );
    assert_eq!(
        json_counts(&by_csv, "error_counts"),
        json_counts(&by_log, "error_counts")
    );
    let outcomes = json_outcomes(&by_log);
    for outcome in ["200", "503", "timeout"] {
        assert!(
            outcomes.keys().any(|(_, o)| o == outcome),
            "{outcome}: {outcomes:?}"
        );
    }

    // The per-second series by task: counts, rates and lengths exactly;
    // the latency columns to the histograms' 3 digits.
    let (a, b) = (series(&csvs, &dir, "a.csv"), series(&logs, &dir, "b.csv"));
    assert_eq!(a.len(), b.len());
    assert!(a.len() >= 3 * 3, "{a:?}");
    for (x, y) in a.iter().zip(&b) {
        for (k, (f, g)) in x.iter().zip(y).enumerate() {
            if (5..=9).contains(&k) {
                let (f, g): (f64, f64) = (f.parse().unwrap(), g.parse().unwrap());
                assert!((f - g).abs() <= f.max(g) * 0.002 + 0.001, "{x:?} vs {y:?}");
            } else {
                assert_eq!(f, g, "column {k}: {x:?} vs {y:?}");
            }
        }
    }

    // check prints the same verdicts over either.
    let thresholds = [
        "--p50",
        "1ms",
        "--p99",
        "2s",
        "--max-error-rate",
        "50",
        "--min-rps",
        "1",
        "--task",
        "gone",
        "--max-error-rate",
        "1",
    ];
    let check = |files: &[String]| {
        let mut args = vec!["check"];
        args.extend(files.iter().map(String::as_str));
        args.extend(thresholds);
        stampede(&args, LIMIT)
    };
    let (x, y) = (check(&csvs), check(&logs));
    assert_eq!((x.code, &x.stdout), (y.code, &y.stdout));
    assert!(
        x.stdout.contains("FAIL"),
        "the 503s fail [gone]: {}",
        x.stdout
    );

    // A CSV and a log of different boxes mix.
    let mixed = [csvs[0].clone(), logs[1].clone(), logs[2].clone()];
    let mixed = report(&mixed, &["--json"]);
    assert_eq!(
        json_number(&mixed.stdout, "requests"),
        json_number(&by_csv, "requests")
    );
    assert!(
        mixed.stderr.contains("an HdrHistogram log keeps latencies"),
        "{}",
        mixed.stderr
    );
}

#[test]
fn a_log_without_the_csv_and_a_log_from_elsewhere() {
    let (_serve, base) = start_serve();
    let dir = scratch("hdr-log-alone");
    let log = dir.join("r.hlog");
    let log = log.to_str().unwrap();
    let out = stampede(
        &[
            "run",
            "-q",
            &format!("{base}/hello"),
            "-c",
            "2",
            "-d",
            "1s",
            "--no-out",
            "--hdr-log",
            log,
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!dir.join("results.csv").exists());
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.starts_with("#[Histogram log format version 1.3]\n"),
        "{text}"
    );
    for line in [
        "#[StartTime: ",
        "#[BaseTime: ",
        "\"StartTimestamp\",",
        "Tag=GET%20/hello,0.000,1.000,",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    // Alone, a log's report leaves out what it does not hold, rather than
    // show it as 0.
    let summary = stampede(&["report", log], LIMIT);
    assert_eq!(summary.code, 0, "{}", summary.stderr);
    let summary = summary.stdout;
    assert!(summary.contains("\nlatency "), "{summary}");
    for absent in ["\nservice ", "\nwait ", "Received "] {
        assert!(!summary.contains(absent), "{absent}: {summary}");
    }
    let json = stampede(&["report", log, "--json"], LIMIT).stdout;
    for key in ["service_ms", "wait_ms", "bytes_received", "throughput_mb_s"] {
        assert!(json.contains(&format!("\"{key}\":null")), "{key}: {json}");
    }
    let html = dir.join("r.html");
    let out = stampede(&["report", log, "--html", html.to_str().unwrap()], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = std::fs::read_to_string(html).unwrap();
    assert!(page.contains("latency (from due)") && !page.contains("wait (due to written)"));

    let out = stampede(
        &["check", log, "--p99", "5s", "--max-error-rate", "0"],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stdout);

    // Without its stampede header, a log tells no failures: a check that
    // needs them is refused, one that does not still works.
    let foreign = dir.join("foreign.hlog");
    let stripped: String = text
        .lines()
        .filter(|l| !l.starts_with("#[stampede"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&foreign, stripped).unwrap();
    let foreign = foreign.to_str().unwrap();
    for flag in [["--max-error-rate", "1"], ["--min-rps", "1"]] {
        let out = stampede(&["check", foreign, "--p99", "5s", flag[0], flag[1]], LIMIT);
        out.assert_one_line_error(
            &format!("{}: {foreign} is not a log from stampede", flag[0]),
            flag[0],
        );
    }
    let out = stampede(&["check", foreign, "--p99", "5s"], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("it tells no failures"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_logs_and_paths_are_one_line_errors() {
    let dir = scratch("hdr-log-bad");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let head = "#[BaseTime: 0.000 (seconds since epoch)]\n";
    for (name, text, needle) in [
        // Without #[BaseTime] (or #[StartTime]) a line is still read, as
        // HdrHistogram reads it; this one's histogram is broken.
        (
            "nobase.hlog",
            "Tag=a,0.000,1.000,1.0,HISTFAAAAA==\n",
            "nobase.hlog:1: the histogram does not inflate",
        ),
        (
            "garbage.hlog",
            &format!("{head}what is this\n"),
            "garbage.hlog:2: not an interval log line",
        ),
        (
            "b64.hlog",
            &format!("{head}Tag=a,0.000,1.000,1.0,@@@\n"),
            "b64.hlog:2: the histogram is not base64",
        ),
        ("empty.hlog", "", "empty.hlog: no histograms"),
    ] {
        let path = write(name, text);
        stampede(&["report", &path], LIMIT).assert_one_line_error(needle, name);
        stampede(&["check", &path, "--p99", "1s"], LIMIT).assert_one_line_error(needle, name);
    }
    // A run killed mid-line leaves a last line cut off: skipped, said.
    let (_serve, base) = start_serve();
    let log = dir.join("cut.hlog");
    let out = stampede(
        &[
            "run",
            "-q",
            &format!("{base}/hello"),
            "-c",
            "1",
            "-d",
            "2s",
            "--no-out",
            "--hdr-log",
            log.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    // Two seconds: more than one histogram, so one is left whole.
    assert!(text.matches("\nTag=").count() >= 2, "{text}");
    let last_histogram = text.rfind("\nTag=").unwrap();
    std::fs::write(&log, &text[..last_histogram + 30]).unwrap();
    let out = stampede(&["report", log.to_str().unwrap()], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("the last line is cut off; skipped it"),
        "{}",
        out.stderr
    );
    // Finer series than the log's intervals cannot be made from it.
    stampede(
        &["report", log.to_str().unwrap(), "--interval", "500ms"],
        LIMIT,
    )
    .assert_one_line_error("give --interval a whole multiple of it", "--interval 500ms");

    // A log that cannot be written to the end: said, and exit 1.
    let url = format!("{base}/hello");
    let out = stampede(
        &[
            "run",
            "-q",
            &url,
            "-d",
            "1s",
            "--no-out",
            "--hdr-log",
            "/dev/full",
        ],
        LIMIT,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("writing /dev/full failed, so it is incomplete"),
        "{}",
        out.stderr
    );

    // The path: unwritable, or a file another flag writes.
    let out = stampede(
        &[
            "run",
            &url,
            "-d",
            "1s",
            "--hdr-log",
            "/nonexistent/dir/r.hlog",
        ],
        LIMIT,
    );
    out.assert_one_line_error("--hdr-log /nonexistent/dir/r.hlog: cannot write", "no dir");
    let same = dir.join("same").to_str().unwrap().to_string();
    let out = stampede(
        &["run", &url, "-d", "1s", "-o", &same, "--hdr-log", &same],
        LIMIT,
    );
    out.assert_one_line_error("--out writes that file too", "-o");
    let out = stampede(
        &[
            "run",
            &url,
            "-d",
            "1s",
            "--summary",
            &same,
            "--hdr-log",
            &same,
        ],
        LIMIT,
    );
    out.assert_one_line_error("--summary writes that file too", "--summary");
}
