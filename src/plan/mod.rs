//! A validated run plan: everything the engine needs, checked before any
//! request is sent. The CLI (and later scenario files) build it.

pub mod ramp;

use crate::http::request::{DynamicRequest, EncodedRequest};
use crate::http::url::Url;
use ramp::Ramp;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// One kind of request a user sends.
#[derive(Clone, Debug)]
pub struct Task {
    /// The name in results.csv and the summary.
    pub name: String,
    pub method: String,
    pub request: Request,
    /// Relative odds of this task being drawn for a request.
    pub weight: u32,
}

/// A task's bytes on the wire.
#[derive(Clone, Debug)]
pub enum Request {
    /// Encoded once, before the run, and written as is.
    Static(EncodedRequest),
    /// Holds dynamic values: rendered for every request into a reused buffer.
    Dynamic(DynamicRequest),
}

impl Request {
    /// HEAD responses carry no body, whatever their headers say.
    pub fn is_head(&self) -> bool {
        match self {
            Request::Static(r) => r.is_head,
            Request::Dynamic(r) => r.is_head,
        }
    }
}

impl From<EncodedRequest> for Request {
    fn from(r: EncodedRequest) -> Request {
        Request::Static(r)
    }
}

/// A pause between a user's requests, drawn uniformly from `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Think {
    pub min: Duration,
    pub max: Duration,
}

/// How arrivals are spaced in the open model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Evenly spaced.
    Uniform,
    /// A Poisson process: exponential gaps.
    Poisson,
}

/// The load model.
#[derive(Clone, Debug)]
pub enum Load {
    /// Users loop: each sends its next request when the last one is done
    /// (after a think time). The ramp is the number of users over time.
    Closed { users: Ramp, think: Option<Think> },
    /// Requests fall due on the ramp's rate (per second), whatever the
    /// server does; `Plan::users` caps the connections.
    Open { rate: Ramp, arrival: Arrival },
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub url: Url,
    /// The resolved address every connection goes to.
    pub addr: SocketAddr,
    pub tasks: Vec<Task>,
    /// The most users (closed model) or connections (open model) at once.
    pub users: usize,
    /// The whole run: the ramp's length.
    pub duration: Duration,
    pub load: Load,
    pub timeout: Duration,
    /// One entry per worker thread: the core it is pinned to, if any.
    pub workers: Vec<Option<usize>>,
    /// Where results.csv goes; None with --no-out.
    pub out: Option<PathBuf>,
    /// Where the summary JSON goes.
    pub summary: Option<PathBuf>,
    pub quiet: bool,
    pub seed: u64,
    /// Each user runs the tasks in order rather than drawing them by weight.
    pub sequence: bool,
}
