//! Entry points for the fuzz targets in `fuzz/` and for the regression test
//! that replays what they found (`tests/fuzz_regressions.rs`). Each takes
//! arbitrary bytes, feeds them to one parser, and panics only on a bug: a
//! parser may reject any input, but must not panic, hang, allocate without
//! bound or contradict itself.

mod chunked;
mod dashboard;
mod redis;
mod report;
mod response;
mod scenario;
mod serve;

pub use chunked::chunked;
pub use dashboard::dashboard_request;
pub use redis::redis_reply;
pub use report::{report_csv, report_hlog};
pub use response::response;
pub use scenario::scenario;
pub use serve::serve_request;

/// Most cut points taken from an input's first bytes.
const MAX_CUTS: usize = 8;

/// An input for a parser that takes bytes as they arrive: a flags byte, a
/// count of cuts, two bytes per cut (little-endian, modulo the length of
/// the rest), then the bytes to parse, to be fed in pieces ending at the
/// cuts. The fuzzer mutates where the cuts fall as freely as the bytes.
struct Cuts<'a> {
    flags: u8,
    /// Sorted; each at most `input.len()`.
    cuts: Vec<usize>,
    input: &'a [u8],
}

impl Cuts<'_> {
    fn read(data: &[u8]) -> Option<Cuts<'_>> {
        let [flags, count, rest @ ..] = data else {
            return None;
        };
        let count = usize::from(*count) % (MAX_CUTS + 1);
        let (cuts, input) = rest.split_at_checked(2 * count)?;
        let mut cuts: Vec<usize> = cuts
            .chunks_exact(2)
            .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (input.len() + 1))
            .collect();
        cuts.sort_unstable();
        Some(Cuts {
            flags: *flags,
            cuts,
            input,
        })
    }
}

/// Drive a parser over the input in `data` (see [`Cuts`]) whole, cut at
/// the fuzzer's points, and one byte at a time: every way must agree.
fn agree_however_cut<O: PartialEq + std::fmt::Debug>(
    data: &[u8],
    drive: impl Fn(&[u8], &[usize]) -> O,
) {
    let Some(Cuts { cuts, input, .. }) = Cuts::read(data) else {
        return;
    };
    let whole = drive(input, &[]);
    assert_eq!(whole, drive(input, &cuts), "whole vs cut at {cuts:?}");
    let every: Vec<usize> = (1..input.len()).collect();
    assert_eq!(whole, drive(input, &every), "whole vs one byte at a time");
}

/// The pieces of `input` ending at `cuts` (sorted), then at its end.
fn pieces<'a>(input: &'a [u8], cuts: &'a [usize]) -> impl Iterator<Item = &'a [u8]> {
    let ends = cuts.iter().copied().chain(std::iter::once(input.len()));
    ends.scan(0, move |at, end| {
        let piece = &input[*at..end];
        *at = end;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_come_first_and_wrap_around_the_rest() {
        assert!(Cuts::read(b"\x01").is_none());
        // Two cuts announced, one given: too short.
        assert!(Cuts::read(b"\x00\x02\x01\x00").is_none());
        let c = Cuts::read(b"\x05\x0a\x03\x00\x01\x00ab").unwrap();
        // 10 cuts wrap to 1 (at most 8): the input starts after its two bytes.
        assert_eq!(
            (c.flags, c.cuts.as_slice(), c.input),
            (5, &[3][..], &b"\x01\x00ab"[..])
        );
        let c = Cuts::read(b"\x00\x02\x03\x00\x01\x00ab").unwrap();
        assert_eq!((c.cuts.as_slice(), c.input), (&[0, 1][..], &b"ab"[..]));
    }

    #[test]
    fn pieces_end_at_each_cut_then_at_the_end() {
        let got: Vec<&[u8]> = pieces(b"abc", &[1, 1, 3]).collect();
        assert_eq!(got, [&b"a"[..], b"", b"bc", b""]);
        let got: Vec<&[u8]> = pieces(b"", &[]).collect();
        assert_eq!(got, [&b""[..]]);
    }
}
