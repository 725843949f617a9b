//! Execution segments and one start moment, through the real binary: four
//! processes, as the pods of an Indexed Job (JOB_COMPLETION_INDEX 0..3),
//! run one plan from one `--start-at` against `serve`, and their merged
//! files are the one-process run's, request for request.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const LIMIT: Duration = Duration::from_secs(60);
const JOB_INDEX: &str = "JOB_COMPLETION_INDEX";

/// `stampede ARGS` with `JOB_COMPLETION_INDEX` set to `job_index`, or
/// unset; started, not waited for.
fn spawn(args: &[&str], job_index: Option<&str>) -> std::process::Child {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    match job_index {
        Some(i) => cmd.env(JOB_INDEX, i),
        None => cmd.env_remove(JOB_INDEX),
    };
    cmd.spawn().expect("start stampede")
}

/// A moment `ahead` from now, as Unix seconds with a fraction.
fn unix_in(ahead: Duration) -> String {
    let at = SystemTime::now() + ahead;
    format!(
        "{:.6}",
        at.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
    )
}

/// Requests due in each whole second.
fn per_second(due: &[u64]) -> Vec<usize> {
    let mut counts = Vec::new();
    for &us in due {
        let s = (us / 1_000_000) as usize;
        if counts.len() <= s {
            counts.resize(s + 1, 0);
        }
        counts[s] += 1;
    }
    counts
}

/// The due moments of `rows`, sorted.
fn due(rows: &[Row]) -> Vec<u64> {
    let mut due: Vec<u64> = rows.iter().map(|r| r.elapsed_us).collect();
    due.sort_unstable();
    due
}

#[test]
fn four_segments_from_one_start_moment_are_the_whole_plan() {
    let (_serve, base) = start_serve();
    let url = format!("{base}/hello");
    let dir = scratch("segments");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let start_at = unix_in(Duration::from_secs(2));
    let plan = [
        "run",
        &url,
        "-q",
        "--rate",
        "200",
        "-d",
        "2s",
        "-c",
        "8",
        "--start-at",
        &start_at,
    ];
    let (csv, summary) = (path("r-{segment}.csv"), path("s-{segment}.json"));
    let segments: Vec<_> = (0..4)
        .map(|i| {
            let mut args = plan.to_vec();
            args.extend(["--segments", "4", "-o", &csv, "--summary", &summary]);
            spawn(&args, Some(&i.to_string()))
        })
        .collect();
    // The whole plan in one process, at the same moment, for comparison.
    let whole_csv = path("whole.csv");
    let mut args = plan.to_vec();
    args.extend(["-o", &whole_csv]);
    let whole = finish_within(spawn(&args, None), LIMIT);
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    let whole = read_csv(Path::new(&whole_csv));
    assert_eq!(whole.len(), 400, "rate x duration");

    let mut union = Vec::new();
    for (i, child) in segments.into_iter().enumerate() {
        let out = finish_within(child, LIMIT);
        assert_eq!(out.code, 0, "segment {i}: {}", out.stderr);
        let rows = read_csv(&dir.join(format!("r-{i}.csv")));
        // Arrival k is segment k mod 4's.
        assert_eq!(rows.len(), 100, "segment {i}");
        let json = std::fs::read_to_string(dir.join(format!("s-{i}.json"))).unwrap();
        let needle = format!(r#""segment":{{"index":{i},"count":4}}"#);
        assert!(json.contains(&needle), "segment {i}: {json}");
        assert!(json_number(&json, "start_skew_us") >= 0.0, "{json}");
        assert_accounting(&rows, &json);
        union.extend(rows);
    }
    // One time axis: every request of the whole plan was due at the same
    // microsecond in one of the segments.
    assert_eq!(union.len(), 400);
    assert_eq!(due(&union), due(&whole));
    assert_eq!(per_second(&due(&union)), per_second(&due(&whole)));
    assert_eq!(per_second(&due(&union)), vec![200, 200]);

    // The merged report is the report of the rows as one file: exact, and
    // its percentiles are the rows' own (within the histogram's 3 digits).
    let files: Vec<String> = (0..4).map(|i| path(&format!("r-{i}.csv"))).collect();
    let mut report_args = vec!["report", "--json"];
    report_args.extend(files.iter().map(String::as_str));
    let merged = stampede(&report_args, LIMIT);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert_eq!(json_number(&merged.stdout, "requests"), 400.0);
    let one_file = path("one.csv");
    let mut text = String::from(HEADER) + "\n";
    for f in &files {
        let body = std::fs::read_to_string(f).unwrap();
        text.extend(body.lines().skip(1).map(|l| format!("{l}\n")));
    }
    std::fs::write(&one_file, text).unwrap();
    std::fs::copy(format!("{}.meta", files[0]), format!("{one_file}.meta")).unwrap();
    let one = stampede(&["report", "--json", &one_file], LIMIT);
    assert_eq!(
        merged.stdout, one.stdout,
        "report over 4 files = over their rows as one"
    );
    let mut latency: Vec<u64> = union.iter().map(|r| r.latency_us).collect();
    latency.sort_unstable();
    for (key, q) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0)] {
        let rank = ((q / 100.0 * latency.len() as f64).ceil() as usize).max(1);
        let exact = latency[rank - 1] as f64;
        let reported = json_field(&merged.stdout, "latency_ms", key) * 1000.0;
        assert!(
            (reported - exact).abs() <= exact / 500.0 + 1.0,
            "{key}: report {reported} us, the rows {exact} us"
        );
    }
}

