//! `stampede run URL`: flags, and their validation into a `Plan`.

use super::settings::{Settings, parse_arrival, parse_think};
use crate::cores;
use crate::http::request::{self, HttpRequest};
use crate::http::url::Url;
use crate::journey::cookies::Site;
use crate::plan::ramp::Ramp;
use crate::plan::segment::{JOB_INDEX_VAR, Segment};
use crate::plan::start::{DEFAULT_GRACE, StartAt};
use crate::plan::{Load, Plan, RequestSpec, Task};
use crate::units::{
    parse_count, parse_count_usize, parse_duration, parse_scaled, parse_seconds_or_duration,
};
use crate::whole_file;
use argh::FromArgs;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The most worker threads: one per core is the design; this only stops
/// a typo from starting a million threads.
const MAX_THREADS: usize = 1024;

args_struct! {
    #[derive(FromArgs, Debug)]
    /// Load-test URL, or the requests of a scenario file, with virtual users (each holding one keep-alive connection) or at a request rate.
    #[argh(
        subcommand,
        name = "run",
        example = "stampede run http://127.0.0.1:8080/hello",
        example = "stampede run http://127.0.0.1:8080/hello -c 200 -d 1m -r 50 --think 100ms-500ms",
        example = "stampede run http://127.0.0.1:8080/api/upload -m POST -H 'Content-Type: application/json' -b '{{\"a\":1}}'",
        example = "stampede run http://127.0.0.1:8080/hello --rate 2000 --arrival poisson -d 1m",
        example = "stampede run -f examples/hello.http --var host=http://127.0.0.1:8080",
        example = "stampede run redis://127.0.0.1:6379 --command 'SET key:{{{{$randomInt 1 100000}}}} {{{{$uuid}}}}' --command 'GET key:{{{{$randomInt 1 100000}}}}'",
        note = "Every request is one row of results.csv: elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us.\n\
                Exit codes: 0 the run completed; 1 not one response arrived, or results could not be written;\n\
                2 bad input; 3 aborted by a second stop signal (files written, in-flight requests `aborted`);\n\
                4 quit at once by a third; 130 stopped early by Ctrl-C, SIGTERM or SIGHUP (results complete)."
    )]
    pub struct RunArgs {
        /// the target, http://host[:port]/path or https://..., or redis://[[user]:password@]host[:port][/db] or rediss://... (or give a scenario with -f)
        #[argh(positional)]
        pub(crate) url: Option<String>,

        /// a scenario: a .http file of weighted requests, with run settings as directives
        #[argh(option, short = 'f')]
        pub(crate) scenario: Option<String>,

        @scenario_vars,

        /// each user runs the scenario's requests in file order, rather than drawing them by weight
        #[argh(switch)]
        pub(crate) sequence: bool,

        /// virtual users, one keep-alive connection each; with --rate, the most connections; 1k = 1000 (default 50)
        #[argh(option, short = 'c', from_str_fn(parse_count_usize))]
        pub(crate) users: Option<usize>,

        /// run time: 30 (seconds), 500ms, 30s, 2m, 1h, 1m30s (default 10s)
        #[argh(option, short = 'd')]
        pub(crate) duration: Option<String>,

        /// stop after N requests in all, as ab and oha do; 10k, 1M (default: no count; with -d, whichever comes first)
        #[argh(option, short = 'n', from_str_fn(parse_count))]
        pub(crate) requests: Option<u64>,

        /// open model: requests fall due at R per second in total, whatever the server does; 2.5k = 2500
        #[argh(option, from_str_fn(parse_scaled))]
        pub(crate) rate: Option<f64>,

        /// ramp linearly through DURATION:TARGET stages from 0, e.g. 30s:100,1m:1000,30s:0; targets are users, or rates with --open
        #[argh(option)]
        pub(crate) stages: Option<String>,

        /// open model with --stages: the stage targets are request rates
        #[argh(switch)]
        pub(crate) open: bool,

        @arrival,

        /// users started per second, spread evenly over the workers (default: all at once)
        #[argh(option, short = 'r')]
        pub(crate) spawn_rate: Option<f64>,

        @request,

        /// pause between a user's requests: 100ms, or a range 100ms-1s drawn uniformly (default none)
        #[argh(option)]
        pub(crate) think: Option<String>,

        @connection,

        /// where to write the CSV of every request (default results.csv)
        #[argh(option, short = 'o', default = "String::from(\"results.csv\")")]
        pub(crate) out: String,

        @no_out,

        /// also write the final figures as JSON to this path
        #[argh(option)]
        pub(crate) summary: Option<String>,

        /// also write the latencies as an HdrHistogram interval log to this path: a histogram per second per task and outcome, for `report` and `check` and HdrHistogram's own tools; with or without the CSV
        #[argh(option, arg_name = "PATH")]
        pub(crate) hdr_log: Option<String>,

        @quiet,

        /// redis:// (or a protocol added with stampede::main_with): a command, e.g. 'SET key:{{$randomInt 1 100}} {{$uuid}}' (double quotes for spaces); repeat for more, each a task of weight 1
        #[argh(option)]
        pub(crate) command: Vec<String>,

        @resp3,

        /// the task name in the CSV and the summary (default "METHOD /path", or a Redis command's text)
        #[argh(option)]
        pub(crate) name: Option<String>,

        /// serve a live web page of the run at ADDR: PORT (on 127.0.0.1), HOST:PORT or [IPv6]:PORT (default 127.0.0.1:8089; the page has no authentication)
        #[argh(option)]
        pub(crate) dashboard: Option<String>,

        /// keep the dashboard up this long after the run when stdin is not a terminal (default 0s; with a terminal, until Enter)
        #[argh(option)]
        pub(crate) dashboard_linger: Option<String>,

        /// seed for the random draws (think times, Poisson arrivals), for repeatable runs (default 1)
        #[argh(option, default = "1")]
        pub(crate) seed: u64,

        /// run only segment I of N of the plan (I from 0), e.g. 2/4: user or arrival k is segment k mod N's, at its time in the whole plan
        #[argh(option)]
        pub(crate) segment: Option<String>,

        /// run one of N segments of the plan, the one JOB_COMPLETION_INDEX names (a Kubernetes Indexed Job sets it)
        #[argh(option, from_str_fn(parse_count_usize))]
        pub(crate) segments: Option<usize>,

        /// start at this wall-clock moment, and count elapsed_us from it: RFC 3339 (2026-12-01T16:00:00Z, or with an offset) or Unix seconds (1796140800.5)
        #[argh(option)]
        pub(crate) start_at: Option<String>,

        /// with --start-at: how late this process may come to the moment and still run, counting from it (default 1s)
        #[argh(option)]
        pub(crate) start_grace: Option<String>,
    }
}

