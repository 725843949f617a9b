//! One virtual user's state: the values it took from replies. Kept by the
//! worker beside the user's slot, and only when the run's journey needs
//! any (see `Journey::is_empty`).

use super::Journey;

#[derive(Clone, Debug, Default)]
pub(crate) struct User {
    /// By value id; None until a reply gave it. The bytes are kept between
    /// requests (a value is read by every later request of the user).
    values: Vec<Option<Vec<u8>>>,
}

impl User {
    pub(crate) fn new(journey: &Journey) -> User {
        User {
            values: vec![None; journey.values.len()],
        }
    }

    pub(crate) fn has(&self, id: u16) -> bool {
        matches!(self.values.get(id as usize), Some(Some(_)))
    }

    /// A new user takes the slot: it starts with nothing.
    pub(crate) fn reset(&mut self) {
        self.values.iter_mut().for_each(|v| *v = None);
    }
}

/// A user, as a request's rendering sees it (see `Values`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct UserView<'a> {
    pub(crate) user: &'a User,
}

impl UserView<'_> {
    /// Value `id`'s bytes: empty when the user has none, which the engine
    /// prevents by running the request that gives it first
    /// (`Journey::first_needed`).
    pub(crate) fn value(&self, id: u16) -> &[u8] {
        self.user
            .values
            .get(id as usize)
            .and_then(|v| v.as_deref())
            .unwrap_or(&[])
    }
}
