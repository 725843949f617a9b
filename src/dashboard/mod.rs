//! The live web dashboard (`run --dashboard`): a small HTTP server on its
//! own thread, showing the same Rust-rendered SVG charts and tables as
//! `report --html`, refreshed from the recorder's snapshots once a second.

pub(crate) mod host;
mod linger;
pub mod live;
pub mod page;
pub mod server;

pub use linger::linger;
pub use live::{Live, SharedLive};
pub use server::Dashboard;