impl RunArgs {
    pub(crate) fn validate(&self) -> Result<Plan, String> {
        // The flags as typed, then the scenario's directives filling the gaps.
        let flags = self.settings()?;
        let (scenario, settings) = match &self.scenario {
            Some(path) => {
                let (scenario, file) = super::scenario::load(path, &self.var)?;
                (Some(scenario), flags.or_file(file))
            }
            None => (None, flags),
        };
        let (load, users, duration) = settings.load()?;
        let timeout = settings.timeout.unwrap_or(Duration::from_secs(10));
        if timeout.is_zero() {
            return Err("--timeout must be longer than 0".into());
        }
        if settings.sequence && matches!(load, Load::Open { .. }) {
            let given = if self.sequence {
                "--sequence"
            } else {
                "@sequence"
            };
            return Err(format!(
                "{given} is for the closed model: in the open model requests are not a user's"
            ));
        }
        let segment = self.segment(users)?;
        let workers = workers_for(self.threads, self.cpus.as_deref(), segment.share_of(users))?;
        let headers = self
            .header
            .iter()
            .map(|h| request::parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        let (url, tasks, task_origins) = match (&scenario, &self.scenario) {
            (Some(scenario), Some(path)) => {
                self.no_single_request_flags()?;
                let (url, tasks) =
                    super::scenario::tasks(scenario, path, self.host.as_deref(), &headers)?;
                (url, tasks, super::scenario::origins(scenario, path))
            }
            _ => {
                let (url, tasks) = self.single_task(headers)?;
                let origin = if url.takes_commands() {
                    "--command".to_string()
                } else {
                    url.to_string()
                };
                let origins = vec![origin; tasks.len()];
                (url, tasks, origins)
            }
        };
        tasks.iter().try_for_each(Task::check_name)?;
        let vars = match &scenario {
            Some(scenario) => scenario.variables.clone(),
            None => self
                .var
                .iter()
                .map(|v| super::scenario::parse_var(v))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let mut url = url;
        match &mut url.redis {
            Some(login) => login.resp3 = self.resp3,
            None if self.resp3 => return Err("--resp3 is for redis:// targets".into()),
            None => {}
        }
        let connections = super::connection::resolve(self, &url)?;
        let addr = resolve(&url.host, url.port)?;
        crate::fdlimit::ensure_room_for(segment.share_of(users))?;
        let out = if self.no_out {
            None
        } else {
            Some(PathBuf::from(segment.fill(&self.out)))
        };
        let fill = |path: &str| PathBuf::from(segment.fill(path));
        let summary = self.summary.as_deref().map(fill);
        let hdr_log = self.hdr_log.as_deref().map(fill);
        for (other, flag) in [(&out, "--out"), (&summary, "--summary")] {
            if let (Some(log), Some(other)) = (&hdr_log, other)
                && log == other
            {
                return Err(format!(
                    "--hdr-log {}: {flag} writes that file too; give each its own",
                    log.display()
                ));
            }
        }
        let dashboard = self
            .dashboard
            .as_deref()
            .map(super::dashboard::parse)
            .transpose()?;
        let dashboard_linger = match (&self.dashboard_linger, &dashboard) {
            (Some(_), None) => return Err("--dashboard-linger goes with --dashboard".into()),
            (Some(text), Some(_)) => {
                parse_duration(text).map_err(|e| format!("--dashboard-linger: {e}"))?
            }
            (None, _) => Duration::ZERO,
        };
        let mut plan = Plan {
            dashboard,
            dashboard_linger,
            addr,
            tasks,
            task_origins,
            url,
            users,
            duration,
            load,
            timeout,
            workers,
            out,
            summary,
            hdr_log,
            quiet: self.quiet,
            seed: self.seed,
            sequence: settings.sequence,
            requests: self.requests,
            tls: connections.tls,
            requests_per_conn: connections.requests_per_conn,
            pipeline: connections.pipeline,
            vars,
            segment,
            start_at: self.start_at()?,
            journey: scenario
                .as_ref()
                .map(|s| s.journey.clone())
                .unwrap_or_default(),
        };
        // An HTTP scenario's users keep cookies, as browsers do: every
        // reply's Set-Cookie is captured for them.
        if scenario.is_some() && !self.no_cookies && !plan.url.takes_commands() {
            plan.journey.cookies = Some(Site::new(&plan.url.host, plan.url.tls));
            for task in &mut plan.tasks {
                let mut spec = task.request.capture.as_deref().cloned().unwrap_or_default();
                spec.keep_header("set-cookie");
                task.request.capture = Some(Arc::new(spec));
            }
        }
        // Last, once nothing else can fail: nothing is created or emptied
        // for a run that never starts.
        if let Some(path) = &plan.out {
            check_writable(path, "--out")?;
        }
        if let Some(path) = &plan.summary {
            check_writable(path, "--summary")?;
        }
        if let Some(path) = &plan.hdr_log {
            check_writable(path, "--hdr-log")?;
        }
        Ok(plan)
    }

    /// The segment of the plan this process runs, from `--segment`, or
    /// `--segments` and the Job's index; each must hold at least one of the
    /// `users` (or connections) and of the `-n` requests.
    fn segment(&self, users: usize) -> Result<Segment, String> {
        let job_index = std::env::var_os(JOB_INDEX_VAR).map(|v| v.to_string_lossy().into_owned());
        let segment =
            Segment::resolve(self.segment.as_deref(), self.segments, job_index.as_deref())?;
        let Segment { index, count } = segment;
        if segment.share_of(users) == 0 {
            return Err(format!(
                "segment {index}/{count} would have no users: {users} users (or connections, -c) dealt over {count} segments leave it none; give at least {count}"
            ));
        }
        // In either model the segment's first arrival, or its first user's
        // first request, is request I of the whole plan: it gets some of
        // `-n` when n > I.
        if let Some(n) = self.requests {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if segment.share_of(n) == 0 {
                return Err(format!(
                    "segment {index}/{count} would have no requests: -n {n} dealt over {count} segments leaves it none; give at least {count}"
                ));
            }
        }
        Ok(segment)
    }

    /// `--start-at` and `--start-grace`, checked against the clock now.
    fn start_at(&self) -> Result<Option<StartAt>, String> {
        let grace = match (&self.start_grace, &self.start_at) {
            (Some(_), None) => return Err("--start-grace goes with --start-at".into()),
            (Some(text), Some(_)) => {
                parse_duration(text).map_err(|e| format!("--start-grace: {e}"))?
            }
            (None, _) => DEFAULT_GRACE,
        };
        self.start_at
            .as_deref()
            .map(|text| StartAt::parse(text, grace, SystemTime::now()))
            .transpose()
    }

    /// The load settings the flags give, each parsed.
    fn settings(&self) -> Result<Settings, String> {
        let duration = |flag: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| parse_seconds_or_duration(t).map_err(|e| format!("{flag}: {e}")))
                .transpose()
        };
        let arrival = self
            .arrival
            .as_deref()
            .map(|text| parse_arrival(text).map_err(|e| format!("--arrival {text:?}: {e}")));
        Ok(Settings {
            users: self.users,
            spawn_rate: self.spawn_rate,
            rate: self.rate,
            duration: duration("--duration", &self.duration)?,
            stages: self.stages.as_deref().map(Ramp::parse_stages).transpose()?,
            open: self.open,
            arrival: arrival.transpose()?,
            think: self.think.as_deref().map(parse_think).transpose()?,
            timeout: duration("--timeout", &self.timeout)?,
            sequence: self.sequence,
            requests: self.requests,
        })
    }

