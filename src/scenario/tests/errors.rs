//! Every error: one line, `file:line: ` first, with the right line.

use super::*;

/// The error for `text`, checked to be one line naming the file.
fn err_with(text: &str, overrides: &[(&str, &str)]) -> String {
    let e = parse(
        text,
        "s.http",
        Path::new("/nonexistent-dir"),
        &owned(overrides),
    )
    .unwrap_err();
    assert!(!e.contains('\n'), "{e:?}");
    assert!(e.starts_with("s.http:"), "{e:?}");
    e
}

fn err(text: &str) -> String {
    err_with(text, &[])
}

const KNOWN: &str = "(known: users, spawn-rate, duration, think, timeout, rate, stages, open, arrival, sequence, data, data-mode)";

#[test]
fn unknown_file_directive() {
    assert_eq!(
        err("# @users 1\n# @nope 2\n###\nGET /\n"),
        format!("s.http:2: unknown directive @nope {KNOWN}")
    );
    assert_eq!(
        err("\n\n// @name login\nGET /\n"),
        format!("s.http:3: unknown directive @name {KNOWN}")
    );
}

#[test]
fn file_directive_in_a_request_block() {
    let text = "# @users 1\n\n### a\nGET /a\n\n### b\n# @users 200\nGET /b\n";
    assert_eq!(
        err(text),
        "s.http:7: @users is a file-level directive; put it before the first ###"
    );
    assert_eq!(
        err("###\n// @spawn-rate 2\nGET /\n"),
        "s.http:2: @spawn-rate is a file-level directive; put it before the first ###"
    );
}

#[test]
fn unknown_directive_in_a_request_block() {
    assert_eq!(
        err("###\n\n# @note login\nGET /\n"),
        "s.http:3: unknown directive @note (in a request, only @weight, @name and @expect are allowed)"
    );
}

#[test]
fn weight_outside_a_request_block() {
    assert_eq!(
        err("# @weight 2\nGET /\n"),
        "s.http:1: @weight belongs to a request; put it after the request's ### line"
    );
}

#[test]
fn bad_weights() {
    for value in ["0", "-1", "abc", "1.5", "", "+3", "4294967296", "2 3"] {
        assert_eq!(
            err(&format!("###\nGET /a\n###\n# @weight {value}\nGET /b\n")),
            format!("s.http:4: bad @weight {value:?}: expected a whole number >= 1"),
        );
    }
    assert_eq!(
        err("###\n# @weight 2\n# @weight 3\nGET /\n"),
        "s.http:3: @weight is given twice for this request"
    );
}

#[test]
fn directive_after_the_request_line() {
    assert_eq!(
        err("###\nGET /\nAccept: */*\n# @weight 2\n"),
        "s.http:4: @weight must come before the request line"
    );
    assert_eq!(
        err("GET /\n# @users 2\n"),
        "s.http:2: @users must come before the request line"
    );
}

#[test]
fn directive_without_a_value() {
    assert_eq!(err("# @users\nGET /\n"), "s.http:1: @users needs a value");
    assert_eq!(
        err("# @duration   \nGET /\n"),
        "s.http:1: @duration needs a value"
    );
}

#[test]
fn bad_request_lines() {
    for line in [
        "GET",
        "hello",
        "Accept: application/json",
        "GE(T /x",
        "{\"a\": 1}",
    ] {
        assert_eq!(
            err(&format!("### t\n# c\n{line}\n")),
            format!("s.http:3: expected \"METHOD URL\" (e.g. GET /hello), found {line:?}"),
        );
    }
}

#[test]
fn bad_http_versions() {
    assert_eq!(
        err("###\nGET /x HTTP/2\n"),
        "s.http:2: only HTTP/1.1 is supported, found \"HTTP/2\""
    );
    assert_eq!(
        err("###\nGET /x HTTP/1.1 extra\n"),
        "s.http:2: bad URL \"/x HTTP/1.1 extra\": expected http://host/path, https://host/path or /path"
    );
}

