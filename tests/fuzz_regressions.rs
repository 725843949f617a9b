//! Replays what the fuzz targets in fuzz/ start from and what they found:
//! every file in `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/`
//! goes through the same entry point as under the fuzzer, on stable Rust
//! and without the fuzz crate. A regression input is kept there, named for
//! what it found, once the bug is fixed.

use std::path::Path;

fn replay(target: &str, entry: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for kind in ["seeds", "regressions"] {
        let Ok(dir) = std::fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = dir.map(|e| e.expect("read the directory").path()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).expect("read the input");
            // Shown above the panic message when an input fails.
            eprintln!("replaying {}", path.display());
            entry(&data);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no inputs for {target}");
}

#[test]
fn response() {
    replay("response", stampede::fuzzing::response);
}

#[test]
fn chunked() {
    replay("chunked", stampede::fuzzing::chunked);
}

#[test]
fn redis_reply() {
    replay("redis_reply", stampede::fuzzing::redis_reply);
}

#[test]
fn scenario() {
    replay("scenario", stampede::fuzzing::scenario);
}

#[test]
fn report_csv() {
    replay("report_csv", stampede::fuzzing::report_csv);
}

#[test]
fn report_hlog() {
    replay("report_hlog", stampede::fuzzing::report_hlog);
}

#[test]
fn dashboard_request() {
    replay("dashboard_request", stampede::fuzzing::dashboard_request);
}

#[test]
fn serve_request() {
    replay("serve_request", stampede::fuzzing::serve_request);
}
