//! The CLI edge: parse, resolve settings, run one command, map the outcome to an exit code
//! (0 success / no red findings, 1 red findings, 2 error). Errors become one readable message.

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use windowwatch::cli::{Cli, Command, LogFormat};
use windowwatch::commands;

fn init_tracing(quiet: bool, verbose: u8, daemon: bool, format: LogFormat) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        // The daemon logs every run: info is its normal level.
        (false, 0) if daemon => "info,datafusion=warn,tokio_cron_scheduler=warn",
        (false, 0) => "warn",
        (false, 1) => "info,datafusion=warn",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WINDOWWATCH_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// An error and its causes, each said once: many messages already carry their cause's words.
fn readable(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let m = cause.to_string();
        if out.contains(m.trim()) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&m);
    }
    out
}


/// mimalloc's `mi_option_purge_delay` (not among the Rust bindings' named options).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Memory freed is kept ten seconds before it is handed back to the kernel: an ingest frees and
    // allocates hundreds of megabytes in passes (and a batch or the bench file after file), and
    // each page handed back is zeroed again when it returns — on a virtual machine up to a second
    // per GiB. A daemon idle between jobs still gives its memory back. MIMALLOC_PURGE_DELAY (ms)
    // chooses otherwise.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a mimalloc option to a valid value; no allocation is affected in flight.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10_000) };
    }
    let cli = Cli::parse();
    let daemon = matches!(cli.command, Command::Serve(_));
    init_tracing(cli.global.quiet, cli.global.verbose, daemon, cli.global.log_format);
    if cli.global.quiet {
        windowwatch::progress::disable();
    }
    match commands::run(cli.command, &cli.global) {
        Ok(code) => ExitCode::from(code),
        // The one error exit: every failure, from settings or a command, said once, exit 2.
        Err(e) => {
            eprintln!("windowwatch: {}", readable(&e));
            ExitCode::from(2)
        }
    }
}
