//! The tasks of a command protocol's run (`redis://`, or a protocol from
//! outside the crate): each `--command` (or scenario `REDIS` line) a task,
//! checked before anything is sent (a Redis command here, any other by
//! its protocol's `prepare`).

use super::run::RunArgs;
use crate::http::url::Url;
use crate::plan::{RequestSpec, Task};
use crate::redis::command::{self, Command};

/// One task for a command line: its name is `name` or the line itself;
/// the command travels in the spec's body.
pub(crate) fn task(
    line: &str,
    name: Option<String>,
    url: &Url,
    weight: u32,
) -> Result<Task, String> {
    if url.redis.is_some() {
        Command::parse(line)?;
    }
    Ok(Task {
        name: name.unwrap_or_else(|| line.trim().to_string()),
        request: RequestSpec {
            method: command::name(line),
            authority: url.host_header(),
            target: url.target.clone(),
            headers: Vec::new(),
            body: line.as_bytes().to_vec(),
            values: Vec::new(),
            capture: None,
        },
        weight,
        expect: Default::default(),
    })
}

/// `stampede run redis://... --command ...`: a task per `--command`.
pub(super) fn tasks(args: &RunArgs, url: &Url) -> Result<Vec<Task>, String> {
    let http_only = [
        ("--method", args.method.is_some()),
        ("--header", !args.header.is_empty()),
        ("--body", args.body.is_some()),
        ("--body-file", args.body_file.is_some()),
    ];
    if let Some((flag, _)) = http_only.iter().find(|(_, given)| *given) {
        return Err(format!(
            "{flag} is for HTTP targets; {} is {}",
            url.origin(),
            url.protocol_name()
        ));
    }
    if args.command.is_empty() {
        return Err(format!(
            "a {} target needs its commands: --command 'GET key' (repeat for more), or a scenario with -f; {} has none",
            url.protocol_name(),
            url.origin()
        ));
    }
    if args.name.is_some() && args.command.len() > 1 {
        return Err(
            "--name names the one --command; with several, each is named by its text".into(),
        );
    }
    args.command
        .iter()
        .map(|line| task(line, args.name.clone(), url, 1).map_err(|e| format!("--command: {e}")))
        .collect()
}
