//! An incremental RESP2/RESP3 reply parser. It takes bytes split at any
//! boundary and keeps O(depth) state: payloads are counted and skipped,
//! never stored (a 512 MB bulk string costs nothing but its count), so no
//! reply can make it buffer without bound. Nesting and lengths are capped;
//! anything malformed is an error, never a panic.
//!
//! What a reply is: one value, with any attributes (`|`) or out-of-band
//! pushes (`>`) before it counted in its bytes but not taken for it. The
//! reply is an error when that value is `-` (simple error) or `!` (blob
//! error); an error nested in an array (e.g. EXEC's) does not make one.

/// Aggregates nested deeper than this are refused (Redis nests a few levels).
const MAX_DEPTH: usize = 64;

/// The longest bulk string: Redis's `proto-max-bulk-len` is 512 MB by
/// default and can be raised; past 4 GiB, a length is a broken peer.
const MAX_BULK: u64 = 4 << 30;

/// The most elements in one aggregate (Redis caps its own at 2^32 - 1).
const MAX_ELEMENTS: u64 = u32::MAX as u64;

/// The longest line (simple string, error, number, double): none is
/// stored, but a line without an end is a broken peer.
const MAX_LINE: u32 = 64 << 10;

/// How much of an error's text is kept, for the one line that says why.
const MESSAGE_MAX: usize = 200;

/// Where the parser stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for a value's type byte.
    Type,
    /// Reading the line after the type byte, up to its CR.
    Line,
    /// The line's CR came; its LF must follow.
    LineLf,
    /// Skipping a bulk payload: this many bytes left.
    Payload(u64),
    /// The payload's CR, then its LF.
    PayloadCr,
    PayloadLf,
}

/// The number a length line holds, read digit by digit.
#[derive(Clone, Copy, Debug, Default)]
struct Number {
    negative: bool,
    digits: u32,
    value: u64,
}

#[derive(Debug)]
pub(crate) struct ReplyParser {
    state: State,
    /// The current value's type byte.
    kind: u8,
    number: Number,
    /// Bytes of the current line so far, after the type byte.
    line: u32,
    /// Elements each open aggregate still waits for, innermost last.
    stack: Vec<u64>,
    /// The top-level value in progress is an attribute or a push: the
    /// reply is the value after it.
    prelude: bool,
    /// The reply's value is an error.
    error: bool,
    /// A type byte of the reply's value has been seen.
    started: bool,
    /// Bytes of this reply taken so far.
    bytes: u64,
    /// The start of the reply's error text, when it is an error.
    message: Vec<u8>,
}

impl Default for ReplyParser {
    fn default() -> ReplyParser {
        ReplyParser::new()
    }
}

impl ReplyParser {
    pub(crate) fn new() -> ReplyParser {
        ReplyParser {
            state: State::Type,
            kind: 0,
            number: Number::default(),
            line: 0,
            stack: Vec::with_capacity(MAX_DEPTH),
            prelude: false,
            error: false,
            started: false,
            bytes: 0,
            message: Vec::new(),
        }
    }

    /// Get ready for the next reply.
    pub(crate) fn reset(&mut self) {
        self.state = State::Type;
        self.stack.clear();
        self.prelude = false;
        self.error = false;
        self.started = false;
        self.bytes = 0;
        self.message.clear();
    }

    /// Bytes of the current reply taken so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The reply's value is an error (`-` or `!`).
    pub(crate) fn is_error(&self) -> bool {
        self.error
    }

    /// Whether the reply's value has begun (its kind is known).
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// The start of the error's text (without `-`), for a reply that is one.
    pub(crate) fn message(&self) -> String {
        String::from_utf8_lossy(&self.message).into_owned()
    }

