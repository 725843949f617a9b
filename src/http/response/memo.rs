//! The parser's memory of the last head: a repeated head is answered
//! without parsing it again.

use super::{Head, ParseError, parse_head};

/// Longest head remembered, so 10,000 users cost at most 5 MB of memos.
const MEMO_MAX: usize = 512;

/// The last complete head parsed, byte for byte, and what it meant.
///
/// Why a match is exact: the remembered bytes run from the status line to
/// the first empty line. Bytes that start with them have their first empty
/// line in the same place and an identical head before it, which httparse
/// (looking no further than the end of the head) parses identically. Whether
/// the request was HEAD changes the meaning, so it is part of the key.
#[derive(Debug, Default)]
pub(super) struct HeadMemo {
    bytes: Vec<u8>,
    head_request: bool,
    /// None until a head short enough to remember has been parsed.
    head: Option<Head>,
}

impl HeadMemo {
    /// [`parse_head`], answered from memory when `buf` starts with the last head.
    pub(super) fn parse(
        &mut self,
        buf: &[u8],
        head_request: bool,
    ) -> Result<Option<Head>, ParseError> {
        if let Some(head) = self.recall(buf, head_request) {
            return Ok(Some(head));
        }
        let parsed = parse_head(buf, head_request)?;
        if let Some(head) = parsed {
            self.remember(buf, head_request, head);
        }
        Ok(parsed)
    }

    pub(super) fn recall(&self, buf: &[u8], head_request: bool) -> Option<Head> {
        let head = self.head?;
        (self.head_request == head_request && buf.starts_with(&self.bytes)).then_some(head)
    }

    fn remember(&mut self, buf: &[u8], head_request: bool, head: Head) {
        self.bytes.clear();
        match buf.get(..head.len).filter(|b| b.len() <= MEMO_MAX) {
            Some(bytes) => {
                // Exact, so that MEMO_MAX bounds the memory, not twice it.
                self.bytes.reserve_exact(bytes.len());
                self.bytes.extend_from_slice(bytes);
                self.head_request = head_request;
                self.head = Some(head);
            }
            None => self.head = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_answers_a_repeated_head_and_skips_long_ones() {
        let mut memo = HeadMemo::default();
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
        let head = memo.parse(input, false).unwrap().unwrap();
        assert_eq!(memo.recall(input, false).map(|h| h.len), Some(head.len));
        assert!(
            memo.recall(input, true).is_none(),
            "HEAD is part of the key"
        );
        assert!(memo.recall(&input[..20], false).is_none());
        let long = format!(
            "HTTP/1.1 200 OK\r\nX-Pad: {}\r\nContent-Length: 1\r\n\r\nx",
            "p".repeat(MEMO_MAX)
        );
        let parsed = memo.parse(long.as_bytes(), false).unwrap().unwrap();
        assert_eq!(parsed.len, long.len() - 1);
        assert!(memo.head.is_none() && memo.bytes.is_empty());
    }
}
