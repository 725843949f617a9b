//! `stampede report`: golden files for the summary, the JSON and the time
//! series; merging files; and bad CSVs.

mod common;
use common::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn golden(name: &str) -> String {
    std::fs::read_to_string(format!("{GOLDEN}/{name}")).unwrap()
}

#[test]
fn summary_json_and_time_series_match_the_golden_files() {
    let dir = scratch("report-golden");
    let csv = format!("{GOLDEN}/small.csv");
    let ts = dir.join("ts.csv");
    let out = stampede(
        &["report", &csv, "--timeseries", ts.to_str().unwrap()],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, golden("small.summary.txt"));
    assert_eq!(
        std::fs::read_to_string(&ts).unwrap(),
        golden("small.timeseries.csv")
    );

    let out = stampede(&["report", &csv, "--json"], LIMIT);
    assert_eq!(out.stdout, golden("small.summary.json"));

    let by_task = dir.join("by-task.csv");
    let out = stampede(
        &[
            "report",
            &csv,
            "--by-task",
            "--interval",
            "2s",
            "--timeseries",
            by_task.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&by_task).unwrap(),
        golden("small.by-task.csv")
    );
}

#[test]
fn the_report_of_a_run_matches_the_run_summary() {
    let (_s, base) = start_serve();
    let (out, rows, json) = run_recorded(
        "report-run-src",
        &format!("{base}/hello"),
        &["-c", "4", "-d", "1s"],
    );
    assert_eq!(out.code, 0);
    // Where run_recorded wrote it (scratch() would wipe it).
    let csv = std::env::temp_dir().join(format!(
        "stampede-test-{}-report-run-src/results.csv",
        std::process::id()
    ));
    let report = stampede(&["report", csv.to_str().unwrap(), "--json"], LIMIT);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert_eq!(json_number(&report.stdout, "requests"), rows.len() as f64);
    assert_eq!(
        json_counts(&report.stdout, "status_counts"),
        json_counts(&json, "status_counts")
    );
    // Same histogram, same percentiles, to the microsecond.
    for key in ["\"p50\":", "\"p99\":", "\"max\":"] {
        let at = |j: &str| {
            j[j.find("\"latency_ms\"").unwrap()..]
                .split(key)
                .nth(1)
                .unwrap()
                .split([',', '}'])
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(at(&report.stdout), at(&json), "{key}");
    }
}

#[test]
fn two_files_merge_like_one_file_holding_both() {
    let dir = scratch("report-merge");
    let text = golden("small.csv");
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let (a, b) = rows.split_at(5);
    let write = |name: &str, rows: &[&str]| {
        let path = dir.join(name);
        std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        path.to_str().unwrap().to_string()
    };
    let (a, b) = (write("a.csv", a), write("b.csv", b));
    let merged = stampede(&["report", &a, &b, "--json"], LIMIT);
    let whole = stampede(&["report", &format!("{GOLDEN}/small.csv"), "--json"], LIMIT);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    // Tasks are numbered in the order first seen, which the split keeps.
    assert_eq!(merged.stdout, whole.stdout);
}

#[test]
fn bad_csvs_name_the_file_and_line() {
    let dir = scratch("report-bad");
    let head = "elapsed_us,latency_us,status,task,wait_us,bytes,error\n";
    for (name, text, needle, code) in [
        (
            "header.csv",
            "a,b,c\n1,2,3\n",
            "header.csv:1: wrong header",
            2,
        ),
        (
            "number.csv",
            &*format!("{head}0,1,200,a,0,0,\n5,x,200,a,0,0,\n"),
            "number.csv:3: latency_us is not a whole number",
            2,
        ),
        ("empty.csv", "", "empty.csv: the file is empty", 2),
        ("only-header.csv", head, "no requests in it", 2),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = stampede(&["report", path.to_str().unwrap()], LIMIT);
        assert_eq!(out.code, code, "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains(needle),
            "{name}: expected {needle:?} in {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{name}: one line");
    }
    let path = dir.join("cut.csv");
    std::fs::write(&path, format!("{head}0,1,200,a,0,0,\n1,2,2")).unwrap();
    let out = stampede(&["report", path.to_str().unwrap(), "--json"], LIMIT);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr
            .contains("cut.csv:3: the last line is cut off; skipped it"),
        "{}",
        out.stderr
    );
    assert_eq!(json_number(&out.stdout, "requests"), 1.0);
    let out = stampede(&["report", "/nonexistent.csv"], LIMIT);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("/nonexistent.csv: cannot read"),
        "{}",
        out.stderr
    );
}

