//! The commands: each takes parsed arguments and returns the exit code.

use crate::cli::{
    CheckArgs, DemoArgs, FindMaxArgs, ReportArgs, RunArgs, ServeArgs, USAGE_EXIT, run::workers_for,
};
use crate::console::{errln, out, outln};
use crate::dashboard::Dashboard;
use crate::dashboard::{Live, SharedLive};
use crate::engine::{self, Gauges};
use crate::http::protocol::Http1;
use crate::output::{self, RunInfo};
use crate::plan::Plan;
use crate::protocol::Protocol;
use crate::record::hdr_log::HdrLogFile;
use crate::record::meta::RunMeta;
use crate::record::recorder::Snapshot;
use crate::redis::protocol::Redis;
use crate::serve::{ServeConfig, Server, Stall};
use crate::signal;
use argh::FromArgs;
use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Exit code when the run produced nothing usable.
pub(crate) const FAILED_EXIT: i32 = 1;

/// `--version`.
pub fn version() -> i32 {
    outln!("stampede {}", env!("CARGO_PKG_VERSION"));
    0
}

/// No command on the command line.
pub fn no_command() -> i32 {
    usage_error("no command given; try `stampede demo` or `stampede --help`")
}

pub fn run(args: &RunArgs) -> i32 {
    signal::install();
    match args.validate() {
        Ok(plan) => execute(&plan),
        Err(e) => usage_error(&e),
    }
}

/// `run` for a binary that adds a protocol (`custom::main_with`): `make`
/// gives it for a plan whose URL has its scheme, once the plan is valid.
pub(crate) fn run_with<P: Protocol>(
    args: &RunArgs,
    make: impl FnOnce(&Plan) -> Result<P, String>,
) -> i32 {
    signal::install();
    let plan = match args.validate() {
        Ok(plan) => plan,
        Err(e) => return usage_error(&e),
    };
    if !plan.url.custom {
        return execute(&plan);
    }
    match make(&plan) {
        Ok(protocol) => execute_with(&plan, &protocol),
        Err(e) => usage_error(&e),
    }
}

/// Search for the highest rate the target sustains within its SLO.
pub fn find_max(args: &FindMaxArgs) -> i32 {
    signal::install();
    match args.validate() {
        Ok(search) => crate::findmax::run(&search),
        Err(e) => usage_error(&e),
    }
}

pub fn serve(args: &ServeArgs) -> i32 {
    signal::install();
    let addr: SocketAddr = match args.addr.parse() {
        Ok(a) => a,
        Err(_) => {
            return usage_error(&format!(
                "--addr {:?}: expected IP:PORT, e.g. 127.0.0.1:8080",
                args.addr
            ));
        }
    };
    let cores = match workers_for(args.threads, args.cpus.as_deref(), usize::MAX) {
        Ok(w) => w.into_iter().flatten().collect(),
        Err(e) => return usage_error(&e),
    };
    let stall = match args.stall.as_deref().map(Stall::parse).transpose() {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let tls = match args.tls_config() {
        Ok(tls) => tls,
        Err(e) => return usage_error(&e),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let config = ServeConfig {
        addr,
        cores,
        stall,
        tls,
        stuck_after: crate::serve::STUCK,
    };
    let server = match Server::start(config) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("cannot listen on {addr}: {e}")),
    };
    outln!(
        "stampede serve: listening on {scheme}://{}",
        server.local_addr()
    );
    let _ = std::io::stdout().flush();
    while !signal::stop_requested() {
        std::thread::sleep(Duration::from_millis(100));
    }
    // What the clients did, as the server saw it: tests compare it with
    // what they asked for.
    errln!("stampede serve: {}", server.stop());
    0
}

