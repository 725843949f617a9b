//! Redis as a protocol: commands encoded as RESP arrays, replies of every
//! RESP2 and RESP3 type parsed incrementally.

pub(crate) mod command;
pub(crate) mod protocol;
pub(crate) mod reply;
pub(crate) mod url;