#[test]
fn html_is_one_self_contained_page_with_every_chart() {
    let dir = scratch("report-html");
    let page = dir.join("report.html");
    let out = stampede(
        &[
            "report",
            &format!("{GOLDEN}/small.csv"),
            "--html",
            page.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<svg").count(), 6, "six charts");
    for title in [
        "Requests per second",
        "Latency over time",
        "Failures",
        "Latency of each request",
        "Latency distribution",
        "Requests in flight",
    ] {
        assert!(html.contains(title), "missing chart {title:?}");
    }
    assert!(
        html.contains("time (s)") && html.contains("latency (ms)"),
        "axis labels with units"
    );
    assert!(
        html.contains("odd, &quot;name&quot;"),
        "task names are escaped"
    );
    let without_xmlns = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !without_xmlns.contains("http://") && !without_xmlns.contains("https://"),
        "no external URLs"
    );
    assert!(!html.contains("<script"), "no JavaScript needed");
}

#[test]
fn an_absurd_timestamp_is_read_with_coarse_intervals_not_a_crash() {
    let dir = scratch("report-absurd");
    let path = dir.join("far.csv");
    std::fs::write(&path, "elapsed_us,latency_us,status,task,wait_us,bytes,error\n18446744073709551615,5,200,a,0,10,\n").unwrap();
    let out = stampede(&["report", path.to_str().unwrap()], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("time-series intervals of 100000h"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_year_long_run_is_reported_in_10_minute_intervals() {
    let dir = scratch("report-year");
    let path = dir.join("year.csv");
    let mut text = String::from("elapsed_us,latency_us,status,task,wait_us,bytes,error\n");
    for day in [0u64, 1, 200, 365] {
        text.push_str(&format!("{},5000,200,a,0,10,\n", day * 86_400_000_000));
    }
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap();
    let ts = dir.join("ts.csv");
    let out = stampede(&["report", p, "--timeseries", ts.to_str().unwrap()], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.trim(),
        "stampede: a long run: time-series intervals of 10m, to stay within 100000 points"
    );
    let series = std::fs::read_to_string(&ts).unwrap();
    assert_eq!(series.lines().count(), 1 + 365 * 144 + 1);
    assert!(
        series.contains("\n600,0,0,0,"),
        "the second row starts at 600 s"
    );
    assert!(out.stdout.contains("Requests        4"), "{}", out.stdout);
    // A finer --interval is coarsened, with a warning.
    let out = stampede(&["report", p, "--interval", "1m", "--json"], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.trim(),
        "stampede: warning: --interval 1m would make more than 100000 time-series points; used 10m"
    );
    // One that fits is kept, silently.
    let out = stampede(&["report", p, "--interval", "1h"], LIMIT);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
}

#[test]
fn a_huge_task_name_is_cut_in_the_table_and_whole_in_the_json() {
    let dir = scratch("report-huge-name");
    let path = dir.join("huge.csv");
    let name = "n".repeat(70_000);
    std::fs::write(
        &path,
        format!("elapsed_us,latency_us,status,task,wait_us,bytes,error\n0,5,200,{name},0,10,\n"),
    )
    .unwrap();
    let html = dir.join("r.html");
    let out = stampede(
        &[
            "report",
            path.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("{}\u{2026}", "n".repeat(59))),
        "{}",
        out.stdout
    );
    assert!(std::fs::read_to_string(&html).unwrap().contains(&name));
    let out = stampede(&["report", path.to_str().unwrap(), "--json"], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(&format!("\"{name}\"")));
}

#[test]
fn a_huge_url_path_keeps_the_run_summary_and_reports() {
    let (_s, base) = start_serve();
    let path = format!("/{}", "p".repeat(100_000));
    let (out, rows, json) = run_recorded(
        "report-huge-url",
        &format!("{base}{path}"),
        &["-c", "1", "-d", "300ms"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!rows.is_empty());
    assert!(json.contains(&format!("\"GET {path}\"")), "{}", out.stderr);
    // Where run_recorded wrote it (scratch() would empty the directory).
    let csv = std::env::temp_dir()
        .join(format!(
            "stampede-test-{}-report-huge-url",
            std::process::id()
        ))
        .join("results.csv");
    let out = stampede(&["report", csv.to_str().unwrap()], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("GET /ppp"), "{}", out.stdout);
}

#[test]
fn lines_with_no_end_are_one_line_errors_for_report_and_check() {
    let dir = scratch("report-sparse");
    let head = "elapsed_us,latency_us,status,task,wait_us,bytes,error\n";
    for (name, text, needle) in [
        (
            "no-header.csv",
            "",
            "no-header.csv:1: not a results.csv: the first line is longer than",
        ),
        (
            "no-end.csv",
            &*format!("{head}0,1,200,a,0,0,\n"),
            "no-end.csv:3: a row longer than",
        ),
    ] {
        // Zeros up to 10 GB: a sparse file, nothing written.
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(10 << 30).unwrap();
        let p = path.to_str().unwrap();
        stampede(&["report", p], LIMIT).assert_one_line_error(needle, name);
        stampede(&["check", p, "--p99", "1s"], LIMIT).assert_one_line_error(needle, name);
        std::fs::remove_file(&path).unwrap();
    }
}

/// The run leaves `results.csv.meta` beside the CSV: `report` then knows
/// each task's method, the run's order of tasks, and what was tested.
#[test]
fn report_takes_methods_order_and_plan_from_the_runs_meta_file() {
    let (_s, base) = start_serve();
    let (out, _rows, run_json) = run_recorded_args(
        "report-meta",
        &[
            "-f",
            "examples/hello.http",
            "--host",
            &base,
            "-c",
            "2",
            "-d",
            "1",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = scratch_path("report-meta");
    let csv = dir.join("results.csv");
    let meta = dir.join("results.csv.meta");
    assert!(meta.exists(), "the run writes its meta file");
    let tasks = |json: &str| -> Vec<(String, String)> {
        json.split("{\"method\":\"")
            .skip(1)
            .map(|t| {
                let method = t.split('"').next().unwrap().to_string();
                let name = t.split("\"name\":\"").nth(1).unwrap();
                (method, name.split('"').next().unwrap().to_string())
            })
            .collect()
    };
    let report = stampede(&["report", csv.to_str().unwrap(), "--json"], LIMIT);
    assert_eq!(report.code, 0, "{}", report.stderr);
    let expected = vec![
        ("GET".to_string(), "hello".to_string()),
        ("POST".to_string(), "upload".to_string()),
    ];
    assert_eq!(tasks(&run_json), expected, "the run's own tasks");
    assert_eq!(
        tasks(&report.stdout),
        expected,
        "the same methods, in the same order"
    );
    let html = dir.join("r.html");
    let out = stampede(
        &[
            "report",
            csv.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains(&format!(
            "<p class=\"plan\">{base}/hello: 2 users, all at once, for 1s</p>"
        )),
        "what was tested"
    );
    // Without it, report works from the CSV alone.
    std::fs::remove_file(&meta).unwrap();
    let bare = stampede(&["report", csv.to_str().unwrap(), "--json"], LIMIT);
    assert_eq!(bare.code, 0);
    assert!(tasks(&bare.stdout).iter().all(|(m, _)| m.is_empty()));
}

/// The text of the summary section that starts with `title`.
fn section<'a>(summary: &'a str, title: &str) -> &'a str {
    let start = summary
        .find(title)
        .unwrap_or_else(|| panic!("no {title:?} in\n{summary}"));
    let rest = &summary[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

#[test]
fn statuses_and_errors_by_task_add_up_and_report_shows_the_same() {
    let (_s, base) = start_serve();
    let dir = scratch("outcomes-plan");
    let plan = dir.join("plan.http");
    let text = format!(
        "### fine\nGET {base}/hello\n\n### missing\nGET {base}/status/404\n\n### slow\nGET {base}/delay/400\n"
    );
    std::fs::write(&plan, text).unwrap();
    let (out, rows, json) = run_recorded_args(
        "outcomes-run",
        &[
            "-f",
            plan.to_str().unwrap(),
            "-c",
            "6",
            "-d",
            "1500ms",
            "--timeout",
            "100ms",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_accounting(&rows, &json);
    let outcomes = json_outcomes(&json);
    for (task, outcome) in [("fine", "200"), ("missing", "404"), ("slow", "timeout")] {
        assert!(
            outcomes.contains_key(&(task.to_string(), outcome.to_string())),
            "{task} {outcome}: {outcomes:?}"
        );
    }
    let csv = std::env::temp_dir().join(format!(
        "stampede-test-{}-outcomes-run/results.csv",
        std::process::id()
    ));
    let csv = csv.to_str().unwrap();
    let report = stampede(&["report", csv, "--json"], LIMIT);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert_eq!(json_outcomes(&report.stdout), outcomes);
    let text = stampede(&["report", csv], LIMIT);
    let title = "Statuses and errors by task";
    // The same rows; the order of the tasks is another test's business.
    let rows_of = |summary: &str| {
        let mut lines: Vec<String> = section(summary, title).lines().map(String::from).collect();
        lines.sort();
        lines
    };
    assert_eq!(rows_of(&text.stdout), rows_of(&out.stdout));
    assert!(
        section(&out.stdout, title).contains("timeout"),
        "{}",
        out.stdout
    );
}
