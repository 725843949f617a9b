//! `-f FILE`: a scenario's tasks, and its file-level directives as typed
//! settings (for the flags the command line did not give).

use super::settings::{Settings, parse_arrival, parse_think};
use crate::http::request::HttpRequest;
use crate::http::url::Url;
use crate::journey::capture;
use crate::plan::ramp::Ramp;
use crate::plan::{RequestSpec, Task};
use crate::scenario::{self, CommandLine, Directive, Scenario};
use crate::units::{parse_count_usize, parse_scaled, parse_seconds_or_duration};
use std::path::Path;

/// Load the scenario, with `vars` (`--var name=value`) over the file's
/// variables, and parse its directives.
pub(super) fn load(path: &str, vars: &[String]) -> Result<(Scenario, Settings), String> {
    let vars = vars
        .iter()
        .map(|v| parse_var(v))
        .collect::<Result<Vec<_>, _>>()?;
    let scenario = scenario::load(Path::new(path), &vars)?;
    let settings = directives(&scenario, path)?;
    Ok((scenario, settings))
}

/// `name=value`, as given to `--var`.
pub(super) fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("--var {text:?}: expected name=value")),
    }
}

/// The file's settings, from its directives (the last wins). An error
/// names the file and the line.
pub(crate) fn directives(scenario: &Scenario, file: &str) -> Result<Settings, String> {
    let mut settings = Settings::default();
    for d in &scenario.directives {
        directive(&mut settings, d)
            .map_err(|why| format!("{file}:{}: @{}: {why}", d.line, d.name))?;
    }
    Ok(settings)
}

fn directive(settings: &mut Settings, d: &Directive) -> Result<(), String> {
    let value = d.value.trim();
    match d.name.as_str() {
        "users" => settings.users = Some(parse_count_usize(value)?),
        "spawn-rate" => {
            let rate = value
                .parse::<f64>()
                .map_err(|_| format!("{value:?} is not a number"))?;
            settings.spawn_rate = Some(rate);
        }
        "rate" => settings.rate = Some(parse_scaled(value)?),
        "duration" => settings.duration = Some(parse_seconds_or_duration(value)?),
        "stages" => settings.stages = Some(Ramp::parse_stages(value)?),
        "think" => settings.think = Some(parse_think(value)?),
        "timeout" => settings.timeout = Some(parse_seconds_or_duration(value)?),
        "open" if !value.is_empty() => return Err(format!("takes no value, found {value:?}")),
        "open" => settings.open = true,
        "sequence" if !value.is_empty() => {
            return Err(format!("takes no value, found {value:?}"));
        }
        "sequence" => settings.sequence = true,
        "arrival" => {
            let arrival = parse_arrival(value).map_err(|e| format!("{e}, found {value:?}"))?;
            settings.arrival = Some(arrival);
        }
        // The scenario parser admits only the names above.
        _ => return Err("not a directive".into()),
    }
    Ok(())
}

/// The scenario's tasks, all going to one host:port, and the URL of the
/// first (which names the target). `host` is `--host`, the base of relative
/// URLs; `headers` (from `-H`) go on every request.
pub(crate) fn tasks(
    scenario: &Scenario,
    file: &str,
    host: Option<&str>,
    headers: &[(String, String)],
) -> Result<(Url, Vec<Task>), String> {
    let base = host
        .map(|h| Url::parse(h).map_err(|e| format!("--host: {e}")))
        .transpose()?;
    if let Some(base) = &base
        && base.target.contains('?')
    {
        return Err(format!("--host {}: a base URL takes no query", base));
    }
    let mut target_url: Option<Url> = None;
    let mut tasks = Vec::with_capacity(scenario.tasks.len());
    let captures = capture::task_specs(&scenario.journey, scenario.tasks.iter().map(|t| &t.expect));
    for (i, t) in scenario.tasks.iter().enumerate() {
        let at = |why: String| format!("{}: {why}", origin(file, t.line));
        let commands = CommandLine::named(&t.method);
        let url = match commands {
            Some(protocol) => command_url(protocol, &t.url, base.as_ref()).map_err(at)?,
            None => resolve_url(&t.url, base.as_ref()).map_err(at)?,
        };
        let target = |u: &Url| (u.tls, u.host.clone(), u.port, u.redis.clone(), u.custom);
        match &target_url {
            Some(first) if target(first) != target(&url) => {
                return Err(at(format!(
                    "this request goes to {}, the ones before it to {}; one run has one target, \
                     since each user holds one connection",
                    url.origin(),
                    first.origin()
                )));
            }
            Some(_) => {}
            None => target_url = Some(url.clone()),
        }
        if let Some(protocol) = commands {
            if !headers.is_empty() {
                return Err(format!(
                    "-H is for HTTP requests; this scenario's are {} commands",
                    protocol.name
                ));
            }
            let command = String::from_utf8_lossy(&t.body);
            tasks.push(
                super::commands::task(&command, Some(t.name.clone()), &url, t.weight)
                    .map_err(at)?,
            );
            continue;
        }
        let mut all_headers = t.headers.clone();
        all_headers.extend_from_slice(headers);
        let request = RequestSpec {
            method: t.method.clone(),
            authority: url.host_header(),
            target: url.target.clone(),
            headers: all_headers,
            body: t.body.clone(),
            values: t.values.clone(),
            capture: captures[i].clone(),
        };
        // Dynamic values are checked here, with the file and line.
        HttpRequest::new(&request, false).map_err(at)?;
        tasks.push(Task {
            name: t.name.clone(),
            request,
            weight: t.weight,
            expect: t.expect.clone(),
        });
    }
    let url = target_url.ok_or_else(|| format!("{file}: no requests found"))?;
    Ok((url, tasks))
}

