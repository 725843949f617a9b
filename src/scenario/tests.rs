//! Scenario parser tests: the constructs here, errors and random input in
//! the files beside.

mod data;
mod errors;
mod fuzz;
mod journey;
mod load;
mod variables;

use super::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch directory, removed on drop.
pub(super) struct TempDir(pub PathBuf);

impl TempDir {
    pub(super) fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("stampede-scenario-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

pub(super) fn ok_with(text: &str, overrides: &[(&str, &str)]) -> Scenario {
    match parse(
        text,
        "s.http",
        Path::new("/nonexistent-dir"),
        &owned(overrides),
    ) {
        Ok(s) => s,
        Err(e) => panic!("unexpected error: {e}\n--- input:\n{text}"),
    }
}

pub(super) fn ok(text: &str) -> Scenario {
    ok_with(text, &[])
}

/// The one task of `text`.
pub(super) fn task(text: &str) -> ScenarioTask {
    let mut s = ok(text);
    assert_eq!(s.tasks.len(), 1, "{s:?}");
    s.tasks.remove(0)
}

pub(super) fn header(name: &str, value: &str) -> (String, String) {
    (name.to_string(), value.to_string())
}

const SPEC_EXAMPLE: &str = r#"# @users 200
# @spawn-rate 20
# @duration 1m
@host = http://127.0.0.1:8080

### hello
# @weight 3
GET {{host}}/hello
Accept: application/json

### upload
POST {{host}}/api/upload
Content-Type: application/json

{"name": "item-{{$randomInt 1 1000}}", "price": 10}

### big upload
POST /api/upload
Content-Type: application/json

< ./payload.json
"#;

#[test]
fn the_spec_example() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("payload.json"), b"{\"big\": true}\n").unwrap();
    let s = parse(SPEC_EXAMPLE, "s.http", &dir.0, &[]).unwrap();
    let d = |name: &str, value: &str, line| Directive {
        name: name.into(),
        value: value.into(),
        line,
    };
    assert_eq!(
        s.directives,
        [
            d("users", "200", 1),
            d("spawn-rate", "20", 2),
            d("duration", "1m", 3)
        ]
    );
    let json = vec![header("Content-Type", "application/json")];
    assert_eq!(
        s.tasks,
        [
            ScenarioTask {
                name: "hello".into(),
                weight: 3,
                expect: Default::default(),
                label: None,
                values: Vec::new(),
                line: 8,
                method: "GET".into(),
                url: "http://127.0.0.1:8080/hello".into(),
                headers: vec![header("Accept", "application/json")],
                body: vec![],
            },
            ScenarioTask {
                name: "upload".into(),
                weight: 1,
                expect: Default::default(),
                label: None,
                values: Vec::new(),
                line: 12,
                method: "POST".into(),
                url: "http://127.0.0.1:8080/api/upload".into(),
                headers: json.clone(),
                body: br#"{"name": "item-{{$randomInt 1 1000}}", "price": 10}"#.to_vec(),
            },
            ScenarioTask {
                name: "big upload".into(),
                weight: 1,
                expect: Default::default(),
                label: None,
                values: Vec::new(),
                line: 18,
                method: "POST".into(),
                url: "/api/upload".into(),
                headers: json,
                body: b"{\"big\": true}\n".to_vec(),
            },
        ]
    );
}

#[test]
fn crlf_and_bom_parse_like_lf() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("payload.json"), b"{}").unwrap();
    let lf = parse(SPEC_EXAMPLE, "s.http", &dir.0, &[]).unwrap();
    let crlf_text = SPEC_EXAMPLE.replace('\n', "\r\n");
    assert_eq!(parse(&crlf_text, "s.http", &dir.0, &[]).unwrap(), lf);
    let bom = format!("\u{feff}{crlf_text}");
    assert_eq!(parse(&bom, "s.http", &dir.0, &[]).unwrap(), lf);
    let body = task("POST /x\r\n\r\nline 1\r\n\r\nline 3\r\n\r\n\r\n").body;
    assert_eq!(body, b"line 1\n\nline 3");
}

#[test]
fn weights() {
    let s = ok(
        "###\n# @weight 5\nGET /a\n###\n// @weight 2\nGET /b\n###\nGET /c\n\
         ###\n  #@weight   7  \nGET /d\n###\n# @weight 4294967295\nGET /e\n",
    );
    let weights: Vec<u32> = s.tasks.iter().map(|t| t.weight).collect();
    assert_eq!(weights, [5, 2, 1, 7, u32::MAX]);
}

