//! `stampede check --baseline` on pairs of real runs recorded on a loaded
//! 2-core box (tests/fixtures/check-pairs/record.sh): the same server
//! twice, a server that got slower, and runs too short to tell. The method
//! must hold on real noise, not only on synthetic noise.

mod common;

use common::{Outcome, stampede};
use std::path::PathBuf;
use std::time::Duration;

fn pair(name: &str, extra: &[&str]) -> Outcome {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check-pairs");
    let (base, run) = (
        dir.join(format!("{name}.base.csv")),
        dir.join(format!("{name}.run.csv")),
    );
    let mut args = vec![
        "check",
        run.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
        "--max-regression",
        "10",
    ];
    args.extend_from_slice(extra);
    stampede(&args, Duration::from_secs(30))
}

/// The verdict on the line of `figure` (p50, p90, p99, rps).
fn verdict<'a>(out: &'a Outcome, figure: &str) -> &'a str {
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{figure} vs baseline ")))
        .unwrap_or_else(|| panic!("no {figure} line in\n{}", out.stdout));
    line.rsplit(' ').next().unwrap()
}

fn shown(out: &Outcome) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

const FIGURES: [&str; 4] = ["p50", "p90", "p99", "rps"];

#[test]
fn the_same_server_twice_never_fails() {
    // same-rate-3s once failed p50 at +24.5% (0.049 ms -> 0.061 ms) as
    // "significant": the requests of a run are not independent samples.
    for name in [
        "same-closed-3s",
        "same-rate-3s",
        "same-closed-10s",
        "same-rate-10s",
        "same-delay-10s",
    ] {
        let out = pair(name, &[]);
        assert!(out.code == 0 || out.code == 3, "{name}\n{}", shown(&out));
        for figure in FIGURES {
            assert_ne!(verdict(&out, figure), "FAIL", "{name}\n{}", shown(&out));
        }
    }
    // With ten whole seconds, the same server passes outright.
    for name in ["same-closed-10s", "same-rate-10s"] {
        let out = pair(name, &[]);
        assert_eq!(out.code, 0, "{name}\n{}", shown(&out));
        assert!(out.stdout.ends_with("PASS: all 4 checks passed\n"));
    }
}

#[test]
fn a_server_that_got_slower_fails() {
    // /delay/4 then /delay/8, one user: latency doubles, throughput halves.
    let out = pair("delay-4-8-closed-8s", &[]);
    assert_eq!(out.code, 1, "{}", shown(&out));
    for figure in FIGURES {
        assert_eq!(verdict(&out, figure), "FAIL", "{}", shown(&out));
    }
    // 100 ms pauses every second: the tail, and only the tail, fails.
    let out = pair("pauses-rate-10s", &[]);
    assert_eq!(out.code, 1, "{}", shown(&out));
    assert_eq!(verdict(&out, "p99"), "FAIL", "{}", shown(&out));
    assert_eq!(verdict(&out, "p50"), "PASS", "{}", shown(&out));
}

#[test]
fn one_millisecond_slower_needs_a_floor_below_it() {
    // /delay/1 then /delay/2: +1 ms, right at the default floor of 1 ms.
    let out = pair("delay-1-2-rate-10s", &[]);
    assert_eq!(out.code, 3, "{}", shown(&out));
    assert_eq!(verdict(&out, "p50"), "INCONCLUSIVE", "{}", shown(&out));
    let out = pair("delay-1-2-rate-10s", &["--min-change", "500us"]);
    assert_eq!(out.code, 1, "{}", shown(&out));
    assert_eq!(verdict(&out, "p50"), "FAIL", "{}", shown(&out));
    assert_eq!(verdict(&out, "p90"), "FAIL", "{}", shown(&out));
}

#[test]
fn runs_too_short_or_too_noisy_to_tell_do_not_pass() {
    // 3 s runs, the second with 76% fewer requests per second: two whole
    // seconds each cannot tell that from a box that paused.
    let out = pair("drop-closed-3s", &[]);
    assert_eq!(out.code, 3, "{}", shown(&out));
    for figure in FIGURES {
        assert_eq!(verdict(&out, figure), "INCONCLUSIVE", "{}", shown(&out));
    }
    assert!(
        out.stdout
            .contains("rps vs baseline: too short to decide: each run needs about 5 whole seconds"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .ends_with("INCONCLUSIVE: the 4 checks could not decide\n"),
        "{}",
        out.stdout
    );
    // A slower server, but the box stalled for seconds in the baseline.
    let out = pair("stall-rate-10s", &[]);
    assert_eq!(out.code, 3, "{}", shown(&out));
    assert_eq!(verdict(&out, "p99"), "INCONCLUSIVE", "{}", shown(&out));
}
