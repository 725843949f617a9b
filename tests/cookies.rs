//! Each user's cookie jar, driven by the real binary: `stampede serve`'s
//! login and its session cookie, and Python's http.server setting cookies
//! with Path, Max-Age, Expires, Domain and Secure and logging the Cookie
//! header of every request it gets.

mod common;
use common::*;

/// The rows' statuses of one task.
fn statuses(rows: &[Row], task: &str) -> Vec<u16> {
    rows.iter()
        .filter(|r| r.task == task)
        .map(|r| r.status)
        .collect()
}

const LOGIN_THEN_ME: &str = "\
### login
POST /api/login
Content-Type: application/json

{\"user\": \"ann\", \"password\": \"pw-ann\"}

### me
GET /api/me
";

/// LOGIN_THEN_ME run against `base` by three users, 30 requests in all,
/// with `extra` flags: the statuses of the logins and of the /api/me.
fn login_then_me(name: &str, base: &str, extra: &[&str]) -> (Vec<u16>, Vec<u16>) {
    let file = scenario(&format!("{name}-file"), LOGIN_THEN_ME);
    let mut args = vec!["-f", &file, "--host", base, "--sequence", "-c", "3"];
    args.extend(["-n", "30"]);
    args.extend(extra);
    let (out, rows, _) = run_recorded_args(name, &args);
    assert_eq!(out.code, 0, "{name}: {}", out.stderr);
    assert_eq!(rows.len(), 30, "{name}");
    // Each user logs in first, then alternates; -n shares the 30 requests
    // among the users as they come.
    let (logins, mes) = (statuses(&rows, "login"), statuses(&rows, "me"));
    assert!(mes.len() >= 10, "{name}: {mes:?}");
    assert!(logins.iter().all(|&s| s == 200), "{name}: {logins:?}");
    (logins, mes)
}

#[test]
fn the_session_cookie_of_a_login_lets_the_user_in() {
    let (serve, base) = start_serve();
    let (_, mes) = login_then_me("cookies-on", &base, &[]);
    assert!(mes.iter().all(|&s| s == 200), "{mes:?}");
    let (_, mes) = login_then_me("cookies-off", &base, &["--no-cookies"]);
    assert!(mes.iter().all(|&s| s == 401), "{mes:?}");
    assert_eq!(stop_serve(serve).requests, 60);
}

/// Over https, serve's session cookie is `Secure`: it goes back all the same.
#[test]
fn a_secure_cookie_goes_back_over_https() {
    let pki = tls::Pki::new(&scratch("cookies-tls-pki"));
    let (serve, base) = start_serve_tls(&pki, &[]);
    let ca = pki.ca.to_str().unwrap();
    let (_, mes) = login_then_me("cookies-tls", &base, &["--cacert", ca]);
    assert!(mes.iter().all(|&s| s == 200), "{mes:?}");
    assert_eq!(stop_serve(serve).requests, 30);
}

/// Sets cookies on `/set`, deletes `plain` on `/forget`, and writes each
/// request's path and Cookie header (or `-`) to the file `sys.argv[1]`.
const COOKIE_SERVER: &str = r#"
import http.server, sys
log = open(sys.argv[1], "a", buffering=1)
SET = [
    "plain=1",
    "scoped=2; Path=/scoped",
    "gone=3; Max-Age=0",
    "secret=4; Secure",
    "lasting=5; Max-Age=3600; HttpOnly; SameSite=Lax",
    "old=6; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    "foreign=7; Domain=example.com",
    "dated=8; Expires=Fri, 31 Dec 9999 23:59:59 GMT; Path=/scoped/",
]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        log.write("%s %s\n" % (self.path, self.headers.get("Cookie", "-")))
        self.send_response(200)
        if self.path == "/set":
            for cookie in SET:
                self.send_header("Set-Cookie", cookie)
        if self.path == "/forget":
            self.send_header("Set-Cookie", "plain=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
        self.send_header("Content-Length", "0")
        self.end_headers()
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port", s.server_address[1], flush=True)
s.serve_forever()
"#;

const VISITS: &str = "\
### set
GET /set

### scoped
GET /scoped/page

### other
GET /other?x=/scoped/

### forget
GET /forget

### after
GET /other
";

/// What the Python server logged for one user going through VISITS once.
fn python_log(name: &str, extra: &[&str]) -> Vec<String> {
    // run_recorded_args empties `name`'s scratch directory.
    let log = scratch(&format!("{name}-log")).join("cookies.log");
    let (_python, base) = start_python_script(COOKIE_SERVER, &[log.to_str().unwrap()]);
    let file = scenario(&format!("{name}-file"), VISITS);
    let mut args = vec![
        "-f",
        &file,
        "--host",
        &base,
        "--sequence",
        "-c",
        "1",
        "-n",
        "5",
    ];
    args.extend(extra);
    let (out, rows, _) = run_recorded_args(name, &args);
    assert_eq!(out.code, 0, "{name}: {}", out.stderr);
    assert!(rows.iter().all(|r| r.status == 200), "{rows:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    text.lines().map(str::to_string).collect()
}

#[test]
fn a_browsers_rules_for_path_expiry_domain_and_secure() {
    assert_eq!(
        python_log("cookies-python", &[]),
        [
            "/set -",
            "/scoped/page dated=8; scoped=2; plain=1; lasting=5",
            "/other?x=/scoped/ plain=1; lasting=5",
            "/forget plain=1; lasting=5",
            "/other lasting=5",
        ]
    );
    let off = python_log("cookies-python-off", &["--no-cookies"]);
    assert_eq!(
        off,
        [
            "/set -",
            "/scoped/page -",
            "/other?x=/scoped/ -",
            "/forget -",
            "/other -"
        ]
    );
}