/// Start the built-in server on half the cores and load-test it from the other half.
pub fn demo(args: &DemoArgs) -> i32 {
    signal::install();
    let cores = crate::cores::available();
    let (client, server_cores) = match cores.len() {
        0 => (vec![], vec![]),
        1 => (cores.clone(), cores.clone()),
        n => (cores[..n / 2].to_vec(), cores[n / 2..].to_vec()),
    };
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = match Server::start(ServeConfig {
        addr: loopback,
        cores: server_cores.clone(),
        stall: None,
        tls: None,
        stuck_after: crate::serve::STUCK,
    }) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("cannot start the built-in server: {e}")),
    };
    let url = format!("http://{}/hello", server.local_addr());
    errln!(
        "stampede demo: built-in server at {url} on cores {server_cores:?}, client on cores {client:?}"
    );
    let mut argv = vec![
        url,
        "-c".into(),
        args.users.to_string(),
        "-d".into(),
        args.duration.clone(),
    ];
    argv.extend(["-o".into(), args.out.clone()]);
    if !client.is_empty() {
        let list: Vec<String> = client.iter().map(|c| c.to_string()).collect();
        argv.extend(["--cpus".into(), list.join(",")]);
    }
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let code = match RunArgs::from_args(&["run"], &argv) {
        Ok(run_args) => match run_args.validate() {
            Ok(plan) => execute(&plan),
            Err(e) => usage_error(&e),
        },
        Err(e) => usage_error(e.output.lines().next().unwrap_or("bad demo arguments")),
    };
    server.stop();
    code
}

/// Check a recorded run against thresholds and a baseline: 0 pass, 1 fail, 2 bad input.
pub fn check(args: &CheckArgs) -> i32 {
    crate::check::run(args)
}

/// Run a validated plan with the protocol its URL's scheme picks; the
/// engine is generic over it.
fn execute(plan: &Plan) -> i32 {
    match &plan.url.redis {
        Some(login) => execute_with(plan, &Redis::new(login)),
        None => execute_with(plan, &Http1),
    }
}

/// Run a validated plan: live lines on stderr, the summary on stdout.
fn execute_with<P: Protocol>(plan: &Plan, protocol: &P) -> i32 {
    let requests = match prepare(plan, protocol) {
        Ok(requests) => requests,
        Err(e) => return usage_error(&e),
    };
    announce(plan);
    let live = plan
        .dashboard
        .as_ref()
        .map(|_| Arc::new(Mutex::new(new_live(plan))));
    let dashboard = match (&plan.dashboard, &live) {
        (Some(at), Some(live)) => {
            let addr = at.addr;
            match Dashboard::start(addr, at.name.as_deref(), live.clone(), free_core(plan)) {
                Ok(d) => {
                    errln!("stampede: dashboard at http://{}", d.local_addr());
                    if !addr.ip().is_loopback() {
                        errln!(
                            "stampede: warning: the dashboard listens on {addr} and has no authentication"
                        );
                    }
                    Some(d)
                }
                Err(e) => return usage_error(&format!("--dashboard {addr}: cannot listen: {e}")),
            }
        }
        _ => None,
    };
    // Emptied only now, when the run is sure to start.
    let out = match plan.out.as_ref().map(File::create).transpose() {
        Ok(out) => out,
        Err(e) => return usage_error(&format!("--out: cannot write: {e}")),
    };
    let mut hdr_file = match plan.hdr_log.as_deref().map(HdrLogFile::create).transpose() {
        Ok(file) => file,
        Err(e) => return usage_error(&format!("--hdr-log: cannot write: {e}")),
    };
    write_meta(plan);
    let names: Vec<String> = plan.tasks.iter().map(|t| t.name.clone()).collect();
    let mut hdr_log = match hdr_file
        .as_mut()
        // The log's time axis starts where elapsed_us does: at --start-at.
        .map(|f| {
            let started = plan
                .start_at
                .as_ref()
                .map_or_else(SystemTime::now, |s| s.at);
            f.begin(&names, started)
        })
        .transpose()
    {
        Ok(log) => log,
        Err(e) => return usage_error(&format!("--hdr-log: cannot write: {e}")),
    };
    let quiet = plan.quiet;
    // A segment's own share of the users and of `-n`.
    let segment = plan.segment;
    let mut context = output::live::LineContext {
        users: segment.share_of(plan.users),
        open: plan.is_open(),
        duration: plan.duration,
        requests: engine::requests_share(plan, segment.index, segment.count),
        stopping: false,
        width: output::layout::DEFAULT_WIDTH,
    };
    let mut told_csv_error = false;
    let on_interval = |snap: &Snapshot, gauges: Gauges| {
        if let Some(e) = snap.csv_error.filter(|_| !told_csv_error) {
            told_csv_error = true;
            errln!(
                "stampede: writing {} failed at {:.1}s: {e}; the run goes on, but the file is incomplete",
                display_out(plan),
                snap.elapsed.as_secs_f64()
            );
        }
        if !quiet && output::live::worth_printing(snap) {
            context.stopping = signal::stop_requested();
            // Asked each time: the terminal may have been resized.
            context.width = output::layout::terminal_width(2);
            errln!("{}", output::live::line(snap, gauges, &context));
        }
        if let Some(log) = &mut hdr_log {
            log.write(snap);
        }
        if let Some(live) = &live {
            // Only plain copies happen under this lock, so a poisoned one
            // still holds consistent figures.
            live.lock()
                .unwrap_or_else(|e| e.into_inner())
                .record(snap, gauges);
        }
    };
    let mut code = match engine::run(plan, protocol, &requests, out, on_interval) {
        Ok(outcome) => summarize(plan, &outcome, live.as_ref()),
        Err(e) => {
            errln!("stampede: the run failed: {e}");
            FAILED_EXIT
        }
    };
    let hdr_error = hdr_log.and_then(|log| log.error().map(String::from));
    let hdr_error = match hdr_file.map(HdrLogFile::finish) {
        Some(Err(e)) => hdr_error.or(Some(e.to_string())),
        _ => hdr_error,
    };
    if let (Some(e), Some(path)) = (hdr_error, &plan.hdr_log) {
        errln!(
            "stampede: writing {} failed, so it is incomplete: {e}",
            path.display()
        );
        code = FAILED_EXIT;
    }
    if let Some(dashboard) = dashboard {
        crate::dashboard::linger(plan.dashboard_linger);
        dashboard.stop();
    }
    code
}

