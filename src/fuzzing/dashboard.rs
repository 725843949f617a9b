//! The dashboard's request parser fed a fuzzer's bytes as a browser's
//! request arriving in pieces.

use super::{Cuts, pieces};
use crate::dashboard::host::Hosts;
use crate::dashboard::server::{head_ready, parse};

/// `data`: see `Cuts` in fuzzing/mod.rs (no flags). The bytes arrive in pieces until the
/// server would answer (a whole head, a bad one or one too long) or EOF;
/// what it answers must not depend on where the pieces were cut.
pub fn dashboard_request(data: &[u8]) {
    let Some(Cuts { cuts, input, .. }) = Cuts::read(data) else {
        return;
    };
    let mut seen = Vec::new();
    for piece in pieces(input, &cuts) {
        seen.extend_from_slice(piece);
        if head_ready(&seen) {
            break;
        }
    }
    if seen.is_empty() {
        return; // nothing to answer
    }
    // A name bound with `--dashboard NAME:PORT` is accepted too.
    let hosts = Hosts::new(Some("loadbox.example"));
    let answer = parse(&seen, &hosts);
    if let Err(status) = answer {
        // 421: a `Host` that does not name the dashboard.
        assert!(matches!(status, 400 | 421 | 431), "refused with {status}");
    }
    // Bytes after a complete head never change it; a refusal may change
    // from 400 to 431 when the bytes go on past the limit.
    assert_eq!(
        answer.is_ok(),
        parse(input, &hosts).is_ok(),
        "cut at {cuts:?}"
    );
}