    /// The one task of `stampede run URL`.
    fn single_task(&self, headers: Vec<(String, String)>) -> Result<(Url, Vec<Task>), String> {
        let url = match &self.url {
            Some(url) => Url::parse(url)?,
            None => return Err("give the target URL, or a scenario with -f FILE".into()),
        };
        if self.no_cookies {
            return Err(
                "--no-cookies goes with a scenario (-f FILE): a URL run sends no cookies".into(),
            );
        }
        if url.takes_commands() {
            // Only a protocol added with `main_with` reads settings.
            if !url.custom && !self.var.is_empty() {
                return Err(format!(
                    "--var goes with a scenario (-f FILE); {} commands take no settings",
                    url.origin()
                ));
            }
            let tasks = super::commands::tasks(self, &url)?;
            return Ok((url, tasks));
        }
        if !self.command.is_empty() {
            return Err(format!(
                "--command is for redis:// targets; {} is HTTP",
                url.origin()
            ));
        }
        for (flag, given) in [
            ("--host", self.host.is_some()),
            ("--var", !self.var.is_empty()),
            ("--sequence", self.sequence),
        ] {
            if given {
                return Err(format!("{flag} goes with a scenario (-f FILE)"));
            }
        }
        let body = self.body_bytes()?;
        let method = match &self.method {
            Some(m) => m.clone(),
            None if body.is_empty() => "GET".into(),
            None => "POST".into(),
        };
        request::validate_method(&method)?;
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| format!("{method} {}", path_only(&url.target)));
        let request = RequestSpec {
            method,
            authority: url.host_header(),
            target: url.target.clone(),
            headers,
            body,
            values: Vec::new(),
            capture: None,
        };
        HttpRequest::new(&request, false)?;
        let task = Task {
            name,
            request,
            weight: 1,
            expect: Default::default(),
        };
        Ok((url, vec![task]))
    }

    /// A scenario sets each request's method, body and name itself.
    fn no_single_request_flags(&self) -> Result<(), String> {
        let flags = [
            ("a URL", self.url.is_some()),
            ("--method", self.method.is_some()),
            ("--body", self.body.is_some()),
            ("--body-file", self.body_file.is_some()),
            ("--name", self.name.is_some()),
            ("--command", !self.command.is_empty()),
        ];
        match flags.iter().find(|(_, given)| *given) {
            Some((flag, _)) => Err(format!(
                "give {flag} or a scenario (-f), not both: the scenario sets each request"
            )),
            None => Ok(()),
        }
    }

    fn body_bytes(&self) -> Result<Vec<u8>, String> {
        match (&self.body, &self.body_file) {
            (Some(_), Some(_)) => Err("give --body or --body-file, not both".into()),
            (Some(text), None) => Ok(text.clone().into_bytes()),
            (None, Some(path)) => {
                whole_file::read(Path::new(path), whole_file::MAX_BODY).map_err(|e| {
                    match e.kind() {
                        io::ErrorKind::FileTooLarge => {
                            format!("--body-file {path}: larger than 1 GiB, the limit for a body")
                        }
                        _ => format!("--body-file {path}: {e}"),
                    }
                })
            }
            (None, None) => Ok(Vec::new()),
        }
    }
}

