//! The `stampede` binary: parse argv, dispatch, exit. The work is in the library.

use stampede::app;
use stampede::cli::{self, Command, TopLevel};

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = match cli::parse(&argv) {
        Err(code) => code,
        Ok(TopLevel { version: true, .. }) => app::version(),
        Ok(TopLevel { command: None, .. }) => app::no_command(),
        Ok(TopLevel {
            command: Some(command),
            ..
        }) => match command {
            Command::Run(args) => app::run(&args),
            Command::FindMax(args) => app::find_max(&args),
            Command::Serve(args) => app::serve(&args),
            Command::Demo(args) => app::demo(&args),
            Command::Report(args) => app::report(&args),
            Command::Check(args) => app::check(&args),
        },
    };
    std::process::exit(code);
}
