//! What the server did, so that a test can count what its client did:
//! connections accepted, requests answered, TLS handshakes completed.
//!
//! Each worker thread keeps its own plain counts, adds a connection's
//! figures once, when the connection goes, and hands its total back when it
//! ends; [`super::Server::stop`] sums them. Nothing is shared, so the hot
//! path pays one add per response on a struct it already has in cache.

use std::fmt;

use rustls::HandshakeKind;

/// Totals over all threads (or one thread's share).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// TCP connections accepted.
    pub connections: u64,
    /// Responses made (rejections of bad requests included, `100 Continue`
    /// not; a delayed response still waiting when the server stopped not).
    pub requests: u64,
    /// TLS handshakes completed, full or resumed.
    pub handshakes: u64,
    /// Of those, the ones that resumed an earlier session.
    pub resumed: u64,
    /// Serving TLS: say the handshake figures in the stop line.
    pub tls: bool,
}

impl Counts {
    /// Add one finished handshake.
    pub(super) fn handshake(&mut self, kind: HandshakeKind) {
        self.handshakes += 1;
        self.resumed += u64::from(kind == HandshakeKind::Resumed);
    }

    pub(super) fn add(&mut self, other: &Counts) {
        self.connections += other.connections;
        self.requests += other.requests;
        self.handshakes += other.handshakes;
        self.resumed += other.resumed;
        self.tls |= other.tls;
    }
}

/// The stop line's figures, e.g. `1200 requests on 40 connections; TLS
/// handshakes 40 (35 resumed)`.
impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests on {} connections",
            self.requests, self.connections
        )?;
        if self.tls {
            write!(
                f,
                "; TLS handshakes {} ({} resumed)",
                self.handshakes, self.resumed
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stop_line_says_tls_figures_only_for_tls() {
        let mut total = Counts::default();
        let mut one = Counts {
            connections: 3,
            requests: 7,
            ..Counts::default()
        };
        total.add(&one);
        assert_eq!(total.to_string(), "7 requests on 3 connections");
        one.tls = true;
        one.handshake(HandshakeKind::Full);
        one.handshake(HandshakeKind::FullWithHelloRetryRequest);
        one.handshake(HandshakeKind::Resumed);
        total.add(&one);
        assert_eq!(
            total.to_string(),
            "14 requests on 6 connections; TLS handshakes 3 (1 resumed)"
        );
    }
}