#[test]
fn default_names() {
    let s = ok("GET /first\n\
         ###\nGET /hello?x=1\n\
         ###   \nPOST http://h:8080/a/b?q=2#frag\n\
         ###\nGET http://h:8080\n\
         ###\nGET https://h?x\n\
         ###\nDELETE /x#y\n\
         ###\n/bare\n");
    let names: Vec<&str> = s.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "GET /first",
            "GET /hello",
            "POST /a/b",
            "GET /",
            "GET /",
            "DELETE /x",
            "GET /bare",
        ]
    );
}

#[test]
fn explicit_names() {
    let s = ok("### hello world  \nGET /a\n#### four hashes\nGET /b\n###no space\nGET /c\n");
    let names: Vec<&str> = s.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["hello world", "four hashes", "no space"]);
}

#[test]
fn default_name_uses_the_substituted_url() {
    let s = ok("@host = http://h:1\n@p = /users\n### \nGET {{host}}{{p}}/42?x={{p}}\n");
    assert_eq!(s.tasks[0].name, "GET /users/42");
    assert_eq!(s.tasks[0].url, "http://h:1/users/42?x=/users");
}

#[test]
fn request_line_forms() {
    let cases = [
        ("GET /x", "GET", "/x"),
        ("GET /x HTTP/1.1", "GET", "/x"),
        ("PUT   /x \t HTTP/1.0", "PUT", "/x"),
        ("/bare", "GET", "/bare"),
        ("http://h/x", "GET", "http://h/x"),
        ("https://h/x", "GET", "https://h/x"),
        ("  get /lower", "get", "/lower"),
        ("M-SEARCH http://h:1900/", "M-SEARCH", "http://h:1900/"),
        ("OPTIONS /", "OPTIONS", "/"),
    ];
    for (line, method, url) in cases {
        let t = task(&format!("###\n{line}\n"));
        assert_eq!((t.method.as_str(), t.url.as_str()), (method, url), "{line}");
        assert_eq!(t.line, 2);
    }
}

#[test]
fn a_request_before_the_first_separator() {
    let s = ok("# @users 3\n\n# a comment\nGET /a\nX: 1\n\nbody\n###\nGET /b\n");
    assert_eq!(s.directives.len(), 1);
    assert_eq!(s.tasks.len(), 2);
    assert_eq!(s.tasks[0].name, "GET /a");
    assert_eq!(s.tasks[0].line, 4);
    assert_eq!(s.tasks[0].headers, [header("X", "1")]);
    assert_eq!(s.tasks[0].body, b"body");
    assert_eq!(s.tasks[1].line, 9);
}

#[test]
fn comments_are_skipped() {
    let s = ok("# top comment\n// another\n  # indented\n# @open\n\n\
         ### a\n# plain comment\n// slash comment\n  // indented @weight 9\n# email me@x.y\n# @ not a directive\n\
         GET /a\n# header comment\nAccept: */*\n// another\nX-B: 2\n\n\
         ### b\n#\n//\nGET /b\n");
    assert_eq!(s.directives.len(), 1);
    assert_eq!(s.directives[0].name, "open");
    assert_eq!(s.directives[0].value, "");
    assert_eq!(s.directives[0].line, 4);
    assert_eq!(s.tasks[0].weight, 1);
    assert_eq!(s.tasks[0].line, 12);
    assert_eq!(
        s.tasks[0].headers,
        [header("Accept", "*/*"), header("X-B", "2")]
    );
    assert_eq!(s.tasks[1].line, 21);
}

#[test]
fn all_file_directives_are_stored_unchecked() {
    let text = "# @users 10\n// @spawn-rate 2\n#@duration   1m30s  \n# @think 100ms..2s\n\
         # @timeout 5s\n# @rate 100/s\n# @stages 10s:5,20s:10\n# @open 50\n# @arrival poisson\n\
         # @users again\nGET /\n";
    let s = ok(text);
    let got: Vec<(&str, &str, usize)> = s
        .directives
        .iter()
        .map(|d| (d.name.as_str(), d.value.as_str(), d.line))
        .collect();
    assert_eq!(
        got,
        [
            ("users", "10", 1),
            ("spawn-rate", "2", 2),
            ("duration", "1m30s", 3),
            ("think", "100ms..2s", 4),
            ("timeout", "5s", 5),
            ("rate", "100/s", 6),
            ("stages", "10s:5,20s:10", 7),
            ("open", "50", 8),
            ("arrival", "poisson", 9),
            ("users", "again", 10),
        ]
    );
}

