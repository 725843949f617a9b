//! HTTP/1.1 on the wire: URLs, requests encoded once, responses parsed incrementally.

pub(crate) mod protocol;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod status;
pub(crate) mod template;
pub(crate) mod url;