/// Where each of the scenario's tasks was given: `FILE:LINE`, its request
/// line, as every message about a task of `file` says.
pub(crate) fn origins(scenario: &Scenario, file: &str) -> Vec<String> {
    scenario
        .tasks
        .iter()
        .map(|t| origin(file, t.line))
        .collect()
}

fn origin(file: &str, line: usize) -> String {
    format!("{file}:{line}")
}

/// A command line's target (`REDIS ...`): its URL, or `--host` (which
/// replaces it).
fn command_url(protocol: CommandLine, text: &str, base: Option<&Url>) -> Result<Url, String> {
    let (keyword, name, scheme) = (protocol.keyword, protocol.name, protocol.schemes[0]);
    match (base, text.is_empty()) {
        (Some(base), _) if protocol.is_url(&base.origin()) => Ok(base.clone()),
        (Some(base), _) => Err(format!(
            "--host {base} is not a {scheme}:// URL, and this request is a {name} command"
        )),
        (None, false) => Url::parse(text),
        (None, true) => Err(format!(
            "a {keyword} line without a {scheme}:// URL needs --host {scheme}://HOST:PORT"
        )),
    }
}

/// An absolute URL (sent to `--host` when one is given), or a path joined
/// to `--host`. Dynamic values may stand
/// in the path and query, not in the host.
fn resolve_url(text: &str, base: Option<&Url>) -> Result<Url, String> {
    // A fragment never goes on the wire.
    let text = text.split('#').next().unwrap_or(text);
    let url = if text.starts_with('/') {
        let base =
            base.ok_or_else(|| format!("the relative URL {text:?} needs --host http://HOST:PORT"))?;
        let prefix = base
            .target
            .split('?')
            .next()
            .unwrap_or("")
            .trim_end_matches('/');
        Url {
            target: format!("{prefix}{text}"),
            ..base.clone()
        }
    } else {
        let after_scheme = text.find("://").map_or(0, |i| i + 3);
        let end = text[after_scheme..]
            .find(['/', '?', '#'])
            .map_or(text.len(), |i| i + after_scheme);
        if text[..end].contains("{{") {
            return Err(format!(
                "bad URL {text:?}: dynamic values cannot stand in the host"
            ));
        }
        let mut url = Url::parse(&text[..end])?;
        // `--host` points the same plan at another environment: it
        // replaces the scheme, host and port of absolute URLs too.
        if let Some(base) = base {
            url.tls = base.tls;
            url.host.clone_from(&base.host);
            url.port = base.port;
        }
        url.target = match &text[end..] {
            "" | "#" => "/".to_string(),
            rest if rest.starts_with('?') => format!("/{rest}"),
            rest => rest.to_string(),
        };
        url
    };
    // Outside its {{$...}} values, the target must be plain URL text.
    let mut plain = url.target.clone();
    while let Some(open) = plain.find("{{") {
        let close = plain[open..]
            .find("}}")
            .map_or(plain.len(), |i| open + i + 2);
        plain.replace_range(open..close, "");
    }
    if plain
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(format!(
            "bad URL {text:?}: it contains whitespace or control characters"
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_against_the_host() {
        let base = Url::parse("http://127.0.0.1:9/api/").unwrap();
        assert_eq!(
            resolve_url("/hello", Some(&base)).unwrap().target,
            "/api/hello"
        );
        let u = resolve_url("http://a:1/x?n={{$randomInt 1 5}}", None).unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("a", 1, "/x?n={{$randomInt 1 5}}")
        );
        assert_eq!(resolve_url("http://a:1", None).unwrap().target, "/");
        let moved = resolve_url("http://a:1/x?q=1", Some(&base)).unwrap();
        assert_eq!(
            (moved.host.as_str(), moved.port, moved.target.as_str()),
            ("127.0.0.1", 9, "/x?q=1"),
            "--host replaces the host and port of absolute URLs"
        );
        assert!(
            resolve_url("/hello", None)
                .unwrap_err()
                .contains("needs --host")
        );
        assert!(
            resolve_url("http://{{$uuid}}/", None)
                .unwrap_err()
                .contains("host")
        );
        let tls = resolve_url("https://a/x", None).unwrap();
        assert_eq!((tls.tls, tls.port), (true, 443));
        let base = Url::parse("http://127.0.0.1:9").unwrap();
        let plain = resolve_url("https://a/x", Some(&base)).unwrap();
        assert_eq!(
            plain.to_string(),
            "http://127.0.0.1:9/x",
            "--host sets the scheme too"
        );
        assert!(
            resolve_url("http://a/b c", None)
                .unwrap_err()
                .contains("whitespace")
        );
    }

    fn directives_of(text: &str) -> Result<Settings, String> {
        let text = format!("{text}### a\nGET http://127.0.0.1:9/\n");
        let scenario = scenario::parse(&text, "s.http", Path::new("/nonexistent"), &[]).unwrap();
        directives(&scenario, "s.http")
    }

    #[test]
    fn each_directive_is_parsed_once_into_its_setting() {
        let settings = directives_of(
            "# @users 1k\n# @spawn-rate 2.5\n# @rate 2k\n# @duration 90\n# @stages 1s:4\n\
             # @think 10ms-20ms\n# @timeout 3s\n# @open\n# @arrival poisson\n# @users 7\n\
             # @sequence\n",
        )
        .unwrap();
        let ms = std::time::Duration::from_millis;
        let want = Settings {
            users: Some(7),
            spawn_rate: Some(2.5),
            rate: Some(2000.0),
            duration: Some(ms(90_000)),
            stages: Some(Ramp::parse_stages("1s:4").unwrap()),
            open: true,
            arrival: Some(crate::plan::Arrival::Poisson),
            think: Some(crate::plan::Think {
                min: ms(10),
                max: ms(20),
            }),
            timeout: Some(ms(3000)),
            sequence: true,
            ..Settings::default()
        };
        assert_eq!(settings, want, "the last @users wins");
    }

    #[test]
    fn a_bad_directive_names_the_file_and_line() {
        for (text, want) in [
            ("# @users lots\n", "s.http:1: @users: expected a number"),
            (
                "\n# @spawn-rate x\n",
                "s.http:2: @spawn-rate: \"x\" is not a number",
            ),
            (
                "# @duration 5x\n",
                "s.http:1: @duration: bad duration \"5x\"",
            ),
            ("# @stages 1s\n", "s.http:1: @stages: --stages \"1s\""),
            (
                "# @think 2s-1s\n",
                "s.http:1: @think: --think \"2s-1s\": the range runs",
            ),
            (
                "# @open 5\n",
                "s.http:1: @open: takes no value, found \"5\"",
            ),
            (
                "# @sequence yes\n",
                "s.http:1: @sequence: takes no value, found \"yes\"",
            ),
            (
                "# @arrival bogus\n",
                "s.http:1: @arrival: expected uniform or poisson, found \"bogus\"",
            ),
        ] {
            let err = directives_of(text).unwrap_err();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn vars_are_name_value() {
        assert_eq!(
            parse_var("host=http://x:1").unwrap(),
            ("host".into(), "http://x:1".into())
        );
        assert_eq!(parse_var("a=").unwrap(), ("a".into(), String::new()));
        assert!(parse_var("novalue").is_err());
        assert!(parse_var("=x").is_err());
    }
}
