//! `# @data` and `# @data-mode`: data files beside the scenario, the
//! references to their columns, and every error with its line.

use super::*;
use crate::journey::Source;
use crate::journey::data::Mode;

const USERS: &str = "name,password\nalice,a1\nbob,b2\n";

/// Parse `text` as `s.http` in a scratch directory holding `files`.
fn parse_in(files: &[(&str, &str)], text: &str) -> Result<Scenario, String> {
    let dir = TempDir::new();
    for (name, content) in files {
        std::fs::write(dir.0.join(name), content).unwrap();
    }
    parse(text, "s.http", &dir.0, &[])
}

fn err_in(files: &[(&str, &str)], text: &str) -> String {
    let e = parse_in(files, text).unwrap_err();
    assert!(!e.contains('\n'), "{e:?}");
    e
}

#[test]
fn references_become_user_values() {
    let text = "# @data users = ./users.csv\n\
                # @data-mode users per-request\n\
                @host = http://h\n\
                ### login\n\
                POST {{host}}/login/{{users.name}}\n\
                X-User: {{ users.name }}\n\
                \n\
                {\"user\": \"{{users.name}}\", \"password\": \"{{users.password}}\"}\n";
    let s = parse_in(&[("users.csv", USERS)], text).unwrap();
    let t = &s.tasks[0];
    assert_eq!(t.url, "http://h/login/{{users.name}}");
    assert_eq!(t.headers, [header("X-User", "{{ users.name }}")]);
    assert_eq!(
        t.body,
        b"{\"user\": \"{{users.name}}\", \"password\": \"{{users.password}}\"}"
    );
    assert_eq!(
        t.values,
        [
            ("users.name".to_string(), 0),
            ("users.password".to_string(), 1)
        ]
    );
    assert!(s.directives.is_empty());
    let journey = &s.journey;
    assert_eq!(
        journey.values,
        [
            Source::Data { set: 0, column: 0 },
            Source::Data { set: 0, column: 1 }
        ]
    );
    assert_eq!(journey.reads, [vec![0, 1]]);
    let [set] = journey.data.as_slice() else {
        panic!("{:?}", journey.data)
    };
    assert_eq!(
        (set.name.as_str(), set.path.as_str()),
        ("users", "./users.csv")
    );
    assert_eq!(set.mode, Mode::PerRequest);
    assert_eq!(set.rows().get(), 2);
    assert_eq!(set.field(1, set.column("password").unwrap()), b"b2");
}

#[test]
fn modes_may_come_first_and_default_to_per_user() {
    let text = "# @data-mode b per-request\n# @data a = a.csv\n# @data b=./a.csv\nGET /\n";
    let s = parse_in(&[("a.csv", "x\n1\n")], text).unwrap();
    let modes: Vec<(&str, Mode)> = (s.journey.data.iter())
        .map(|d| (d.name.as_str(), d.mode))
        .collect();
    assert_eq!(modes, [("a", Mode::PerUser), ("b", Mode::PerRequest)]);
    // Read by no request: the run keeps no per-user state.
    assert!(s.journey.is_empty());
}

#[test]
fn data_and_replies_mix() {
    let text = "# @data users = users.csv\n\
                ### login\n# @name login\nPOST /login\n\n{{users.name}}\n\
                ### me\nGET /me/{{users.name}}\nX-T: {{login.response.body.$.t}}\n";
    let s = parse_in(&[("users.csv", USERS)], text).unwrap();
    assert_eq!(s.journey.reads, [vec![0], vec![0, 1]]);
    assert!(matches!(s.journey.values[1], Source::Reply { task: 0, .. }));
}

#[test]
fn without_a_data_set_braces_with_dots_are_text() {
    let t = task("GET /{{users.name}}\n");
    assert_eq!(t.url, "/{{users.name}}");
    assert!(t.values.is_empty());
}

