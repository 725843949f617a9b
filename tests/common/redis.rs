//! Debian's redis-server, started by a test on a free port, and a tiny
//! inline-command client to set keys up and read them back.

use super::{Proc, free_port, scratch};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

/// redis-server on 127.0.0.1, no persistence; `conf` is more config text
/// (e.g. `requirepass secret`; `{port}` stands for the port, and a later
/// line wins), passed as a config file on its command line. `None` (with a note) when it is not installed, unless
/// STAMPEDE_REQUIRE_REDIS is set, as .ci/run does.
pub fn start_redis(name: &str, conf: &str) -> Option<(Proc, u16)> {
    let Some(server) = ["/usr/bin/redis-server", "/usr/sbin/redis-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        assert!(
            std::env::var_os("STAMPEDE_REQUIRE_REDIS").is_none(),
            "redis-server is required here but not installed"
        );
        eprintln!("SKIP: redis-server is not installed (apt-get install redis-server)");
        return None;
    };
    let dir = scratch(&format!("redis-{name}"));
    // A port free when picked may be taken before redis-server binds it
    // (another test, or a connect to it that bound it as its own port):
    // then it exits, and another port is tried.
    for _ in 0..5 {
        let port = free_port();
        let conf_path = dir.join("redis.conf");
        let text = format!(
            "port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndaemonize no\ndir {}\n",
            dir.display()
        ) + &conf.replace("{port}", &port.to_string());
        std::fs::write(&conf_path, text).unwrap();
        let child = Command::new(server)
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let mut proc = Proc(child);
        if listening_while_alive(&mut proc, port) {
            return Some((proc, port));
        }
    }
    panic!("redis-server did not start on any of 5 free ports");
}

/// Wait until `port` takes connections from another socket than the one
/// connecting (see `wait_for_port`) while `proc` runs; false if it exits.
fn listening_while_alive(proc: &mut Proc, port: u16) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if proc.0.try_wait().unwrap().is_some() {
            return false;
        }
        let ours = TcpStream::connect(("127.0.0.1", port))
            .is_ok_and(|s| s.local_addr().ok() != s.peer_addr().ok());
        if ours && proc.0.try_wait().unwrap().is_none() {
            return true;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "redis-server not listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Send inline commands (one a line) and read until `replies` replies of
/// one line each have come; returns them without their CRLF.
pub fn redis_lines(port: u16, commands: &[&str], replies: usize) -> Vec<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for c in commands {
        s.write_all(format!("{c}\r\n").as_bytes()).unwrap();
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.iter().filter(|&&b| b == b'\n').count() < replies {
        let n = s.read(&mut buf).expect("redis answered in time");
        assert!(n > 0, "redis closed the connection");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got)
        .unwrap()
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}
