//! `windowwatch serve`: the long-running process.
//!
//! tokio-cron-scheduler fires each job's cron in Asia/Shanghai time; a firing only wakes the job
//! (a message on a channel). One worker runs the woken jobs one at a time: it asks the run ledger
//! what the job owes (`catchup::owed`) and runs that, so a tick, the start-up catch-up, and a
//! retry after a failure are the same code path, and ticks that arrive while a job runs fold into
//! the next look instead of piling up. At start, before the first tick, every job is woken once:
//! that is the catch-up. A job never seen before gets a `baseline` row instead of a catch-up, so a
//! fresh install does not send last month's report by surprise.
//!
//! SIGTERM and SIGINT stop the scheduler and set the stop flag; the running job finishes or stops
//! at its next safe point (between inbox files, before delivery), records its row, and the process
//! exits 0. Nothing is killed half-way: a warehouse commit is atomic and a run's row is written
//! after its work, so the ledger never claims what did not happen.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

use super::catchup;
use super::jobs::{JobSpec, Runner};
use super::ledger::{self, RunRecord, Status, Trigger};
use super::lock::ServeLock;
use super::ScheduleError;
use crate::settings::Settings;
use crate::store::Warehouse;

/// Runs the daemon until SIGTERM/SIGINT. Returns when every job has stopped.
pub fn serve(settings: Settings) -> Result<(), ScheduleError> {
    crate::progress::disable();
    let _lock = ServeLock::acquire(&crate::store::local_root(&settings.config.data_dir)?, settings.config.file.as_deref())?;
    let specs = JobSpec::all(&settings.config)?;
    if specs.is_empty() {
        return Err(ScheduleError::NoJobs {
            file: settings.config.file.as_ref().map(|f| format!(" ({})", f.display())).unwrap_or_default(),
        });
    }
    let wh = Warehouse::open(&settings.config.data_dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ScheduleError::Scheduler(format!("starting the async runtime: {e}")))?;
    rt.block_on(run(Arc::new(settings), wh, specs))
}

async fn run(settings: Arc<Settings>, wh: Warehouse, specs: Vec<JobSpec>) -> Result<(), ScheduleError> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::new(Notify::new());
    let started = crate::clock::now_china();

    // Signals first, so a SIGTERM during start-up is honoured too.
    spawn_signal_handler(stop.clone(), stopping.clone())?;

    baselines(&wh, &specs, started).await?;

    // The heartbeat for `windowwatch health` (container and Kubernetes probes).
    let running: Arc<Mutex<Option<String>>> = Arc::default();
    spawn_heartbeat(wh.root(), running.clone())?;

    let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
    let mut sched = start_scheduler(&specs, &tx).await?;
    announce(&settings, &specs);

    let runner = Runner::new(settings.clone(), wh.clone(), stop.clone(), true);
    let worker = Worker { specs: &specs, runner, stop, stopping, started, running, tx, retrying: Arc::default() };
    worker.work(&mut rx).await;
    tracing::info!("stopping: no new runs start");
    let _ = sched.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Writes the heartbeat now, then every [`super::health::EVERY`], naming the running job.
fn spawn_heartbeat(data: &std::path::Path, running: Arc<Mutex<Option<String>>>) -> Result<(), ScheduleError> {
    super::health::beat(data, None)?;
    let data = data.to_path_buf();
    tokio::spawn(async move {
        loop {
            let now = running.lock().expect("running job").clone();
            let (d, n) = (data.clone(), now);
            let r = tokio::task::spawn_blocking(move || super::health::beat(&d, n.as_deref())).await;
            if let Ok(Err(e)) = r {
                tracing::warn!(error = %e, "cannot write the heartbeat");
            }
            tokio::time::sleep(super::health::EVERY).await;
        }
    });
    Ok(())
}

