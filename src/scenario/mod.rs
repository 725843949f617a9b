//! Scenario files: the `.http` format of the VS Code REST Client and the
//! JetBrains HTTP client, read into tasks (one per request) and file-level
//! directives (`# @users 200`, ...).
//!
//! ```text
//! # @users 200
//! @host = http://127.0.0.1:8080
//!
//! ### hello
//! # @weight 3
//! GET {{host}}/hello
//! Accept: application/json
//!
//! ### upload
//! POST {{host}}/api/upload
//! Content-Type: application/json
//!
//! {"name": "item-{{$randomInt 1 1000}}"}
//! ```
//!
//! `{{name}}` variables are substituted here; `{{$...}}` dynamic values are
//! checked here (so errors carry a line) but kept verbatim, for
//! `http::template` to render per request. Directive values are stored
//! unchecked: the CLI layer checks them and reports the line; data files
//! (`# @data`) are read here.

mod command;
mod data;
mod journey;
mod vars;

#[cfg(test)]
mod tests;

use std::io;
use std::path::Path;

use crate::http::request::{parse_header, validate_method};
use crate::http::template::Template;
use crate::journey::Journey;
use crate::plan::expect::{Check, Expect};
use crate::rng::Rng;
use crate::whole_file;
pub(crate) use command::CommandLine;
use data::{Data, Place};
use vars::Vars;

/// A parsed scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Scenario {
    pub directives: Vec<Directive>,
    pub tasks: Vec<ScenarioTask>,
    /// The variables as the file ends (`--var` over `@name = value`), by
    /// name: what a protocol's global init may read.
    pub variables: Vec<(String, String)>,
    /// What its users carry between requests (`# @name`, references).
    pub journey: Journey,
}

/// A file-level directive, e.g. `# @users 200`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Directive {
    /// Without the `@`, e.g. `users`.
    pub name: String,
    /// Trimmed; may be empty (`# @open`).
    pub value: String,
    pub line: usize,
}

/// One request of the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScenarioTask {
    /// The text after `###`, or `METHOD /path` when that is empty.
    pub name: String,
    /// From `# @weight N`; 1 by default.
    pub weight: u32,
    /// From its `# @expect ...` lines; none by default.
    pub expect: Expect,
    /// From `# @name NAME`: what later requests read its reply by.
    pub label: Option<String>,
    /// The user values it reads (see `journey`): the text inside the
    /// braces, and the value's id.
    pub values: Vec<(String, u16)>,
    /// The line of the request line.
    pub line: usize,
    pub method: String,
    /// Absolute (`http://...`) or relative (`/hello`), variables substituted,
    /// `{{$...}}` kept verbatim.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The directives allowed before the first `###`.
pub(crate) const FILE_DIRECTIVES: &[&str] = &[
    "users",
    "spawn-rate",
    "duration",
    "think",
    "timeout",
    "rate",
    "stages",
    "open",
    "arrival",
    "sequence",
    "data",
    "data-mode",
];

/// The largest scenario file. Files are parsed as text with a table of
/// their lines; a large body belongs in a file of its own (`< ./path`).
const MAX_FILE: u64 = 16 << 20;

/// The most requests a scenario holds: samples name their task in 16 bits.
const MAX_TASKS: usize = u16::MAX as usize + 1;

