//! One finished request, as a worker reports it.

/// Why a request produced no complete response. The names are the `error`
/// column of results.csv, so they are part of the file's contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The connection could not be opened.
    Connect,
    /// No complete response within `--timeout`.
    Timeout,
    /// The peer reset the connection (ECONNRESET, EPIPE).
    Reset,
    /// The peer closed the connection before the response was complete.
    Closed,
    /// The reply did not parse (not valid HTTP/1.1, RESP, ...).
    Parse,
    /// Any other socket error.
    Io,
    /// Due before the run ended (or Ctrl-C), but still queued for a free
    /// connection then (open model): recorded, never sent.
    Unsent,
    /// In flight when a second stop signal aborted the run: the drain
    /// was skipped, so it was recorded at once, unfinished.
    Aborted,
    /// The TLS handshake failed (or a TLS record was bad): the summary
    /// says why, once.
    Tls,
    /// The server refused what a new connection says first
    /// (`Protocol::hello`: Redis's AUTH, SELECT, HELLO): the summary says
    /// why, once.
    Init,
    /// The reply came whole but failed one of its task's `@expect`
    /// checks (its status stays the one it had): the summary says how,
    /// once per task.
    Check,
}

impl ErrorKind {
    pub(crate) const ALL: [ErrorKind; 11] = [
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Closed,
        ErrorKind::Parse,
        ErrorKind::Io,
        ErrorKind::Unsent,
        ErrorKind::Aborted,
        ErrorKind::Tls,
        ErrorKind::Init,
        ErrorKind::Check,
    ];

    /// The name in results.csv's `error` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Closed => "closed",
            ErrorKind::Parse => "parse",
            ErrorKind::Io => "io",
            ErrorKind::Unsent => "unsent",
            ErrorKind::Aborted => "aborted",
            ErrorKind::Tls => "tls",
            ErrorKind::Init => "init",
            ErrorKind::Check => "check",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Classify a socket error from a read or write on an open connection.
    pub(crate) fn from_io(e: &std::io::Error) -> ErrorKind {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::ConnectionReset | K::BrokenPipe | K::ConnectionAborted => ErrorKind::Reset,
            K::UnexpectedEof => ErrorKind::Closed,
            _ => ErrorKind::Io,
        }
    }
}

/// One row of results.csv. Times are microseconds; `elapsed_us` counts from
/// the start of the run to the moment the request was due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sample {
    pub elapsed_us: u64,
    pub latency_us: u64,
    pub wait_us: u64,
    pub bytes: u64,
    pub status: u16,
    /// Index into the plan's tasks.
    pub task: u16,
    pub error: Option<ErrorKind>,
    /// TCP connect time of the connection this request opened; 0 when it
    /// reused one.
    pub connect_us: u64,
    /// TLS handshake time of the connection this request opened; 0 when it
    /// reused one, or the connection is plain.
    pub tls_us: u64,
}

impl Sample {
    /// See `Outcome::is_response`.
    pub(crate) fn is_response(&self) -> bool {
        super::outcomes::Outcome::of(self).is_response()
    }

    /// Locust's rule (see `Outcome::is_failure`).
    pub(crate) fn is_failure(&self) -> bool {
        super::outcomes::Outcome::of(self).is_failure()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_round_trip() {
        for k in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ErrorKind::parse("nope"), None);
    }

    #[test]
    fn failures_follow_locust() {
        let ok = Sample {
            elapsed_us: 0,
            latency_us: 1,
            wait_us: 0,
            bytes: 1,
            status: 399,
            task: 0,
            error: None,
            connect_us: 0,
            tls_us: 0,
        };
        assert!(!ok.is_failure());
        assert!(Sample { status: 400, ..ok }.is_failure());
        assert!(
            Sample {
                status: 0,
                error: Some(ErrorKind::Timeout),
                ..ok
            }
            .is_failure()
        );
        assert!(
            Sample {
                error: Some(ErrorKind::Closed),
                ..ok
            }
            .is_failure()
        );
        // A reply that failed its checks is a failure, and still a response.
        let checked = Sample {
            error: Some(ErrorKind::Check),
            ..ok
        };
        assert!(checked.is_failure() && checked.is_response());
        assert!(ok.is_response());
        assert!(
            !Sample {
                error: Some(ErrorKind::Closed),
                ..ok
            }
            .is_response()
        );
    }
}
