//! What a task asks to keep of its replies ([`CaptureSpec`]: some headers,
//! the start of the body) and what the HTTP parser kept of one reply
//! ([`Captured`]). Only tasks whose checks or references read a reply
//! capture anything; the others' replies are parsed and dropped as before.
//!
//! A capture is bounded whatever the server sends: the body's first
//! [`BODY_PREFIX_MAX`] bytes, and headers from a head the parser already
//! bounds (at most 100 fields in 64 KiB, else the reply fails to parse).

use std::sync::Arc;

use super::{Journey, Part, Source};
use crate::plan::expect::Expect;

/// Most bytes of a body kept for checks and references (64 KiB): a check
/// reads no further, so a run never holds a large body.
pub(crate) const BODY_PREFIX_MAX: usize = 64 * 1024;

/// What each task keeps of its replies, by task (`expects`, its checks,
/// in task order): what its checks read, and the parts of them that later
/// requests read (`journey`). None when nothing: its replies are parsed
/// and dropped. One pass over the values, whatever the number of tasks.
pub(crate) fn task_specs<'e>(
    journey: &Journey,
    expects: impl Iterator<Item = &'e Expect>,
) -> Vec<Option<Arc<CaptureSpec>>> {
    let mut specs: Vec<CaptureSpec> = expects.map(Expect::capture).collect();
    for source in &journey.values {
        if let Source::Reply { task, part } = source
            && let Some(spec) = specs.get_mut(usize::from(*task))
        {
            spec.keep_part(part);
        }
    }
    (specs.into_iter())
        .map(|spec| (!spec.is_empty()).then(|| Arc::new(spec)))
        .collect()
}

/// The most header names a spec lists: past them it keeps every header
/// (a head holds at most 100), so that listing and matching stay cheap.
const MAX_NAMED_HEADERS: usize = 32;

/// What a request's parser keeps of its replies, decided once per run.
#[derive(Clone, Debug, Default)]
pub(crate) enum Keep {
    /// Nothing: parsed and dropped.
    #[default]
    Nothing,
    /// Their Set-Cookie fields, for the replies that have some.
    Cookies,
    /// What the spec asks for.
    Spec(Arc<CaptureSpec>),
}

impl Keep {
    pub(crate) fn of(spec: Option<&Arc<CaptureSpec>>) -> Keep {
        match spec {
            None => Keep::Nothing,
            Some(spec) if spec.only_cookies() => Keep::Cookies,
            Some(spec) => Keep::Spec(Arc::clone(spec)),
        }
    }
}

/// What to keep of a reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CaptureSpec {
    /// Lowercased names of the headers to keep, each once.
    headers: Vec<Box<str>>,
    /// Keep every header, whatever `headers` lists.
    all_headers: bool,
    /// Keep the body's first [`BODY_PREFIX_MAX`] bytes.
    body: bool,
}

impl CaptureSpec {
    /// Also keep every field named `name` (any case).
    pub(crate) fn keep_header(&mut self, name: &str) {
        if self.all_headers {
            return;
        }
        let name = name.to_ascii_lowercase();
        if self.headers.iter().any(|h| **h == *name) {
            return;
        }
        if self.headers.len() == MAX_NAMED_HEADERS {
            self.headers.clear();
            self.all_headers = true;
        } else {
            self.headers.push(name.into());
        }
    }

    /// Also keep every header.
    pub(crate) fn keep_all_headers(&mut self) {
        self.all_headers = true;
    }

    /// Also keep the start of the body.
    pub(crate) fn keep_body(&mut self) {
        self.body = true;
    }

    /// Also keep what a reference to `part` of the reply reads.
    pub(crate) fn keep_part(&mut self, part: &Part) {
        match part {
            Part::Body | Part::Json(_) => self.keep_body(),
            Part::Header(name) => self.keep_header(name),
        }
    }

    /// Keep the Set-Cookie fields and nothing else: a cookie jar's.
    pub(crate) fn cookies() -> Arc<CaptureSpec> {
        static COOKIES: std::sync::OnceLock<Arc<CaptureSpec>> = std::sync::OnceLock::new();
        let spec = COOKIES.get_or_init(|| {
            let mut spec = CaptureSpec::default();
            spec.keep_header("set-cookie");
            Arc::new(spec)
        });
        Arc::clone(spec)
    }

