//! The built-in target server (`stampede serve`), for demos, integration
//! tests and benchmarks.
//!
//! One thread per configured core, each pinned, each with its own `mio`
//! event loop. The listening socket is bound once and every thread accepts
//! from its own clone of it. Routes are listed in [`routes`]; how a
//! connection is read and answered is in [`conn`].
//!
//! The server never panics on client input: malformed requests get a 4xx
//! answer and a closed connection, and a client that vanishes is dropped.

mod conn;
mod request;
mod response;
mod routes;
mod worker;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_conn;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use mio::{Interest, Poll, Waker};

use worker::{LISTENER, WAKER, Worker};

#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Where to listen; port 0 picks a free port (see [`Server::local_addr`]).
    pub addr: SocketAddr,
    /// One worker thread per entry, pinned to that core. Empty: one
    /// unpinned thread.
    pub cores: Vec<usize>,
}

/// A running server. [`Server::stop`] shuts it down; dropping it does the
/// same, so a server never outlives its owner.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    wakers: Vec<Waker>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Bind `cfg.addr` and start the worker threads. The socket is listening
    /// when this returns.
    pub fn start(cfg: ServeConfig) -> io::Result<Server> {
        let listener = TcpListener::bind(cfg.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let cores: Vec<Option<usize>> = if cfg.cores.is_empty() {
            vec![None]
        } else {
            cfg.cores.iter().copied().map(Some).collect()
        };
        let stop = Arc::new(AtomicBool::new(false));
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
            let worker = Worker::new(poll, clone, stop.clone());
            let thread = std::thread::Builder::new()
                .name(format!("stampede-serve-{i}"))
                .spawn(move || {
                    if let Some(core) = core {
                        crate::cores::pin_current(core);
                    }
                    worker.run();
                })?;
            server.threads.push(thread);
        }
        Ok(server)
    }

    /// The address the server listens on (with the real port).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop every thread, close every connection and the listening socket,
    /// and wait for the threads to finish. Returns promptly: in-flight
    /// responses are abandoned.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        for waker in &self.wakers {
            let _ = waker.wake();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        self.wakers.clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}