    /// Take bytes of the reply: `Some(consumed)` once it is complete
    /// (the bytes after `consumed` belong to what follows), `None` when
    /// every byte was taken and more are needed.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<Option<usize>, &'static str> {
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            match self.state {
                State::Type => {
                    i += 1;
                    self.begin(b)?;
                }
                State::Line => {
                    // Take the line's bytes up to its CR in one go.
                    let rest = &data[i..];
                    let end = rest.iter().position(|&c| c == b'\r').unwrap_or(rest.len());
                    for &c in &rest[..end] {
                        self.line_byte(c)?;
                    }
                    i += end;
                    if i < data.len() {
                        i += 1;
                        self.state = State::LineLf;
                    }
                }
                State::LineLf => {
                    i += 1;
                    if b != b'\n' {
                        return Err("a line's CR is not followed by LF");
                    }
                    if self.end_line()? && self.value_done() {
                        return Ok(Some(self.took(i)));
                    }
                }
                State::Payload(left) => {
                    let take = left.min((data.len() - i) as u64);
                    if self.error && self.stack.is_empty() {
                        let n = take as usize;
                        self.keep(&data[i..i + n]);
                    }
                    i += take as usize;
                    self.state = match left - take {
                        0 => State::PayloadCr,
                        left => State::Payload(left),
                    };
                }
                State::PayloadCr => {
                    i += 1;
                    if b != b'\r' {
                        return Err("a bulk string is longer than its length says");
                    }
                    self.state = State::PayloadLf;
                }
                State::PayloadLf => {
                    i += 1;
                    if b != b'\n' {
                        return Err("a bulk string's CR is not followed by LF");
                    }
                    self.state = State::Type;
                    if self.value_done() {
                        return Ok(Some(self.took(i)));
                    }
                }
            }
        }
        self.bytes += data.len() as u64;
        Ok(None)
    }

    fn took(&mut self, consumed: usize) -> usize {
        self.bytes += consumed as u64;
        consumed
    }

    /// A value's type byte.
    fn begin(&mut self, kind: u8) -> Result<(), &'static str> {
        if !b"+-:$*_#,(!=%~>|".contains(&kind) {
            return Err("not a RESP type byte");
        }
        if self.stack.is_empty() {
            self.prelude = matches!(kind, b'|' | b'>');
            if !self.prelude {
                self.started = true;
                self.error = matches!(kind, b'-' | b'!');
            }
        }
        self.kind = kind;
        self.number = Number::default();
        self.line = 0;
        self.state = State::Line;
        Ok(())
    }

    fn line_byte(&mut self, c: u8) -> Result<(), &'static str> {
        self.line += 1;
        if self.line > MAX_LINE {
            return Err("a line is too long");
        }
        if c == b'\n' {
            return Err("a line holds a bare LF");
        }
        let n = &mut self.number;
        match self.kind {
            b'+' => {}
            b'-' => {
                if self.stack.is_empty() {
                    self.keep(&[c]);
                }
            }
            b'_' => return Err("a null has text after it"),
            b'#' if self.line == 1 && (c == b't' || c == b'f') => {}
            b'#' => return Err("a boolean is not t or f"),
            b',' if c.is_ascii_alphanumeric() || b"+-.".contains(&c) => {}
            b',' => return Err("a double holds a bad character"),
            // Integers, big numbers and lengths: an optional `-`, digits.
            _ if c == b'-' && self.line == 1 => n.negative = true,
            b'(' | b':' if c == b'+' && self.line == 1 => {}
            _ if c.is_ascii_digit() => {
                n.digits += 1;
                if self.kind != b'(' {
                    if n.digits > 19 {
                        return Err("a number is too long");
                    }
                    n.value = n.value * 10 + u64::from(c - b'0');
                }
            }
            _ => return Err("a number holds a bad character"),
        }
        Ok(())
    }

    /// The line ended: start what it announces. True when it was a whole value.
    fn end_line(&mut self) -> Result<bool, &'static str> {
        self.state = State::Type;
        let n = self.number;
        let numeric = !matches!(self.kind, b'+' | b'-' | b'_' | b'#' | b',');
        if numeric && n.digits == 0 {
            return Err("a number has no digits");
        }
        match self.kind {
            b'#' if self.line != 1 => return Err("a boolean is not t or f"),
            b',' if self.line == 0 => return Err("a double is empty"),
            b'+' | b'-' | b'_' | b'#' | b',' | b':' | b'(' => {}
            b'$' | b'!' | b'=' => {
                if n.negative {
                    if self.kind == b'$' && n.value == 1 {
                        return Ok(true); // nil bulk string
                    }
                    return Err("a negative length other than $-1");
                }
                if n.value > MAX_BULK {
                    return Err("a bulk string is longer than 4 GiB");
                }
                if self.kind == b'=' && n.value < 4 {
                    return Err("a verbatim string has no format");
                }
                self.state = match n.value {
                    0 => State::PayloadCr,
                    len => State::Payload(len),
                };
                return Ok(false);
            }
            _ => {
                // Aggregates: * % ~ > |
                if n.negative {
                    if self.kind == b'*' && n.value == 1 {
                        return Ok(true); // nil array
                    }
                    return Err("a negative length other than *-1");
                }
                if n.value > MAX_ELEMENTS {
                    return Err("an aggregate has too many elements");
                }
                let count = match self.kind {
                    b'%' | b'|' => n.value * 2,
                    _ => n.value,
                };
                // An attribute takes no place in its aggregate: the value
                // after it does.
                if self.kind == b'|'
                    && let Some(parent) = self.stack.last_mut()
                {
                    *parent += 1;
                }
                if count == 0 {
                    return Ok(true);
                }
                if self.stack.len() == MAX_DEPTH {
                    return Err("aggregates are nested too deep");
                }
                self.stack.push(count);
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A value completed: true when that completes the reply.
    fn value_done(&mut self) -> bool {
        while let Some(left) = self.stack.last_mut() {
            *left -= 1;
            if *left > 0 {
                return false;
            }
            self.stack.pop();
        }
        if self.prelude {
            // An attribute or a push came first: the reply follows it.
            self.prelude = false;
            return false;
        }
        true
    }

    fn keep(&mut self, text: &[u8]) {
        let room = MESSAGE_MAX.saturating_sub(self.message.len());
        self.message
            .extend_from_slice(&text[..text.len().min(room)]);
    }
}

#[cfg(test)]
#[path = "reply_tests.rs"]
mod tests;
