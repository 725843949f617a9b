//! A validated run plan: everything the engine needs, checked before any
//! request is sent. The CLI builds it, from flags or a scenario file.

pub(crate) mod expect;
pub(crate) mod ramp;
pub(crate) mod segment;
pub(crate) mod start;

use crate::http::url::Url;
use crate::journey::capture::CaptureSpec;
use crate::tls::TlsClient;
use expect::Expect;
use ramp::Ramp;
use segment::Segment;
use start::StartAt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// One kind of request a user sends.
#[derive(Clone, Debug)]
pub(crate) struct Task {
    /// The name in results.csv and the summary.
    pub name: String,
    pub request: RequestSpec,
    /// Relative odds of this task being drawn for a request.
    pub weight: u32,
    /// What its replies must be (`# @expect`); none by default.
    pub expect: Expect,
}

/// What a task asks for, before any protocol has encoded it: the engine's
/// protocol turns it into bytes once per run. Dynamic values (`{{$uuid}}`)
/// may stand in the target, the header values and the body.
///
/// Public for `Protocol::prepare`, through `command`; the fields stay the
/// crate's.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    pub(crate) method: String,
    /// Whom the request names (`Host`): host, and port unless the default.
    pub(crate) authority: String,
    /// Path and query, starting with `/`.
    pub(crate) target: String,
    /// The user's headers, in order; an empty value removes ours.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// The user's values it reads (`{{login.response.body.$.token}}`), as
    /// written between the braces, and their ids (see `journey`).
    pub(crate) values: Vec<(String, u16)>,
    /// What its replies are captured with, for its checks and the values
    /// later requests read; None (most tasks): nothing is kept.
    pub(crate) capture: Option<Arc<CaptureSpec>>,
}

impl RequestSpec {
    /// A command protocol's task (a `--command`, or what follows the URL
    /// on a scenario's `REDIS` or `MEMCACHED` line): its text, as given,
    /// dynamic values (`{{$uuid}}`) unrendered; see `Template`.
    pub fn command(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// The longest task name, in bytes: far beyond a readable one (a URL in
/// argv stops at 128 KiB), and small enough that `report` and `check` can
/// bound every results.csv row (see `report::load::ROW_MAX`).
pub(crate) const MAX_TASK_NAME: usize = 1 << 20;

impl Task {
    /// The name is at most `MAX_TASK_NAME` bytes.
    pub(crate) fn check_name(&self) -> Result<(), String> {
        if self.name.len() <= MAX_TASK_NAME {
            return Ok(());
        }
        Err(format!(
            "the task name {:?} is {} bytes long; the most is {MAX_TASK_NAME}: give it a shorter name (### NAME in a scenario, or --name)",
            crate::output::fit(&self.name, 20),
            self.name.len()
        ))
    }
}

/// A pause between a user's requests, drawn uniformly from `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Think {
    pub min: Duration,
    pub max: Duration,
}

/// How arrivals are spaced in the open model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Evenly spaced.
    Uniform,
    /// A Poisson process: exponential gaps.
    Poisson,
}

/// The load model.
#[derive(Clone, Debug)]
pub(crate) enum Load {
    /// Users loop: each sends its next request when the last one is done
    /// (after a think time). The ramp is the number of users over time.
    Closed { users: Ramp, think: Option<Think> },
    /// Requests fall due on the ramp's rate (per second), whatever the
    /// server does; `Plan::users` caps the connections.
    Open { rate: Ramp, arrival: Arrival },
}