    /// It keeps the Set-Cookie fields and nothing else.
    pub(crate) fn only_cookies(&self) -> bool {
        !self.body
            && !self.all_headers
            && matches!(&self.headers[..], [name] if &**name == "set-cookie")
    }

    /// Nothing to keep: the reply need not be captured at all.
    pub(crate) fn is_empty(&self) -> bool {
        !self.body && !self.wants_headers()
    }

    /// Some header is to be kept.
    pub(crate) fn wants_headers(&self) -> bool {
        self.all_headers || !self.headers.is_empty()
    }

    /// Whether a header field called `name` (any case) is to be kept.
    pub(crate) fn wants_header(&self, name: &[u8]) -> bool {
        self.all_headers || (self.headers.iter()).any(|h| h.as_bytes().eq_ignore_ascii_case(name))
    }

    pub(crate) fn wants_body(&self) -> bool {
        self.body
    }
}

/// What was kept of one complete reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Captured {
    /// The final status (never an interim 1xx).
    pub(crate) status: u16,
    /// The kept fields of the final head, in their order, every occurrence
    /// (several `Set-Cookie`, say): lowercased name, value as sent.
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    /// The body's first bytes (at most [`BODY_PREFIX_MAX`]), de-chunked,
    /// as sent otherwise (a gzip body stays gzip); empty when the spec did
    /// not ask for it.
    pub(crate) body: Vec<u8>,
    /// The body went on past `body`.
    pub(crate) truncated: bool,
}

impl Captured {
    /// The values of every kept field called `name` (any case), in order.
    pub(crate) fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> {
        (self.headers.iter())
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::json_path::JsonPath;

    #[test]
    fn a_spec_keeps_each_name_once_in_any_case() {
        let mut spec = CaptureSpec::default();
        assert!(spec.is_empty() && !spec.wants_headers() && !spec.wants_body());
        spec.keep_header("X-Token");
        spec.keep_header("x-token");
        assert_eq!(spec.headers, vec!["x-token".into()]);
        assert!(spec.wants_header(b"X-TOKEN") && !spec.wants_header(b"x-tok"));
        assert!(!spec.is_empty() && !spec.wants_body());

        spec.keep_part(&Part::Header("set-cookie".into()));
        spec.keep_part(&Part::Json(JsonPath::parse("$.a").unwrap()));
        assert_eq!(spec.headers, vec!["x-token".into(), "set-cookie".into()]);
        assert!(spec.wants_body() && !spec.wants_header(b"date"));
        spec.keep_all_headers();
        assert!(spec.wants_header(b"date"));
    }

    #[test]
    fn a_task_keeps_what_its_checks_and_the_later_requests_read() {
        let mut journey = Journey::default();
        for (task, part) in [
            (0, Part::Json(JsonPath::parse("$.token").unwrap())),
            (1, Part::Header("x-token".into())),
        ] {
            journey.value_id(Source::Reply { task, part }).unwrap();
        }
        let mut checked = Expect::default();
        checked.push(crate::plan::expect::Check::parse("body contains ok").unwrap());
        let plain = Expect::default();
        let specs = task_specs(&journey, [&plain, &checked, &plain].into_iter());
        let spec = |task: usize| specs[task].as_deref().cloned();

        let mut body = CaptureSpec::default();
        body.keep_body();
        assert_eq!(spec(0), Some(body.clone()));
        let mut both = body;
        both.keep_header("X-Token");
        assert_eq!(spec(1), Some(both));
        assert_eq!(spec(2), None);
        let plain_run = task_specs(&Journey::default(), [&plain].into_iter());
        assert_eq!(plain_run, [None]);
        // Past 32 names, every header is kept.
        let mut many = CaptureSpec::default();
        for i in 0..=MAX_NAMED_HEADERS {
            many.keep_header(&format!("x-{i}"));
        }
        assert!(many.wants_header(b"date") && !many.only_cookies());
    }

    #[test]
    fn every_value_of_a_header_in_order() {
        let got = Captured {
            status: 200,
            headers: vec![
                ("set-cookie".into(), b"a=1".to_vec()),
                ("x-a".into(), b"x".to_vec()),
                ("set-cookie".into(), b"b=2".to_vec()),
            ],
            ..Captured::default()
        };
        let cookies: Vec<&[u8]> = got.header_values("Set-Cookie").collect();
        assert_eq!(cookies, [&b"a=1"[..], b"b=2"]);
        assert_eq!(got.header_values("x-b").count(), 0);
    }
}