/// The tasks' requests, encoded by `protocol` once for the whole run:
/// every worker writes from these. A task the protocol cannot encode is
/// the user's input: said before anything is written or sent, with where
/// the task was given (a protocol added with `main_with` sees its tasks
/// only now).
pub(crate) fn prepare<P: Protocol>(plan: &Plan, protocol: &P) -> Result<Vec<P::Request>, String> {
    if plan.pipeline > 1 && !protocol.pipelines() {
        return Err(format!(
            "--pipeline: requests to {} cannot be pipelined (its protocol does not allow it)",
            plan.url.origin()
        ));
    }
    let closing = plan.requests_per_conn.is_some();
    plan.tasks
        .iter()
        .zip(&plan.task_origins)
        .map(|(t, origin)| {
            protocol
                .prepare(&t.request, closing)
                .map_err(|e| format!("{origin}: {e}"))
        })
        .collect()
}

/// Beside results.csv and the HdrHistogram log, what was tested and each
/// task's method, for `report`. Only a label: a run whose meta file cannot
/// be written goes on.
fn write_meta(plan: &Plan) {
    let meta = RunMeta {
        target: plan.url.to_string(),
        plan: plan.describe(),
        tasks: plan.task_labels(),
    };
    // Only beside a file: `-o /dev/null` gets no `/dev/null.meta`.
    for file in [&plan.out, &plan.hdr_log].into_iter().flatten() {
        if !file.is_file() {
            continue;
        }
        let path = RunMeta::path_for(file);
        if let Err(e) = meta.write(&path) {
            errln!("stampede: warning: {}: {e}", path.display());
        }
    }
}

/// A core none of the workers is pinned to, if there is one: the
/// dashboard's rendering then never competes with them.
fn free_core(plan: &Plan) -> Option<usize> {
    crate::cores::available()
        .into_iter()
        .find(|c| !plan.workers.contains(&Some(*c)))
}

