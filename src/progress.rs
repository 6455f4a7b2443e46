//! Progress bars for long work run from a terminal: the ingest of a large file, reports rendered
//! for many offices. They draw on stderr only when stderr is a terminal, and never in the daemon
//! (`serve` turns them off), whose output is the structured log.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

static OFF: AtomicBool = AtomicBool::new(false);

/// Turns progress off for the rest of the process (`--quiet`, the daemon).
pub fn disable() {
    OFF.store(true, Ordering::Relaxed);
}

/// Whether bars are drawn: stderr is a terminal and nothing turned them off.
pub fn enabled() -> bool {
    !OFF.load(Ordering::Relaxed) && std::io::stderr().is_terminal() && std::env::var_os("WINDOWWATCH_NO_PROGRESS").is_none()
}

/// A spinner counting rows read, e.g. while one file is ingested.
pub fn rows(message: impl Into<String>) -> ProgressBar {
    if !enabled() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(ProgressStyle::with_template("{spinner} {msg} {human_pos} rows ({per_sec}, {elapsed})").expect("valid template"));
    pb.set_message(message.into());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A bar over `n` items, e.g. the offices a report is rendered for.
pub fn items(n: u64, message: impl Into<String>) -> ProgressBar {
    if !enabled() || n < 2 {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(n);
    pb.set_style(ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})").expect("valid template").progress_chars("=> "));
    pb.set_message(message.into());
    pb
}
