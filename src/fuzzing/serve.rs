//! `serve`'s request parser fed a fuzzer's bytes as a connection's input:
//! requests one after another, each parsed again from its start as more
//! bytes arrive.

use super::Cuts;
use crate::serve::request::{BODY_MAX, HEAD_MAX, Head, Parsed, Span, parse};

/// `data`: see `Cuts` in fuzzing/mod.rs (no flags). Parses the requests in the input one
/// after another, and each request's head again at every cut that falls
/// inside it: a head cut short must read as incomplete, or be refused as
/// the whole one is, never be taken for something else.
pub fn serve_request(data: &[u8]) {
    let Some(Cuts { cuts, input, .. }) = Cuts::read(data) else {
        return;
    };
    let mut start = 0;
    while start < input.len() {
        let rest = &input[start..];
        let whole = parse(rest);
        for &cut in cuts.iter().filter(|&&c| c > start) {
            let part = parse(&input[start..cut]);
            assert!(
                part == Parsed::Partial || part == whole,
                "cut at {cut}: {part:?}, whole: {whole:?}"
            );
        }
        let Parsed::Head(head) = whole else {
            return;
        };
        check(&head, rest);
        let total = head.head_len + head.body_len;
        if total > rest.len() {
            return; // waits for the body
        }
        start += total;
    }
}

fn check(head: &Head, data: &[u8]) {
    assert!(head.head_len > 0, "an empty head would loop a connection");
    assert!(
        head.head_len <= data.len().min(HEAD_MAX),
        "head_len out of range"
    );
    assert!(head.body_len <= BODY_MAX, "body_len over BODY_MAX");
    let within_head = |span: Span| span.start.saturating_add(span.len) <= head.head_len;
    assert!(within_head(head.path), "path outside the head");
    assert!(
        head.content_type.is_none_or(within_head),
        "content type outside the head"
    );
    // A head cut anywhere after its end reads the same.
    assert_eq!(parse(&data[..head.head_len]), Parsed::Head(*head));
}
