//! A memcached reply, parsed as it arrives, one line at a time.

/// The status of an answer, and of an error reply.
pub(crate) const STATUS_OK: u16 = 200;
pub(crate) const STATUS_ERROR: u16 = 500;
/// The longest reply line we wait for (a key is at most 250 bytes): a
/// longer one is not memcached, and must not grow memory.
pub(crate) const LINE_MAX: usize = 1024;

/// A connection's reply, parsed as it arrives: one line at a time, and a
/// data block counted, never kept.
#[derive(Default)]
pub(crate) struct Reply {
    /// The current line so far, up to `LINE_MAX`.
    pub(crate) line: Vec<u8>,
    /// Bytes of a data block still to come.
    pub(crate) data_left: u64,
    /// A data block ended: the next line must be empty (its `\r\n`).
    pub(crate) block_end: bool,
    /// A `VALUE` came: only another or `END` may follow.
    pub(crate) in_values: bool,
    /// Every byte taken for the current reply, the login's reply too.
    pub(crate) taken: u64,
    /// The login's reply comes first: the request opened the connection.
    pub(crate) greeting: bool,
    /// The bytes of the login's reply, not the request's own.
    pub(crate) greeting_bytes: u64,
    /// memcached's words when it refused the login.
    pub(crate) refusal: Option<String>,
}

/// What a complete line does to the reply.
pub(crate) enum Line {
    More,
    Done(u16),
    Bad,
    /// The login was accepted: the request's reply follows.
    LoggedIn,
    /// The login was refused.
    Refused,
}

impl Reply {
    pub(crate) fn line(&mut self) -> Line {
        let Some(text) = self.line.strip_suffix(b"\r\n") else {
            return Line::Bad;
        };
        if std::mem::take(&mut self.greeting) {
            if text == b"STORED" {
                return Line::LoggedIn;
            }
            // One line for the summary, whatever the server sent.
            let words = String::from_utf8_lossy(text).replace(|c: char| c.is_control(), " ");
            self.refusal = Some(words);
            return Line::Refused;
        }
        if std::mem::take(&mut self.block_end) {
            return if text.is_empty() {
                Line::More
            } else {
                Line::Bad
            };
        }
        if text == b"END" {
            return Line::Done(STATUS_OK);
        }
        if let Some(rest) = text.strip_prefix(b"VALUE ") {
            // VALUE <key> <flags> <bytes> [<cas unique>]
            let length = rest.split(|&b| b == b' ').nth(2);
            let length = length.and_then(|l| std::str::from_utf8(l).ok()?.parse().ok());
            let Some(length) = length else {
                return Line::Bad;
            };
            self.data_left = length;
            self.block_end = true;
            self.in_values = true;
            return Line::More;
        }
        if self.in_values {
            return Line::Bad;
        }
        match text {
            b"STORED" | b"NOT_STORED" | b"EXISTS" | b"NOT_FOUND" => Line::Done(STATUS_OK),
            b"ERROR" => Line::Done(STATUS_ERROR),
            _ if text.starts_with(b"CLIENT_ERROR") || text.starts_with(b"SERVER_ERROR") => {
                Line::Done(STATUS_ERROR)
            }
            _ => Line::Bad,
        }
    }
}
