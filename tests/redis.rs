//! `stampede run redis://...` against Debian's redis-server on a free port:
//! every reply type reaches results.csv with its status and byte count,
//! the counts match the server's, and a wrong password, a rejected command
//! and a server that goes away end as the README says.

mod common;

use common::redis::{redis_lines, start_redis};
use common::{Proc, Row, assert_accounting, finish_within, json_number, read_csv, run_recorded};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Every row of each task has this (status, bytes, error).
fn assert_tasks(rows: &[Row], want: &[(&str, u16, u64)]) {
    let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
    for r in rows {
        let (task, status, bytes) = want
            .iter()
            .find(|(t, ..)| *t == r.task)
            .unwrap_or_else(|| panic!("unexpected task {:?}", r.task));
        assert_eq!(
            (r.status, r.bytes, r.error.as_str()),
            (*status, *bytes, ""),
            "{task}: {r:?}"
        );
        *seen.entry(task).or_default() += 1;
    }
    assert_eq!(seen.len(), want.len(), "every task ran: {seen:?}");
}

#[test]
fn every_resp2_reply_type_reaches_the_csv() {
    let Some((_redis, port)) = start_redis("resp2", "") else {
        return;
    };
    redis_lines(port, &["SET s hello", "RPUSH l a bb"], 2);
    let url = format!("redis://127.0.0.1:{port}");
    // No quotes in task names: the summary JSON would escape them.
    let nested = "EVAL return{1,{2,'x'}} 0";
    let (out, rows, json) = run_recorded(
        "redis-resp2",
        &url,
        &[
            "-n",
            "400",
            "-c",
            "3",
            "-t",
            "1",
            "--command",
            "GET s",
            "--command",
            "GET missing",
            "--command",
            "STRLEN s",
            "--command",
            "PING",
            "--command",
            "LRANGE l 0 -1",
            "--command",
            nested,
            "--command",
            "BLPOP nokey 0.001",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 400);
    assert_tasks(
        &rows,
        &[
            ("GET s", 200, 11),            // $5 hello
            ("GET missing", 200, 5),       // $-1: an answer
            ("STRLEN s", 200, 4),          // :5
            ("PING", 200, 7),              // +PONG
            ("LRANGE l 0 -1", 200, 19),    // *2 $1 a $2 bb
            (nested, 200, 23),             // *2 :1 *2 :2 $1 x
            ("BLPOP nokey 0.001", 200, 5), // *-1
        ],
    );
    assert_accounting(&rows, &json);
}

#[test]
fn resp3_replies_after_hello_3() {
    let Some((_redis, port)) = start_redis("resp3", "") else {
        return;
    };
    redis_lines(port, &["HSET h f v", "SADD set1 m", "ZADD z 1.5 m"], 3);
    let url = format!("redis://127.0.0.1:{port}/0");
    let boolean = "EVAL redis.setresp(3);return(true) 0";
    let (out, rows, json) = run_recorded(
        "redis-resp3",
        &url,
        &[
            "--resp3",
            "-n",
            "200",
            "-c",
            "2",
            "-t",
            "1",
            "--command",
            "HGETALL h",
            "--command",
            "GET missing",
            "--command",
            "SMEMBERS set1",
            "--command",
            "ZSCORE z m",
            "--command",
            boolean,
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_tasks(
        &rows,
        &[
            ("HGETALL h", 200, 18),     // %1 $1 f $1 v
            ("GET missing", 200, 3),    // _
            ("SMEMBERS set1", 200, 11), // ~1 $1 m
            ("ZSCORE z m", 200, 6),     // ,1.5
            (boolean, 200, 4),          // #t
        ],
    );
    assert_accounting(&rows, &json);
}

#[test]
fn counts_match_the_server_in_both_models() {
    let Some((_redis, port)) = start_redis("counts", "") else {
        return;
    };
    let url = format!("redis://127.0.0.1:{port}");
    for (key, extra) in [
        ("closed", &["-n", "1000", "-c", "4"][..]),
        ("open", &["--rate", "400", "-d", "1s", "-c", "4"]),
    ] {
        redis_lines(port, &["CONFIG RESETSTAT"], 1);
        let command = format!("INCR {key}");
        let mut args = vec!["-t", "1", "--command", &command];
        args.extend_from_slice(extra);
        let (out, rows, json) = run_recorded(&format!("redis-counts-{key}"), &url, &args);
        assert_eq!(out.code, 0, "{key}: {}", out.stderr);
        assert!(
            rows.iter().all(|r| r.status == 200 && r.error.is_empty()),
            "{key}"
        );
        let counted = redis_lines(port, &[&format!("GET {key}")], 2);
        assert_eq!(
            counted[1],
            rows.len().to_string(),
            "{key}: the server counted every row"
        );
        assert_accounting(&rows, &json);
        // Every connection said goodbye: the protocol's QUIT as it closed.
        let stats = redis_lines(port, &["INFO commandstats"], 3);
        let quits = stats
            .iter()
            .find_map(|l| l.strip_prefix("cmdstat_quit:calls="))
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("{key}: no QUIT in {stats:?}"));
        let opened = json_number(&json, "connections_opened");
        assert_eq!(
            quits.parse::<f64>().unwrap(),
            opened,
            "{key}: one QUIT per connection"
        );
    }
}

#[test]
fn a_command_redis_rejects_is_a_status_500_failure() {
    let Some((_redis, port)) = start_redis("rejects", "") else {
        return;
    };
    redis_lines(port, &["SET s x"], 1);
    let url = format!("redis://127.0.0.1:{port}");
    let (out, rows, json) = run_recorded(
        "redis-rejects",
        &url,
        &[
            "-n",
            "100",
            "-c",
            "2",
            "-t",
            "1",
            "--command",
            "NOSUCHCOMMAND a",
            "--command",
            "LPUSH s y",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rows.len(), 100);
    for r in &rows {
        assert_eq!((r.status, r.error.as_str()), (500, ""), "{r:?}");
    }
    let wrongtype = rows.iter().find(|r| r.task == "LPUSH s y").unwrap();
    // -WRONGTYPE Operation against a key holding the wrong kind of value
    assert_eq!(wrongtype.bytes, 68);
    assert_eq!(json_number(&json, "failures"), 100.0);
    assert_accounting(&rows, &json);
}

#[test]
fn a_wrong_password_fails_with_init_and_says_why_once() {
    let Some((_redis, port)) = start_redis("auth", "requirepass right-one") else {
        return;
    };
    let wrong = format!("redis://:wrong@127.0.0.1:{port}");
    let (out, rows, json) = run_recorded(
        "redis-auth-wrong",
        &wrong,
        &["-n", "20", "-c", "2", "-t", "1", "--command", "PING"],
    );
    assert_eq!(out.code, 1, "not one response: {}", out.stderr);
    assert_eq!(rows.len(), 20);
    assert!(
        rows.iter().all(|r| r.error == "init" && r.status == 0),
        "{rows:?}"
    );
    let said: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("refused the connection setup"))
        .collect();
    assert_eq!(said.len(), 1, "{}", out.stderr);
    assert!(said[0].contains("WRONGPASS"), "{}", said[0]);
    assert!(out.stdout.contains("Setup refused"), "{}", out.stdout);
    assert!(
        json.contains(r#""init_problem":""#) && json.contains("WRONGPASS"),
        "{json}"
    );
    assert_accounting(&rows, &json);
    let right = format!("redis://default:right-one@127.0.0.1:{port}/1");
    let (out, rows, _) = run_recorded(
        "redis-auth-right",
        &right,
        &["-n", "20", "-c", "2", "-t", "1", "--command", "PING"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        rows.iter().all(|r| r.status == 200 && r.bytes == 7),
        "{rows:?}"
    );
}

#[test]
fn a_server_that_goes_away_ends_in_errors_with_nothing_lost() {
    for (name, model) in [
        ("closed", &["-c", "4"][..]),
        ("open", &["--rate", "300", "-c", "4"]),
    ] {
        let Some((mut redis, port)) = start_redis(&format!("away-{name}"), "") else {
            return;
        };
        let dir = common::scratch(&format!("redis-away-{name}"));
        let (csv, json) = (dir.join("results.csv"), dir.join("summary.json"));
        let url = format!("redis://127.0.0.1:{port}");
        let mut args = vec![
            "run",
            "-q",
            &url,
            "-d",
            "2s",
            "-t",
            "1",
            "--timeout",
            "1s",
            "--command",
            "PING",
            "-o",
            csv.to_str().unwrap(),
            "--summary",
            json.to_str().unwrap(),
        ];
        args.extend_from_slice(model);
        let child = Command::new(common::BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(700));
        redis.0.kill().unwrap(); // SIGKILL, by its PID
        let _ = redis.0.wait();
        let out = finish_within(child, Duration::from_secs(20));
        assert!(out.code == 0, "{name}: {}", out.stderr);
        let rows = read_csv(&csv);
        let json = std::fs::read_to_string(&json).unwrap();
        assert!(rows.iter().any(|r| r.status == 200), "{name}: some before");
        assert!(
            rows.iter().any(|r| !r.error.is_empty()),
            "{name}: errors after"
        );
        assert!(
            rows.iter().all(|r| r.status == 200 || !r.error.is_empty()),
            "{name}"
        );
        assert_accounting(&rows, &json);
        drop::<Proc>(redis);
    }
}

#[test]
fn a_scenario_of_redis_commands() {
    let Some((_redis, port)) = start_redis("scenario", "") else {
        return;
    };
    let dir = common::scratch("redis-scenario-file");
    let file = dir.join("cache.http");
    std::fs::write(
        &file,
        format!(
            "# @users 2\n@redis = redis://127.0.0.1:{port}/3\n\n\
             ### set\n# @weight 3\nREDIS {{{{redis}}}} SET key:{{{{$randomInt 1 50}}}} \"a b\"\n\n\
             ### count\nREDIS {{{{redis}}}} INCR hits\n"
        ),
    )
    .unwrap();
    let (out, rows, json) = common::run_recorded_args(
        "redis-scenario",
        &["-f", file.to_str().unwrap(), "-n", "400", "-t", "1"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for r in &rows {
        assert_eq!((r.status, r.error.as_str()), (200, ""), "{r:?}");
        assert!(r.task == "count" || r.bytes == 5, "set: +OK\r\n: {r:?}");
    }
    assert_accounting(&rows, &json);
    let counts = rows.iter().filter(|r| r.task == "count").count();
    assert!(
        counts > 40 && counts < 200,
        "weights 3:1 give about 100: {counts}"
    );
    let hits = redis_lines(port, &["SELECT 3", "GET hits"], 3);
    assert_eq!(hits[2], counts.to_string(), "the commands went to db 3");
}

#[test]
fn bad_redis_input_is_one_line_and_exit_2() {
    let dir = common::scratch("redis-bad");
    let body = dir.join("body.http");
    std::fs::write(&body, "### x\nREDIS redis://127.0.0.1:1 PING\nX: y\n").unwrap();
    let hostless = dir.join("hostless.http");
    std::fs::write(&hostless, "### x\nREDIS PING\n").unwrap();
    let out = dir.join("never.csv");
    for (args, needle) in [
        (&["redis://127.0.0.1:1"][..], "needs its commands"),
        (
            &["redis://127.0.0.1:1", "--command", r#"SET "k"#],
            "never closed",
        ),
        (
            &["redis://127.0.0.1:1", "--command", "SET {{$nope}}"],
            "nope",
        ),
        (&["redis://h/x", "--command", "PING"], "database number"),
        (&["redis://h?protocol=3", "--command", "PING"], "--resp3"),
        (
            &["http://127.0.0.1:1/", "--command", "PING"],
            "--command is for redis://",
        ),
        (
            &["http://127.0.0.1:1/", "--resp3"],
            "--resp3 is for redis://",
        ),
        (
            &["redis://127.0.0.1:1", "--command", "PING", "-H", "A: b"],
            "--header is for HTTP",
        ),
        (
            &["redis://127.0.0.1:1", "--command", "PING", "-k"],
            "https:// and rediss://",
        ),
        (
            &[
                "redis://127.0.0.1:1",
                "--command",
                "A",
                "--command",
                "B",
                "--name",
                "x",
            ],
            "--name names the one",
        ),
        (&["-f", body.to_str().unwrap()], "no headers or body"),
        (&["-f", hostless.to_str().unwrap()], "needs --host redis://"),
        (
            &[
                "-f",
                hostless.to_str().unwrap(),
                "--host",
                "http://127.0.0.1:1",
            ],
            "not a redis:// URL",
        ),
    ] {
        let mut full = vec!["run", "-q", "-o", out.to_str().unwrap()];
        full.extend_from_slice(args);
        common::stampede(&full, Duration::from_secs(20))
            .assert_one_line_error(needle, &format!("{args:?}"));
        assert!(!out.exists(), "{args:?}: nothing written");
    }
}

#[test]
fn a_bad_command_in_a_scenario_names_its_file_and_line() {
    let dir = common::scratch("redis-bad-scenario");
    let (file, csv) = (dir.join("r.http"), dir.join("never.csv"));
    for (command, needle) in [
        ("SET k \"a b", "a quote is never closed"),
        ("GET {{$nope}}", "nope"),
        ("GET {{$randomInt 1", "}}"),
        ("", "expected \"REDIS"),
    ] {
        let text = format!(
            "### good\nREDIS redis://127.0.0.1:1 PING\n\n### bad\nREDIS redis://127.0.0.1:1 {command}\n"
        );
        std::fs::write(&file, text).unwrap();
        let file = file.to_str().unwrap();
        let args = ["run", "-f", file, "-n", "1", "-o", csv.to_str().unwrap()];
        let out = common::stampede(&args, Duration::from_secs(20));
        out.assert_one_line_error(needle, command);
        out.assert_one_line_error(&format!("stampede: {file}:5: "), command);
        assert!(!csv.exists(), "{command}: nothing written");
    }
}

#[test]
fn rediss_goes_over_the_tls_transport() {
    let pki = common::tls::Pki::new(&common::scratch("redis-tls-pki"));
    let conf = format!(
        "port 0\ntls-port {{port}}\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\ntls-auth-clients no\n",
        pki.server_cert.display(),
        pki.server_key.display(),
        pki.ca.display()
    );
    let Some((_redis, port)) = start_redis("tls", &conf) else {
        return;
    };
    let url = format!("rediss://127.0.0.1:{port}");
    let ca = pki.ca.to_str().unwrap();
    let args = [
        "-n",
        "50",
        "-c",
        "2",
        "-t",
        "1",
        "--command",
        "PING",
        "--cacert",
        ca,
    ];
    let (out, rows, json) = run_recorded("redis-tls", &url, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        rows.iter().all(|r| r.status == 200 && r.bytes == 7),
        "{rows:?}"
    );
    assert_eq!(
        rows.iter().filter(|r| r.tls_us > 0).count(),
        2,
        "two handshakes"
    );
    assert_accounting(&rows, &json);
    // Without the CA, the handshake fails as for https.
    let (out, rows, _) = run_recorded("redis-tls-untrusted", &url, &args[..8]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(rows.iter().all(|r| r.error == "tls"), "{rows:?}");
    assert!(
        out.stderr.contains("TLS handshakes failed"),
        "{}",
        out.stderr
    );
}
