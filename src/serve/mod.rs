//! The built-in target server (`stampede serve`), for demos, integration
//! tests and benchmarks.
//!
//! One thread per configured core, each pinned, each with its own `mio`
//! event loop. The listening socket is bound once and every thread accepts
//! from its own clone of it. Routes are listed in [`routes`]; how a
//! connection is read and answered is in [`conn`], over plain TCP or TLS
//! ([`transport`], configured by [`tls`]). [`Server::stop`] returns what the
//! server did ([`Counts`]).
//!
//! With [`ServeConfig::stall`] the server periodically holds every response
//! for a while, like a process in a long GC pause or suspended by a
//! debugger; see [`Stall`].
//!
//! The server never panics on client input: malformed requests get a 4xx
//! answer and a closed connection, and a client that vanishes is dropped.

mod conn;
mod counts;
pub(crate) mod request;
mod response;
mod routes;
mod session;
mod timers;
pub(crate) mod tls;
mod transport;
mod work;
mod worker;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_conn;
#[cfg(test)]
mod tests_stall;
#[cfg(test)]
mod tests_tls;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::{Interest, Poll, Waker};

pub(crate) use conn::STUCK;
pub(crate) use counts::Counts;
use worker::{LISTENER, WAKER, Worker};

#[derive(Clone, Debug)]
pub(crate) struct ServeConfig {
    /// Where to listen; port 0 picks a free port (see [`Server::local_addr`]).
    pub addr: SocketAddr,
    /// One worker thread per entry, pinned to that core. Empty: one
    /// unpinned thread.
    pub cores: Vec<usize>,
    /// Hold every response periodically (see [`Stall`]); None: never.
    pub stall: Option<Stall>,
    /// Serve HTTPS with this config, shared by every thread (so sessions
    /// resume across threads); None: plain HTTP. See [`tls::server_config`].
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Drop a client that began a request or handshake and then sent
    /// nothing for this long ([`STUCK`] outside tests).
    pub stuck_after: Duration,
}

/// A stall schedule: every `every`, the server holds all responses for
/// `hold`, like a long GC pause or a suspended process.
///
/// Time is measured from [`Server::start`], and the first stall ends at
/// `every`: the stall windows are `[k*every - hold, k*every)` for k = 1, 2,
/// ... So with `1s/4s` the server answers normally for 3 s, holds for 1 s,
/// answers for 3 s, holds for 1 s, and so on.
///
/// During a window no response bytes are written to any connection (not
/// even the rest of a response that was being written), and no requests
/// are read, but new connections are still accepted. When the window ends,
/// every held connection is run again at once: its responses go out in
/// order, so a request that arrived during the stall is answered after the
/// rest of the stall plus its normal service time. `/delay` timers keep
/// running during a stall; a delay that ends inside a window is answered
/// when the window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stall {
    /// How long each stall lasts.
    pub hold: Duration,
    /// The period: one stall per `every`.
    pub every: Duration,
}

impl Stall {
    /// Parse `HOLD/EVERY`, e.g. `1s/4s` (hold 1 s every 4 s), with the
    /// durations of [`crate::units::parse_duration`]. `hold` must be more
    /// than zero and less than `every`.
    pub(crate) fn parse(text: &str) -> Result<Stall, String> {
        let Some((hold, every)) = text.split_once('/') else {
            return Err(format!(
                "--stall {text:?}: expected HOLD/EVERY, e.g. 1s/4s (hold 1s every 4s)"
            ));
        };
        let duration = |part: &str, what: &str| {
            crate::units::parse_duration(part).map_err(|e| format!("--stall {text:?}: {what}: {e}"))
        };
        let stall = Stall {
            hold: duration(hold, "hold")?,
            every: duration(every, "every")?,
        };
        stall
            .check()
            .map_err(|why| format!("--stall {text:?}: {why}"))?;
        Ok(stall)
    }

