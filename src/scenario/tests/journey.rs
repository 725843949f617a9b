//! `# @name` and references to a named request's reply.

use super::*;
use crate::journey::json_path::JsonPath;
use crate::journey::{Part, Source};

const LOGIN: &str = "### login\n# @name login\nPOST /api/login\n\n{\"user\": \"a\"}\n\n";

#[test]
fn a_reference_becomes_a_user_value_of_the_named_task() {
    let s = ok(&format!(
        "{LOGIN}### me\nGET /api/me?t={{{{login.response.body.$.token}}}}\n\
         Authorization: Bearer {{{{ login.response.body.$.token }}}}\n\
         X-Id: {{{{login.response.headers.X-Id}}}}\n\n{{{{login.response.body.*}}}}\n"
    ));
    assert_eq!(s.tasks[0].label.as_deref(), Some("login"));
    assert_eq!(s.tasks[0].name, "login");
    let me = &s.tasks[1];
    assert_eq!(
        me.values,
        [
            ("login.response.body.$.token".to_string(), 0),
            ("login.response.headers.X-Id".to_string(), 1),
            ("login.response.body.*".to_string(), 2),
        ]
    );
    let source = |part| Source::Reply { task: 0, part };
    assert_eq!(
        s.journey.values,
        [
            source(Part::Json(JsonPath::parse("$.token").unwrap())),
            source(Part::Header("x-id".into())),
            source(Part::Body),
        ]
    );
    assert_eq!(s.journey.reads, [vec![], vec![0, 1, 2]]);
    // The URL's and the headers' values go in a request head.
    let heads: Vec<bool> = (0..3).map(|id| s.journey.in_head(id)).collect();
    assert_eq!(heads, [true, true, false]);
}

#[test]
fn a_plain_scenario_has_no_journey() {
    let s = ok("### a\nGET /a?x={{x.y}}\n\n{\"a\": \"{{not.a.name}}\"}\n");
    assert!(s.journey.is_empty());
    assert!(s.tasks[0].values.is_empty());
    // The task name stays the ### text when both are given.
    let s = ok("### sign in\n# @name login\nGET /a\n");
    assert_eq!(s.tasks[0].name, "sign in");
}

#[test]
fn bad_names_and_references_name_their_line() {
    for (text, says) in [
        (
            "###\n# @name a b\nGET /\n".to_string(),
            "s.http:2: bad @name \"a b\"",
        ),
        (
            "###\n# @name a\n# @name b\nGET /\n".to_string(),
            "s.http:3: @name is given twice",
        ),
        (
            "###\n# @name a\nGET /\n###\n# @name a\nGET /b\n".to_string(),
            "s.http:5: @name a is given to two requests",
        ),
        (
            format!("{LOGIN}###\nGET /{{{{login.request.body.*}}}}\n"),
            "s.http:8: bad reference {{login.request.body.*}}",
        ),
        (
            format!("{LOGIN}###\nGET /\nX-A: {{{{login.response.status}}}}\n"),
            "s.http:9: bad reference",
        ),
        (
            format!("{LOGIN}###\nGET /\n\n{{{{login.response.body.$..a}}}}\n"),
            "s.http:10: {{login.response.body.$..a}}: bad JSONPath",
        ),
        (
            "###\nGET /{{later.response.body.*}}\n###\n# @name later\nGET /\n".to_string(),
            "s.http:2: {{later.response...}} reads the reply of the request named later, which is not above",
        ),
        (
            "###\n# @name me\nGET /{{me.response.body.*}}\n".to_string(),
            "s.http:3: {{me.response...}} reads the reply of the request named me",
        ),
        (
            "###\n# @name r\nREDIS GET k\n".to_string(),
            "s.http:3: @name names HTTP requests",
        ),
    ] {
        let e = parse(&text, "s.http", Path::new("."), &[]).unwrap_err();
        assert!(e.starts_with(says), "{text:?}\n{e}");
        assert!(!e.contains('\n'), "{e}");
        assert!(!e.contains("  "), "one space between words: {e}");
    }
}

#[test]
fn references_may_have_spaces_inside_their_braces_in_a_url() {
    let s = ok(&format!(
        "{LOGIN}###\nGET /me?t={{{{ login.response.body.$.token }}}}\n"
    ));
    assert_eq!(s.tasks[1].values.len(), 1);
}

/// `parse` on another thread, failing the test if it takes over a minute
/// (a parse that is linear in the file takes well under a second).
fn parse_within_a_minute(text: String) -> Result<Scenario, String> {
    let (done, waited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(parse(&text, "s.http", Path::new("."), &[]));
    });
    (waited.recv_timeout(std::time::Duration::from_secs(60))).expect("parsed within a minute")
}

#[test]
fn more_references_than_value_ids_is_an_error_on_its_line() {
    // Ids are 16 bits: the 65 537th different value has none.
    let mut text = String::from("### login\n# @name login\nGET /\n\n### me\nGET /\n");
    for i in 0..65_537 {
        text.push_str(&format!("X-{i}: {{{{login.response.headers.h{i}}}}}\n"));
    }
    let e = parse_within_a_minute(text).unwrap_err();
    assert_eq!(
        e,
        "s.http:65543: too many different references: a scenario reads at most 65536 values"
    );
    // Many references to the same few values are fine.
    let mut text = String::from(LOGIN);
    text.push_str("### me\nGET /\n\n");
    for i in 0..100_000 {
        text.push_str(&format!("{{{{login.response.headers.h{}}}}}", i % 3));
    }
    let s = parse_within_a_minute(text).unwrap();
    assert_eq!((s.journey.values.len(), s.tasks[1].values.len()), (3, 3));
    assert_eq!(s.journey.reads[1], [0, 1, 2]);
}

#[test]
fn unknown_prefixes_and_many_names_are_read_in_one_pass() {
    // Every `{{word.word}}` naming no request is remembered (a request
    // named so below is an error), and every name is looked up: neither
    // may cost a scan of all the others (this took minutes).
    let mut text = format!("### a\nPOST /\n\n{}\n\n", "{{a.b}}".repeat(400_000));
    for i in 0..40_000 {
        text.push_str(&format!("###\n# @name n{i}\nGET /\n"));
    }
    let s = parse_within_a_minute(text).unwrap();
    assert_eq!(s.tasks.len(), 40_001);
}

#[test]
fn a_body_file_is_read_for_references_as_bytes() {
    let dir = TempDir::new();
    // The first reference holds a byte that is not UTF-8: the template
    // leaves it as written, so it is no value either (read as text with
    // U+FFFD, it became one that nothing rendered). The second is.
    let mut bytes = b"\xff{{login.response.body.$.a\xff}} ".to_vec();
    bytes.extend_from_slice(b"{{login.response.body.$.b}}\xfe");
    std::fs::write(dir.0.join("p.bin"), &bytes).unwrap();
    let text = format!("{LOGIN}### me\nPOST /me\n\n< ./p.bin\n");
    let s = parse(&text, "s.http", &dir.0, &[]).unwrap();
    assert_eq!(
        s.tasks[1].values,
        [("login.response.body.$.b".to_string(), 0)]
    );
    assert_eq!(s.journey.values.len(), 1);
}