#[test]
fn bad_urls() {
    assert_eq!(
        err("GET /x y z\n"),
        "s.http:1: bad URL \"/x y z\": expected http://host/path, https://host/path or /path"
    );
    assert_eq!(
        err("GET /x/{{$randomInt 1 2}} y\n"),
        "s.http:1: bad URL \"/x/{{$randomInt 1 2}} y\": expected http://host/path, https://host/path or /path"
    );
    assert_eq!(
        err("\n\nGET example.com/x\n"),
        "s.http:3: bad URL \"example.com/x\": expected http://host/path, https://host/path or /path"
    );
    assert_eq!(
        err_with("GET {{h}}/x\n", &[("h", "http://a b")]),
        "s.http:1: bad URL \"http://a b/x\": expected http://host/path, https://host/path or /path"
    );
    assert_eq!(
        err_with("GET {{h}}/x\n", &[("h", "ftp://a")]),
        "s.http:1: bad URL \"ftp://a/x\": expected http://host/path, https://host/path or /path"
    );
}

#[test]
fn bad_headers() {
    assert_eq!(
        err("###\nGET /\nAccept: */*\nnocolon\n"),
        "s.http:4: bad header \"nocolon\": expected \"Name: value\""
    );
    assert_eq!(
        err("GET /\n\n###\nPOST /\nbad name: x\n"),
        "s.http:5: bad header \"bad name: x\": \"bad name\" is not a valid header name"
    );
    // A body with no blank line before it is read as headers.
    assert_eq!(
        err("POST /\n{\"a\": 1}\n"),
        "s.http:2: bad header \"{\\\"a\\\": 1}\": \"{\\\"a\\\"\" is not a valid header name"
    );
    assert_eq!(
        err_with("GET /\nX: {{v}}\n", &[("v", "a\rb")]),
        "s.http:2: bad header \"X: a\\rb\": the value holds a line break"
    );
    assert_eq!(
        err("###\nGET /\nAccept: */*\nX: a\u{1}b\n"),
        "s.http:4: bad header \"X: a\\u{1}b\": the value holds the control character 0x01"
    );
    assert_eq!(
        err_with("GET /\nX: {{v}}\n", &[("v", "a\u{7f}")]),
        "s.http:2: bad header \"X: a\\u{7f}\": the value holds the control character 0x7F"
    );
}

#[test]
fn unknown_variables_name_the_line_of_use() {
    assert_eq!(
        err("@a = 1\n###\nGET /{{a}}/{{ b }}\n"),
        "s.http:3: unknown variable {{b}}"
    );
    assert_eq!(
        err("###\nGET /\nX-A: {{nope}}\n"),
        "s.http:3: unknown variable {{nope}}"
    );
    assert_eq!(
        err("###\nPOST /\n\nline 4\nline 5\n\nline {{x}}\n\n"),
        "s.http:7: unknown variable {{x}}"
    );
    assert_eq!(
        err("@a = 1\n@b = {{a}}{{c}}\nGET /\n"),
        "s.http:2: unknown variable {{c}}"
    );
    assert_eq!(err("{{nope}}/x\n"), "s.http:1: unknown variable {{nope}}");
    // A use before the definition is unknown: definitions apply from where they are.
    assert_eq!(
        err("GET /{{late}}\n###\n@late = 1\nGET /\n"),
        "s.http:1: unknown variable {{late}}"
    );
}

#[test]
fn bad_variable_definitions() {
    let expected = "expected \"@name = value\" (name: letters, digits, _ and -)";
    for (line, hint) in [
        ("@ = 1", ""),
        ("@a b = 1", ""),
        ("@a.b = 1", ""),
        ("@novalue", ""),
        ("@users 10", "; a directive is a comment: # @users ..."),
        ("@weight 2", "; a directive is a comment: # @weight ..."),
    ] {
        assert_eq!(
            err(&format!("###\n\n{line}\nGET /\n")),
            format!("s.http:3: bad variable definition {line:?}: {expected}{hint}")
        );
    }
}

#[test]
fn missing_body_file() {
    let dir = TempDir::new();
    let text = "### big\nPOST /api/upload\nContent-Type: application/json\n\n< ./payload.json\n\n";
    let e = parse(text, "s.http", &dir.0, &[]).unwrap_err();
    assert!(
        e.starts_with("s.http:5: cannot read body file ./payload.json: "),
        "{e}"
    );
    assert!(e.contains("os error"), "{e}");
    assert!(!e.contains('\n'));
    // A directory is not a file either.
    std::fs::create_dir(dir.0.join("d")).unwrap();
    let e = parse("POST /\n\n\n\n< d\n", "s.http", &dir.0, &[]).unwrap_err();
    assert!(e.starts_with("s.http:5: cannot read body file d: "), "{e}");
}

