//! One `Set-Cookie` header value, read as RFC 6265 section 5.2 says a
//! user agent reads it: `name=value` up to the first `;`, then attributes
//! whose names are case-insensitive, the last of each name winning, and
//! those it does not know (SameSite, Priority, ...) ignored. Nothing here
//! fails: a value that is not a cookie is None, an attribute that does not
//! parse is left out.
//!
//! Two rules come from RFC 6265bis, what browsers do today, because they
//! bound what a server can make a user hold and send: a value holding a
//! control character (but tab) is not a cookie, nor one whose name and value
//! pass [`MAX_COOKIE_BYTES`]; a `Domain` or `Path` longer than
//! [`MAX_ATTRIBUTE_BYTES`] is left out.

use super::date;

/// The most bytes of a cookie's name and value together; a larger one is
/// dropped whole.
pub(super) const MAX_COOKIE_BYTES: usize = 4096;
/// The most bytes of a `Domain` or `Path` value; a longer one is ignored.
pub(super) const MAX_ATTRIBUTE_BYTES: usize = 1024;

/// The expiry of a cookie that `Max-Age=0` (or less) deletes: before any
/// clock.
pub(super) const EXPIRED: i64 = i64::MIN;

/// A `Set-Cookie` value, its parts borrowed from it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SetCookie<'a> {
    pub(super) name: &'a [u8],
    pub(super) value: &'a [u8],
    /// Seconds since the Unix epoch after which it is gone; None: it lasts
    /// as long as the user (a session cookie).
    pub(super) expires: Option<i64>,
    /// The `Domain` attribute, its leading dot taken off (not yet lower
    /// case). None: the cookie is for the request's host only.
    pub(super) domain: Option<&'a [u8]>,
    /// The `Path` attribute when it starts with `/`; None: the request's
    /// default path.
    pub(super) path: Option<&'a [u8]>,
    /// Sent over https only.
    pub(super) secure: bool,
}

impl<'a> SetCookie<'a> {
    /// Read `text`, received at `now` (seconds since the Unix epoch).
    pub(super) fn parse(text: &'a [u8], now: i64) -> Option<SetCookie<'a>> {
        if text.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
            return None;
        }
        let mut parts = text.split(|&b| b == b';');
        let pair = parts.next()?;
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (name, value) = (trim(&pair[..eq]), trim(&pair[eq + 1..]));
        if name.is_empty() || name.len() + value.len() > MAX_COOKIE_BYTES {
            return None;
        }
        let mut cookie = SetCookie {
            name,
            value,
            expires: None,
            domain: None,
            path: None,
            secure: false,
        };
        let (mut max_age, mut expires) = (None, None);
        for attribute in parts {
            let (key, value) = match attribute.iter().position(|&b| b == b'=') {
                Some(eq) => (trim(&attribute[..eq]), trim(&attribute[eq + 1..])),
                None => (trim(attribute), &b""[..]),
            };
            let is = |name: &str| key.eq_ignore_ascii_case(name.as_bytes());
            if is("expires") {
                expires = date::parse(value).or(expires);
            } else if is("max-age") {
                max_age = delta_seconds(value).or(max_age);
            } else if is("domain") {
                if !value.is_empty() && value.len() <= MAX_ATTRIBUTE_BYTES {
                    cookie.domain = Some(value.strip_prefix(b".").unwrap_or(value));
                }
            } else if is("path") {
                if value.len() <= MAX_ATTRIBUTE_BYTES {
                    cookie.path = value.starts_with(b"/").then_some(value);
                }
            } else if is("secure") {
                cookie.secure = true;
            }
            // HttpOnly keeps a cookie from page scripts, which a load test
            // has none of; SameSite and the rest are about sites a browser
            // moves between, and a run has one.
        }
        cookie.expires = match max_age {
            Some(delta) if delta <= 0 => Some(EXPIRED),
            Some(delta) => Some(now.saturating_add(delta)),
            None => expires,
        };
        Some(cookie)
    }
}

/// `Max-Age`'s value: an optional `-` and digits (a huge number saturates).
fn delta_seconds(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix(b"-") {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |n, &d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// Without the spaces and tabs around it.
fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
#[path = "set_cookie_tests.rs"]
mod tests;
