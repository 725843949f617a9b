//! The scenario parser fed a fuzzer's bytes as a `.http` file, and what it
//! accepts carried on as `run -f` does: directives' values parsed, tasks
//! resolved and encoded, dynamic requests rendered once.

use crate::dynamic::Values;
use crate::http::request::HttpRequest;
use crate::rng::Rng;
use std::path::Path;

/// Relative body files (`< ./body.json`) are looked for here, where
/// nothing is, so that the fuzzer reads no file by such a name.
const NO_DIR: &str = "/nonexistent-stampede-fuzz";

/// `data`: the text of a scenario file (not UTF-8 is read lossily, as the
/// loader would refuse it before parsing).
pub fn scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(scenario) = crate::scenario::parse(&text, "fuzz.http", Path::new(NO_DIR), &[]) else {
        return;
    };
    assert!(
        !scenario.tasks.is_empty(),
        "a scenario without tasks was accepted"
    );
    // Errors are fine; a panic or a hang is not.
    let _ = crate::cli::scenario::directives(&scenario, "fuzz.http");
    let host = Some("http://127.0.0.1:1");
    let Ok((_, tasks)) = crate::cli::scenario::tasks(&scenario, "fuzz.http", host, &[]) else {
        return;
    };
    let (mut rng, mut out, mut scratch) = (Rng::new(1), Vec::new(), Vec::new());
    for task in &tasks {
        let request =
            HttpRequest::new(&task.request, true).expect("checked when the tasks were made");
        for close in [false, true] {
            request.render(&mut Values::new(&mut rng), &mut out, &mut scratch, close);
        }
    }
}