/// Starts the cron scheduler: each job's firing sends the job's index on `tx`, nothing more.
async fn start_scheduler(specs: &[JobSpec], tx: &UnboundedSender<usize>) -> Result<JobScheduler, ScheduleError> {
    let sched = JobScheduler::new().await.map_err(|e| ScheduleError::Scheduler(e.to_string()))?;
    for (i, j) in specs.iter().enumerate() {
        let tx = tx.clone();
        let job = CronJob::new_async_tz(j.cron_text.as_str(), chrono_tz::Asia::Shanghai, move |_id, _sched| {
            let tx = tx.clone();
            Box::pin(async move {
                let _ = tx.send(i);
            })
        })
        .map_err(|e| ScheduleError::Job { job: j.name.clone(), message: format!("cron `{}`: {e}", j.cron_text) })?;
        sched.add(job).await.map_err(|e| ScheduleError::Scheduler(e.to_string()))?;
    }
    sched.start().await.map_err(|e| ScheduleError::Scheduler(e.to_string()))?;
    Ok(sched)
}

/// The `ready` line and a `scheduled` line per job.
fn announce(settings: &Settings, specs: &[JobSpec]) {
    tracing::info!(
        jobs = specs.len(),
        data = %settings.config.data_dir.display(),
        config = %settings.config.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default(),
        pid = std::process::id(),
        "ready"
    );
    for j in specs {
        tracing::info!(job = %j.name, kind = j.kind.name(), cron = %j.cron_text, next = ?catchup::next_after(&j.cron, crate::clock::now_china()), "scheduled");
    }
}

/// The one worker: runs the woken jobs one at a time until the daemon stops.
struct Worker<'a> {
    specs: &'a [JobSpec],
    runner: Runner,
    stop: Arc<AtomicBool>,
    stopping: Arc<Notify>,
    started: NaiveDateTime,
    /// The job running now, for the heartbeat.
    running: Arc<Mutex<Option<String>>>,
    /// Wakes a job again (a retry after a failure).
    tx: UnboundedSender<usize>,
    /// The jobs with a retry pending.
    retrying: Arc<Mutex<BTreeSet<usize>>>,
}

impl Worker<'_> {
    /// Start-up: every job looks at what it owes once (the catch-up); then each woken job in turn.
    async fn work(&self, rx: &mut UnboundedReceiver<usize>) {
        let mut pending: BTreeSet<usize> = (0..self.specs.len()).collect();
        let mut caught_up = false;
        // Occurrences run in this process that left no row (an inbox look that found nothing).
        let mut looked: HashMap<String, NaiveDateTime> = HashMap::new();
        loop {
            while let Ok(i) = rx.try_recv() {
                pending.insert(i);
            }
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            let Some(i) = pending.pop_first() else {
                if !caught_up {
                    caught_up = true;
                    tracing::info!("caught up; waiting for the next tick");
                }
                tokio::select! {
                    _ = self.stopping.notified() => return,
                    got = rx.recv() => match got {
                        Some(i) => { pending.insert(i); }
                        None => return,
                    },
                }
                continue;
            };
            let job = &self.specs[i];
            *self.running.lock().expect("running job") = Some(job.name.clone());
            let failed = serve_owed(&self.runner, job, self.started, &mut looked).await;
            *self.running.lock().expect("running job") = None;
            if failed {
                self.retry_later(i, job);
            }
        }
    }

    /// Wakes a failed job again after its `retry_secs` (once: a retry already pending stands).
    fn retry_later(&self, i: usize, job: &JobSpec) {
        if job.retry_secs == 0 || !self.retrying.lock().expect("retry set").insert(i) {
            return;
        }
        let (tx, retrying, secs) = (self.tx.clone(), self.retrying.clone(), job.retry_secs);
        tracing::info!(job = %job.name, retry_secs = secs, "will retry");
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            retrying.lock().expect("retry set").remove(&i);
            let _ = tx.send(i);
        });
    }
}