#[test]
fn errors_have_their_line() {
    let files = [
        ("users.csv", USERS),
        ("empty.csv", ""),
        ("header.csv", "name,password\n"),
        ("twice.csv", "name,Name,name\n1,2,3\n"),
        ("ragged.csv", "a,b,c,d\n1,2,3,4\n5,6,7,8\n\n1,2,3\n"),
    ];
    let cases = [
        (
            "# @users 2\n# @data users = ./missing.csv\nGET /\n",
            "s.http:2: cannot read data file ./missing.csv: No such file or directory (os error 2)",
        ),
        (
            "# @data e = ./empty.csv\nGET /\n",
            "s.http:1: ./empty.csv: empty; its first line must name the columns",
        ),
        (
            "# @data h = header.csv\nGET /\n",
            "s.http:1: header.csv: no rows, only the header line",
        ),
        (
            "# @data t = twice.csv\nGET /\n",
            "s.http:1: twice.csv:1: column \"name\" is named twice (columns 1 and 3)",
        ),
        (
            "\n# @data r = ./ragged.csv\nGET /\n",
            "s.http:2: ./ragged.csv:5: 3 fields, expected 4 as in the header",
        ),
        (
            "# @data users = users.csv\n# @data users = ./users.csv\nGET /\n",
            "s.http:2: data set \"users\" is defined twice",
        ),
        (
            "# @data users = users.csv\n# @data-mode usres per-request\nGET /\n",
            "s.http:2: @data-mode for \"usres\", which no @data line defines",
        ),
        (
            "# @data users = users.csv\n# @data-mode users random\nGET /\n",
            "s.http:2: bad mode \"random\": expected \"@data-mode NAME per-user\" or \
             \"@data-mode NAME per-request\"",
        ),
        (
            "# @data users = users.csv\n# @data-mode users per-user\n# @data-mode users per-request\nGET /\n",
            "s.http:3: @data-mode for \"users\" is given twice",
        ),
        (
            "# @data users ./users.csv\nGET /\n",
            "s.http:1: expected \"@data NAME = ./file.csv\"",
        ),
        ("# @data\nGET /\n", "s.http:1: @data needs a value"),
        (
            "# @data 1st = users.csv\nGET /\n",
            "s.http:1: bad data set name \"1st\": a letter or _, then letters, digits, _ and - \
             (expected \"@data NAME = ./file.csv\")",
        ),
        (
            "###\n# @data users = users.csv\nGET /\n",
            "s.http:2: @data is a file-level directive; put it before the first ###",
        ),
        (
            "GET /\n\n###\n# @data-mode users per-request\nGET /\n",
            "s.http:4: @data-mode is a file-level directive; put it before the first ###",
        ),
        (
            "# @data users = users.csv\n### a\nREDIS GET {{ users.name }}\n",
            "s.http:3: {{users.name}}: data references work in HTTP requests, not Redis commands",
        ),
        (
            "# @data users = users.csv\n### a\n# @name users\nGET /\n",
            "s.http:3: @name users is the name of a data set (# @data users = ...)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err_in(&files, text), expected, "{text}");
    }
    let mut bad = b"name\nalice\n".to_vec();
    bad.extend_from_slice(b"Jos\xe9\n");
    let dir = TempDir::new();
    std::fs::write(dir.0.join("latin1.csv"), bad).unwrap();
    let e = parse("# @data u = latin1.csv\nGET /\n", "s.http", &dir.0, &[]).unwrap_err();
    assert_eq!(e, "s.http:1: latin1.csv:3: not UTF-8 text");
}

#[test]
fn unknown_columns_have_the_line_that_names_them() {
    let head = "# @data users = ./users.csv\n@who = {{users.nme}}\n###\n";
    let no_column = "./users.csv has no column \"nme\" (columns: name, password)";
    for (request, line) in [
        ("GET /{{users.nme}}\n", 4),
        ("GET /\nX-A: 1\nX-B: {{ users.nme }}\n", 6),
        ("POST /\n\n{\n\"u\": \"{{users.nme}}\"\n}\n", 6),
        ("GET /{{who}}\n", 4),
        ("POST /\n\n< ./body.json\n", 6),
    ] {
        let files = [
            ("users.csv", USERS),
            ("body.json", "{\"u\": \"{{users.nme}}\"}"),
        ];
        let e = err_in(&files, &format!("{head}{request}"));
        assert_eq!(e, format!("s.http:{line}: {no_column}"), "{request}");
    }
}

#[test]
fn fields_that_cannot_go_where_they_are_used_are_refused() {
    let files = [("u.csv", "name,note\nalice,ok\nbob,\"two\nlines\"\n")];
    let head = "# @data u = u.csv\n###\n";
    assert_eq!(
        err_in(&files, &format!("{head}GET /{{{{u.note}}}}\n")),
        "s.http:3: u.csv:3: column \"note\" holds the byte 0x0a, which a URL cannot carry"
    );
    assert_eq!(
        err_in(&files, &format!("{head}GET /\nX-Note: {{{{u.note}}}}\n")),
        "s.http:4: u.csv:3: column \"note\" holds the byte 0x0a, which a header cannot carry"
    );
    let s = parse_in(
        &files,
        &format!("{head}POST /{{{{u.name}}}}\n\n{{{{u.note}}}}\n"),
    )
    .unwrap();
    assert_eq!(s.tasks[0].body, b"{{u.note}}");
}

#[test]
fn braces_naming_no_data_set_stay_a_commands_text() {
    let s = parse_in(
        &[("users.csv", USERS)],
        "# @data users = users.csv\nREDIS GET {{other.name}}\n",
    );
    assert_eq!(s.unwrap().tasks[0].body, b"GET {{other.name}}");
}

#[test]
fn data_files_add_up_against_one_bound() {
    let dir = TempDir::new();
    // Sparse: refused by its size, never read.
    std::fs::File::create(dir.0.join("huge.csv"))
        .unwrap()
        .set_len(crate::journey::data::MAX_DATA + 1)
        .unwrap();
    let e = parse("# @data h = huge.csv\nGET /\n", "s.http", &dir.0, &[]).unwrap_err();
    assert_eq!(
        e,
        "s.http:1: cannot read data file huge.csv: the scenario's data files add up to \
         more than 256 MiB, the limit for data"
    );
}