fn new_live(plan: &Plan) -> Live {
    let tasks = plan.task_labels();
    let open = plan.is_open();
    Live::new(
        plan.url.to_string(),
        plan.describe(),
        open,
        plan.duration,
        tasks,
    )
}

/// Per task, the first failed check the workers saw, in words.
fn check_failures(plan: &Plan, workers: &engine::WorkerReport) -> Vec<Option<String>> {
    let seen = &workers.check_failures;
    (0..plan.tasks.len())
        .map(|i| seen.first(i).map(str::to_owned))
        .collect()
}

/// Print the summary, write the JSON, and work out the exit code.
fn summarize(plan: &Plan, outcome: &engine::Outcome, live: Option<&SharedLive>) -> i32 {
    let info = RunInfo {
        // One run time for the run and for `report` on its CSV: to the end
        // of the last request (the drain's own last microseconds aside).
        run_time: outcome.recorded.stats.span(),
        users: Some(plan.segment.share_of(plan.users)),
        open_model: plan.is_open(),
        tasks: plan.task_labels(),
        backpressure: Some(outcome.workers.backpressure),
        late: Some(outcome.workers.late),
        stalls: Some(outcome.workers.stalls),
        bytes_sent: Some(outcome.workers.bytes_sent),
        connections_opened: Some(outcome.workers.connections_opened),
        tls_problem: outcome.workers.tls_problem.clone(),
        init_problem: outcome.workers.init_problem.clone(),
        check_failures: check_failures(plan, &outcome.workers),
        connections_resumed: Some(outcome.workers.connections_resumed),

        resent: Some(outcome.workers.resent),
        connection_times: true,
        segment: Some(plan.segment),
        start_skew_us: outcome.start_skew_us,
        histograms_only: false,
    };
    let stats = &outcome.recorded.stats;
    let summary = output::summary::render(stats, &info, output::layout::terminal_width(1));
    outln!("{summary}");
    if let Some(live) = live {
        live.lock()
            .unwrap_or_else(|e| e.into_inner())
            .finish(summary);
    }
    let mut code = stop_code();
    if let Some(path) = &plan.summary
        && let Err(e) = std::fs::write(path, output::json::render(stats, &info))
    {
        errln!("stampede: --summary {}: {e}", path.display());
        code = FAILED_EXIT;
    }
    if info.generator_lagging(stats.total.requests) {
        errln!("stampede: warning: the generator fell behind its schedule; see the summary");
    }
    if info.generator_stalled() {
        errln!("stampede: warning: the generator itself stalled; see the summary");
    }
    if let Some(why) = &info.tls_problem {
        errln!("stampede: TLS handshakes failed: {why}");
    }
    if let Some(why) = &info.init_problem {
        errln!("stampede: the server refused the connection setup: {why}");
    }
    if let Some(e) = &outcome.recorded.csv_error {
        errln!(
            "stampede: writing {} failed, so it is incomplete: {e}",
            display_out(plan)
        );
        code = FAILED_EXIT;
    }
    if stats.responses() == 0 {
        errln!(
            "stampede: not one response arrived from {} during the run",
            plan.url
        );
        // A run stopped early keeps the code that says so; files that
        // could not be written still make it a failure.
        if code == 0 {
            code = FAILED_EXIT;
        }
    }
    code
}

/// The exit code for how the run ended, said in a line when it ended early.
fn stop_code() -> i32 {
    if signal::run_aborted() {
        errln!(
            "stampede: aborted by a second signal: the drain was skipped, and requests in flight are recorded as `aborted`"
        );
        return signal::ABORTED_EXIT;
    }
    if !signal::stop_requested() {
        return 0;
    }
    let by = signal::stopped_by().unwrap_or("the dashboard's Stop button");
    errln!("stampede: stopped early by {by}; every request that fell due is recorded");
    signal::INTERRUPTED_EXIT
}

