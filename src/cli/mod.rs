//! The command line: argh structs, parsed into validated plans. One
//! definition feeds both the parser and the help text.

#[macro_use]
mod shared;
mod commands;
mod connection;
mod dashboard;
pub(crate) mod findmax;
mod report;
pub(crate) mod run;
pub(crate) mod scenario;
mod serve;
mod settings;

pub use crate::check::CheckArgs;
use crate::console::{errln, out};
use argh::{EarlyExit, FromArgs};
pub use findmax::FindMaxArgs;
pub use report::ReportArgs;
pub use run::RunArgs;
pub use serve::{DemoArgs, ServeArgs};

/// Exit code for bad input: a flag, a URL, a file.
pub(crate) const USAGE_EXIT: i32 = 2;

#[derive(FromArgs, Debug)]
/// stampede: a fast, honest HTTP/1.1 load generator.
#[argh(
    example = "stampede demo",
    example = "stampede run http://127.0.0.1:8080/hello -c 100 -d 30s",
    example = "stampede find-max http://127.0.0.1:8080/hello --slo 'p99<50ms'",
    example = "stampede serve --addr 127.0.0.1:8080",
    example = "stampede check results.csv --p99 200ms --max-error-rate 1",
    note = "Run `stampede <command> --help` for the flags of each command."
)]
pub struct TopLevel {
    /// print the version and exit
    #[argh(switch, short = 'V')]
    pub version: bool,

    #[argh(subcommand)]
    pub command: Option<Command>,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum Command {
    Run(Box<RunArgs>),
    FindMax(Box<FindMaxArgs>),
    Serve(ServeArgs),
    Demo(DemoArgs),
    Report(ReportArgs),
    Check(CheckArgs),
}

/// Parse argv. Help goes to stdout with exit code 0; a parse error is one
/// line on stderr with exit code 2.
pub fn parse(argv: &[String]) -> Result<TopLevel, i32> {
    let name = argv.first().map(|a| program_name(a)).unwrap_or("stampede");
    let rest = dashboard::with_default(with_short_help(
        argv.iter().skip(1).map(String::as_str).collect(),
    ));
    match TopLevel::from_args(&[name], &rest) {
        Ok(top) => Ok(top),
        Err(EarlyExit {
            output,
            status: Ok(()),
        }) => {
            out!("{output}");
            Err(0)
        }
        Err(EarlyExit {
            output,
            status: Err(()),
        }) => {
            let first = output.lines().next().unwrap_or("bad arguments");
            errln!("stampede: {first} (see --help)");
            Err(USAGE_EXIT)
        }
    }
}

/// `-h` asks for help, as in every peer; argh knows only `--help`. A `-h`
/// right after another flag is left alone: it may be that flag's value
/// (`--name -h`).
fn with_short_help(mut args: Vec<&str>) -> Vec<&str> {
    for i in 0..args.len() {
        if args[i] == "--" {
            break;
        }
        let after_flag = i > 0 && args[i - 1].starts_with('-');
        if args[i] == "-h" && !after_flag {
            args[i] = "--help";
        }
    }
    args
}

fn program_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
