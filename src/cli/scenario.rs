//! `-f FILE`: a scenario's tasks, and its file-level directives filling in
//! the flags the command line did not give.

use super::run::RunArgs;
use crate::http::request::HttpRequest;
use crate::http::url::Url;
use crate::plan::{RequestSpec, Task};
use crate::scenario::{self, Directive, Scenario};
use std::path::Path;

/// Load the scenario and apply its directives to `args`. `given` is the
/// command line as typed: its flags win over the file's directives, and a
/// directive that conflicts with one of them (e.g. `@stages` with `-d`) is
/// left out.
pub fn load(args: &mut RunArgs, given: &RunArgs, path: &str) -> Result<Scenario, String> {
    let vars = given
        .var
        .iter()
        .map(|v| parse_var(v))
        .collect::<Result<Vec<_>, _>>()?;
    let scenario = scenario::load(Path::new(path), &vars)?;
    for d in &scenario.directives {
        apply(args, given, path, d)?;
    }
    // Decided only once every directive is in: what the closed model left.
    let open = args.rate.is_some() || args.open;
    if !open && given.arrival.is_none() {
        args.arrival = None;
    }
    if !open && given.stages.is_none() && given.users.is_some() {
        // -c on the command line beats the file's user stages.
        args.stages = None;
    }
    Ok(scenario)
}

/// `name=value`, as given to `--var`.
fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("--var {text:?}: expected name=value")),
    }
}

fn apply(args: &mut RunArgs, given: &RunArgs, file: &str, d: &Directive) -> Result<(), String> {
    let at = |why: String| format!("{file}:{}: @{}: {why}", d.line, d.name);
    let value = d.value.trim().to_string();
    let number = |v: &str| {
        v.parse::<f64>()
            .map_err(|_| at(format!("{v:?} is not a number")))
    };
    // The command line picks the model first; the other model's
    // directives are left out.
    let open_given = given.rate.is_some() || given.open || given.arrival.is_some();
    let closed_given = given.spawn_rate.is_some() || given.think.is_some() || given.sequence;
    match d.name.as_str() {
        "users" if given.users.is_none() && (given.stages.is_none() || open_given) => {
            args.users = Some(crate::units::parse_count_usize(&value).map_err(at)?);
        }
        "spawn-rate" if given.spawn_rate.is_none() && given.stages.is_none() && !open_given => {
            args.spawn_rate = Some(number(&value)?);
        }
        "rate"
            if given.rate.is_none() && given.stages.is_none() && !given.open && !closed_given =>
        {
            args.rate = Some(crate::units::parse_scaled(&value).map_err(at)?);
        }
        "duration" if given.duration.is_none() && given.stages.is_none() => {
            crate::units::parse_seconds_or_duration(&value).map_err(at)?;
            args.duration = Some(value);
        }
        "stages"
            if given.stages.is_none()
                && given.duration.is_none()
                && given.rate.is_none()
                && given.spawn_rate.is_none() =>
        {
            crate::plan::ramp::Ramp::parse_stages(&value).map_err(at)?;
            args.stages = Some(value);
        }
        "think" if given.think.is_none() && !open_given => {
            super::run::parse_think(&value).map_err(at)?;
            args.think = Some(value);
        }
        "timeout" if given.timeout.is_none() => {
            crate::units::parse_seconds_or_duration(&value).map_err(at)?;
            args.timeout = Some(value);
        }
        "open" if !value.is_empty() => return Err(at(format!("takes no value, found {value:?}"))),
        "open"
            if !open_given
                && !closed_given
                && given.stages.is_none()
                && given.duration.is_none() =>
        {
            args.open = true;
        }
        "arrival" if given.arrival.is_none() && !closed_given => args.arrival = Some(value),
        // Known, but overridden or left out by a flag on the command line.
        _ => {}
    }
    Ok(())
}

/// The scenario's tasks, all going to one host:port, and the URL of the
/// first (which names the target). `host` is `--host`, the base of relative
/// URLs; `headers` (from `-H`) go on every request.
pub fn tasks(
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
    for t in &scenario.tasks {
        let at = |why: String| format!("{file}:{}: {why}", t.line);
        let url = resolve_url(&t.url, base.as_ref()).map_err(at)?;
        match &target_url {
            Some(first)
                if (first.tls, &first.host, first.port) != (url.tls, &url.host, url.port) =>
            {
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
        let mut all_headers = t.headers.clone();
        all_headers.extend_from_slice(headers);
        let request = RequestSpec {
            method: t.method.clone(),
            authority: url.host_header(),
            target: url.target.clone(),
            headers: all_headers,
            body: t.body.clone(),
        };
        // Dynamic values are checked here, with the file and line.
        HttpRequest::new(&request, false).map_err(at)?;
        tasks.push(Task {
            name: t.name.clone(),
            request,
            weight: t.weight,
        });
    }
    let url = target_url.ok_or_else(|| format!("{file}: no requests found"))?;
    Ok((url, tasks))
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