/// Worker threads and their cores, from `--threads` and `--cpus`. Without
/// `--cpus`, worker i is pinned to the i-th available core (wrapping), and
/// there is never more than one worker per user.
pub(crate) fn workers_for(
    threads: Option<usize>,
    cpus: Option<&str>,
    users: usize,
) -> Result<Vec<Option<usize>>, String> {
    match threads {
        Some(0) => return Err("--threads must be at least 1".into()),
        Some(t) if t > MAX_THREADS => return Err(format!("--threads {t}: at most {MAX_THREADS}")),
        _ => {}
    }
    let pinned = match cpus {
        Some(list) => {
            let cores = cores::parse_cpu_list(list).map_err(|e| format!("--cpus: {e}"))?;
            cores::check_exist(&cores).map_err(|e| format!("--cpus: {e}"))?;
            if threads.is_some_and(|t| t != cores.len()) {
                return Err(
                    "--cpus sets the thread count; drop --threads or make them agree".into(),
                );
            }
            cores
        }
        None => cores::available(),
    };
    if pinned.is_empty() {
        return Ok(vec![None; threads.unwrap_or(1).min(users)]);
    }
    let count = threads.unwrap_or(pinned.len()).min(users).max(1);
    Ok((0..count).map(|i| Some(pinned[i % pinned.len()])).collect())
}

/// Resolve the host, preferring IPv4: `localhost` then reaches servers that
/// listen on 127.0.0.1 only, which most do.
pub(super) fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve host {host:?}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("cannot resolve host {host:?}: no addresses"))
}

/// Check that `path` can be written, without creating it or emptying a
/// file already there: a run that fails validation leaves nothing behind,
/// and the run truncates the file only when it starts.
pub(crate) fn check_writable(path: &Path, flag: &str) -> Result<(), String> {
    let fail = |why: String| Err(format!("{flag} {}: cannot write: {why}", path.display()));
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return fail("it is a directory".into()),
        Ok(_) => {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map(drop)
                .or_else(|e| fail(e.to_string()));
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return fail(e.to_string()),
        Err(_) => {}
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return fail(format!("{} is not a directory", dir.display())),
        Err(e) => return fail(format!("{}: {e}", dir.display())),
    }
    let c_dir = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
        .map_err(|_| format!("{flag}: the path has a NUL byte"))?;
    // SAFETY: access only reads the NUL-terminated path it is given.
    if unsafe { libc::access(c_dir.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return fail(format!(
            "{}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn path_only(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}