#[test]
fn closed_model_segments_deal_the_users_and_their_requests() {
    // 3 users and -n 30: each user runs 10. Segment 0 of 2 holds users 0
    // and 2, segment 1 user 1.
    let (_serve, base) = start_serve();
    let url = format!("{base}/hello");
    let mut rows = 0;
    for (segment, users, requests) in [("0/2", 2.0, 20), ("1/2", 1.0, 10)] {
        let (out, got, json) = run_recorded(
            &format!("closed-{}", &segment[..1]),
            &url,
            &["-c", "3", "-n", "30", "--segment", segment],
        );
        assert_eq!(out.code, 0, "{segment}: {}", out.stderr);
        assert_eq!(got.len(), requests, "{segment}");
        assert_eq!(json_number(&json, "users"), users, "{segment}: {json}");
        assert!(json.contains(r#""start_skew_us":null"#), "{json}");
        rows += got.len();
    }
    assert_eq!(rows, 30);
}

#[test]
fn segment_and_start_flags_reject_bad_input() {
    let dir = scratch("segments-bad");
    let out = dir.join("r.csv");
    let out = out.to_str().unwrap();
    let soon = unix_in(Duration::from_secs(30));
    for (extra, job_index, needle) in [
        (vec!["--segment", "4/4"], None, "must be below N"),
        (vec!["--segment", "two"], None, "expected I/N"),
        (
            vec!["--segments", "4"],
            None,
            "JOB_COMPLETION_INDEX, which is not set",
        ),
        (
            vec!["--segments", "4"],
            Some("4"),
            "is not below --segments 4",
        ),
        (
            vec!["--segments", "4"],
            Some("x"),
            "is not a segment number",
        ),
        (
            vec!["--segment", "1/4", "--segments", "3"],
            None,
            "disagree",
        ),
        (
            vec!["-c", "2", "--segment", "3/4"],
            None,
            "would have no users",
        ),
        (
            vec!["--rate", "10", "-n", "2", "--segment", "3/4"],
            None,
            "would have no requests",
        ),
        (vec!["--start-at", "noon"], None, "expected RFC 3339"),
        (vec!["--start-at", "2000-01-01T00:00:00Z"], None, "passed"),
        (vec!["--start-grace", "2s"], None, "goes with --start-at"),
        (
            vec!["--start-at", &soon, "--start-grace", "x"],
            None,
            "--start-grace: bad duration",
        ),
    ] {
        let mut args = vec!["run", "http://127.0.0.1:9/", "-q", "-o", out];
        args.extend(&extra);
        let outcome = finish_within(spawn(&args, job_index), LIMIT);
        let case = format!("{extra:?} with {JOB_INDEX}={job_index:?}");
        outcome.assert_one_line_error(needle, &case);
        assert!(!Path::new(out).exists(), "{case}: nothing written");
    }
}

#[test]
fn a_job_index_without_segments_is_worth_a_warning() {
    let (_serve, base) = start_serve();
    let dir = scratch("segments-job-index-alone");
    let child = std::process::Command::new(BIN)
        .args([
            "run",
            &format!("{base}/hello"),
            "-n",
            "3",
            "-c",
            "1",
            "--no-out",
        ])
        .env("JOB_COMPLETION_INDEX", "2")
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish_within(child, std::time::Duration::from_secs(20));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.lines().any(|l| l
            .starts_with("stampede: warning: JOB_COMPLETION_INDEX is set but --segments is not")),
        "{}",
        out.stderr
    );
    assert_eq!(
        summary_figure(&out.stdout, "Requests"),
        3,
        "the whole plan ran"
    );
}
