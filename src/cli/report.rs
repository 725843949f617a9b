//! `stampede report FILE.csv...`

use argh::FromArgs;

#[derive(FromArgs, Debug)]
/// Summarise results.csv files or HdrHistogram logs (run --hdr-log), merged into one run: the summary the run printed, a time series, an HTML page.
#[argh(
    subcommand,
    name = "report",
    example = "stampede report results.csv",
    example = "stampede report results.csv --timeseries series.csv --interval 5s",
    example = "stampede report box1.csv box2.csv --json",
    example = "stampede report box1.hlog box2.hlog --timeseries series.csv",
    example = "stampede report results.csv --html report.html",
    note = "Several files merge into one run, exactly, aligned on elapsed_us: boxes that started together.\n\
            A .hlog file (or one that starts like a log) is read as an HdrHistogram log: it has no bytes,\n\
            wait, service, connect or TLS times, and no intervals under 1s.\n\
            Exit codes: 0 done; 1 an output file could not be written; 2 a file is missing, empty or\n\
            malformed (the error names the file and line)."
)]
pub struct ReportArgs {
    /// results.csv files, or HdrHistogram logs written by run --hdr-log, to read
    #[argh(positional)]
    pub(crate) files: Vec<String>,

    /// time-series bucket length, e.g. 1s, 500ms, 1m (default 1s; coarser, as said on stderr, when the series would pass 100000 points)
    #[argh(option)]
    pub(crate) interval: Option<String>,

    /// write the time series as CSV to this path: start_s, requests, rps, failures, avg/p50/p90/p99/max ms, bytes, length_s
    #[argh(option)]
    pub(crate) timeseries: Option<String>,

    /// one time-series row per interval per task, with a task column
    #[argh(switch)]
    pub(crate) by_task: bool,

    /// write one self-contained HTML page with charts (no network needed) to this path
    #[argh(option)]
    pub(crate) html: Option<String>,

    /// print the summary as JSON (the keys of run --summary) instead of text
    #[argh(switch)]
    pub(crate) json: bool,
}
