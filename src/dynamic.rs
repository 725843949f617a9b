//! Dynamic values (`{{$randomInt 1 100}}`, `{{$uuid}}`, `{{$timestamp}}`)
//! for protocols outside the crate: a public face over `http::template`,
//! the one parser and renderer HTTP and Redis use, and over the worker's
//! random numbers, which stay opaque.

use crate::journey::UserView;
use crate::journey::cookies::CookieView;
use crate::rng::Rng;

/// Text with dynamic values, parsed once and rendered per request:
/// `{{$randomInt MIN MAX}}` (inclusive), `{{$uuid}}` (also `{{$guid}}`)
/// and `{{$timestamp}}` (Unix seconds), as in HTTP requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template(crate::http::template::Template);

impl Template {
    /// Parse `text`; an unknown `{{$name}}` or bad arguments is an error,
    /// in one line, fit for `stampede: ...`.
    pub fn parse(text: &str) -> Result<Template, String> {
        crate::http::template::Template::parse(text.as_bytes()).map(Template)
    }

    /// The text, when it holds no dynamic value: every render is the
    /// same, so a protocol can encode the request once, in `prepare`.
    pub fn fixed(&self) -> Option<&[u8]> {
        self.0.literal()
    }

    /// Append the text, with fresh dynamic values, to `out`. Allocates
    /// nothing but `out` growing.
    #[inline]
    pub fn render(&self, values: &mut Values<'_>, out: &mut Vec<u8>) {
        self.0.render(values, out);
    }
}

/// Where dynamic values come from: the worker's own random numbers, lent
/// to `Protocol::render` for one request, and the state of the user who
/// sends it (values from earlier replies), when the scenario has any.
pub struct Values<'a> {
    rng: &'a mut Rng,
    user: Option<UserView<'a>>,
}

impl Values<'_> {
    /// Values drawn from `seed`, for the length of `f`: for a protocol's
    /// own tests, outside a run.
    pub fn with_seed<R>(seed: u64, f: impl FnOnce(&mut Values<'_>) -> R) -> R {
        f(&mut Values::new(&mut Rng::new(seed)))
    }
}

impl<'a> Values<'a> {
    pub(crate) fn new(rng: &'a mut Rng) -> Values<'a> {
        Values { rng, user: None }
    }

    /// Values for a request of `user`.
    pub(crate) fn of_user(rng: &'a mut Rng, user: Option<UserView<'a>>) -> Values<'a> {
        Values { rng, user }
    }

    pub(crate) fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    /// Value `id` of the user sending the request (see `journey`); empty
    /// outside a journey.
    pub(crate) fn user_value(&self, id: u16) -> &[u8] {
        self.user.as_ref().map_or(&[], |u| u.value(id))
    }

    /// The cookies of the user sending the request, when it has some.
    pub(crate) fn cookies(&self) -> Option<CookieView<'a>> {
        self.user.as_ref().and_then(|u| u.cookies)
    }

    /// The request must be rendered for this user, not written from the
    /// bytes its protocol encoded once: the user's cookies go in it.
    pub(crate) fn forces_render(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.cookies.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_http_templates() {
        let t = Template::parse("k:{{$randomInt 5 5}}").unwrap();
        assert_eq!(t.fixed(), None);
        let mut out = Vec::new();
        Values::with_seed(1, |values| t.render(values, &mut out));
        assert_eq!(out, b"k:5");
        assert_eq!(
            Template::parse("plain").unwrap().fixed(),
            Some(&b"plain"[..])
        );
        assert_eq!(Template::parse("").unwrap().fixed(), Some(&b""[..]));
        assert!(Template::parse("{{$nope}}").unwrap_err().contains("nope"));
    }
}
