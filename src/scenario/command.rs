//! Command requests in a scenario: `REDIS [redis://...] GET k`, or a
//! protocol from outside the crate by its scheme in capitals
//! (`MEMCACHED memcached://... get k`). The rest of the line is the
//! command; nothing follows it in its block.

use super::{Parser, ScenarioTask, comment};
use crate::plan::expect::Expect;

/// The request line's first word that makes the rest a Redis command.
const REDIS: &str = "REDIS";

/// A command protocol, as a scenario's request line names it: `REDIS`, or
/// a protocol from outside the crate by its scheme in capitals
/// (`MEMCACHED memcached://... get k`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CommandLine {
    pub keyword: &'static str,
    /// For messages: "Redis", "memcached".
    pub name: &'static str,
    /// The schemes of its URLs.
    pub schemes: [&'static str; 2],
}

impl CommandLine {
    /// The command protocol a request line's first word names, if any.
    pub(crate) fn named(keyword: &str) -> Option<CommandLine> {
        if keyword == REDIS {
            return Some(CommandLine {
                keyword: REDIS,
                name: "Redis",
                schemes: ["redis", "rediss"],
            });
        }
        let (schemes, upper) = crate::custom::keyword()?;
        (keyword == upper).then_some(CommandLine {
            keyword: upper,
            name: schemes[0],
            schemes,
        })
    }

    /// `text` is a URL of the protocol's.
    pub(crate) fn is_url(&self, text: &str) -> bool {
        self.schemes.iter().any(|s| {
            text.strip_prefix(s)
                .is_some_and(|rest| rest.starts_with("://"))
        })
    }
}

impl Parser<'_> {
    /// `REDIS [redis://...] COMMAND` (or another command protocol's
    /// keyword and URL): the command is the rest of the line (`url` empty
    /// when the target comes from `--host`); the lines after it, up to the
    /// next `###`, may only be blank or comments.
    pub(super) fn command_task(
        &mut self,
        protocol: CommandLine,
        (name, weight): (Option<&str>, Option<u32>),
        number: usize,
        rest: &str,
        after: &[&str],
        first: usize,
    ) -> Result<ScenarioTask, String> {
        let rest = self.expand(number, rest.trim())?;
        if let Some(inner) = self.data.named_in(&rest) {
            let why = format!(
                "data references work in HTTP requests, not {} commands",
                protocol.name
            );
            return Err(self.error(number, format!("{{{{{inner}}}}}: {why}")));
        }
        let is_url = protocol.is_url(&rest);
        let (url, command) = match rest.split_once(char::is_whitespace) {
            Some((url, command)) if is_url => (url.to_string(), command.trim().to_string()),
            _ if is_url => (rest, String::new()),
            _ => (String::new(), rest),
        };
        if command.is_empty() {
            let (keyword, scheme) = (protocol.keyword, protocol.schemes[0]);
            return Err(self.error(
                number,
                format!("expected \"{keyword} [{scheme}://HOST:PORT] COMMAND ARGS...\""),
            ));
        }
        if let Some(k) = after
            .iter()
            .position(|l| !l.trim().is_empty() && comment(l.trim()).is_none())
        {
            return Err(self.error(
                first + k,
                format!(
                    "a {} command takes no headers or body: one command per ### block",
                    protocol.name
                ),
            ));
        }
        Ok(ScenarioTask {
            name: name
                .filter(|n| !n.is_empty())
                .unwrap_or(&command)
                .to_string(),
            weight: weight.unwrap_or(1),
            expect: Expect::default(),
            label: None,
            values: Vec::new(),
            line: number,
            method: protocol.keyword.to_string(),
            url,
            headers: Vec::new(),
            body: command.into_bytes(),
        })
    }
}
