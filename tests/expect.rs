//! Response checks (`# @expect` in a scenario) through the real binary
//! against the built-in server: failed checks are `check` rows, counted by
//! task, their first failure named once in the summary and the JSON, and
//! failures for `stampede check`.

mod common;
use common::*;
use std::time::Duration;

const CHECKED: &str = "\
### ok
# @expect status 2xx
# @expect size < 100k
GET /bytes/10

### wrong status
# @expect status 200, 3xx
GET /status/503

### too big
# @expect status 2xx
# @expect size < 10
GET /bytes/50

### slow
# @expect status 200
GET /delay/2000
";

#[test]
fn failed_checks_are_check_rows_named_once_per_task() {
    let (_s, base) = start_serve();
    let file = scenario("expect", CHECKED);
    let (out, rows, json) = run_recorded_args(
        "expect-run",
        &[
            "-f",
            &file,
            "--host",
            &base,
            "-c",
            "2",
            "-n",
            "24",
            "--sequence",
            "--timeout",
            "300ms",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 24);
    for r in &rows {
        let want = match r.task.as_str() {
            "ok" => (200, ""),
            "wrong status" => (503, "check"),
            "too big" => (200, "check"),
            // A request that failed otherwise keeps its own error.
            "slow" => (0, "timeout"),
            other => panic!("task {other}"),
        };
        assert_eq!((r.status, r.error.as_str()), want, "{r:?}");
    }
    assert_accounting(&rows, &json);
    let outcomes = json_outcomes(&json);
    for task in ["wrong status", "too big"] {
        assert_eq!(outcomes[&(task.to_string(), "check".to_string())], 6);
    }

    let big = rows.iter().find(|r| r.task == "too big").unwrap().bytes;
    assert!(big > 50, "head and body: {big}");
    let size = format!("size {big} B, expected < 10 B");
    for line in [
        "Check failed    wrong status: status 503, expected 200, 3xx (the first)\n".to_string(),
        format!("Check failed    too big: {size} (the first)\n"),
    ] {
        assert_eq!(out.stdout.matches(&line).count(), 1, "{}", out.stdout);
    }
    assert_eq!(out.stdout.matches("Check failed").count(), 2);
    assert!(out.stdout.contains("check: 12"), "{}", out.stdout);

    assert!(
        json.contains(r#""first_check_failure":"status 503, expected 200, 3xx"}"#),
        "{json}"
    );
    assert!(
        json.contains(&format!(r#""first_check_failure":"{size}"}}"#)),
        "{json}"
    );
    assert_eq!(json.matches(r#""first_check_failure":null"#).count(), 2);
    assert!(json.contains(r#""check":12"#), "{json}");
    // The replies that failed their checks still arrived: responses.
    assert_eq!(json_number(&json, "responses"), 18.0);

    // 18 of 24 failed: 75 %.
    let csv = scratch_path("expect-run").join("results.csv");
    let csv = csv.to_str().unwrap();
    let gate = |max: &str| stampede(&["check", csv, "--max-error-rate", max], TIME);
    let failed = gate("74");
    assert_eq!(failed.code, 1, "{}{}", failed.stdout, failed.stderr);
    let passed = gate("76");
    assert_eq!(passed.code, 0, "{}{}", passed.stdout, passed.stderr);
    // `report` reads the new kind back.
    let report = stampede(&["report", csv], TIME);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(report.stdout.contains("check: 12"), "{}", report.stdout);
}

const TIME: Duration = Duration::from_secs(30);

const READING: &str = r#"### hello ok
# @expect status 200
# @expect body contains "message":"hello"
# @expect header content-type: json
# @expect json $.message == "hello"
# @expect json $.message != bye
GET /hello

### hello wrong
# @expect body contains "message":"hello"
# @expect json $.message == "bye"
GET /hello

### header missing
# @expect header X-Nope
GET /hello

### not json
# @expect json $.a == 1
GET /bytes/20

### past the prefix
# @expect body contains not-there
GET /chunked/100000
"#;

#[test]
fn checks_read_the_captured_body_and_headers() {
    checks_read_the_reply("1", 20);
}

/// Pipelined, each reply is captured on its own: the one before does not
/// leak into the next. (Each of the 8 slots runs the sequence.)
#[test]
fn pipelined_replies_are_checked_each_on_its_own() {
    checks_read_the_reply("4", 40);
}

/// Runs the scenario `text` against a serve of its own, with `args` after
/// its `-f` and `--host`, recorded in a scratch directory after `name`.
fn run_on_serve(name: &str, text: &str, args: &[&str]) -> (Outcome, Vec<Row>, String) {
    let (_s, base) = start_serve();
    let file = scenario(name, text);
    let mut all = vec!["-f", &file, "--host", &base];
    all.extend_from_slice(args);
    run_recorded_args(&format!("{name}-run"), &all)
}

/// Runs `READING` with 2 users, `--pipeline pipeline`, `n` requests: each
/// user (or pipelined slot) runs every task of the sequence as often.
fn checks_read_the_reply(pipeline: &str, n: usize) {
    let n_text = n.to_string();
    let args = [
        "-c",
        "2",
        "-n",
        &n_text,
        "--sequence",
        "--pipeline",
        pipeline,
    ];
    let (out, rows, json) = run_on_serve(&format!("reading-{pipeline}"), READING, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), n);
    for r in &rows {
        let error = if r.task == "hello ok" { "" } else { "check" };
        assert_eq!((r.status, r.error.as_str()), (200, error), "{r:?}");
    }
    assert_accounting(&rows, &json);
    let words = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for (task, failure) in [
        (
            "hello wrong",
            r#"json $.message is "hello", expected "bye""#,
        ),
        ("header missing", "header X-Nope missing"),
        ("not json", "json $.a not read: the body is not JSON"),
        (
            "past the prefix",
            r#"body does not contain "not-there" (first 64 KiB read)"#,
        ),
    ] {
        // Long lines wrap: compared with each run of spaces made one.
        let line = format!("Check failed {task}: {failure} (the first)");
        assert_eq!(words.matches(&line).count(), 1, "{}", out.stdout);
        let escaped = failure.replace('"', "\\\"");
        assert!(
            json.contains(&format!(r#""first_check_failure":"{escaped}"}}"#)),
            "{escaped} in {json}"
        );
    }
    assert_eq!(json.matches(r#""first_check_failure":null"#).count(), 1);
    let checked = format!(r#""check":{}"#, n / 5 * 4);
    assert!(json.contains(&checked), "{json}");
}

#[test]
fn a_plain_run_has_no_checks() {
    let (_s, base) = start_serve();
    let file = scenario("plain", "### down\nGET /status/503\n");
    let (out, rows, json) = run_recorded_args(
        "plain-run",
        &["-f", &file, "--host", &base, "-c", "1", "-n", "5"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.status == 503 && r.error.is_empty()));
    let text = std::fs::read_to_string(scratch_path("plain-run").join("results.csv")).unwrap();
    assert!(!text.contains("check"), "{text}");
    assert!(!out.stdout.contains("Check failed"), "{}", out.stdout);
    assert!(json.contains(r#""first_check_failure":null"#), "{json}");
}

#[test]
fn bad_checks_are_refused_before_anything_is_sent() {
    let (_s, base) = start_serve();
    for (check, what, needle) in [
        (
            "body has hello",
            "body",
            "scenario.http:3: bad @expect body \"has hello\"",
        ),
        (
            "header Content-Type:",
            "header",
            "scenario.http:3: @expect header Content-Type: needs the text after the colon",
        ),
        (
            "json message == \"hello\"",
            "json",
            "scenario.http:3: bad JSONPath \"message == \\\"hello\\\"\": it must start with $",
        ),
    ] {
        let file = scenario(
            &format!("refused-{what}"),
            &format!("### a\n# @expect status 200\n# @expect {check}\nGET /hello\n"),
        );
        let csv = scratch(&format!("refused-{what}-run")).join("results.csv");
        let out = stampede(
            &[
                "run",
                "-q",
                "-f",
                &file,
                "--host",
                &base,
                "-n",
                "1",
                "-o",
                csv.to_str().unwrap(),
            ],
            TIME,
        );
        out.assert_one_line_error(needle, check);
        assert!(!csv.exists(), "{check}: nothing written");
    }
    let file = scenario("refused-bad", "### a\n# @expect status 2x\nGET /hello\n");
    let out = stampede(&["run", "-f", &file, "--host", &base, "-n", "1"], TIME);
    out.assert_one_line_error("scenario.http:2: bad status \"2x\" in @expect status", "2x");
}

const JOURNEY: &str = r#"### login
# @name login
# @expect json $.user == alice
POST /api/login
Content-Type: application/json

{"user": "alice", "password": "pw-alice"}

### me
# @expect status 200
# @expect json $.user == "alice"
# @expect header content-type: application/json
GET /api/me
Authorization: Bearer {{login.response.body.$.token}}

### me as bob
# @expect json $.user == bob
GET /api/me
Authorization: Bearer {{login.response.body.$.token}}
"#;

/// A named reply's token goes into the next requests, whose replies are
/// checked: the ones that fail theirs are `check` rows.
#[test]
fn checks_on_a_journey_that_carries_a_token() {
    let args = ["-c", "2", "-n", "12", "--sequence"];
    let (out, rows, json) = run_on_serve("journey", JOURNEY, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 12);
    for r in &rows {
        let error = if r.task == "me as bob" { "check" } else { "" };
        assert_eq!((r.status, r.error.as_str()), (200, error), "{r:?}");
    }
    // Each user ran the sequence twice, with the token of its login.
    for task in ["login", "me", "me as bob"] {
        assert_eq!(rows.iter().filter(|r| r.task == task).count(), 4, "{task}");
    }
    assert_accounting(&rows, &json);
    assert!(
        json.contains(r#""first_check_failure":"json $.user is \"alice\", expected \"bob\""}"#),
        "{json}"
    );
}

/// A named reply that lacks the value a later request reads fails
/// (`check`, saying which value), and gives nothing: the user asks again.
#[test]
fn a_reply_without_the_value_read_later_is_a_check_failure() {
    let text = "### hello\n# @name hello\nGET /hello\n\n### me\nGET /api/me\n\
                Authorization: Bearer {{hello.response.body.$.token}}\n";
    let args = ["-c", "1", "-n", "4", "--sequence"];
    let (out, rows, json) = run_on_serve("lacking", text, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 4);
    for r in &rows {
        let got = (r.task.as_str(), r.status, r.error.as_str());
        assert_eq!(got, ("hello", 200, "check"), "{r:?}");
    }
    let words = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = "Check failed hello: $.token: no such value in the body (the first)";
    assert!(words.contains(line), "{}", out.stdout);
    assert!(json.contains(r#""check":4"#), "{json}");
}
