//! One virtual user's state: the values it took from replies, and its
//! rows of the data files. Kept by the worker beside the user's slot, and
//! only when the run's journey needs any (see `Journey::is_empty`).

use super::{Journey, Source};

#[derive(Clone, Debug, Default)]
pub(crate) struct User {
    /// By value id; None until a reply gave it. The bytes are kept between
    /// requests (a value is read by every later request of the user).
    values: Vec<Option<Vec<u8>>>,
    /// By data set: the row its references read now (see `journey::rows`).
    rows: Vec<usize>,
}

impl User {
    pub(crate) fn new(journey: &Journey) -> User {
        User {
            values: vec![None; journey.values.len()],
            rows: vec![0; journey.data.len()],
        }
    }

    pub(crate) fn has(&self, id: u16) -> bool {
        matches!(self.values.get(id as usize), Some(Some(_)))
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
    }
}

/// A user, as a request's rendering sees it (see `Values`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct UserView<'a> {
    pub(crate) user: &'a User,
    pub(crate) journey: &'a Journey,
}

impl UserView<'_> {
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