/// Where the live dashboard listens.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DashboardAddr {
    pub addr: SocketAddr,
    /// The host name `addr` was given as (`localhost`, `box.lan`), if any:
    /// browsers send it in `Host`, so the dashboard answers to it.
    pub name: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// Where the live dashboard listens, if one is wanted.
    pub dashboard: Option<DashboardAddr>,
    /// How long the dashboard stays up after the run when stdin is no terminal.
    pub dashboard_linger: Duration,
    pub url: Url,
    /// The resolved address every connection goes to.
    pub addr: SocketAddr,
    pub tasks: Vec<Task>,
    /// Where each task was given, for a message about it: `--command`, a
    /// scenario's `FILE:LINE`, or the URL of the one HTTP request.
    pub(crate) task_origins: Vec<String>,
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
    /// Where the HdrHistogram interval log goes (`--hdr-log`).
    pub hdr_log: Option<PathBuf>,
    pub quiet: bool,
    pub seed: u64,
    /// Each user runs the tasks in order rather than drawing them by weight.
    pub sequence: bool,
    /// `-n`: the run ends once this many requests have started (closed
    /// model) or fallen due (open model), or at `duration`, if sooner.
    pub requests: Option<u64>,
    /// The user's settings for a protocol's global init: `--var` over a
    /// scenario's variables, by name.
    pub(crate) vars: Vec<(String, String)>,
    /// How each connection is secured: None for plain TCP (http://).
    pub tls: Option<TlsClient>,
    /// A connection is closed after this many requests (`--no-keepalive`
    /// is 1); None: kept alive while the server allows.
    pub requests_per_conn: Option<u32>,
    /// Requests in flight on a connection at most (`--pipeline`, 1: none
    /// pipelined). A user (closed model) keeps this many going on its
    /// connection; the open model has `users` x this many slots.
    pub pipeline: usize,
    /// The part of the plan this process runs (`--segment`): users and
    /// arrivals are dealt over the segments, `users` and `requests` stay
    /// the whole plan's.
    pub segment: Segment,
    /// The wall-clock moment the run starts at (`--start-at`); None: at once.
    pub start_at: Option<StartAt>,
    /// What each user carries between requests (a scenario's `# @name`
    /// and references); empty for a plain run.
    pub(crate) journey: crate::journey::Journey,
}

impl Plan {
    /// The open model: `users` caps the connections rather than counting users.
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.load, Load::Open { .. })
    }

    /// (method, name) per task, in task order: how the summary, the
    /// dashboard and the meta file label the tasks.
    pub(crate) fn task_labels(&self) -> Vec<(String, String)> {
        self.tasks
            .iter()
            .map(|t| (t.request.method.clone(), t.name.clone()))
            .collect()
    }

    /// The load in words, for the dashboard's header: "50 users, all at
    /// once, for 10s" or "1000 requests/s (poisson), up to 50 connections, for 1m"
    /// (the whole plan's figures; then "; segment 1/4" for a part of it).
    pub(crate) fn describe(&self) -> String {
        let secs = |d: Duration| match self.requests {
            Some(n) if d >= crate::units::MAX_DURATION => format!("{n} requests"),
            Some(n) => format!("{n} requests or {d:?}, whichever comes first"),
            None => format!("{d:?}"),
        };
        let stages = |r: &Ramp, unit: &str| {
            let parts: Vec<String> = r
                .stages
                .iter()
                .map(|s| format!("{:?}:{}", s.duration, s.target))
                .collect();
            format!("stages {} ({unit})", parts.join(","))
        };
        let whole = match &self.load {
            Load::Closed { users, think } => {
                let shape = if users.stages.len() == 1 && users.start == users.stages[0].target {
                    format!("{} users, all at once", self.users)
                } else {
                    stages(users, "users")
                };
                let think = think.map_or(String::new(), |t| {
                    format!(", thinking {:?}-{:?}", t.min, t.max)
                });
                format!("{shape}{think}, for {}", secs(self.duration))
            }
            Load::Open { rate, arrival } => {
                let shape = if rate.stages.len() == 1 && rate.start == rate.stages[0].target {
                    format!("{} requests/s", rate.start)
                } else {
                    stages(rate, "requests/s")
                };
                let arrival = if *arrival == Arrival::Poisson {
                    "poisson"
                } else {
                    "uniform"
                };
                format!(
                    "{shape} ({arrival}), up to {} connections, for {}",
                    self.users,
                    secs(self.duration)
                )
            }
        };
        if self.segment.is_whole() {
            return whole;
        }
        let Segment { index, count } = self.segment;
        format!("{whole}; segment {index}/{count}")
    }
}
