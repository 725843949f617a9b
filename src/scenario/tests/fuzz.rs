//! Random lines and mutated files: the parser never panics, and every
//! error is one line naming the file.

use super::*;
use crate::rng::Rng;

const FRAGMENTS: &[&str] = &[
    "",
    " ",
    "###",
    "### name",
    "#",
    "//",
    "# @weight 2",
    "# @weight 0",
    "# @weight x",
    "# @users 5",
    "# @open",
    "# @nope",
    "// @duration 1s",
    "#@",
    "# @",
    "@a = 1",
    "@b = {{a}}",
    "@",
    "@ =",
    "@x",
    "GET /",
    "GET /{{a}}",
    "POST http://h/x",
    "GET /x HTTP/1.1",
    "/bare",
    "GET",
    "get /x HTTP/2",
    "Accept: */*",
    "X: {{b}}",
    "X: {{$uuid}}",
    "bad header",
    "{\"a\": 1}",
    "< ./payload.json",
    "< missing",
    "<",
    "{{",
    "}}",
    "{{$",
    "{{$randomInt 1 2}}",
    "{{$randomInt 2 1}}",
    "{{ a }}",
    "{{{a}}}",
    "\t",
    "\r",
    "é",
    "\u{feff}",
    "GET é",
    "#é",
    "@é = 1",
    "{{é}}",
    "### é",
    "PUT /x/{{$nope}}",
];

fn check(text: &str, base_dir: &Path) {
    match parse(text, "f.http", base_dir, &owned(&[("b", "v")])) {
        Ok(s) => {
            assert!(!s.tasks.is_empty());
            let lines = text.split('\n').count();
            for t in &s.tasks {
                assert!(t.weight >= 1);
                assert!((1..=lines).contains(&t.line), "{t:?}");
                assert!(!t.name.is_empty());
            }
            for d in &s.directives {
                assert!((1..=lines).contains(&d.line), "{d:?}");
            }
        }
        Err(e) => {
            assert!(!e.contains('\n'), "{e:?} for {text:?}");
            assert!(e.starts_with("f.http:"), "{e:?}");
        }
    }
}

#[test]
fn random_lines_never_panic() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("payload.json"), b"{}").unwrap();
    let mut rng = Rng::new(2024);
    for _ in 0..20_000 {
        let n = rng.between(0, 14) as usize;
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(FRAGMENTS[rng.between(0, FRAGMENTS.len() as u64 - 1) as usize]);
            text.push_str(if rng.between(0, 3) == 0 { "\r\n" } else { "\n" });
        }
        check(&text, &dir.0);
    }
}

#[test]
fn mutated_files_never_panic() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("payload.json"), b"{}").unwrap();
    let base: Vec<char> = SPEC_EXAMPLE.chars().collect();
    let extra: Vec<char> = "#@{}$<>/: \n\r=é\u{0}".chars().collect();
    let mut rng = Rng::new(7);
    for _ in 0..5_000 {
        let mut chars = base.clone();
        for _ in 0..rng.between(1, 6) {
            let at = rng.between(0, chars.len() as u64) as usize;
            match rng.between(0, 2) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => chars.insert(at, extra[rng.between(0, extra.len() as u64 - 1) as usize]),
                _ => {
                    let from = rng.between(0, base.len() as u64 - 1) as usize;
                    let len = rng.between(0, 20) as usize;
                    let piece: Vec<char> = base[from..(from + len).min(base.len())].to_vec();
                    chars.splice(at..at, piece);
                }
            }
        }
        check(&chars.into_iter().collect::<String>(), &dir.0);
    }
}