/// Runs what `job` owes now, oldest first; stops at the first failure (so a later success cannot
/// cover for an earlier failure) or when the daemon is stopping. Returns whether a run failed.
async fn serve_owed(runner: &Runner, job: &JobSpec, started: NaiveDateTime, looked: &mut HashMap<String, NaiveDateTime>) -> bool {
    let rows = match load_rows(&runner.wh).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(job = %job.name, error = %e, "cannot read job_runs; skipping this look");
            return true;
        }
    };
    let h = ledger::history(&rows, &job.name);
    let now = crate::clock::now_china();
    let mut served = h.served_until.unwrap_or(started);
    if let Some(l) = looked.get(&job.name) {
        served = served.max(*l);
    }
    let owed = catchup::owed(&job.cron, served, now, job.catch_up);
    if owed.dropped > 0 {
        tracing::warn!(job = %job.name, dropped = owed.dropped, limit = catchup::MAX_CATCH_UP, "older missed occurrences are beyond the catch-up limit and will not run");
    }
    for (t, folded) in owed.runs {
        if runner.stop.load(Ordering::SeqCst) {
            return false;
        }
        let failed_before = rows.iter().any(|r| r.job == job.name && r.scheduled_at == t && r.status == Status::Failed.as_str());
        let trigger = if failed_before {
            Trigger::Retry
        } else if t < started {
            Trigger::CatchUp
        } else {
            Trigger::Schedule
        };
        match runner.run(job, t, trigger, folded).await {
            Some(rec) if rec.status == Status::Failed.as_str() => return true,
            Some(_) => {}
            None => {
                looked.insert(job.name.clone(), t);
            }
        }
    }
    false
}

async fn load_rows(wh: &Warehouse) -> Result<Vec<RunRecord>, crate::store::StoreError> {
    let wh = wh.clone();
    tokio::task::spawn_blocking(move || ledger::load(&wh)).await.expect("ledger read does not panic")
}

/// Writes a `baseline` row for every job the ledger has never seen: its schedule starts now.
async fn baselines(wh: &Warehouse, specs: &[JobSpec], now: chrono::NaiveDateTime) -> Result<(), ScheduleError> {
    let rows = load_rows(wh).await?;
    let mut new = Vec::new();
    for j in specs {
        if ledger::history(&rows, &j.name).known {
            continue;
        }
        let at = catchup::latest_at_or_before(&j.cron, now).unwrap_or(now);
        tracing::info!(job = %j.name, served_until = %at, "first start of this job: earlier occurrences are not caught up");
        new.push(RunRecord {
            job: j.name.clone(),
            kind: j.kind.name().to_string(),
            trigger: Trigger::Baseline.as_str().to_string(),
            scheduled_at: at,
            started_at: now,
            finished_at: now,
            status: Status::Skipped.as_str().to_string(),
            error: None,
            rows: 0,
            mails: 0,
            folded: 0,
            detail: Some(format!("first start of this job; occurrences up to {at} are not caught up (`windowwatch run {}` runs one by hand)", j.name)),
            pid: i64::from(std::process::id()),
        });
    }
    if !new.is_empty() {
        let wh = wh.clone();
        tokio::task::spawn_blocking(move || ledger::record(&wh, &new)).await.expect("ledger write does not panic")?;
    }
    Ok(())
}

fn spawn_signal_handler(stop: Arc<AtomicBool>, stopping: Arc<Notify>) -> Result<(), ScheduleError> {
    use tokio::signal::unix::{SignalKind, signal};
    let sig = |k: SignalKind| signal(k).map_err(|e| ScheduleError::Scheduler(format!("installing the signal handler: {e}")));
    let mut term = sig(SignalKind::terminate())?;
    let mut int = sig(SignalKind::interrupt())?;
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            if stop.swap(true, Ordering::SeqCst) {
                tracing::warn!(signal = name, "already stopping: the running job finishes its current step first (SIGKILL aborts; the warehouse stays consistent)");
            } else {
                tracing::info!(signal = name, "stopping after the running job reaches a safe point");
                stopping.notify_one();
            }
        }
    });
    Ok(())
}
