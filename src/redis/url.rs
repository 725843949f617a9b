//! `redis://[[user]:password@]host[:port][/db]` and `rediss://` (TLS)
//! URLs, into the one `Url` type: where to connect, plus what each new
//! connection says first (`Login`).

use crate::http::url::{Url, split_host_port};

/// Redis's port, for both schemes.
pub(crate) const DEFAULT_PORT: u16 = 6379;

/// What a new connection sends before its first command.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Login {
    /// AUTH's user (ACLs, Redis 6+); None: the default user.
    pub user: Option<String>,
    pub password: Option<String>,
    /// SELECT's database, when the URL names one.
    pub db: Option<u32>,
    /// HELLO 3 (`--resp3`): replies in RESP3.
    pub resp3: bool,
}

/// Debug without the password: plans are printed in tests and panics.
impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "..."))
            .field("db", &self.db)
            .field("resp3", &self.resp3)
            .finish()
    }
}

/// `rest`: what follows `redis://` or `rediss://` in `text`.
pub(crate) fn parse(text: &str, tls: bool, rest: &str) -> Result<Url, String> {
    let err = |why: &str| Err(format!("bad URL {text:?}: {why}"));
    if rest
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return err("it contains whitespace or control characters");
    }
    if rest.contains(['?', '#']) {
        return err("a Redis URL takes no query or fragment (HELLO 3 is --resp3)");
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let mut login = Login::default();
    let host_port = match authority.rsplit_once('@') {
        None => authority,
        Some((userinfo, host_port)) => {
            let Some((user, password)) = userinfo.split_once(':') else {
                return err("give user:password@ or :password@ before the host");
            };
            let decode =
                |s: &str| percent_decode(s).map_err(|why| format!("bad URL {text:?}: {why}"));
            login.user = (!user.is_empty()).then(|| decode(user)).transpose()?;
            login.password = Some(decode(password)?);
            host_port
        }
    };
    let (host, port) = split_host_port(host_port, DEFAULT_PORT)
        .map_err(|why| format!("bad URL {text:?}: {why}"))?;
    if host.is_empty() {
        return err("missing host");
    }
    if !path.is_empty() {
        match path.parse::<u32>() {
            Ok(db) if path.bytes().all(|b| b.is_ascii_digit()) => login.db = Some(db),
            _ => return err("the path is the database number, e.g. redis://host:6379/2"),
        }
    }
    Ok(Url {
        tls,
        host,
        port,
        target: login.db.map_or(String::new(), |db| format!("/{db}")),
        redis: Some(login),
        custom: false,
    })
}

/// `%XX` escapes, as URLs write `@`, `:` and `/` in a password.
fn percent_decode(text: &str) -> Result<String, &'static str> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .ok_or("a % is not followed by two hex digits")?;
            let hex =
                std::str::from_utf8(hex).map_err(|_| "a % is not followed by two hex digits")?;
            let byte =
                u8::from_str_radix(hex, 16).map_err(|_| "a % is not followed by two hex digits")?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the user or password is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_shapes() {
        let u = Url::parse("redis://127.0.0.1").unwrap();
        assert_eq!((u.tls, u.port, u.target.as_str()), (false, 6379, ""));
        assert_eq!(u.redis, Some(Login::default()));
        assert_eq!(u.to_string(), "redis://127.0.0.1");
        let u = Url::parse("rediss://u:p%40ss@[::1]:7000/3").unwrap();
        assert_eq!((u.tls, u.host.as_str(), u.port), (true, "::1", 7000));
        let login = u.redis.clone().unwrap();
        assert_eq!(
            (login.user.as_deref(), login.password.as_deref(), login.db),
            (Some("u"), Some("p@ss"), Some(3))
        );
        assert_eq!(u.to_string(), "rediss://[::1]:7000/3", "no password shown");
        assert!(!format!("{u:?}").contains("p@ss"));
        let u = Url::parse("REDIS://:secret@h:1/").unwrap();
        let login = u.redis.unwrap();
        assert_eq!((login.user, login.password), (None, Some("secret".into())));
    }

    #[test]
    fn bad_ones_are_one_line_errors() {
        for (bad, why) in [
            ("redis://", "missing host"),
            ("redis://h:0", "port"),
            ("redis://h/x", "database number"),
            ("redis://h/-1", "database number"),
            ("redis://h?protocol=3", "--resp3"),
            ("redis://user@h", "user:password@"),
            ("redis://:p%4@h", "hex"),
            ("redis://h /", "whitespace"),
        ] {
            let e = Url::parse(bad).unwrap_err();
            assert!(e.contains(why) && !e.contains('\n'), "{bad}: {e}");
        }
    }
}
