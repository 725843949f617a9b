//! The live dashboard in a real browser: headless Chromium (Debian's
//! package, installed by .ci/run) loads the page during and after a run.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Chromium, or None (with a note) when it is not installed, unless
/// STAMPEDE_REQUIRE_CHROMIUM is set, as .ci/run does.
fn chromium() -> Option<&'static str> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var_os("STAMPEDE_REQUIRE_CHROMIUM").is_none(),
            "chromium is required here but not installed"
        );
        eprintln!("SKIP: chromium is not installed (apt-get install chromium)");
    }
    found
}

/// The page's DOM after it loaded in headless Chromium.
fn load_page(browser: &str, url: &str, profile: &Path) -> String {
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let out = finish_within(child, Duration::from_secs(60));
    assert!(
        out.stdout.contains("<html"),
        "chromium loaded nothing: {}",
        out.stderr
    );
    out.stdout
}

/// `stampede run ARGS --dashboard 127.0.0.1:PORT`, once the page is listening.
fn run_with_dashboard(args: &[&str], port: u16) -> std::process::Child {
    run_with_dashboard_at(args, &format!("127.0.0.1:{port}"), port)
}

/// `stampede run ARGS --dashboard ADDR`, once the page listens on `port`.
fn run_with_dashboard_at(args: &[&str], addr: &str, port: u16) -> std::process::Child {
    let child = Command::new(BIN)
        .arg("run")
        .args(args)
        .args(["--dashboard", addr])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_port(port);
    child
}

/// Send one raw request to the page on `port`; the whole answer (the
/// server closes after it).
fn ask(port: u16, raw: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(raw.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// The figure after `<span>Requests</span>` in the page's header.
fn requests(dom: &str) -> u64 {
    let at = dom
        .find("<span>Requests</span><b>")
        .expect("a Requests figure")
        + "<span>Requests</span><b>".len();
    dom[at..]
        .split('<')
        .next()
        .unwrap()
        .parse()
        .expect("a number")
}

#[test]
fn the_page_shows_the_run_live_and_then_its_summary() {
    let Some(browser) = chromium() else { return };
    let (_s, base) = start_serve();
    let dir = scratch("dashboard");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let started = Instant::now();
    let run = run_with_dashboard(
        &[
            &format!("{base}/hello"),
            "-c",
            "4",
            "-d",
            "6s",
            "-q",
            "--no-out",
            "--dashboard-linger",
            "20s",
        ],
        port,
    );
    std::thread::sleep(Duration::from_millis(1500));

    let first = load_page(browser, &url, &dir.join("profile-1"));
    assert!(
        first.matches("<svg").count() >= 4,
        "the live charts are there"
    );
    for title in [
        "Requests per second",
        "Active users",
        "Latency over time",
        "Failures",
    ] {
        assert!(first.contains(title), "missing chart {title:?}");
    }
    assert!(first.contains("data-finished=\"0\"") && first.contains(">Stop</button>"));
    std::thread::sleep(Duration::from_secs(2));
    let second = load_page(browser, &url, &dir.join("profile-2"));
    assert!(
        requests(&second) > requests(&first),
        "the numbers advance: {} then {}",
        requests(&first),
        requests(&second)
    );

    // After the run (6 s), the page stays up for the linger and shows the summary.
    let done_by = started + Duration::from_secs(8);
    std::thread::sleep(done_by.saturating_duration_since(Instant::now()));
    let last = load_page(browser, &url, &dir.join("profile-3"));
    assert!(
        last.contains("data-finished=\"1\"") && last.contains("Run finished"),
        "the final state"
    );
    assert!(
        last.contains("Summary") && last.contains("Status codes"),
        "the final summary"
    );
    assert!(
        !last.contains(">Stop</button>"),
        "no Stop button once finished"
    );
    drop(Proc(run));
}

#[test]
fn the_stop_button_ends_the_run_like_ctrl_c() {
    let (_s, base) = start_serve();
    let port = free_port();
    let dir = scratch("dashboard-stop");
    let csv = dir.join("results.csv");
    let run = run_with_dashboard(
        &[
            &format!("{base}/delay/200"),
            "-c",
            "4",
            "-d",
            "30s",
            "-q",
            "-o",
            csv.to_str().unwrap(),
        ],
        port,
    );
    std::thread::sleep(Duration::from_millis(800));
    // What the button's form sends.
    let answer = ask(
        port,
        &format!(
            "POST /stop HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
             Content-Length: 0\r\n\r\n"
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    let out = finish_within(run, Duration::from_secs(20));
    assert_eq!(out.code, 130, "stopped like Ctrl-C: {}", out.stderr);
    // Drained: every request in flight finished, and the CSV is complete.
    let rows = read_csv(&csv);
    assert!(!rows.is_empty() && rows.iter().all(|r| r.status == 200 && r.error.is_empty()));
    assert_eq!(summary_figure(&out.stdout, "Requests"), rows.len() as u64);
}

#[test]
fn a_rebound_name_can_neither_read_the_page_nor_stop_the_run() {
    let (_s, base) = start_serve();
    let port = free_port();
    let args = [
        &format!("{base}/hello"),
        "-c",
        "2",
        "-d",
        "3s",
        "-q",
        "--no-out",
    ];
    let run = run_with_dashboard(&args, port);
    // What a page on evil.example sends once its name points at 127.0.0.1.
    let evil = format!("evil.example:{port}");
    let page = ask(port, &format!("GET / HTTP/1.1\r\nHost: {evil}\r\n\r\n"));
    assert!(page.starts_with("HTTP/1.1 421 "), "{page}");
    assert!(!page.contains("<html"), "{page}");
    let stop = format!(
        "POST /stop HTTP/1.1\r\nHost: {evil}\r\nOrigin: http://{evil}\r\nContent-Length: 0\r\n\r\n"
    );
    let answer = ask(port, &stop);
    assert!(answer.starts_with("HTTP/1.1 421 "), "{answer}");
    // Our own name in Host, but posted from that site's page.
    let stop = format!(
        "POST /stop HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://{evil}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let answer = ask(port, &stop);
    assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
    let page = ask(
        port,
        &format!("GET / HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"),
    );
    assert!(page.starts_with("HTTP/1.1 200 "), "{page}");
    let out = finish_within(run, Duration::from_secs(20));
    assert_eq!(out.code, 0, "the run was not stopped: {}", out.stderr);
}

#[test]
fn the_address_may_be_a_port_or_localhost() {
    let (_s, base) = start_serve();
    // The address, and the Host a browser then sends.
    for (form, host) in [
        ("PORT", "127.0.0.1:PORT"),
        ("localhost:PORT", "localhost:PORT"),
    ] {
        let port = free_port();
        let addr = form.replace("PORT", &port.to_string());
        let host = host.replace("PORT", &port.to_string());
        let args = [
            &format!("{base}/hello"),
            "-c",
            "1",
            "-d",
            "2s",
            "-q",
            "--no-out",
        ];
        let run = run_with_dashboard_at(&args, &addr, port);
        let page = ask(port, &format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n"));
        assert!(page.starts_with("HTTP/1.1 200 "), "{addr}: {page}");
        let out = finish_within(run, Duration::from_secs(20));
        assert_eq!(out.code, 0, "{addr}: {}", out.stderr);
        let at = format!("dashboard at http://127.0.0.1:{port}");
        assert!(out.stderr.contains(&at), "{addr}: {}", out.stderr);
    }
}