#[test]
fn bad_dynamic_values_name_their_line() {
    assert_eq!(
        err("###\nPOST /\n\n{\"n\": {{$randomInt 5 1}}}\n"),
        "s.http:4: {{$randomInt 5 1}}: MIN is above MAX"
    );
    assert!(err("GET /{{$nope}}\n").starts_with("s.http:1: unknown dynamic value {{$nope}}"));
    assert!(err("GET /\nX: {{$uuid\n").starts_with("s.http:2: unclosed dynamic value"));
    assert!(
        err("@v = {{$nope}}\n###\nGET /\n\n{{v}}\n")
            .starts_with("s.http:5: unknown dynamic value {{$nope}}")
    );
}

#[test]
fn no_requests() {
    let none = "s.http: no requests found (a request is \"METHOD URL\" after a ### line)";
    for text in [
        "",
        "\n\n",
        "\r\n",
        "# @users 1\n@a = 2\n",
        "### a\n# comment\n###\n\n### c\n",
        "###",
    ] {
        assert_eq!(err_with_any(text), none, "{text:?}");
    }
}

/// Like `err`, for errors that name no line.
fn err_with_any(text: &str) -> String {
    let e = parse(text, "s.http", Path::new("."), &[]).unwrap_err();
    assert!(!e.contains('\n'), "{e:?}");
    e
}

#[test]
fn the_first_error_wins() {
    assert_eq!(
        err("# @nope 1\nGET /{{x}}\n"),
        format!("s.http:1: unknown directive @nope {KNOWN}")
    );
}

#[test]
fn at_most_65536_requests() {
    // Task ids are 16 bits: one more request would share an id.
    let fits = "GET /\n###\n".repeat(65_536);
    assert_eq!(ok(&fits).tasks.len(), 65_536);
    assert_eq!(
        err(&format!("{fits}GET /\n")),
        "s.http:131073: too many requests: a scenario holds at most 65536"
    );
}

#[test]
fn bad_expect_names_its_line() {
    assert_eq!(
        err("###\n# @expect status 2xx\n# @expect status 6xx\nGET /\n"),
        "s.http:3: bad status \"6xx\" in @expect status: expected a code from 100 to 599 or a \
         class from 1xx to 5xx, e.g. `@expect status 200, 3xx`"
    );
    assert!(err("###\n# @expect size 10\nGET /\n").starts_with("s.http:2: bad @expect size"));
    assert!(err("###\n# @expect\nGET /\n").starts_with("s.http:2: bad @expect \"\""));
    assert_eq!(
        err("###\nGET /\n# @expect status 200\n"),
        "s.http:3: @expect must come before the request line"
    );
    assert!(
        err("# @expect status 200\n###\nGET /\n")
            .starts_with("s.http:1: unknown directive @expect")
    );
}

#[test]
fn bad_body_checks_name_their_line() {
    for (check, says) in [
        ("body has ok", "bad @expect body \"has ok\""),
        ("body contains", "@expect body contains needs the text"),
        ("header Content Type: x", "bad @expect header"),
        (
            "header X-A:",
            "@expect header X-A: needs the text after the colon",
        ),
        (
            "json token == 1",
            "bad JSONPath \"token == 1\": it must start with $",
        ),
        ("json $.token = 1", "bad @expect json"),
        ("json $.token == \"x", "bad JSON value"),
    ] {
        let e = err(&format!(
            "### a\n# @expect status 200\n# @expect {check}\nGET /\n"
        ));
        assert!(e.starts_with(&format!("s.http:3: {says}")), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}

#[test]
fn expect_on_a_command_is_refused() {
    assert_eq!(
        err("###\n# @expect status 200\nREDIS redis://127.0.0.1:6379 PING\n"),
        "s.http:2: @expect checks HTTP replies; this request is a Redis command"
    );
}
