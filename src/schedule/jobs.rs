//! The jobs of `[[jobs]]` as the daemon runs them: each kind's options read into a typed spec,
//! and one occurrence of a job executed and recorded in `job_runs`.
//!
//! The same code serves the daemon's scheduled runs, its catch-up and retries, and
//! `windowwatch run JOB`, so a job behaves the same whichever way it is started. Reports are
//! delivered through `deliver::deliver_rendered` (SMTP or the outbox, once per recipient per the
//! delivery ledger), so running a report occurrence twice never mails anyone twice.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use croner::Cron;
use futures::FutureExt;

use super::inbox::{InboxSpec, InboxState, IngestConfig};
use super::ledger::{self, RunRecord, Status, Trigger};
use super::{JobError, ScheduleError};
use crate::checks::{self, CheckOptions};
use crate::config::{self, CatchUp, Job, JobKind};
use crate::report::{self, Month, Rendered, Request};
use crate::settings::Settings;
use crate::store::Warehouse;

/// One job of the config, ready to run: its cron compiled, its inbox patterns too.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub name: String,
    pub kind: JobKind,
    pub cron_text: String,
    pub cron: Cron,
    pub catch_up: CatchUp,
    /// Seconds after a failed run before it is tried again (0: at the next tick).
    pub retry_secs: u64,
    pub inbox: Option<InboxSpec>,
}

impl JobSpec {
    /// Compiles a config job (the config loader read and checked every value already).
    pub fn from_config(j: &Job, cfg: &config::Config) -> Result<JobSpec, ScheduleError> {
        let bad = |m: String| ScheduleError::Job { job: j.name.clone(), message: m };
        let cron = config::parse_cron(&j.cron).map_err(bad)?;
        let inbox = match &j.kind {
            JobKind::Inbox { pattern, tables, sniff, settle_secs } => Some(InboxSpec {
                dir: cfg.inbox.clone(),
                include: pattern.as_deref().map(config::name_pattern).transpose().map_err(bad)?,
                patterns: tables.iter().map(|(t, p)| Ok((*t, config::name_pattern(p).map_err(bad)?))).collect::<Result<_, ScheduleError>>()?,
                sniff: *sniff,
                settle: Duration::from_secs(*settle_secs),
            }),
            _ => None,
        };
        Ok(JobSpec { name: j.name.clone(), kind: j.kind.clone(), cron_text: j.cron.clone(), cron, catch_up: j.catch_up, retry_secs: j.retry_secs, inbox })
    }

    /// The report request of one occurrence of a report job (None for the other kinds).
    pub fn request(&self, s: &Settings, scheduled: NaiveDateTime) -> Option<Request> {
        let month = |current: bool| if current { Month::of(scheduled) } else { Month::of(scheduled).prev() };
        let (kind, as_of) = match self.kind {
            JobKind::Daily { .. } => (report::Kind::Daily, Some(scheduled)),
            JobKind::Monthly { current_month, .. } => (report::Kind::Monthly(month(current_month), None), current_month.then_some(scheduled)),
            JobKind::Register { current_month, format, .. } => (report::Kind::Register(month(current_month), format), Some(scheduled)),
            JobKind::Inbox { .. } | JobKind::Check { .. } => return None,
        };
        Some(Request::new(s, kind, as_of))
    }

    pub fn all(cfg: &config::Config) -> Result<Vec<JobSpec>, ScheduleError> {
        cfg.jobs.iter().map(|j| JobSpec::from_config(j, cfg)).collect()
    }
}

/// What a job run needs: settings, the warehouse, the stop flag, and each job's memory.
pub struct Runner {
    pub settings: Arc<Settings>,
    pub wh: Warehouse,
    /// Set on SIGTERM/SIGINT: jobs stop at their next safe point.
    pub stop: Arc<AtomicBool>,
    /// Inbox observations, per job name.
    inbox_state: Mutex<std::collections::HashMap<String, Arc<Mutex<InboxState>>>>,
    /// The daemon remembers inbox looks between ticks; a one-off `run` does not.
    pub remember: bool,
}

/// What a run did, for its `job_runs` row.
#[derive(Debug, Default)]
pub struct Done {
    pub rows: i64,
    pub mails: i64,
    pub detail: String,
    /// Worth a row: an inbox look that found nothing is not recorded.
    pub record: bool,
}

impl Runner {
    pub fn new(settings: Arc<Settings>, wh: Warehouse, stop: Arc<AtomicBool>, remember: bool) -> Runner {
        Runner { settings, wh, stop, inbox_state: Mutex::new(Default::default()), remember }
    }

    fn inbox_state(&self, job: &str) -> Arc<Mutex<InboxState>> {
        self.inbox_state.lock().expect("inbox states").entry(job.to_string()).or_default().clone()
    }

