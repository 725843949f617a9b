//! A validated run plan: everything the engine needs, checked before any
//! request is sent. The CLI (and later scenario files) build it.

use crate::http::request::EncodedRequest;
use crate::http::url::Url;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// One kind of request a user sends.
#[derive(Clone, Debug)]
pub struct Task {
    /// The name in results.csv and the summary.
    pub name: String,
    pub method: String,
    pub request: EncodedRequest,
}

/// A pause between a user's requests, drawn uniformly from `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Think {
    pub min: Duration,
    pub max: Duration,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub url: Url,
    /// The resolved address every connection goes to.
    pub addr: SocketAddr,
    pub tasks: Vec<Task>,
    pub users: usize,
    pub duration: Duration,
    /// Users started per second; None starts them all at once.
    pub spawn_rate: Option<f64>,
    pub think: Option<Think>,
    pub timeout: Duration,
    /// One entry per worker thread: the core it is pinned to, if any.
    pub workers: Vec<Option<usize>>,
    /// Where results.csv goes; None with --no-out.
    pub out: Option<PathBuf>,
    /// Where the summary JSON goes.
    pub summary: Option<PathBuf>,
    pub quiet: bool,
    pub seed: u64,
}
