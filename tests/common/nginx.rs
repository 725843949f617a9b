//! nginx from Debian's packages, started by a test on a free port, and
//! its access log read back to count what a client did.

use super::{Proc, free_port, scratch, wait_for_port};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// nginx from Debian's packages, one worker, on a free port. `None` (with a
/// note) when nginx is not installed, unless STAMPEDE_REQUIRE_NGINX is set,
/// as .ci/run does, so that CI can never skip it silently.
pub fn start_nginx(name: &str) -> Option<(Proc, String)> {
    let (proc, port, _) = start_nginx_with(name, "", "", "")?;
    Some((proc, format!("http://127.0.0.1:{port}")))
}

/// nginx as `start_nginx`, with more text on its `listen` line (`ssl`), in
/// its `http` block and in its `server` block. Returns the port and the
/// scratch directory, where `access.log` is when `http` turns it on.
pub fn start_nginx_with(
    name: &str,
    listen: &str,
    http: &str,
    server: &str,
) -> Option<(Proc, u16, PathBuf)> {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(nginx) = nginx else {
        assert!(
            std::env::var_os("STAMPEDE_REQUIRE_NGINX").is_none(),
            "nginx is required here but not installed"
        );
        eprintln!("SKIP: nginx is not installed (apt-get install nginx-light)");
        return None;
    };
    let dir = scratch(&format!("nginx-{name}"));
    let port = free_port();
    let conf = format!(
        r#"worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir};
  proxy_temp_path {dir};
  fastcgi_temp_path {dir};
  uwsgi_temp_path {dir};
  scgi_temp_path {dir};
  {http}
  server {{
    listen 127.0.0.1:{port} {listen};
    location = /hello {{ default_type application/json; return 200 '{{"message":"hello from nginx"}}'; }}
    location = /missing {{ return 404; }}
    location = /close {{ keepalive_timeout 0; default_type text/plain; return 200 'bye'; }}
    {server}
  }}
}}
"#,
        dir = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(nginx)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-p")
        .arg(&dir)
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let proc = Proc(child);
    wait_for_port(port);
    Some((proc, port, dir))
}

/// An nginx `log_format` named `counted` (for `access_log PATH counted;`):
/// per request, its connection number, its number on that connection,
/// `r` when its TLS session was resumed, the protocol and the status.
pub const NGINX_LOG: &str = "log_format counted '$connection $connection_requests $ssl_session_reused $ssl_protocol $status';";

/// Per connection in nginx's `access.log` in `dir` (written with
/// `NGINX_LOG`): (requests, whether its TLS session was resumed).
pub fn nginx_connections(dir: &Path) -> std::collections::BTreeMap<u64, (u64, bool)> {
    let log = std::fs::read_to_string(dir.join("access.log")).unwrap_or_default();
    let mut by_conn = std::collections::BTreeMap::new();
    for line in log.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let entry = by_conn.entry(f[0].parse().unwrap()).or_insert((0, false));
        entry.0 += 1;
        entry.1 |= f[2] == "r";
    }
    by_conn
}
