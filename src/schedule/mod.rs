//! Scheduled operation: `windowwatch serve`, the daemon a hall leaves running for a year, and
//! its companions `windowwatch jobs` and `windowwatch run JOB`.
//!
//! The daemon takes the jobs of `[[jobs]]` (inbox, check, daily, monthly, register) and fires
//! them on their cron expressions in China time through tokio-cron-scheduler, whatever the host's
//! zone. Every run ends in a row of the `job_runs` table (`ledger`), and what is owed (missed
//! while stopped, or failed) is computed from that ledger (`catchup`), so a restart catches up
//! exactly once. One daemon per data folder (`lock`); SIGTERM/SIGINT let the running job reach
//! a safe point (`daemon`). docs/operations.md is the operator's description of all of it.

pub mod catchup;
pub mod daemon;
pub mod health;
pub mod inbox;
pub mod jobs;
pub mod ledger;
pub mod lock;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDateTime;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};

use crate::checks::CheckError;
use crate::deliver::DeliverError;
use crate::ingest::IngestError;
use crate::report::ReportError;
use crate::settings::Settings;
use crate::store::{StoreError, Warehouse};
use jobs::{JobSpec, Runner};
use ledger::{Status, Trigger};

/// Why the daemon (or `jobs` / `run`) cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "another windowwatch serve is already running for the data folder {data} ({holder}); one daemon per data folder. \
         Stop it first (e.g. `systemctl stop windowwatch`), or give this one another --data \
         (同一数据目录只能运行一个 serve 实例)",
        data = .data.display()
    )]
    AlreadyRunning { data: PathBuf, holder: String },
    #[error("{path}: {source}", path = .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("job `{job}`: {message}")]
    Job { job: String, message: String },
    #[error("no [[jobs]] in the configuration{file}: nothing to serve (see `windowwatch init` for examples)")]
    NoJobs { file: String },
    #[error("no job named `{name}`; the configuration has: {known}")]
    UnknownJob { name: String, known: String },
    #[error("scheduler: {0}")]
    Scheduler(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why one job run failed (recorded in `job_runs.error`).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    #[error("{failed} recipient(s) not delivered ({list}); {mails} delivered; the next run tries the rest (未送达的收件人将在下次运行时重试)")]
    Undelivered { failed: usize, mails: i64, list: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}", path = .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("interrupted by shutdown at a safe point: {0} (服务停止，下次启动时继续)")]
    Interrupted(String),
    #[error("the job panicked: {0}")]
    Panic(String),
}

fn find<'a>(specs: &'a [JobSpec], name: &str) -> Result<&'a JobSpec, ScheduleError> {
    specs.iter().find(|j| j.name == name).ok_or_else(|| ScheduleError::UnknownJob {
        name: name.to_string(),
        known: if specs.is_empty() { "no jobs".into() } else { specs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>().join(", ") },
    })
}

/// `windowwatch run JOB`: one occurrence now (recorded with trigger `manual`). Returns the record,
/// or None when an inbox run found nothing to do.
pub async fn run_now(settings: Arc<Settings>, name: &str) -> Result<Option<ledger::RunRecord>, ScheduleError> {
    let specs = JobSpec::all(&settings.config)?;
    let job = find(&specs, name)?.clone();
    let wh = Warehouse::open(&settings.config.data_dir)?;
    let runner = Runner::new(settings, wh, Arc::new(AtomicBool::new(false)), false);
    Ok(runner.run(&job, crate::clock::now_china(), Trigger::Manual, 0).await)
}

fn fmt_t(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// `windowwatch jobs`: every job with its cron, next run (China time) and last runs.
pub fn jobs_batch(settings: &Settings) -> Result<RecordBatch, ScheduleError> {
    let specs = JobSpec::all(&settings.config)?;
    let rows = match Warehouse::open_existing(&settings.config.data_dir) {
        Ok(wh) => ledger::load(&wh)?,
        Err(_) => Vec::new(),
    };
    let now = crate::clock::now_china();
    let mut cols: Vec<Vec<Option<String>>> = vec![Vec::new(); 10];
    for j in &specs {
        let h = ledger::history(&rows, &j.name);
        let served = h.served_until.unwrap_or(now);
        let owed = catchup::owed(&j.cron, served, now, j.catch_up);
        let last = h.last.as_ref();
        let vals = [
            Some(j.name.clone()),
            Some(j.kind.name().to_string()),
            Some(j.cron_text.clone()),
            fmt_t(catchup::next_after(&j.cron, now)),
            last.map(|l| l.started_at).and_then(|t| fmt_t(Some(t))),
            last.map(|l| l.status.clone()),
            h.last_ok.as_ref().and_then(|l| fmt_t(Some(l.started_at))),
            Some(match j.catch_up {
                crate::config::CatchUp::All => "all".to_string(),
                crate::config::CatchUp::Latest => "latest".to_string(),
            }),
            Some(match (h.known, &j.kind) {
                (false, _) => "first start".into(),
                // An inbox look that finds nothing is not recorded: it is always "owed" a look.
                (true, crate::config::JobKind::Inbox { .. }) => "-".into(),
                (true, _) => owed.runs.len().to_string(),
            }),
            last.and_then(|l| l.error.clone().or(l.detail.clone())),
        ];
        for (c, v) in cols.iter_mut().zip(vals) {
            c.push(v);
        }
    }
    let names = ["job", "type", "cron", "next_run", "last_run", "last_status", "last_ok", "catch_up", "owed", "last_note"];
    let schema = Arc::new(Schema::new(names.iter().map(|n| Field::new(*n, DataType::Utf8, true)).collect::<Vec<_>>()));
    let arrays: Vec<ArrayRef> = cols.into_iter().map(|c| Arc::new(StringArray::from(c)) as ArrayRef).collect();
    RecordBatch::try_new(schema, arrays).map_err(|e| ScheduleError::Scheduler(e.to_string()))
}

/// Whether a run record means success for `run`'s exit code.
pub fn succeeded(r: &ledger::RunRecord) -> bool {
    Status::parse(&r.status).is_some_and(Status::served)
}