    /// Why this schedule cannot be used, if it cannot.
    fn check(&self) -> Result<(), &'static str> {
        if self.hold.is_zero() {
            Err("the hold must be more than zero")
        } else if self.every.is_zero() {
            Err("the period must be more than zero")
        } else if self.hold >= self.every {
            Err("the hold must be shorter than the period (HOLD/EVERY)")
        } else if self.every > STALL_EVERY_MAX {
            Err("the period must be at most 365 days")
        } else {
            Ok(())
        }
    }
}

/// Longest stall period accepted (it keeps instant arithmetic far from
/// overflow).
const STALL_EVERY_MAX: Duration = Duration::from_secs(365 * 24 * 3600);

/// Bind `addr` with as deep an accept queue as the kernel allows
/// (`net.core.somaxconn` caps it). std's 128 overflowed when a thousand
/// users connected at once: the kernel dropped the SYNs it had no room for,
/// and those clients waited for TCP's retransmit, 1 s later or 3 s.
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    // SAFETY: listen(2) again on a socket we own only changes its backlog;
    // Linux truncates one beyond somaxconn to it.
    if unsafe { libc::listen(listener.as_raw_fd(), libc::c_int::MAX) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(listener)
}

/// A running server. [`Server::stop`] shuts it down; dropping it does the
/// same, so a server never outlives its owner.
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    wakers: Vec<Waker>,
    threads: Vec<JoinHandle<Counts>>,
}

impl Server {
    /// Bind `cfg.addr` and start the worker threads. The socket is listening
    /// when this returns.
    /// An invalid [`ServeConfig::stall`] is an `InvalidInput` error.
    pub(crate) fn start(cfg: ServeConfig) -> io::Result<Server> {
        if let Some(stall) = cfg.stall {
            stall.check().map_err(|why| {
                let text = format!("--stall {:?}/{:?}: {why}", stall.hold, stall.every);
                io::Error::new(io::ErrorKind::InvalidInput, text)
            })?;
        }
        let listener = bind(cfg.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let cores: Vec<Option<usize>> = if cfg.cores.is_empty() {
            vec![None]
        } else {
            cfg.cores.iter().copied().map(Some).collect()
        };
        let stop = Arc::new(AtomicBool::new(false));
        // The stall schedule counts from here, the same for every thread.
        let start = Instant::now();
        let mut server = Server {
            addr,
            stop: stop.clone(),
            wakers: Vec::new(),
            threads: Vec::new(),
        };
        // On an error below, dropping `server` stops the threads started so far.
        for (i, core) in cores.into_iter().enumerate() {
            let poll = Poll::new()?;
            let mut clone = mio::net::TcpListener::from_std(listener.try_clone()?);
            poll.registry()
                .register(&mut clone, LISTENER, Interest::READABLE)?;
            server.wakers.push(Waker::new(poll.registry(), WAKER)?);
            let stall = cfg.stall.map(|s| (s, start));
            let worker = Worker::new(
                poll,
                clone,
                stop.clone(),
                stall,
                cfg.tls.clone(),
                cfg.stuck_after,
            );
            let thread = std::thread::Builder::new()
                .name(format!("stampede-serve-{i}"))
                .spawn(move || {
                    if let Some(core) = core {
                        crate::cores::pin_current(core);
                    }
                    worker.run()
                })?;
            server.threads.push(thread);
        }
        Ok(server)
    }

    /// The address the server listens on (with the real port).
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop every thread, close every connection and the listening socket,
    /// and wait for the threads to finish. Returns promptly: in-flight
    /// responses are abandoned. Returns what every thread did, summed.
    pub(crate) fn stop(mut self) -> Counts {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Counts {
        self.stop.store(true, Ordering::Release);
        for waker in &self.wakers {
            let _ = waker.wake();
        }
        let mut total = Counts::default();
        for thread in self.threads.drain(..) {
            if let Ok(counts) = thread.join() {
                total.add(&counts);
            }
        }
        self.wakers.clear();
        total
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}
