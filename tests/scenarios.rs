//! Scenario files (`-f FILE.http`) through the real binary against the
//! built-in server: weights, --sequence, dynamic values, directives, and
//! every example in examples/.

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};

fn per_task(rows: &[Row]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in rows {
        *counts.entry(r.task.clone()).or_default() += 1;
    }
    counts
}

#[test]
fn weights_show_in_the_per_task_counts() {
    let (_s, base) = start_serve();
    let file = scenario(
        "weights",
        "### hello\n# @weight 3\nGET /hello\n\n### status\nGET /status/204\n",
    );
    let (out, rows, json) = run_recorded_args(
        "weights-run",
        &["-f", &file, "--host", &base, "-c", "4", "-d", "2s"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let counts = per_task(&rows);
    let (hello, status) = (counts["hello"] as f64, counts["status"] as f64);
    // 3:1 odds over thousands of draws: 0.75, give or take a little.
    let share = hello / (hello + status);
    assert!(
        (0.72..=0.78).contains(&share),
        "hello's share {share:.3} of {counts:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.status == if r.task == "hello" { 200 } else { 204 })
    );
    assert_accounting(&rows, &json);
    assert!(
        out.stdout.contains("hello") && out.stdout.contains("status"),
        "a summary row per task"
    );
}

#[test]
fn sequence_keeps_the_file_order() {
    let (_s, base) = start_serve();
    let tasks = "### a\nGET /hello\n\n### b\nGET /status/201\n\n### c\nGET /status/202\n";
    // --sequence on the command line, or # @sequence in the file.
    for (name, text, flag) in [
        ("sequence", tasks.to_string(), Some("--sequence")),
        ("sequence-file", format!("# @sequence\n{tasks}"), None),
    ] {
        let file = scenario(name, &text);
        let mut args = vec!["-f", &file, "--host", &base, "-c", "1", "-d", "500ms"];
        args.extend(flag);
        let (out, rows, _) = run_recorded_args(&format!("{name}-run"), &args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        // One user: rows come in completion order, which is the user's order.
        let order: Vec<&str> = rows.iter().map(|r| r.task.as_str()).collect();
        assert!(order.len() >= 6, "{order:?}");
        for (i, task) in order.iter().enumerate() {
            assert_eq!(*task, ["a", "b", "c"][i % 3], "position {i} of {order:?}");
        }
    }
}

#[test]
fn dynamic_values_vary_per_request() {
    let (_s, base) = start_serve();
    let file = scenario(
        "dynamic",
        "### echo\nPOST /api/upload\nContent-Type: application/json\n\n{\"n\": {{$randomInt 1 1000000}}}\n",
    );
    let (out, rows, _) = run_recorded_args(
        "dynamic-run",
        &["-f", &file, "--host", &base, "-c", "2", "-d", "500ms"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
        "every rendered request is valid HTTP"
    );
    // The server echoes the body, so the number's length shows in the bytes.
    let sizes: BTreeSet<u64> = rows.iter().map(|r| r.bytes).collect();
    assert!(sizes.len() >= 2, "the echoed bodies vary: {sizes:?}");
}

#[test]
fn directives_apply_and_flags_override_them() {
    let (_s, base) = start_serve();
    let file = scenario(
        "directives",
        "# @users 3\n# @duration 700ms\n# @timeout 2s\n\n### hello\nGET /hello\n",
    );
    let (out, rows, json) = run_recorded_args("directives-file", &["-f", &file, "--host", &base]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json_number(&json, "users"), 3.0);
    assert!(
        rows.iter().all(|r| r.elapsed_us < 750_000),
        "@duration 700ms: nothing due after it"
    );
    assert!(json_number(&json, "run_time_s") < 1.5);

    let (out, _, json) = run_recorded_args(
        "directives-flags",
        &["-f", &file, "--host", &base, "-c", "2", "-d", "300ms"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json_number(&json, "users"), 2.0, "-c beats @users");
    assert!(json_number(&json, "run_time_s") < 0.7, "-d beats @duration");
}

#[test]
fn variables_come_from_the_file_and_from_var() {
    let (_s, base) = start_serve();
    let file = scenario(
        "vars",
        "@host = http://127.0.0.1:9\n@code = 200\n\n### s\nGET {{host}}/status/{{code}}\n",
    );
    let (out, rows, _) = run_recorded_args(
        "vars-run",
        &[
            "-f",
            &file,
            "--var",
            &format!("host={base}"),
            "--var",
            "code=418",
            "-c",
            "1",
            "-d",
            "300ms",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!rows.is_empty() && rows.iter().all(|r| r.status == 418));
}

#[test]
fn every_example_runs_against_serve() {
    let (_s, base) = start_serve();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut ran = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "http") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let file = path.to_str().unwrap();
        let (out, rows, json) = run_recorded_args(
            &format!("example-{name}"),
            &[
                "-f",
                file,
                "--host",
                &base,
                "--var",
                &format!("host={base}"),
                "-c",
                "2",
                "-d",
                "500ms",
            ],
        );
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert!(!rows.is_empty(), "{name}");
        assert!(
            rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
            "{name}: {:?}",
            per_task(&rows)
        );
        assert_accounting(&rows, &json);
        ran += 1;
    }
    assert!(ran >= 3, "examples/ holds at least three scenarios");
}

#[test]
fn scenario_errors_name_the_file_and_line() {
    // Each variable doubles the one before: 2 MiB by @a21, 1 TiB by @a40.
    let mut doubling = String::from("@a0 = x\n");
    for k in 1..=40 {
        doubling.push_str(&format!("@a{k} = {{{{a{}}}}}{{{{a{}}}}}\n", k - 1, k - 1));
    }
    doubling.push_str("### a\nGET http://127.0.0.1:9/{{a40}}\n");
    let cases: &[(&str, &[&str], &str)] = &[
        (&doubling, &[], ":22: expansion too large"),
        (
            "# @nope 1\n### a\nGET http://127.0.0.1:9/\n",
            &[],
            ":1: unknown directive @nope",
        ),
        (
            "### a\nGET http://127.0.0.1:9/{{missing}}\n",
            &[],
            ":2: unknown variable",
        ),
        (
            "### a\nPOST http://127.0.0.1:9/\n\n< ./missing.json\n",
            &[],
            "cannot read body file",
        ),
        (
            "### a\nPOST http://127.0.0.1:9/\n\n< /dev/zero\n",
            &[],
            ":4: cannot read body file /dev/zero: not a regular file or a pipe",
        ),
        (
            "### a\n(GET) http://127.0.0.1:9/\n",
            &[],
            ":2: expected \"METHOD URL\"",
        ),
        ("### a\nGET not a url\n", &[], ":2: bad URL"),
        ("### a\nGET /hello\n", &[], ":2: the relative URL"),
        (
            "### a\nGET http://127.0.0.1:9/\n\n### b\nGET http://127.0.0.1:10/\n",
            &[],
            ":5: this request goes to http://127.0.0.1:10",
        ),
        (
            "# @users lots\n### a\nGET http://127.0.0.1:9/\n",
            &[],
            ":1: @users",
        ),
        (
            // Once blamed on --arrival, a flag not given.
            "# @arrival bogus\n### a\nGET http://127.0.0.1:9/\n",
            &["--rate", "10"],
            ":1: @arrival: expected uniform or poisson",
        ),
        (
            // Invalid even where a flag overrides it.
            "# @duration soon\n### a\nGET http://127.0.0.1:9/\n",
            &["-d", "1s"],
            ":1: @duration: bad duration",
        ),
        (
            "### a\nGET http://127.0.0.1:9/\n",
            &["-m", "POST"],
            "not both",
        ),
        (
            "### a\nGET http://127.0.0.1:9/\n",
            &["--rate", "10", "--sequence"],
            "--sequence is for the closed model",
        ),
        (
            "# @rate 10\n# @sequence\n### a\nGET http://127.0.0.1:9/\n",
            &[],
            "@sequence is for the closed model",
        ),
        (
            "### a\nGET http://127.0.0.1:9/x?n={{$nope}}\n",
            &[],
            "unknown dynamic value",
        ),
    ];
    for (i, (text, flags, needle)) in cases.iter().enumerate() {
        let file = scenario(&format!("err-{i}"), text);
        let mut args = vec!["-f", file.as_str()];
        args.extend_from_slice(flags);
        let (out, _, _) = run_recorded_args(&format!("err-run-{i}"), &args);
        out.assert_one_line_error(needle, &format!("case {i} {text:?}"));
        if needle.starts_with(':') {
            assert!(
                out.stderr.contains("scenario.http:"),
                "case {i}: the file is named: {}",
                out.stderr
            );
        }
    }
    let out = stampede(
        &["run", "--host", "http://127.0.0.1:9", "http://127.0.0.1:9/"],
        std::time::Duration::from_secs(20),
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--host goes with a scenario"),
        "{}",
        out.stderr
    );
}

#[test]
fn flags_pick_the_model_and_the_file_follows() {
    let (_s, base) = start_serve();
    let file = scenario(
        "model",
        "# @rate 50\n# @arrival poisson\n# @duration 500ms\n\n### hello\nGET /hello\n",
    );
    // -r is a closed-model flag: the file's @rate and @arrival are left out.
    let (out, _, json) = run_recorded_args(
        "model-closed",
        &["-f", &file, "--host", &base, "-r", "100", "-c", "2"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json_number(&json, "users"), 2.0);
    // Without it, the file's open model runs: 50/s for 0.5 s.
    let (out, rows, _) = run_recorded_args("model-open", &["-f", &file, "--host", &base]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        (15..=40).contains(&rows.len()),
        "{} requests at about 50/s for 0.5 s",
        rows.len()
    );

    let staged = scenario(
        "model-stages",
        "# @open\n# @stages 1s:20\n\n### hello\nGET /hello\n",
    );
    // --stages without --open on the command line ramps users, and -d beats the file's stages.
    let (out, _, json) = run_recorded_args(
        "model-users",
        &["-f", &staged, "--host", &base, "--stages", "500ms:3"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json_number(&json, "users"), 3.0, "3 users, not a rate of 3");
    let (out, _, _) =
        run_recorded_args("model-d", &["-f", &staged, "--host", &base, "-d", "300ms"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_task_name_over_1_mib_is_refused_before_the_run() {
    // report and check bound each results.csv row by the longest name.
    let name = "n".repeat((1 << 20) + 1);
    let file = scenario(
        "huge-name",
        &format!("### {name}\nGET http://127.0.0.1:9/\n"),
    );
    let (out, _, _) = run_recorded_args("huge-name-run", &["-f", file.as_str()]);
    out.assert_one_line_error("is 1048577 bytes long; the most is 1048576", "1 MiB + 1");
}
