//! `@name = value` variables, `{{name}}` substitution and `--var` overrides.

use super::*;

#[test]
fn substitutes_in_url_headers_and_body() {
    let t = task(
        "@host = http://h:1\n@token=abc\n  @ctype =  application/json  \n\n\
         ### t\nPOST {{host}}/x?t={{ token }}\nAuthorization: Bearer {{token}}\n\
         Content-Type: {{ctype}}\n\n{\"t\": \"{{token}}\", \"h\": \"{{  host  }}\"}\n",
    );
    assert_eq!(t.url, "http://h:1/x?t=abc");
    assert_eq!(
        t.headers,
        [
            header("Authorization", "Bearer abc"),
            header("Content-Type", "application/json")
        ]
    );
    assert_eq!(t.body, br#"{"t": "abc", "h": "http://h:1"}"#);
}

#[test]
fn chained_variables() {
    let text = "@scheme = http\n@host = {{scheme}}://h:1\n@base = {{ host }}/api\n\
                @q = a=b\n@empty =\n###\nGET {{base}}/x?{{q}}{{empty}}\n";
    assert_eq!(task(text).url, "http://h:1/api/x?a=b");
}

#[test]
fn overrides_replace_and_add() {
    let text = "@host = http://file:1\n@base = {{host}}/api\n###\nGET {{base}}/{{extra}}\n";
    let s = ok_with(text, &[("host", "http://cli:2"), ("extra", "more")]);
    assert_eq!(s.tasks[0].url, "http://cli:2/api/more");
    // Overriding the chained name itself takes the value as it is.
    let s = ok_with(text, &[("base", "http://other/v2"), ("extra", "e")]);
    assert_eq!(s.tasks[0].url, "http://other/v2/e");
    // The last of repeated overrides wins.
    let s = ok_with(text, &[("extra", "a"), ("extra", "b")]);
    assert_eq!(s.tasks[0].url, "http://file:1/api/b");
}

#[test]
fn the_variables_as_the_file_ends_are_kept_for_a_protocols_init() {
    let text = "@host = http://file:1\n@base = {{host}}/api\n###\nGET {{base}}/x\n";
    let s = ok_with(text, &[("host", "http://cli:2"), ("extra", "e")]);
    assert_eq!(
        s.variables,
        owned(&[
            ("base", "http://cli:2/api"),
            ("extra", "e"),
            ("host", "http://cli:2")
        ])
    );
}

#[test]
fn an_overridden_definition_is_not_expanded() {
    let text = "@base = {{nowhere}}/api\n###\nGET {{base}}\n";
    let s = ok_with(text, &[("base", "/v2")]);
    assert_eq!(s.tasks[0].url, "/v2");
}

#[test]
fn override_values_are_verbatim() {
    let s = ok_with("GET /{{a}}\n", &[("a", "{{b}}")]);
    assert_eq!(s.tasks[0].url, "/{{b}}");
}

#[test]
fn definitions_apply_from_where_they_are() {
    let s = ok("@v = 1\n### a\nGET /{{v}}\n### b\n@v = 2\nGET /{{v}}\n### c\nGET /{{v}}\n");
    let urls: Vec<&str> = s.tasks.iter().map(|t| t.url.as_str()).collect();
    assert_eq!(urls, ["/1", "/2", "/2"]);
}

#[test]
fn names_use_letters_digits_underscore_and_dash() {
    let t = task("@a_b-2 = x\n@X9 = y\nGET /{{a_b-2}}/{{X9}}\n");
    assert_eq!(t.url, "/x/y");
}

#[test]
fn braces_that_are_not_names_are_literal() {
    let t =
        task("@x = 1\nPOST /\n\n{{{x}}} {{}} {{ }} {{a b}} {{\"k\": 1}} {{x {{ x }} }}x}} {{\n");
    assert_eq!(
        String::from_utf8(t.body).unwrap(),
        "{1} {{}} {{ }} {{a b}} {{\"k\": 1}} {{x 1 }}x}} {{"
    );
}

#[test]
fn a_variable_may_hold_a_dynamic_value() {
    let t = task("@id = {{$uuid}}\n@n = {{ $randomInt 1 9 }}\nGET /{{n}}\nX-Id: {{id}}\n");
    assert_eq!(t.url, "/{{ $randomInt 1 9 }}");
    assert_eq!(t.headers, [header("X-Id", "{{$uuid}}")]);
}

/// The error for `text`, which must be one line.
fn expansion_error(text: &str, overrides: &[(&str, &str)]) -> String {
    let e = parse(text, "s.http", Path::new("."), &owned(overrides)).unwrap_err();
    assert!(!e.contains('\n'), "{e:?}");
    e
}

#[test]
fn doubling_variables_stop_at_one_mib_per_line() {
    // a_k holds 2^k bytes: a20 is exactly 1 MiB, a21 one doubling too many.
    let mut text = String::from("@a0 = x\n");
    for k in 1..=20 {
        text.push_str(&format!("@a{k} = {{{{a{}}}}}{{{{a{}}}}}\n", k - 1, k - 1));
    }
    let fits = format!("{text}GET /{{{{a0}}}}\n");
    assert_eq!(ok(&fits).tasks.len(), 1);
    text.push_str("@a21 = {{a20}}{{a20}}\nGET /\n");
    assert_eq!(
        expansion_error(&text, &[]),
        "s.http:22: expansion too large: variables insert more than 1 MiB into this line"
    );
}

#[test]
fn every_expanded_line_is_capped() {
    let half = "h".repeat(512 << 10);
    let three = "{{half}}{{half}}{{half}}";
    for (text, line) in [
        (format!("GET /{three}\n"), 1),
        (format!("GET /\nX-Big: {three}\n"), 2),
        (format!("POST /\n\nsmall\n{three}\n"), 4),
    ] {
        let e = expansion_error(&text, &[("half", &half)]);
        assert!(
            e.starts_with(&format!("s.http:{line}: expansion too large")),
            "{e}"
        );
    }
}

#[test]
fn the_whole_file_expands_by_at_most_64_mib() {
    // 64 lines of 1 MiB each fit; the 65th (line 3 + 64) is too many.
    let big = "b".repeat(1 << 20);
    let text = format!("POST /\n\n{}", "{{big}}\n".repeat(65));
    assert_eq!(
        expansion_error(&text, &[("big", &big)]),
        "s.http:67: expansion too large: variables insert more than 64 MiB into the file"
    );
}

#[test]
fn many_unclosed_braces_are_read_in_one_pass() {
    // Each `{{` looks for its `}}` only up to the next `{{`: a body of
    // many with none after them is read once, not once each (this took
    // minutes). What a `{{` holding another is stays as before.
    let text = format!(
        "@a = 1\n###\nPOST /\n\n{{{{{{a}}}}}} {{{{x {{{{a}}}}\n{}\n",
        "{{ x ".repeat(300_000)
    );
    let (done, waited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(task(&text).body);
    });
    let body = waited
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("parsed within a minute");
    assert!(
        body.starts_with(b"{1} {{x 1\n{{ x {{ x "),
        "{:?}",
        &body[..20]
    );
    assert_eq!(body.len(), 10 + 5 * 300_000);
}