fn display_out(plan: &Plan) -> String {
    plan.out
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn announce(plan: &Plan) {
    let out = match (&plan.out, &plan.hdr_log) {
        (Some(csv), Some(log)) => format!(
            "writing {} and the HdrHistogram log {}",
            csv.display(),
            log.display()
        ),
        (Some(csv), None) => format!("writing {}", csv.display()),
        (None, Some(log)) => format!("writing the HdrHistogram log {}, no CSV", log.display()),
        (None, None) => "no CSV".to_string(),
    };
    errln!(
        "stampede: {} -> {} ({}), {} worker(s), {out}",
        plan.describe(),
        plan.url,
        plan.addr,
        plan.workers.len()
    );
    if let Some(start) = &plan.start_at {
        let wait = start.at.duration_since(std::time::SystemTime::now());
        errln!(
            "stampede: starting at {} ({}), elapsed_us counting from it",
            start.text,
            match wait {
                Ok(left) => format!("in {:.3}s", left.as_secs_f64()),
                Err(late) => format!(
                    "{:.3}s late, within --start-grace",
                    late.duration().as_secs_f64()
                ),
            }
        );
    }
    // An Indexed Job's pod without --segments would run the whole plan,
    // N times over across the Job: worth a word, though not an error.
    if plan.segment == crate::plan::segment::Segment::WHOLE
        && std::env::var_os(crate::plan::segment::JOB_INDEX_VAR).is_some()
    {
        errln!(
            "stampede: warning: {} is set but --segments is not: this process runs the whole plan, not a segment",
            crate::plan::segment::JOB_INDEX_VAR
        );
    }
    if plan.tls.as_ref().is_some_and(|tls| tls.insecure) {
        errln!("stampede: warning: --insecure: the server's certificate is not verified");
    }
}

pub(crate) fn usage_error(message: &str) -> i32 {
    errln!("stampede: {message}");
    USAGE_EXIT
}

/// Read results.csv files and print the summary; write the time series.
pub fn report(args: &ReportArgs) -> i32 {
    if args.files.is_empty() {
        return usage_error("give one or more results.csv files");
    }
    let interval = match args.interval.as_deref().map(crate::units::parse_duration) {
        None => Duration::from_secs(1),
        Some(Ok(d)) if !d.is_zero() => d,
        Some(Ok(_)) => return usage_error("--interval must be longer than 0"),
        Some(Err(e)) => return usage_error(&format!("--interval: {e}")),
    };
    let paths: Vec<&std::path::Path> = args.files.iter().map(std::path::Path::new).collect();
    let report = match crate::report::Report::load(&paths, interval, args.by_task) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    for warning in &report.warnings {
        errln!("stampede: warning: {warning}");
    }
    let asked_us = interval.as_micros() as u64;
    if let Some(note) = report
        .series
        .interval_note(asked_us, args.interval.as_deref())
    {
        errln!("stampede: {note}");
    }
    let info = RunInfo {
        run_time: report.run_time,
        tasks: report
            .methods
            .iter()
            .cloned()
            .zip(report.tasks.names.iter().cloned())
            .collect(),
        connection_times: report.connection_times,
        // No CSV row was read: only HdrHistogram logs.
        histograms_only: report.rows == 0,
        ..RunInfo::default()
    };
    if args.json {
        out!("{}", output::json::render(&report.stats, &info));
    } else {
        let width = output::layout::terminal_width(1);
        outln!("{}", output::summary::render(&report.stats, &info, width));
    }
    if let Some(path) = &args.timeseries
        && let Err(e) = std::fs::write(path, report.series.to_csv(&report.tasks.names))
    {
        errln!("stampede: --timeseries {path}: {e}");
        return FAILED_EXIT;
    }
    if let Some(path) = &args.html {
        let title = format!("stampede report: {}", args.files.join(", "));
        if let Err(e) = std::fs::write(path, crate::report::html::render(&report, &title)) {
            errln!("stampede: --html {path}: {e}");
            return FAILED_EXIT;
        }
    }
    0
}
