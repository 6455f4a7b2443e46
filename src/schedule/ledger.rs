//! The run ledger: warehouse table `job_runs`, one row per finished job run, readable with SQL.
//!
//! It exists so the daemon knows, across restarts, which scheduled occurrences of each job have
//! been served: catch-up and retries are computed from it (`catchup`), and `windowwatch jobs`
//! shows the last run from it. A row is written once, when the run has ended (ok, failed or
//! skipped), in its own commit: a run cut short by a crash leaves no row at all, never half a
//! row, and the occurrence stays owed. Append-only like the other log tables (one Parquet file
//! per commit); when the table has many files they are folded into one in the same commit, so a
//! daemon left running for a year does not make every commit link thousands of files.

use std::sync::Arc;

use chrono::NaiveDateTime;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::TimestampMicrosecondType;

use crate::ingest::values::{micros_to_naive, ts_micros};
use crate::store::{Snapshot, StoreError, Warehouse};

pub use crate::store::schemas::{JOB_RUNS as TABLE, job_runs_schema as schema};

/// Files in `job_runs` beyond which a commit folds them into one.
const COMPACT_AT: usize = 64;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The job did its work.
    Ok,
    /// The job ran and failed (or was interrupted); its occurrence is still owed.
    Failed,
    /// Nothing was run for this occurrence on purpose (the first start's baseline); counts as served.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "ok" => Some(Status::Ok),
            "failed" => Some(Status::Failed),
            "skipped" => Some(Status::Skipped),
            _ => None,
        }
    }

    /// Whether the occurrence counts as served (catch-up does not run it again).
    pub fn served(self) -> bool {
        matches!(self, Status::Ok | Status::Skipped)
    }
}

/// Why a run happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The cron fired while the daemon was running.
    Schedule,
    /// An occurrence missed while the daemon was stopped, run at start.
    CatchUp,
    /// An occurrence whose run failed, run again.
    Retry,
    /// `windowwatch run JOB`.
    Manual,
    /// The first start of a job: marks where its schedule begins (status `skipped`).
    Baseline,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::CatchUp => "catch_up",
            Trigger::Retry => "retry",
            Trigger::Manual => "manual",
            Trigger::Baseline => "baseline",
        }
    }
}

/// One row of `job_runs`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRecord {
    pub job: String,
    pub kind: String,
    pub trigger: String,
    /// The occurrence served, China time (for a manual run: when it was asked for).
    pub scheduled_at: NaiveDateTime,
    pub started_at: NaiveDateTime,
    pub finished_at: NaiveDateTime,
    pub status: String,
    pub error: Option<String>,
    /// Rows ingested (inbox), findings (check), reports rendered (daily, monthly, register).
    pub rows: i64,
    /// Recipients who got a mail (or an outbox file) in this run.
    pub mails: i64,
    /// Earlier missed occurrences this run stood for (catch_up = "latest").
    pub folded: i64,
    /// A one-line summary of what the run did.
    pub detail: Option<String>,
    pub pid: i64,
}


fn batch(rows: &[RunRecord]) -> RecordBatch {
    let s = |f: fn(&RunRecord) -> &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(rows.iter().map(f))) };
    let o = |f: fn(&RunRecord) -> Option<&str>| -> ArrayRef { Arc::new(StringArray::from_iter(rows.iter().map(f))) };
    let t = |f: fn(&RunRecord) -> NaiveDateTime| -> ArrayRef { Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| ts_micros(f(r))))) };
    let i = |f: fn(&RunRecord) -> i64| -> ArrayRef { Arc::new(Int64Array::from_iter_values(rows.iter().map(f))) };
    let cols: Vec<ArrayRef> = vec![
        s(|r| &r.job),
        s(|r| &r.kind),
        s(|r| &r.trigger),
        t(|r| r.scheduled_at),
        t(|r| r.started_at),
        t(|r| r.finished_at),
        s(|r| &r.status),
        o(|r| r.error.as_deref()),
        i(|r| r.rows),
        i(|r| r.mails),
        i(|r| r.folded),
        o(|r| r.detail.as_deref()),
        i(|r| r.pid),
    ];
    RecordBatch::try_new(schema(), cols).expect("job_runs batch matches its schema")
}

