//! The live web dashboard (`run --dashboard`): a small HTTP server on its
//! own thread, showing the same Rust-rendered SVG charts and tables as
//! `report --html`, refreshed from the recorder's snapshots once a second.

pub(crate) mod host;
mod linger;
pub(crate) mod live;
pub(crate) mod page;
pub(crate) mod server;

pub(crate) use linger::linger;
pub(crate) use live::{Live, SharedLive};
pub(crate) use server::Dashboard;
