//! HTTP/1.1 on the wire: URLs, requests encoded once, responses parsed incrementally.

pub mod request;
pub mod response;
pub(crate) mod status;
pub mod template;
pub mod url;