/// Every row of `job_runs` in `snapshot`, in the order written.
pub fn read(snapshot: Option<&Snapshot>) -> Result<Vec<RunRecord>, StoreError> {
    let Some(snap) = snapshot else { return Ok(Vec::new()) };
    let corrupt = || StoreError::Corrupt { path: snap.table_dir(TABLE), message: "a job_runs file lacks a column".into() };
    let mut out = Vec::new();
    for b in snap.read(TABLE)? {
        let st = |n: &str| b.column_by_name(n).and_then(|c| c.as_string_opt::<i32>().cloned());
        let ts = |n: &str| b.column_by_name(n).and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>().cloned());
        let int = |n: &str| b.column_by_name(n).and_then(|c| c.as_any().downcast_ref::<Int64Array>().cloned());
        let (Some(job), Some(kind), Some(trigger), Some(status), Some(error), Some(detail)) =
            (st("job"), st("kind"), st("trigger"), st("status"), st("error"), st("detail"))
        else {
            return Err(corrupt());
        };
        let (Some(sched), Some(start), Some(end)) = (ts("scheduled_at"), ts("started_at"), ts("finished_at")) else { return Err(corrupt()) };
        let (Some(rows), Some(mails), Some(folded), Some(pid)) = (int("rows"), int("mails"), int("folded"), int("pid")) else { return Err(corrupt()) };
        let opt = crate::store::text_at;
        for i in 0..b.num_rows() {
            out.push(RunRecord {
                job: job.value(i).to_string(),
                kind: kind.value(i).to_string(),
                trigger: trigger.value(i).to_string(),
                scheduled_at: micros_to_naive(sched.value(i)),
                started_at: micros_to_naive(start.value(i)),
                finished_at: micros_to_naive(end.value(i)),
                status: status.value(i).to_string(),
                error: opt(&error, i),
                rows: rows.value(i),
                mails: mails.value(i),
                folded: folded.value(i),
                detail: opt(&detail, i),
                pid: pid.value(i),
            });
        }
    }
    Ok(out)
}

/// Reads the ledger of the current snapshot.
pub fn load(wh: &Warehouse) -> Result<Vec<RunRecord>, StoreError> {
    read(wh.current()?.as_ref())
}

/// Appends `rows` in one commit (folding the table's files into one when there are many).
pub fn record(wh: &Warehouse, rows: &[RunRecord]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let lock = wh.lock()?;
    let mut txn = wh.begin(&lock)?;
    let staged = txn.staged();
    let files = staged.files(TABLE)?;
    let name = format!("run-{:06}.parquet", staged.id);
    if files.len() >= COMPACT_AT {
        let mut all = staged.read(TABLE)?;
        all.push(batch(rows));
        let merged = datafusion::arrow::compute::concat_batches(&schema(), &all)
            .map_err(|source| StoreError::Arrow { path: staged.table_dir(TABLE), source })?;
        txn.replace_table(TABLE, &schema(), &[merged], 1_000_000)?;
    } else {
        txn.add_file(TABLE, &name, &schema(), &[batch(rows)])?;
    }
    crate::store::failpoint("job_runs_commit")?;
    txn.commit()?;
    Ok(())
}

/// What the ledger says about one job.
#[derive(Debug, Clone, Default)]
pub struct JobHistory {
    /// The latest occurrence served (ok or skipped): catch-up starts after it.
    pub served_until: Option<NaiveDateTime>,
    /// The last run of any status.
    pub last: Option<RunRecord>,
    /// The last run that ended ok.
    pub last_ok: Option<RunRecord>,
    /// Whether the job has any row at all (a job with none has not had its first start).
    pub known: bool,
}

pub fn history(rows: &[RunRecord], job: &str) -> JobHistory {
    let mut h = JobHistory::default();
    for r in rows.iter().filter(|r| r.job == job) {
        h.known = true;
        if Status::parse(&r.status).is_some_and(Status::served) {
            h.served_until = h.served_until.max(Some(r.scheduled_at));
        }
        if h.last.as_ref().is_none_or(|l| (r.started_at, r.finished_at) >= (l.started_at, l.finished_at)) {
            h.last = Some(r.clone());
        }
        if r.status == "ok" && h.last_ok.as_ref().is_none_or(|l| r.started_at >= l.started_at) {
            h.last_ok = Some(r.clone());
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(job: &str, at: &str, status: &str) -> RunRecord {
        let t = crate::clock::parse_timestamp(at).unwrap();
        RunRecord {
            job: job.into(),
            kind: "monthly".into(),
            trigger: "schedule".into(),
            scheduled_at: t,
            started_at: t,
            finished_at: t,
            status: status.into(),
            error: None,
            rows: 1,
            mails: 2,
            folded: 0,
            detail: Some("x".into()),
            pid: 7,
        }
    }

    #[test]
    fn rows_round_trip_and_many_files_fold_into_one() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        for i in 0..(COMPACT_AT + 3) {
            record(&wh, &[row("m", &format!("2026-01-01 00:{:02}:{:02}", i / 60, i % 60), "ok")]).unwrap();
        }
        let snap = wh.current().unwrap().unwrap();
        assert!(snap.files(TABLE).unwrap().len() < COMPACT_AT, "folded");
        let rows = read(Some(&snap)).unwrap();
        assert_eq!(rows.len(), COMPACT_AT + 3);
        assert_eq!(rows[0], row("m", "2026-01-01 00:00:00", "ok"));
    }

    #[test]
    fn history_serves_only_ok_and_skipped() {
        let rows = vec![row("m", "2026-10-01 08:00:00", "ok"), row("m", "2026-11-01 08:00:00", "failed"), row("x", "2026-12-01 08:00:00", "ok")];
        let h = history(&rows, "m");
        assert_eq!(h.served_until, crate::clock::parse_timestamp("2026-10-01 08:00:00"));
        assert_eq!(h.last.unwrap().status, "failed");
        assert!(h.known);
        assert!(!history(&rows, "y").known);
    }
}
