//! Chunked transfer coding (RFC 9112 section 7.1), decoded byte by byte with
//! no buffering: only the framing is checked, the data is skipped.

use super::ParseError;

/// Longest chunk-size line accepted (size, extensions and line ending).
const MAX_CHUNK_LINE: usize = 4 * 1024;
/// Largest trailer section accepted (every trailer line and the empty line).
const MAX_TRAILERS: usize = 64 * 1024;
/// Most hex digits in a chunk size: 16 always fit in a u64.
const MAX_SIZE_DIGITS: u32 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// Reading the hex digits of a chunk size.
    Size,
    /// Skipping chunk extensions up to the end of the size line.
    Ext,
    /// Got CR after the size; LF must follow.
    SizeLf,
    /// Skipping `remaining` bytes of chunk data.
    Data,
    /// After chunk data: CRLF (or a bare LF) must follow.
    DataCr,
    /// Got CR after chunk data; LF must follow.
    DataLf,
    /// At the start of a trailer line (or of the final empty line).
    TrailerStart,
    /// Skipping a trailer field line up to its LF.
    TrailerLine,
    /// Got CR at the start of a trailer line: this is the final empty line.
    EndLf,
    /// The last chunk and the trailer section are complete.
    Done,
}

#[derive(Debug)]
pub(crate) struct Chunked {
    st: St,
    /// The chunk size being read, then the data bytes still to skip.
    remaining: u64,
    /// Hex digits read for the current chunk size.
    digits: u32,
    /// Bytes of the current size line.
    line: usize,
    /// Bytes of the trailer section so far.
    trailers: usize,
}

impl Chunked {
    pub(crate) fn new() -> Self {
        Chunked {
            st: St::Size,
            remaining: 0,
            digits: 0,
            line: 0,
            trailers: 0,
        }
    }

    pub(super) fn reset(&mut self) {
        *self = Self::new();
    }

    fn next_chunk(&mut self) {
        self.st = St::Size;
        self.remaining = 0;
        self.digits = 0;
        self.line = 0;
    }

    /// The size line ended: data follows, or the trailers after the last chunk.
    fn end_size_line(&mut self) {
        if self.remaining == 0 {
            self.st = St::TrailerStart;
            self.trailers = 0;
        } else {
            self.st = St::Data;
        }
    }

    fn count_line(&mut self, n: usize) -> Result<(), ParseError> {
        self.line = self.line.saturating_add(n);
        if self.line > MAX_CHUNK_LINE {
            return Err(ParseError("chunk size line over 4 KiB"));
        }
        Ok(())
    }

    fn count_trailers(&mut self, n: usize) -> Result<(), ParseError> {
        self.trailers = self.trailers.saturating_add(n);
        if self.trailers > MAX_TRAILERS {
            return Err(ParseError("chunked trailer section over 64 KiB"));
        }
        Ok(())
    }

    /// Consumes bytes of `data`. Returns how many were used and whether the
    /// body is complete; when it is not, all of `data` was used.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<(usize, bool), ParseError> {
        self.feed_with(data, |_| {})
    }

    /// [`Self::feed`], handing each run of chunk data to `on_data` in order
    /// (the body de-chunked, in pieces).
    #[inline]
    pub(crate) fn feed_with(
        &mut self,
        data: &[u8],
        mut on_data: impl FnMut(&[u8]),
    ) -> Result<(usize, bool), ParseError> {
        let mut i = 0;
        while i < data.len() {
            let rest = data.get(i..).unwrap_or_default();
            match self.st {
                St::Data => {
                    let take = self.remaining.min(rest.len() as u64);
                    // `take <= rest.len()`, so it fits in usize.
                    on_data(rest.get(..take as usize).unwrap_or_default());
                    i += take as usize;
                    self.remaining -= take;
                    if self.remaining == 0 {
                        self.st = St::DataCr;
                    }
                    continue;
                }
                St::Ext => {
                    match rest.iter().position(|&b| b == b'\n') {
                        Some(p) => {
                            self.count_line(p + 1)?;
                            i += p + 1;
                            self.end_size_line();
                        }
                        None => {
                            self.count_line(rest.len())?;
                            i = data.len();
                        }
                    }
                    continue;
                }
                St::TrailerLine => {
                    match rest.iter().position(|&b| b == b'\n') {
                        Some(p) => {
                            self.count_trailers(p + 1)?;
                            i += p + 1;
                            self.st = St::TrailerStart;
                        }
                        None => {
                            self.count_trailers(rest.len())?;
                            i = data.len();
                        }
                    }
                    continue;
                }
                St::Done => return Ok((i, true)),
                _ => {}
            }

            let Some(&b) = rest.first() else { break };
            i += 1;
            match self.st {
                St::Size => {
                    self.count_line(1)?;
                    if let Some(v) = hex_value(b) {
                        if self.digits == MAX_SIZE_DIGITS {
                            return Err(ParseError("chunk size over 16 hex digits"));
                        }
                        self.remaining = (self.remaining << 4) | u64::from(v);
                        self.digits += 1;
                    } else if self.digits == 0 {
                        return Err(ParseError("chunk size has no hex digits"));
                    } else {
                        match b {
                            b';' | b' ' | b'\t' => self.st = St::Ext,
                            b'\r' => self.st = St::SizeLf,
                            b'\n' => self.end_size_line(),
                            _ => return Err(ParseError("invalid chunk size")),
                        }
                    }
                }
                St::SizeLf => {
                    if b != b'\n' {
                        return Err(ParseError("chunk size line not ended by CRLF"));
                    }
                    self.end_size_line();
                }
                St::DataCr => match b {
                    b'\r' => self.st = St::DataLf,
                    b'\n' => self.next_chunk(),
                    _ => return Err(ParseError("missing CRLF after chunk data")),
                },
                St::DataLf => {
                    if b != b'\n' {
                        return Err(ParseError("missing CRLF after chunk data"));
                    }
                    self.next_chunk();
                }
                St::TrailerStart => {
                    self.count_trailers(1)?;
                    match b {
                        b'\r' => self.st = St::EndLf,
                        b'\n' => {
                            self.st = St::Done;
                            return Ok((i, true));
                        }
                        _ => self.st = St::TrailerLine,
                    }
                }
                St::EndLf => {
                    if b != b'\n' {
                        return Err(ParseError("chunked body not ended by CRLF"));
                    }
                    self.st = St::Done;
                    return Ok((i, true));
                }
                // Handled above without reading a single byte.
                St::Data | St::Ext | St::TrailerLine | St::Done => {}
            }
        }
        Ok((i, self.st == St::Done))
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
