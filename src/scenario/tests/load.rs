//! `load`: reading files, and the examples shipped in `examples/`.

use super::*;

#[test]
fn the_examples_load() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/");
    let load_ok = |name: &str| load(&Path::new(dir).join(name), &[]).unwrap();

    let hello = load_ok("hello.http");
    let names: Vec<(&str, u32, &str, &str)> = hello
        .tasks
        .iter()
        .map(|t| (t.name.as_str(), t.weight, t.method.as_str(), t.url.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("hello", 3, "GET", "http://127.0.0.1:8080/hello"),
            ("upload", 1, "POST", "http://127.0.0.1:8080/api/upload"),
        ]
    );
    let directives: Vec<(&str, &str)> = hello
        .directives
        .iter()
        .map(|d| (d.name.as_str(), d.value.as_str()))
        .collect();
    assert_eq!(directives, [("users", "10"), ("duration", "10s")]);
    assert!(!hello.tasks[1].body.is_empty());

    let upload = load_ok("upload-file.http");
    let payload = std::fs::read(Path::new(dir).join("payload.json")).unwrap();
    assert_eq!(upload.tasks.len(), 1);
    assert_eq!(upload.tasks[0].body, payload);
    assert!(upload.tasks[0].url.ends_with("/api/upload"));

    let dynamic = load_ok("dynamic.http");
    let t = &dynamic.tasks[0];
    assert_eq!(t.method, "POST");
    assert!(t.url.ends_with("/api/upload"));
    assert!(t.headers.contains(&header("X-Request-Id", "{{$uuid}}")));
    let body = String::from_utf8(t.body.clone()).unwrap();
    for value in ["{{$randomInt 1 1000}}", "{{$uuid}}", "{{$timestamp}}"] {
        assert!(body.contains(value), "{value} in {body}");
    }
    let template = Template::parse(&t.body).unwrap();
    assert!(!template.is_static());
}

#[test]
fn load_errors() {
    let dir = TempDir::new();
    let missing = dir.0.join("missing.http");
    let e = load(&missing, &[]).unwrap_err();
    assert!(
        e.starts_with(&format!("{}: cannot read: ", missing.display())),
        "{e}"
    );
    assert!(!e.contains('\n'));
    let bad = dir.0.join("bad.http");
    std::fs::write(&bad, b"GET /a\n\n\nPOST /b \xff\n").unwrap();
    assert_eq!(
        load(&bad, &[]).unwrap_err(),
        format!("{}:4: not UTF-8 text", bad.display())
    );
}

#[test]
fn load_reads_body_files_beside_the_scenario() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("p.json"), b"[1]").unwrap();
    let file = dir.0.join("s.http");
    std::fs::write(&file, b"POST /x\n\n< ./p.json\n").unwrap();
    assert_eq!(load(&file, &[]).unwrap().tasks[0].body, b"[1]");
}

#[test]
fn devices_and_oversized_files_are_refused() {
    let e = load(Path::new("/dev/zero"), &[]).unwrap_err();
    assert_eq!(e, "/dev/zero: cannot read: not a regular file or a pipe");
    let dir = TempDir::new();
    let big = dir.0.join("big.http");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((16 << 20) + 1)
        .unwrap();
    let e = load(&big, &[]).unwrap_err();
    assert!(e.contains("larger than 16 MiB"), "{e}");
    assert!(!e.contains('\n'));
}

#[test]
fn body_files_are_capped_at_1_gib_in_all() {
    let dir = TempDir::new();
    // Sparse: refused by its size, never read.
    std::fs::File::create(dir.0.join("huge.bin"))
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let file = dir.0.join("s.http");
    let cases = [
        (
            "POST /x\n\n< /dev/zero\n",
            "s.http:3: cannot read body file /dev/zero: not a regular file or a pipe",
        ),
        (
            "POST /x\n\n< ./huge.bin\n",
            "s.http:3: cannot read body file ./huge.bin: the scenario's body files add up to more than 1 GiB",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(&file, text).unwrap();
        let e = load(&file, &[]).unwrap_err();
        assert!(e.contains(expected), "{e}");
    }
}

#[test]
fn body_files_add_up_against_one_budget() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("three.bin"), b"abc").unwrap();
    let mut parser = Parser {
        file_name: "s.http",
        base_dir: &dir.0,
        vars: Vars::new(&[]),
        data: Data::new(),
        // MAX_BODY scaled down: two 3-byte bodies fit, a third does not.
        body_budget: 8,
        scenario: Scenario {
            directives: Vec::new(),
            tasks: Vec::new(),
            variables: Vec::new(),
            journey: Default::default(),
        },
        names: Default::default(),
        late_name: None,
    };
    assert_eq!(parser.body(&["< ./three.bin"], 4).unwrap(), b"abc");
    assert_eq!(parser.body(&["< ./three.bin"], 8).unwrap(), b"abc");
    assert_eq!(
        parser.body(&["< ./three.bin"], 12).unwrap_err(),
        "s.http:12: cannot read body file ./three.bin: the scenario's body files \
         add up to more than 1 GiB, the limit for bodies"
    );
}