#[test]
fn headers() {
    let t = task("GET /\nAccept:application/json\n  X-Sp:   a b  \nX-Colon: a:b\nX-Empty:\n");
    assert_eq!(
        t.headers,
        [
            header("Accept", "application/json"),
            header("X-Sp", "a b"),
            header("X-Colon", "a:b"),
            header("X-Empty", ""),
        ]
    );
    assert!(t.body.is_empty());
}

#[test]
fn bodies_keep_the_users_lines() {
    let t = task("### x\nPOST /x\n\n\n  {\n\t\"a\": 1,\n\n# not a comment\n  }  \n\n \n\t\n");
    assert_eq!(t.body, b"\n  {\n\t\"a\": 1,\n\n# not a comment\n  }  ");
    assert!(task("POST /x\n").body.is_empty());
    assert!(task("POST /x\n\n\n\n").body.is_empty());
    assert!(task("POST /x\nA: b\n\n\n").body.is_empty());
    let two = ok("POST /a\n\nbody a\n\n### b\nPOST /b\n\nbody b");
    assert_eq!(two.tasks[0].body, b"body a");
    assert_eq!(two.tasks[1].body, b"body b");
}

#[test]
fn xml_and_lone_angle_bodies_are_literal() {
    assert_eq!(task("POST /x\n\n<a/>\n").body, b"<a/>");
    assert_eq!(task("POST /x\n\n<\n").body, b"<");
    assert_eq!(task("POST /x\n\n< a.json\nmore\n").body, b"< a.json\nmore");
}

#[test]
fn body_files() {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.0.join("sub")).unwrap();
    std::fs::write(dir.0.join("sub/p.bin"), [0u8, 0xff, b'\n', b'{']).unwrap();
    let abs = dir.0.join("sub/p.bin");
    for text in [
        "POST /x\n\n< ./sub/p.bin\n".to_string(),
        "POST /x\n\n\n   <\tsub/p.bin   \n\n".to_string(),
        "@f = sub/p.bin\nPOST /x\n\n< {{f}}\n".to_string(),
        format!("POST /x\n\n< {}\n", abs.display()),
    ] {
        let s = parse(&text, "s.http", &dir.0, &[]).unwrap();
        assert_eq!(s.tasks[0].body, [0u8, 0xff, b'\n', b'{'], "{text}");
    }
}

#[test]
fn dynamic_values_are_kept_verbatim() {
    let t = task(
        "### d\nPOST /x/{{$randomInt 1 10}}?t={{ $timestamp }}\n\
         X-Request-Id: {{$uuid}}\nX-G: {{$guid}}\n\n\
         {\"id\": \"{{$uuid}}\", \"n\": {{$randomInt -5 5}}}\n",
    );
    assert_eq!(t.url, "/x/{{$randomInt 1 10}}?t={{ $timestamp }}");
    assert_eq!(t.name, "d");
    assert_eq!(
        t.headers,
        [
            header("X-Request-Id", "{{$uuid}}"),
            header("X-G", "{{$guid}}")
        ]
    );
    assert_eq!(
        t.body,
        b"{\"id\": \"{{$uuid}}\", \"n\": {{$randomInt -5 5}}}"
    );
}

#[test]
fn blocks_without_a_request_are_skipped() {
    let s = ok("### nothing here\n# just a comment\n\n### vars\n@a = 1\n###\nGET /{{a}}\n###\n\n");
    assert_eq!(s.tasks.len(), 1);
    assert_eq!(s.tasks[0].url, "/1");
    assert_eq!(s.tasks[0].line, 7);
}

#[test]
fn every_expect_line_of_a_request_applies() {
    use crate::plan::expect::Check;
    let t = task("### a\n# @expect status 2xx, 304\n# @weight 2\n// @expect size < 10k\nGET /a\n");
    let mut want = Expect::default();
    want.push(Check::parse("status 2xx, 304").unwrap());
    want.push(Check::parse("size < 10k").unwrap());
    assert_eq!(t.expect, want);
    assert_eq!(t.weight, 2);
    assert!(!t.expect.holds(200, 10_000, None) && t.expect.holds(304, 9_999, None));
    assert!(task("### b\nGET /b\n").expect.is_empty());
}
