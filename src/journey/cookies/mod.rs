//! A virtual user's cookies, kept as a browser keeps them for one site
//! (RFC 6265 sections 5.3 and 5.4): `Set-Cookie` from every reply is
//! stored by name, domain and path, replacing the one it names again and
//! deleting it when it comes expired; each request gets the `Cookie:`
//! header of the cookies whose domain, path and `Secure` fit it and that
//! have not expired, the longest paths first, then the oldest.
//!
//! Bounds, so that no server can make a user hold much: a cookie's name
//! and value take at most [`MAX_COOKIE_BYTES`](set_cookie::MAX_COOKIE_BYTES) (a larger one is dropped),
//! and a jar holds at most [`MAX_COOKIES`]: a new cookie in a full jar
//! first drops the expired ones, then the one least recently set or sent
//! (the oldest of those sent together).
//! There is no public-suffix list: a run talks to one host, whose own
//! domain and its parents are all accepted as `Domain`.
//!
//! The clock is passed in (seconds since the Unix epoch), so that the
//! tests can set it.

mod date;
pub(crate) mod header;
mod matching;
mod set_cookie;

use matching::{default_path, domain_match, path_match};
use set_cookie::SetCookie;
use std::cell::Cell;
use std::net::IpAddr;

/// The most cookies one user holds.
pub(crate) const MAX_COOKIES: usize = 50;

/// The host a run's requests go to, as cookies see it: in lower case,
/// without a port, and whether it is an IP address (which matches no
/// `Domain` but itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Site {
    host: Box<[u8]>,
    is_ip: bool,
    /// The requests go over https: `Secure` cookies go with them.
    https: bool,
}

impl Site {
    /// `host` as a URL gives it (an IPv6 address with or without its
    /// brackets).
    pub(crate) fn new(host: &str, https: bool) -> Site {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Site {
            host: host.to_ascii_lowercase().into_bytes().into(),
            is_ip: host.parse::<IpAddr>().is_ok(),
            https,
        }
    }
}

/// One stored cookie.
#[derive(Clone, Debug)]
struct Cookie {
    name: Box<[u8]>,
    value: Box<[u8]>,
    /// Lower case, without a leading dot.
    domain: Box<[u8]>,
    /// No `Domain` was given: only the very host that set it gets it.
    host_only: bool,
    path: Box<[u8]>,
    /// Seconds since the Unix epoch; `i64::MAX` for a session cookie.
    expires: i64,
    secure: bool,
    /// When it was first set (replacing it keeps this), in the jar's ticks.
    created: u64,
    /// When it was last set or sent, in the jar's ticks: the one least
    /// recently used leaves a full jar.
    used: Cell<u64>,
}

impl Cookie {
    fn goes_to(&self, site: &Site, target: &[u8]) -> bool {
        let domain_fits = if self.host_only {
            *self.domain == *site.host
        } else {
            domain_match(&site.host, &self.domain, site.is_ip)
        };
        domain_fits && path_match(target, &self.path) && (site.https || !self.secure)
    }

    /// The order of the Cookie header: the longer paths first, then the
    /// older.
    fn order(&self) -> (std::cmp::Reverse<usize>, u64) {
        (std::cmp::Reverse(self.path.len()), self.created)
    }
}

/// One user's cookies. Empty, it costs one branch per request.
#[derive(Clone, Debug, Default)]
pub(crate) struct CookieJar {
    /// In the Cookie header's order (`Cookie::order`).
    cookies: Vec<Cookie>,
    /// A counter for `created` and `used`: an order, not a time. A Cell,
    /// as `used` is, so that a request's rendering, which only reads the
    /// user, marks what it sent.
    tick: Cell<u64>,
}

/// The cookies of a jar that go with one request: a bit per cookie, in
/// the jar's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Chosen(u64);

const _: () = assert!(MAX_COOKIES <= 64, "a cookie per bit of `Chosen`");

impl Chosen {
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl CookieJar {
    /// Whether it holds no cookie: a request then goes as it was encoded.
    pub(crate) fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// A user starts over: no cookies.
    pub(crate) fn clear(&mut self) {
        self.cookies.clear();
    }

    fn next_tick(&self) -> u64 {
        self.tick.set(self.tick.get() + 1);
        self.tick.get()
    }

    /// Take one `Set-Cookie` header value, from the reply to a request to
    /// `target` (its path and query) on `site`, received at `now` (seconds
    /// since the Unix epoch). What is not a cookie, or names a `Domain`
    /// that is not the site's, is ignored.
    pub(crate) fn store(&mut self, site: &Site, target: &[u8], set_cookie: &[u8], now: i64) {
        let Some(parsed) = SetCookie::parse(set_cookie, now) else {
            return;
        };
        let (domain, host_only) = match parsed.domain {
            Some(domain) if !domain.is_empty() => {
                let domain = domain.to_ascii_lowercase();
                if !domain_match(&site.host, &domain, site.is_ip) {
                    return;
                }
                (domain.into_boxed_slice(), false)
            }
            _ => (site.host.clone(), true),
        };
        let path = parsed.path.unwrap_or_else(|| default_path(target));
        let tick = self.next_tick();
        let mut created = tick;
        if let Some(old) = self
            .cookies
            .iter()
            .position(|c| *c.name == *parsed.name && c.domain == domain && *c.path == *path)
        {
            created = self.cookies.remove(old).created;
        }
        self.cookies.retain(|c| c.expires > now);
        let expires = parsed.expires.unwrap_or(i64::MAX);
        if expires <= now {
            // An expired cookie deletes its namesake and is not kept.
            return;
        }
        if self.cookies.len() >= MAX_COOKIES
            && let Some(stalest) = (0..self.cookies.len())
                .min_by_key(|&i| (self.cookies[i].used.get(), self.cookies[i].created))
        {
            self.cookies.remove(stalest);
        }
        let cookie = Cookie {
            name: parsed.name.into(),
            value: parsed.value.into(),
            domain,
            host_only,
            path: path.into(),
            expires,
            secure: parsed.secure,
            created,
            used: Cell::new(tick),
        };
        let at = self
            .cookies
            .partition_point(|c| c.order() <= cookie.order());
        self.cookies.insert(at, cookie);
    }

    /// The cookies that go with a request to `target` (its path and
    /// query) on `site` at `now`.
    pub(crate) fn choose(&self, site: &Site, target: &[u8], now: i64) -> Chosen {
        let mut chosen = 0;
        for (i, cookie) in self.cookies.iter().enumerate() {
            if cookie.expires > now && cookie.goes_to(site, target) {
                chosen |= 1 << i;
            }
        }
        Chosen(chosen)
    }

    /// Append the `Cookie` header's value for the `chosen` cookies to
    /// `out` (`a=1; b=2`), and mark them used.
    pub(crate) fn write(&self, chosen: Chosen, out: &mut Vec<u8>) {
        let tick = self.next_tick();
        let mut first = true;
        for (i, cookie) in self.cookies.iter().enumerate() {
            if chosen.0 & (1 << i) == 0 {
                continue;
            }
            if !first {
                out.extend_from_slice(b"; ");
            }
            first = false;
            out.extend_from_slice(&cookie.name);
            out.push(b'=');
            out.extend_from_slice(&cookie.value);
            cookie.used.set(tick);
        }
    }
}

/// A user's cookies as the rendering of one of its requests sees them:
/// its jar, the run's site, and the time it is sent (seconds since the
/// Unix epoch).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CookieView<'a> {
    pub(crate) jar: &'a CookieJar,
    pub(crate) site: &'a Site,
    pub(crate) now: i64,
}

#[cfg(test)]
mod tests;
