//! One virtual user's state: the values it took from replies, and its
//! rows of the data files and its cookies. Kept by the worker beside the
//! user's slot, and only when the run's journey needs any (see
//! `Journey::is_empty`).

use super::capture::Captured;
use super::cookies::{CookieJar, CookieView};
use super::{Journey, Source};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Debug, Default)]
pub(crate) struct User {
    /// By value id; None until a reply gave it. The bytes are kept between
    /// requests (a value is read by every later request of the user).
    values: Vec<Option<Vec<u8>>>,
    /// By data set: the row its references read now (see `journey::rows`).
    rows: Vec<usize>,
    /// Empty unless the run keeps cookies (`Journey::cookies`).
    pub(crate) jar: CookieJar,
}

impl User {
    pub(crate) fn new(journey: &Journey) -> User {
        User {
            values: vec![None; journey.values.len()],
            rows: vec![0; journey.data.len()],
            jar: CookieJar::default(),
        }
    }

    pub(crate) fn has(&self, id: u16) -> bool {
        matches!(self.values.get(id as usize), Some(Some(_)))
    }

    /// Keep the cookies a reply set (its `Set-Cookie` values, `got`), the
    /// reply to a request to `target` (as the scenario writes it), when
    /// the run keeps cookies.
    pub(crate) fn keep_cookies(&mut self, journey: &Journey, target: &str, got: &Captured) {
        let Some(site) = &journey.cookies else {
            return;
        };
        // A value in the target (`{{...}}`) is not known here: a cookie
        // without a Path takes its default from the part before it.
        let target = target.split("{{").next().unwrap_or_default().as_bytes();
        let mut now = None;
        for value in got.header_values("set-cookie") {
            let now = *now.get_or_insert_with(unix_now);
            self.jar.store(site, target, value, now);
        }
    }

    /// Keep `bytes` as value `id`, reusing the buffer it had.
    pub(crate) fn set(&mut self, id: u16, bytes: &[u8]) {
        if let Some(slot) = self.values.get_mut(id as usize) {
            let value = slot.get_or_insert_with(Vec::new);
            value.clear();
            value.extend_from_slice(bytes);
        }
    }

    /// Data set `set`'s references read `row` from now on.
    #[inline]
    pub(crate) fn set_row(&mut self, set: usize, row: usize) {
        self.rows[set] = row;
    }

    /// A new user takes the slot: it starts with no values (its rows of the
    /// data files are the slot's).
    pub(crate) fn reset(&mut self) {
        self.values.iter_mut().for_each(|v| *v = None);
        self.jar.clear();
    }
}

/// A user, as a request's rendering sees it (see `Values`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct UserView<'a> {
    pub(crate) user: &'a User,
    pub(crate) journey: &'a Journey,
    /// Its cookies, when it has some: the request is rendered with them.
    pub(crate) cookies: Option<CookieView<'a>>,
}

impl<'a> UserView<'a> {
    /// `user` as its next request sees it in a run of `journey`. The clock
    /// is read only for a user with cookies.
    pub(crate) fn of(user: &'a User, journey: &'a Journey) -> UserView<'a> {
        let cookies = match &journey.cookies {
            Some(site) if !user.jar.is_empty() => Some(CookieView {
                jar: &user.jar,
                site,
                now: unix_now(),
            }),
            _ => None,
        };
        UserView {
            user,
            journey,
            cookies,
        }
    }

    /// Value `id`'s bytes: empty when the user has none, which the engine
    /// prevents by running the request that gives it first
    /// (`Journey::first_needed`).
    pub(crate) fn value(&self, id: u16) -> &[u8] {
        if let Some(&Source::Data { set, column }) = self.journey.values.get(id as usize) {
            return self.journey.data[set].field(self.user.rows[set], column);
        }
        self.user
            .values
            .get(id as usize)
            .and_then(|v| v.as_deref())
            .unwrap_or(&[])
    }
}

/// Seconds since the Unix epoch, as cookies count time.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