/// Read and parse `path`; body files are relative to its directory.
pub(crate) fn load(path: &Path, overrides: &[(String, String)]) -> Result<Scenario, String> {
    let file_name = path.display().to_string();
    let bytes = whole_file::read(path, MAX_FILE).map_err(|e| match e.kind() {
        io::ErrorKind::FileTooLarge => format!(
            "{file_name}: larger than 16 MiB, the limit for a scenario file \
             (a large body can come from its own file: < ./path)"
        ),
        _ => format!("{file_name}: cannot read: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
        format!("{file_name}:{line}: not UTF-8 text")
    })?;
    let base_dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    parse(&text, &file_name, base_dir, overrides)
}

/// Parse scenario text. `file_name` is used in error messages, `base_dir`
/// to find body files (`< ./payload.json`).
pub(crate) fn parse(
    text: &str,
    file_name: &str,
    base_dir: &Path,
    overrides: &[(String, String)],
) -> Result<Scenario, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut parser = Parser {
        file_name,
        base_dir,
        vars: Vars::new(overrides),
        data: Data::new(),
        body_budget: whole_file::MAX_BODY,
        scenario: Scenario {
            directives: Vec::new(),
            tasks: Vec::new(),
            variables: Vec::new(),
            journey: Journey::default(),
        },
        names: journey::Names::default(),
        late_name: None,
    };
    // Blocks run from one `###` line to the next; the first has no `###`.
    let mut name = None;
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("###") {
            parser.block(name, &lines[start..i], start + 1)?;
            name = Some(line.trim_start_matches('#').trim());
            start = i + 1;
        }
    }
    parser.block(name, &lines[start..], start + 1)?;
    parser.check_late_names()?;
    if parser.scenario.tasks.is_empty() {
        return Err(format!(
            "{file_name}: no requests found (a request is \"METHOD URL\" after a ### line)"
        ));
    }
    parser.scenario.variables = parser.vars.all();
    let tasks = parser.scenario.tasks.len();
    let data = parser.data.finish();
    let journey = &mut parser.scenario.journey;
    journey.data = data.map_err(|(line, e)| format!("{file_name}:{line}: {e}"))?;
    if !journey.is_empty() {
        journey.reads.resize(tasks, Vec::new());
    }
    Ok(parser.scenario)
}

struct Parser<'a> {
    file_name: &'a str,
    base_dir: &'a Path,
    vars: Vars,
    data: Data,
    /// What body files (`< ./path`) may still add, in bytes: each task
    /// holds its own copy, so many tasks naming one large file add up.
    body_budget: u64,
    scenario: Scenario,
    names: journey::Names,
    /// The first reference to a request named below it (line, name).
    late_name: Option<(usize, String)>,
}

/// The text after a comment marker (`#` or `//`), if `line` (trimmed) is a comment.
fn comment(line: &str) -> Option<&str> {
    line.strip_prefix('#').or_else(|| line.strip_prefix("//"))
}

/// `@name value` in a comment's text: the name and the trimmed value.
fn directive(comment: &str) -> Option<(&str, &str)> {
    let rest = comment.trim_start().strip_prefix('@')?;
    if !rest.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some((&rest[..end], rest[end..].trim()))
}

/// The path of a URL, without query or fragment; `/` when there is none.
fn url_path(url: &str) -> &str {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    let end = path.find(['?', '#']).unwrap_or(path.len());
    if end == 0 { "/" } else { &path[..end] }
}

