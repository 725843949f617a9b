//! `stampede check` on synthetic results.csv files with known figures: the
//! real binary, its exit codes, its verdict lines and its JUnit file.

mod common;

use common::{Outcome, scratch, stampede};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

const HEADER: &str = "elapsed_us,latency_us,status,task,wait_us,bytes,error\n";

/// Rows of (elapsed_us, latency_us, status, task).
fn write_csv(dir: &Path, name: &str, rows: &[(u64, u64, u16, &str)]) -> PathBuf {
    let mut text = String::from(HEADER);
    for (elapsed, latency, status, task) in rows {
        let task = if task.contains([',', '"']) {
            format!("\"{}\"", task.replace('"', "\"\""))
        } else {
            task.to_string()
        };
        let _ = writeln!(text, "{elapsed},{latency},{status},{task},0,100,");
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn check(args: &[&str]) -> Outcome {
    let mut argv = vec!["check"];
    argv.extend_from_slice(args);
    stampede(&argv, Duration::from_secs(30))
}

/// 1000 requests over 5 s, latencies 1..=100 ms, 1% failures (status 500),
/// alternating tasks: "GET /a" fast (1..=50 ms), "GET /b" slow (51..=100 ms).
fn known(dir: &Path) -> PathBuf {
    let rows: Vec<_> = (0..1000u64)
        .map(|i| {
            let ms = i % 100 + 1;
            let task = if ms <= 50 { "GET /a" } else { "GET /b" };
            let status = if i % 100 == 99 { 500 } else { 200 };
            (i * 5000, ms * 1000, status, task)
        })
        .collect();
    write_csv(dir, "results.csv", &rows)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn thresholds_pass_at_the_limit_and_fail_over_it() {
    let dir = scratch("check-thresholds");
    let csv = known(&dir);
    let out = check(&[
        s(&csv),
        "--p50",
        "50ms",
        "--p99",
        "99ms",
        "--max",
        "100ms",
        "--max-error-rate",
        "1",
        "--min-rps",
        "190",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("PASS: all 5 checks passed"),
        "{}",
        out.stdout
    );
    let line = out.stdout.lines().find(|l| l.starts_with("p99")).unwrap();
    assert!(line.contains("<= 99ms") && line.ends_with("PASS"), "{line}");

    let out = check(&[s(&csv), "--p99", "98ms", "--max-error-rate", "0.9"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("FAIL: 2 of 2 checks failed"),
        "{}",
        out.stdout
    );
}

#[test]
fn thresholds_after_task_apply_to_that_task() {
    let dir = scratch("check-tasks");
    let csv = known(&dir);
    let out = check(&[s(&csv), "--p99", "60ms"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let out = check(&[
        s(&csv),
        "--p99",
        "100ms",
        "--task",
        "GET /a",
        "--p99",
        "50ms",
        "--max",
        "50ms",
        "--task",
        "GET /b",
        "--p50",
        "76ms",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("p99 [GET /a]"), "{}", out.stdout);
    assert!(out.stdout.contains("p50 [GET /b]"), "{}", out.stdout);
    let out = check(&[s(&csv), "--task", "GET /a", "--p99", "40ms"]);
    assert_eq!(out.code, 1, "{}", out.stdout);

    let out = check(&[s(&csv), "--task", "GET /c", "--p99", "1s"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("\"GET /c\""), "{}", out.stderr);
    assert!(
        out.stderr.contains("\"GET /a\", \"GET /b\""),
        "{}",
        out.stderr
    );
}

#[test]
fn junit_has_a_testcase_per_check() {
    let dir = scratch("check-junit");
    let rows: Vec<_> = (0..100u64)
        .map(|i| (i * 1000, 10_000, 200, "GET /x?a=1&b=<2>, \"q\""))
        .collect();
    let csv = write_csv(&dir, "results.csv", &rows);
    let xml = dir.join("check.xml");
    let out = check(&[
        s(&csv),
        "--junit",
        s(&xml),
        "--p50",
        "20ms",
        "--task",
        "GET /x?a=1&b=<2>, \"q\"",
        "--p99",
        "5ms",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let xml = std::fs::read_to_string(&xml).unwrap();
    assert!(
        xml.contains("<testsuite name=\"stampede check\" tests=\"2\" failures=\"1\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure message=").count(), 1, "{xml}");
    assert!(
        xml.contains("p99 [GET /x?a=1&amp;b=&lt;2&gt;, &quot;q&quot;]"),
        "{xml}"
    );
    // The passing check carries its measured value as the failing one does.
    let passing = xml.split("<testcase ").nth(1).unwrap();
    assert!(passing.starts_with("classname=\"stampede check\" name=\"p50 &lt;= 20ms\""));
    assert!(
        passing.contains("<property name=\"measured\" value=\"10.0ms\"/>"),
        "{passing}"
    );
    assert!(
        passing.contains("<system-out>p50 is 10.0ms, within the limit &lt;= 20ms</system-out>"),
        "{passing}"
    );
}

/// A small xorshift: the tests need repeatable noise, not good randomness.
struct Noise(u64);

impl Noise {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A closed-model run of `secs` seconds at about 1000 requests/s:
/// log-normal latencies around 10 ms times `slower`, and a throughput
/// divided by `slower`.
fn run_csv(dir: &Path, name: &str, seed: u64, slower: f64, secs: u64) -> PathBuf {
    let mut noise = Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let n = (secs as f64 * 1000.0 / slower) as u64;
    let step = secs * 1_000_000 / n;
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let (u1, u2) = (noise.unit().max(1e-12), noise.unit());
            let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let latency = 10_000.0 * slower * (0.5 * normal).exp();
            let jitter = (noise.unit() * step as f64) as u64;
            (i * step + jitter, latency as u64, 200, "GET /hello")
        })
        .collect();
    write_csv(dir, name, &rows)
}

#[test]
fn baseline_regressions_fail_only_when_beyond_the_margin_for_sure() {
    let dir = scratch("check-baseline");
    let base = run_csv(&dir, "base.csv", 1, 1.0, 20);
    let same = run_csv(&dir, "same.csv", 2, 1.0, 20);
    let slow3 = run_csv(&dir, "slow3.csv", 3, 1.03, 20);
    let slow30 = run_csv(&dir, "slow30.csv", 4, 1.3, 20);
    let regress = |run: &Path, extra: &[&str]| {
        let mut args = vec![s(run), "--baseline", s(&base)];
        args.extend_from_slice(extra);
        check(&args)
    };

    let out = regress(&base, &["--max-regression", "10"]);
    assert_eq!(out.code, 0, "identical\n{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("PASS: all 4 checks passed"),
        "{}",
        out.stdout
    );
    let out = regress(&same, &["--max-regression", "10"]);
    assert_eq!(out.code, 0, "same server\n{}{}", out.stdout, out.stderr);
    let out = regress(&slow3, &["--max-regression", "10"]);
    assert_eq!(out.code, 0, "3% slower\n{}{}", out.stdout, out.stderr);

    let out = regress(&slow30, &["--max-regression", "10"]);
    assert_eq!(out.code, 1, "30% slower\n{}{}", out.stdout, out.stderr);
    for name in ["p50", "p90", "p99", "rps"] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} vs baseline")))
            .unwrap_or_else(|| panic!("no {name} line in\n{}", out.stdout));
        assert!(line.ends_with("FAIL"), "{line}");
        assert!(line.contains(", worse by +"), "{line}");
    }
    // A floor above the latency change lets the latencies through; the
    // throughput still fails.
    let out = regress(&slow30, &["--max-regression", "10", "--min-change", "20ms"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("FAIL: 1 of 4 checks failed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("worse by <= 10% or 20ms"),
        "{}",
        out.stdout
    );

    // Per task, next to a threshold.
    let out = regress(
        &slow30,
        &[
            "--task",
            "GET /hello",
            "--max-regression",
            "40",
            "--p50",
            "1s",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("rps vs baseline [GET /hello]"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_baseline_comparison_that_cannot_decide_exits_3() {
    let dir = scratch("check-inconclusive");
    // 3 s runs, the second 80% slower: too short to tell.
    let base = run_csv(&dir, "base.csv", 1, 1.0, 3);
    let slow = run_csv(&dir, "slow.csv", 2, 5.0, 3);
    let xml = dir.join("check.xml");
    let out = check(&[
        s(&slow),
        "--baseline",
        s(&base),
        "--max-regression",
        "10",
        "--p99",
        "10s",
        "--junit",
        s(&xml),
    ]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    let rps = out
        .stdout
        .lines()
        .find(|l| l.starts_with("rps vs baseline"))
        .unwrap();
    assert!(
        rps.contains("1000 -> 200, too short") && rps.ends_with(" INCONCLUSIVE"),
        "{rps}"
    );
    assert!(
        out.stdout
            .contains("rps vs baseline: too short to decide: each run needs about 5 whole seconds"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .ends_with("INCONCLUSIVE: 4 of 5 checks could not decide, the others passed\n"),
        "{}",
        out.stdout
    );
    let xml = std::fs::read_to_string(&xml).unwrap();
    assert!(
        xml.contains("failures=\"0\" errors=\"0\" skipped=\"4\""),
        "{xml}"
    );
    // A failure wins over an inconclusive comparison.
    let out = check(&[
        s(&slow),
        "--baseline",
        s(&base),
        "--max-regression",
        "10",
        "--p99",
        "1ms",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .ends_with("FAIL: 1 of 5 checks failed, 4 inconclusive\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_baseline_scoped_to_one_task_of_several_says_so() {
    let dir = scratch("check-scope");
    let csv = known(&dir);
    let scoped = check(&[
        s(&csv),
        "--baseline",
        s(&csv),
        "--task",
        "GET /a",
        "--max-regression",
        "10",
    ]);
    let warnings: Vec<&str> = scoped.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{}", scoped.stderr);
    assert!(
        warnings[0].starts_with("stampede: warning: ")
            && warnings[0].contains("only task \"GET /a\"")
            && warnings[0].contains("before the first --task"),
        "{}",
        warnings[0]
    );
    assert!(scoped.stdout.contains("[GET /a]"), "{}", scoped.stdout);
    // Comparing the whole run, or a run of one task, needs no warning.
    for args in [
        vec![s(&csv), "--baseline", s(&csv), "--max-regression", "10"],
        vec![
            s(&csv),
            "--baseline",
            s(&csv),
            "--max-regression",
            "10",
            "--task",
            "GET /a",
            "--max-regression",
            "5",
        ],
    ] {
        let out = check(&args);
        assert!(out.stderr.is_empty(), "{args:?}: {}", out.stderr);
    }
    let one = run_csv(&dir, "one.csv", 1, 1.0, 2);
    let out = check(&[
        s(&one),
        "--baseline",
        s(&one),
        "--task",
        "GET /hello",
        "--max-regression",
        "10",
    ]);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = scratch("check-bad");
    let csv = known(&dir);
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        format!("{HEADER}0,1000,200,a,0,1,\n1,abc,200,a,0,1,\n"),
    )
    .unwrap();
    let out = check(&[s(&bad), "--p99", "1s"]);
    out.assert_one_line_error("bad.csv:3", "bad.csv");

    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let out = check(&[s(&empty), "--p99", "1s"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("empty.csv"), "{}", out.stderr);

    let out = check(&[s(&csv), "--baseline", s(&bad), "--max-regression", "5"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("bad.csv:3"), "{}", out.stderr);

    for (args, why) in [
        (vec![s(&csv)], "nothing to check"),
        (vec![s(&csv), "--p99", "200"], "missing unit"),
        (vec![s(&csv), "--min-rps", "lots"], "--min-rps"),
        (vec![s(&csv), "--max-regression", "10"], "--baseline"),
        (vec![s(&csv), "--baseline", s(&csv)], "--max-regression"),
        (
            vec![s(&csv), "--p99", "1s", "--min-change", "1ms"],
            "--baseline",
        ),
        (
            vec![
                s(&csv),
                "--baseline",
                s(&csv),
                "--max-regression",
                "5",
                "--min-change",
                "1",
            ],
            "--min-change",
        ),
        (vec![s(&csv), "--p99"], "--p99"),
    ] {
        let out = check(&args);
        out.assert_one_line_error(why, &format!("{args:?}"));
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
}

#[test]
fn help_lists_every_flag_with_examples() {
    let out = check(&["--help"]);
    assert_eq!(out.code, 0);
    for flag in [
        "--p50",
        "--p999",
        "--max-error-rate",
        "--min-rps",
        "--task",
        "--baseline",
        "--max-regression",
        "--min-change",
        "--junit",
        "stampede check results.csv --p99 200ms",
        "3 no check failed, but a baseline comparison could not decide",
    ] {
        assert!(out.stdout.contains(flag), "{flag}:\n{}", out.stdout);
    }
}

#[test]
fn checks_a_real_run_against_the_built_in_server() {
    let (_server, url) = common::start_serve();
    let hello = format!("{url}/hello");
    let (out, rows, _) =
        common::run_recorded("check-real", &hello, &["-c", "4", "-d", "1s", "-t", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!rows.is_empty());
    let csv = std::env::temp_dir().join(format!(
        "stampede-test-{}-check-real/results.csv",
        std::process::id()
    ));
    // Generous limits: this must pass on a slow, loaded machine.
    let out = check(&[
        s(&csv),
        "--p99",
        "5s",
        "--max-error-rate",
        "0",
        "--min-rps",
        "1",
        "--task",
        "GET /hello",
        "--max",
        "10s",
        "--baseline",
        s(&csv),
        "--max-regression",
        "10",
    ]);
    // One second of run is too short for a baseline to decide.
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .ends_with("INCONCLUSIVE: 4 of 8 checks could not decide, the others passed\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_year_long_run_is_checked_and_compared() {
    let dir = scratch("check-year");
    let day = 86_400_000_000u64;
    let year: Vec<_> = [0, 1, 200, 365]
        .iter()
        .map(|d| (d * day, 5000, 200, "a"))
        .collect();
    let year = write_csv(&dir, "year.csv", &year);
    let out = check(&[s(&year), "--p99", "1s", "--max-error-rate", "0"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("PASS: all 2 checks passed"),
        "{}",
        out.stdout
    );
    // A short baseline is compared over the year's intervals.
    let short: Vec<_> = (0..100u64).map(|i| (i * 50_000, 5000, 200, "a")).collect();
    let short = write_csv(&dir, "short.csv", &short);
    let out = check(&[s(&year), "--baseline", s(&short), "--max-regression", "10"]);
    // Four rows over a year cannot decide a regression: inconclusive, and
    // read without running out of memory.
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("a long run: throughput is compared over intervals of 10m"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("rps vs baseline"), "{}", out.stdout);
}

#[test]
fn an_unknown_task_lists_the_tasks_in_one_short_line() {
    let dir = scratch("check-task-list");
    let long = "n".repeat(70_000);
    let mut rows = vec![(0, 1000, 200, long.as_str())];
    let names: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    rows.extend(names.iter().map(|n| (0, 1000, 200, n.as_str())));
    let csv = write_csv(&dir, "tasks.csv", &rows);
    let out = check(&[s(&csv), "--task", "nope", "--p99", "1s"]);
    out.assert_one_line_error("--task \"nope\": no such task", "nope");
    assert!(out.stderr.contains("\"t8\", and 2 more"), "{}", out.stderr);
    assert!(out.stderr.len() < 1000, "{}", out.stderr);
}

#[test]
fn a_junit_path_that_cannot_be_written_is_bad_input_before_any_verdict() {
    let dir = scratch("check-junit-unwritable");
    let csv = known(&dir);
    let junit = dir.join("no-such-dir").join("check.xml");
    let out = check(&[s(&csv), "--p99", "1s", "--junit", s(&junit)]);
    out.assert_one_line_error("--junit", "unwritable --junit");
    assert!(
        out.stdout.is_empty(),
        "no verdict before the error: {}",
        out.stdout
    );
}
