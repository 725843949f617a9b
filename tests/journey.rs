//! User journeys against `stampede serve`: a login whose reply's token and
//! cookie the next requests carry, each user with its own row of a data
//! file, every reply checked; and the rule for a value a user lacks yet.

mod common;

use common::*;
use std::collections::BTreeMap;

/// A scenario with `USERS` beside it as users.csv; its path.
fn journey(name: &str, text: &str) -> String {
    let path = scenario(name, text);
    let dir = std::path::Path::new(&path).parent().unwrap();
    std::fs::write(dir.join("users.csv"), USERS).unwrap();
    path
}

const USERS: &str = "name,password\nalice,pw-alice\nbob,pw-bob\n";

/// Rows per (task, status, error).
fn outcomes(rows: &[Row]) -> BTreeMap<(String, u16, String), usize> {
    let mut counts = BTreeMap::new();
    for r in rows {
        *counts
            .entry((r.task.clone(), r.status, r.error.clone()))
            .or_default() += 1;
    }
    counts
}

#[test]
fn the_journey_example_runs_against_serve_and_serve_counts_every_row() {
    let (serve, base) = start_serve_with(&[]);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/journey.http");
    let (out, rows, json) = run_recorded_args(
        "journey-example",
        &[
            "-f",
            example,
            "--var",
            &format!("host={base}"),
            "-c",
            "3",
            "-t",
            "1",
            "-d",
            "1s",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let counts = outcomes(&rows);
    assert!(
        counts
            .keys()
            .all(|(_, status, error)| *status == 200 && error.is_empty()),
        "{counts:?}"
    );
    // In order, per user: the three tasks' counts differ by at most one per user.
    let by_task: Vec<usize> = counts.values().copied().collect();
    assert_eq!(by_task.len(), 3, "{counts:?}");
    let (least, most) = (by_task.iter().min().unwrap(), by_task.iter().max().unwrap());
    assert!(*least >= 10 && most - least <= 3, "{counts:?}");
    assert_accounting(&rows, &json);
    assert_eq!(stop_serve(serve).requests, rows.len() as u64);
}

#[test]
fn a_user_without_the_token_logs_in_first_in_weighted_runs_too() {
    let (_serve, base) = start_serve_with(&[]);
    // Twenty reads for each login drawn; no @sequence. Bob's password is
    // wrong in this file, so he never gets a token: his reads never go
    // out with a hole where it belongs; he logs in again each time.
    let file = journey(
        "journey-weighted-file",
        "# @data users = ./users.csv\n\
         ### login\n# @name login\nPOST /api/login\nContent-Type: application/json\n\n\
         {\"user\": \"{{users.name}}\", \"password\": \"{{users.password}}\"}\n\n\
         ### me\n# @weight 20\nGET /api/me\nAuthorization: Bearer {{login.response.body.$.token}}\n",
    );
    std::fs::write(
        std::path::Path::new(&file).with_file_name("users.csv"),
        "name,password\nalice,pw-alice\nbob,wrong\n",
    )
    .unwrap();
    let (out, rows, json) = run_recorded_args(
        "journey-weighted",
        &[
            "-f",
            &file,
            "--host",
            &base,
            "-c",
            "2",
            "-t",
            "1",
            "-d",
            "500ms",
            "--no-cookies",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let counts = outcomes(&rows);
    let count = |task: &str, status| counts.get(&(task.to_string(), status, String::new()));
    // Alice logs in first, then reads (and logs in again when the draw
    // says so); every read carried a token. Bob tries to log in, again
    // and again.
    assert!(count("login", 200).is_some(), "{counts:?}");
    assert!(count("login", 401).is_some_and(|&n| n >= 10), "{counts:?}");
    assert!(count("me", 200).is_some_and(|&n| n >= 10), "{counts:?}");
    assert_eq!(counts.len(), 3, "nothing else: {counts:?}");
    assert_accounting(&rows, &json);
}

#[test]
fn a_token_is_taken_once_and_read_by_every_later_request() {
    let (_serve, base) = start_serve_with(&[]);
    let file = journey(
        "journey-token",
        "# @data users = ./users.csv\n\
         ### login\n# @name login\nPOST /api/login\nContent-Type: application/json\n\n\
         {\"user\": \"{{users.name}}\", \"password\": \"{{users.password}}\"}\n\n\
         ### me\n# @weight 20\n# @expect json $.user != null\n\
         GET /api/me\nAuthorization: Bearer {{login.response.body.$.token}}\n",
    );
    // Closed and open model, and pipelined: every read carries its user's token.
    for (i, extra) in [
        &["-c", "2", "-d", "500ms"][..],
        &["--rate", "300", "-c", "3", "-d", "500ms"],
        &["-c", "2", "--pipeline", "4", "-d", "500ms"],
    ]
    .iter()
    .enumerate()
    {
        let mut args = vec!["-f", &file, "--host", &base, "-t", "1", "--no-cookies"];
        args.extend_from_slice(extra);
        let (out, rows, json) = run_recorded_args(&format!("journey-token-{i}"), &args);
        assert_eq!(out.code, 0, "{extra:?}: {}", out.stderr);
        let counts = outcomes(&rows);
        assert!(
            counts
                .keys()
                .all(|(_, status, error)| *status == 200 && error.is_empty()),
            "{extra:?}: {counts:?}"
        );
        let logins = rows.iter().filter(|r| r.task == "login").count();
        assert!(
            logins >= 2 && rows.len() > 3 * logins,
            "{extra:?}: {counts:?}"
        );
        assert_accounting(&rows, &json);
    }
}