impl Parser<'_> {
    fn error(&self, line: usize, message: impl std::fmt::Display) -> String {
        format!("{}:{line}: {message}", self.file_name)
    }

    /// Substitute variables in one line, and check its dynamic values.
    fn expand(&mut self, line: usize, text: &str) -> Result<String, String> {
        let text = self
            .vars
            .substitute(text)
            .map_err(|e| self.error(line, e))?;
        Template::parse(text.as_bytes()).map_err(|e| self.error(line, e))?;
        Ok(text)
    }

    /// One block: a `###` line's followers (`name` is `None` for the lines
    /// before the first `###`, whose directives are file-level). `first` is
    /// the line number of `lines[0]`.
    fn block(&mut self, name: Option<&str>, lines: &[&str], first: usize) -> Result<(), String> {
        let file_level = name.is_none();
        let mut weight = None;
        let mut label = None;
        let mut expect = Expect::default();
        // The first `@expect` line, for a command request's error.
        let mut expect_line = None;
        let mut i = 0;
        // Comments, directives and variables, up to the request line.
        let (request_number, request) = loop {
            let Some(line) = lines.get(i) else {
                return Ok(()); // no request in this block
            };
            let (number, line) = (first + i, line.trim());
            i += 1;
            if line.is_empty() {
                continue;
            }
            if let Some(text) = comment(line) {
                if let Some((name, value)) = directive(text) {
                    if file_level {
                        self.file_directive(number, name, value)?;
                    } else if name == "expect" {
                        expect.push(Check::parse(value).map_err(|e| self.error(number, e))?);
                        expect_line.get_or_insert(number);
                    } else if name == "name" {
                        label = self.name_directive(number, value, label)?;
                    } else {
                        weight = self.task_directive(number, name, value, weight)?;
                    }
                }
                continue;
            }
            if line.starts_with('@') {
                self.vars.define(line).map_err(|e| self.error(number, e))?;
                continue;
            }
            break (number, line);
        };
        if self.scenario.tasks.len() == MAX_TASKS {
            return Err(self.error(
                request_number,
                format!("too many requests: a scenario holds at most {MAX_TASKS}"),
            ));
        }
        let keyword = request.split(char::is_whitespace).next().unwrap_or("");
        if let Some(protocol) = CommandLine::named(keyword)
            .filter(|_| request[keyword.len()..].starts_with(char::is_whitespace))
        {
            if let Some(line) = expect_line {
                return Err(self.error(
                    line,
                    format!(
                        "@expect checks HTTP replies; this request is a {} command",
                        protocol.name
                    ),
                ));
            }
            if label.is_some() {
                return Err(self.error(
                    request_number,
                    format!(
                        "@name names HTTP requests, whose replies later requests read; \
                         this request is a {} command",
                        protocol.name
                    ),
                ));
            }
            let rest = &request[keyword.len()..];
            let task = self.command_task(
                protocol,
                (name, weight),
                request_number,
                rest,
                &lines[i..],
                first + i,
            )?;
            self.scenario.tasks.push(task);
            return Ok(());
        }
        let mut values = Vec::new();
        let (method, url) = self.request_line(request_number, request, &mut values)?;

        let mut headers = Vec::new();
        while let Some(line) = lines.get(i) {
            let (number, line) = (first + i, line.trim());
            i += 1;
            if line.is_empty() {
                break;
            }
            if let Some(text) = comment(line) {
                if let Some((name, _)) = directive(text) {
                    return Err(
                        self.error(number, format!("@{name} must come before the request line"))
                    );
                }
                continue;
            }
            let line = self.expand(number, line)?;
            self.references(number, line.as_bytes(), Place::Header, &mut values)?;
            headers.push(parse_header(&line).map_err(|e| self.error(number, e))?);
        }

        let body = self.body(&lines[i..], first + i)?;
        let body_line = first
            + i
            + lines[i..]
                .iter()
                .take_while(|l| l.trim().is_empty())
                .count();
        self.references(body_line, &body, Place::Body, &mut values)?;
        journey::distinct(&mut values);
        let name = match (name, &label) {
            (Some(name), _) if !name.is_empty() => name.to_string(),
            (_, Some(label)) => label.clone(),
            _ => format!("{method} {}", url_path(&url)),
        };
        self.name_task(label.clone(), self.scenario.tasks.len());
        self.scenario.tasks.push(ScenarioTask {
            name,
            weight: weight.unwrap_or(1),
            expect,
            label,
            values,
            line: request_number,
            method,
            url,
            headers,
            body,
        });
        Ok(())
    }

    fn file_directive(&mut self, line: usize, name: &str, value: &str) -> Result<(), String> {
        if name == "weight" {
            return Err(self.error(
                line,
                "@weight belongs to a request; put it after the request's ### line",
            ));
        }
        if !FILE_DIRECTIVES.contains(&name) {
            return Err(self.error(
                line,
                format!(
                    "unknown directive @{name} (known: {})",
                    FILE_DIRECTIVES.join(", ")
                ),
            ));
        }
        if value.is_empty() && !matches!(name, "open" | "sequence") {
            return Err(self.error(line, format!("@{name} needs a value")));
        }
        if let Some(done) = self.data.directive(line, name, value, self.base_dir) {
            return done.map_err(|e| self.error(line, e));
        }
        self.scenario.directives.push(Directive {
            name: name.to_string(),
            value: value.to_string(),
            line,
        });
        Ok(())
    }

    /// A directive inside a request block other than `@expect`: only `@weight N`.
    fn task_directive(
        &self,
        line: usize,
        name: &str,
        value: &str,
        weight: Option<u32>,
    ) -> Result<Option<u32>, String> {
        if FILE_DIRECTIVES.contains(&name) {
            return Err(self.error(
                line,
                format!("@{name} is a file-level directive; put it before the first ###"),
            ));
        }
        if name != "weight" {
            return Err(self.error(
                line,
                format!(
                    "unknown directive @{name} (in a request, only @weight, @name and @expect are allowed)"
                ),
            ));
        }
        if weight.is_some() {
            return Err(self.error(line, "@weight is given twice for this request"));
        }
        match value.parse::<u32>() {
            Ok(n) if n >= 1 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(self.error(
                line,
                format!("bad @weight {value:?}: expected a whole number >= 1"),
            )),
        }
    }

    /// `METHOD URL [HTTP/1.x]`, or a bare URL for GET. The URL is the rest
    /// of the line, since `{{ name }}` and `{{$randomInt 1 9}}` hold spaces.
    /// The URL's references to user values go into `values`.
    fn request_line(
        &mut self,
        number: usize,
        line: &str,
        values: &mut Vec<(String, u16)>,
    ) -> Result<(String, String), String> {
        let expected = || {
            self.error(
                number,
                format!("expected \"METHOD URL\" (e.g. GET /hello), found {line:?}"),
            )
        };
        let mut rest = line;
        if let Some((before, version)) = rest.rsplit_once(char::is_whitespace)
            && version.starts_with("HTTP/")
        {
            if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
                return Err(self.error(
                    number,
                    format!("only HTTP/1.1 is supported, found {version:?}"),
                ));
            }
            rest = before.trim_end();
        }
        let bare = ["/", "http://", "https://", "{{"]
            .iter()
            .any(|p| rest.starts_with(p));
        let (method, url) = if bare {
            ("GET", rest)
        } else {
            let (method, url) = rest.split_once(char::is_whitespace).ok_or_else(expected)?;
            validate_method(method).map_err(|_| expected())?;
            (method, url.trim_start())
        };
        let url = self.expand(number, url)?;
        self.references(number, url.as_bytes(), Place::Url, values)?;
        // Dynamic values render without spaces; anything else must have
        // none (user values, `{{ users.name }}` too, render empty here).
        let mut rendered = Vec::new();
        if let Ok(template) = Template::parse_with(url.as_bytes(), values) {
            template.render(
                &mut crate::dynamic::Values::new(&mut Rng::new(0)),
                &mut rendered,
            );
        }
        let spaced = rendered
            .iter()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control());
        if !is_url(&url) || spaced {
            return Err(self.error(
                number,
                format!("bad URL {url:?}: expected http://host/path, https://host/path or /path"),
            ));
        }
        Ok((method.to_string(), url))
    }

    /// The body lines, up to the next `###`; `first` is the line number of `lines[0]`.
    fn body(&mut self, lines: &[&str], first: usize) -> Result<Vec<u8>, String> {
        let mut end = lines.len();
        while end > 0 && lines[end - 1].trim().is_empty() {
            end -= 1;
        }
        let lines = &lines[..end];
        let mut expanded = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            expanded.push(self.expand(first + i, line)?);
        }
        let body = expanded.join("\n");
        let trimmed = body.trim();
        if let Some(path) = trimmed.strip_prefix('<')
            && path.starts_with(char::is_whitespace)
            && !path.contains('\n')
        {
            let path = path.trim();
            let number = first + lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(0);
            let body =
                whole_file::read(&self.base_dir.join(path), self.body_budget).map_err(|e| {
                    let why = match e.kind() {
                    io::ErrorKind::FileTooLarge => {
                        "the scenario's body files add up to more than 1 GiB, the limit for bodies"
                            .to_string()
                    }
                    _ => e.to_string(),
                };
                    self.error(number, format!("cannot read body file {path}: {why}"))
                })?;
            self.body_budget -= body.len() as u64;
            return Ok(body);
        }
        Ok(body.into_bytes())
    }
}

fn is_url(url: &str) -> bool {
    url.starts_with('/') || url.starts_with("http://") || url.starts_with("https://")
}