    /// Runs one occurrence of `job` and records it (unless it had nothing to do). Never panics
    /// and never returns an error: a failure is a `failed` row and a log line.
    pub async fn run(&self, job: &JobSpec, scheduled: NaiveDateTime, trigger: Trigger, folded: i64) -> Option<RunRecord> {
        let started = crate::clock::now_china();
        let t0 = std::time::Instant::now();
        if matches!(job.kind, JobKind::Inbox { .. }) {
            // An inbox looks every tick; only a look that finds files is worth an info line.
            tracing::debug!(job = %job.name, kind = job.kind.name(), trigger = trigger.as_str(), scheduled = %scheduled, "job started");
        } else {
            tracing::info!(job = %job.name, kind = job.kind.name(), trigger = trigger.as_str(), scheduled = %scheduled, folded, "job started");
        }
        let result = match AssertUnwindSafe(self.execute(job, scheduled)).catch_unwind().await {
            Ok(r) => r,
            Err(panic) => Err(JobError::Panic(panic_text(&panic))),
        };
        let elapsed_ms = t0.elapsed().as_millis() as u64;
        let (status, error, done) = match result {
            Ok(d) if !d.record => {
                tracing::debug!(job = %job.name, elapsed_ms, detail = %d.detail, "job finished: nothing to do");
                return None;
            }
            Ok(d) => (Status::Ok, None, d),
            Err(e) => (Status::Failed, Some(e.to_string()), Done::default()),
        };
        let rec = RunRecord {
            job: job.name.clone(),
            kind: job.kind.name().to_string(),
            trigger: trigger.as_str().to_string(),
            scheduled_at: scheduled,
            started_at: started,
            finished_at: crate::clock::now_china(),
            status: status.as_str().to_string(),
            error,
            rows: done.rows,
            mails: done.mails,
            folded,
            detail: (!done.detail.is_empty()).then(|| done.detail.clone()),
            pid: i64::from(std::process::id()),
        };
        match &rec.error {
            None => tracing::info!(job = %rec.job, status = rec.status.as_str(), rows = rec.rows, mails = rec.mails, elapsed_ms, detail = %done.detail, "job finished"),
            Some(e) => tracing::error!(job = %rec.job, status = rec.status.as_str(), elapsed_ms, error = %e, "job failed"),
        }
        let wh = self.wh.clone();
        let row = rec.clone();
        match tokio::task::spawn_blocking(move || ledger::record(&wh, &[row])).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(job = %rec.job, error = %e, "could not record the run in job_runs; the occurrence stays owed"),
            Err(e) => tracing::error!(job = %rec.job, error = %e, "could not record the run in job_runs; the occurrence stays owed"),
        }
        Some(rec)
    }

    async fn execute(&self, job: &JobSpec, scheduled: NaiveDateTime) -> Result<Done, JobError> {
        crate::store::failpoint(&format!("job_{}", job.kind.name()))?;
        if let Some(ms) = super::inbox::pause_millis("job_start") {
            tracing::info!(point = "job_start", millis = ms, "pausepoint");
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let s = &*self.settings;
        let wh = &self.wh;
        match job.kind {
            JobKind::Inbox { .. } => {
                let spec = job.inbox.clone().expect("an inbox job has its spec");
                let cfg = IngestConfig { numeric_levels: s.config.numeric_levels, aliases: s.config.aliases.clone() };
                let (wh, state, stop, name, remember) = (wh.clone(), self.inbox_state(&job.name), self.stop.clone(), job.name.clone(), self.remember);
                let r = tokio::task::spawn_blocking(move || super::inbox::run(&name, &spec, &cfg, &wh, &state, remember, &stop))
                    .await
                    .map_err(|e| JobError::Panic(e.to_string()))??;
                if r.left > 0 {
                    return Err(JobError::Interrupted(format!("{}; the rest waits for the next run", r.summary())));
                }
                Ok(Done { rows: r.rows() as i64, mails: 0, detail: r.summary(), record: r.did_something() })
            }
            JobKind::Check { as_of_now } => {
                let as_of = if as_of_now { crate::clock::now_china() } else { scheduled };
                let opts = CheckOptions { as_of, only: None, record: true, engine: s.engine.clone() };
                let run = checks::run_checks(wh, &s.calendar, &s.catalog, &s.profile, &opts).await?;
                Ok(Done { rows: run.findings.num_rows() as i64, mails: 0, detail: run.to_string(), record: true })
            }
            JobKind::Daily { send } | JobKind::Monthly { send, .. } | JobKind::Register { send, .. } => {
                let req = job.request(s, scheduled).ok_or_else(|| JobError::Panic(format!("{}: not a report job", job.name)))?;
                let rendered = req.render(s, wh).await?;
                self.deliver(send, &req.label(), rendered).await
            }
        }
    }

    /// Delivers rendered reports when the job sends (the one place a job calls delivery).
    async fn deliver(&self, send: bool, what: &str, rendered: Vec<Rendered>) -> Result<Done, JobError> {
        let messages = rendered.iter().filter(|r| r.message.is_some()).count() as i64;
        let files: usize = rendered.iter().map(|r| r.files.len()).sum();
        if !send {
            return Ok(Done { rows: messages, mails: 0, detail: format!("{what}: {messages} report(s), {files} file(s); send = false"), record: true });
        }
        if self.stop.load(Ordering::SeqCst) {
            return Err(JobError::Interrupted(format!("{what}: rendered, not delivered")));
        }
        let report = crate::deliver::deliver_rendered(&rendered, &self.settings.config, &self.wh, &crate::deliver::DeliverOptions::default()).await?;
        let mails = (report.sent() + report.written()) as i64;
        let failures = report.failures();
        if !failures.is_empty() {
            let list: Vec<String> = failures.iter().map(|f| format!("{} {}", f.office_id, f.recipient)).collect();
            return Err(JobError::Undelivered { failed: failures.len(), mails, list: list.join(", ") });
        }
        Ok(Done {
            rows: messages,
            mails,
            detail: format!("{what}: {messages} report(s), {} sent, {} written to the outbox, {} already had it ({})", report.sent(), report.written(), report.skipped(), report.transport),
            record: true,
        })
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".into()
    }
}
