//! What a worker reports when it is done, and how workers' reports add up.

use super::check_failures::CheckFailures;
use crate::engine::stall::Stalls;

/// What a worker reports when it is done.
#[derive(Default, Debug)]
pub(crate) struct WorkerReport {
    /// Times a batch could not be handed over at once because the channel was full.
    pub backpressure: u64,
    /// Requests the generator itself started more than `LATE` after they
    /// were due although a connection was free: its own lag, not the server's.
    pub late: u64,
    /// Loop turns that overran their sleeps by `stall::STALL` or more.
    pub stalls: Stalls,
    /// Request bytes written to sockets.
    pub bytes_sent: u64,
    /// Connections whose TCP handshake completed (failed ones are
    /// `connect` errors in the samples).
    pub connections_opened: u64,
    /// TLS handshakes that resumed an earlier session.
    pub connections_resumed: u64,
    /// Requests sent again on a new connection because the server closed
    /// the kept-alive one as they went out (see `Worker::complete`).
    pub(crate) resent: u64,
    /// Why the first failed TLS handshake failed, in one line.
    pub tls_problem: Option<String>,
    /// Why a server first refused a new connection's setup (Redis AUTH,
    /// SELECT, HELLO), in one line.
    pub init_problem: Option<String>,
    /// Per task, the first reply that failed its `@expect` checks.
    pub(crate) check_failures: CheckFailures,
}

impl WorkerReport {
    /// Another worker's report added to this one.
    pub(crate) fn absorb(&mut self, other: WorkerReport) {
        self.backpressure += other.backpressure;
        self.late += other.late;
        self.stalls.merge(other.stalls);
        self.bytes_sent += other.bytes_sent;
        self.connections_opened += other.connections_opened;
        self.connections_resumed += other.connections_resumed;
        self.resent += other.resent;
        if self.tls_problem.is_none() {
            self.tls_problem = other.tls_problem;
        }
        if self.init_problem.is_none() {
            self.init_problem = other.init_problem;
        }
        self.check_failures.absorb(other.check_failures);
    }
}
