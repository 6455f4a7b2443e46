//! The CLI edge: parse, resolve settings, run one command, map the outcome to an exit code
//! (0 success / no red findings, 1 red findings, 2 error). Errors become one readable message.

use std::process::ExitCode;

use clap::Parser;
use windowwatch::cli::Cli;
use windowwatch::{commands, settings::Settings};

fn init_tracing(quiet: bool, verbose: u8) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "warn",
        (false, 1) => "info,datafusion=warn",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WINDOWWATCH_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.quiet, cli.global.verbose);
    let settings = match Settings::resolve(&cli.global) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("windowwatch: {e}");
            return ExitCode::from(2);
        }
    };
    match commands::run(cli.command, settings) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("windowwatch: {e:#}");
            ExitCode::from(2)
        }
    }
}
