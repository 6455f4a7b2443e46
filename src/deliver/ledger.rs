//! The delivery ledger: warehouse table `deliveries`, one row per (office, report, period,
//! recipient) attempt outcome, readable with SQL like every other table.
//!
//! It exists so a report reaches each recipient once: a run reads it to skip recipients already
//! served, and writes each outcome in its own commit the moment the server has answered, so a run
//! that is interrupted half-way leaves exactly the recipients it served recorded and the next run
//! picks up the rest. Append-only: one Parquet file per commit, never rewritten.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::TimestampMicrosecondType;

use crate::store::{Snapshot, StoreError, Warehouse, WriteLock};

pub use crate::store::schemas::{DELIVERIES as TABLE, deliveries_schema as schema};

/// `sent` (accepted by the SMTP server), `failed` (refused or unreachable; tried again next run),
/// `written` (an `.eml` in the outbox).
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const WRITTEN: &str = "written";


/// One ledger row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Entry {
    pub office_id: String,
    pub report: String,
    pub period: String,
    pub recipient: String,
    pub header: String,
    pub status: String,
    pub attempts: i64,
    pub failure: Option<String>,
    pub answer: Option<String>,
    pub message_id: String,
    pub subject: String,
    pub transport: String,
    pub resend: bool,
    pub at: NaiveDateTime,
}

/// (office, report, period, recipient).
pub type Key = (String, String, String, String);

impl Entry {
    pub fn key(&self) -> Key {
        (self.office_id.clone(), self.report.clone(), self.period.clone(), self.recipient.clone())
    }
}

fn batch(rows: &[Entry]) -> RecordBatch {
    let s = |f: fn(&Entry) -> &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(rows.iter().map(f))) };
    let cols: Vec<ArrayRef> = vec![
        s(|e| &e.office_id),
        s(|e| &e.report),
        s(|e| &e.period),
        s(|e| &e.recipient),
        s(|e| &e.header),
        s(|e| &e.status),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|e| e.attempts))),
        Arc::new(StringArray::from_iter(rows.iter().map(|e| e.failure.as_deref()))),
        Arc::new(StringArray::from_iter(rows.iter().map(|e| e.answer.as_deref()))),
        s(|e| &e.message_id),
        s(|e| &e.subject),
        s(|e| &e.transport),
        Arc::new(BooleanArray::from_iter(rows.iter().map(|e| Some(e.resend)))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|e| e.at.and_utc().timestamp_micros()))),
    ];
    RecordBatch::try_new(schema(), cols).expect("ledger batch matches its schema")
}

/// Every row of the ledger in `snapshot`, oldest file first.
pub fn read(snapshot: Option<&Snapshot>) -> Result<Vec<Entry>, StoreError> {
    let Some(snap) = snapshot else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for b in snap.read(TABLE)? {
        let str_col = |name: &str| b.column_by_name(name).map(|c| c.as_string::<i32>().clone());
        let (Some(office), Some(report), Some(period), Some(rcpt), Some(header), Some(status), Some(mid), Some(subject), Some(transport), Some(failure), Some(answer)) = (
            str_col("office_id"),
            str_col("report"),
            str_col("period"),
            str_col("recipient"),
            str_col("header"),
            str_col("status"),
            str_col("message_id"),
            str_col("subject"),
            str_col("transport"),
            str_col("failure"),
            str_col("answer"),
        ) else {
            return Err(StoreError::Corrupt { path: snap.table_dir(TABLE), message: "a deliveries file lacks a column".into() });
        };
        let attempts = b.column_by_name("attempts").and_then(|c| c.as_any().downcast_ref::<Int64Array>().cloned());
        let resend = b.column_by_name("resend").map(|c| c.as_boolean().clone());
        let at = b.column_by_name("at").map(|c| c.as_primitive::<TimestampMicrosecondType>().clone());
        let (Some(attempts), Some(resend), Some(at)) = (attempts, resend, at) else {
            return Err(StoreError::Corrupt { path: snap.table_dir(TABLE), message: "a deliveries file lacks a column".into() });
        };
        let opt = crate::store::text_at;
        for i in 0..b.num_rows() {
            out.push(Entry {
                office_id: office.value(i).to_string(),
                report: report.value(i).to_string(),
                period: period.value(i).to_string(),
                recipient: rcpt.value(i).to_string(),
                header: header.value(i).to_string(),
                status: status.value(i).to_string(),
                attempts: attempts.value(i),
                failure: opt(&failure, i),
                answer: opt(&answer, i),
                message_id: mid.value(i).to_string(),
                subject: subject.value(i).to_string(),
                transport: transport.value(i).to_string(),
                resend: resend.value(i),
                at: chrono::DateTime::from_timestamp_micros(at.value(i)).map(|d| d.naive_utc()).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// What the ledger says about each key: when it was last sent and last written, if ever.
#[derive(Debug, Default, Clone)]
pub struct Served {
    pub sent: Option<NaiveDateTime>,
    pub written: Option<NaiveDateTime>,
}

/// The ledger as a lookup, kept up to date as a run records outcomes.
#[derive(Debug, Default)]
pub struct Ledger {
    served: HashMap<Key, Served>,
}

impl Ledger {
    pub fn load(wh: &Warehouse) -> Result<Ledger, StoreError> {
        let mut l = Ledger::default();
        for e in read(wh.current()?.as_ref())? {
            l.note(&e);
        }
        Ok(l)
    }

    fn note(&mut self, e: &Entry) {
        let s = self.served.entry(e.key()).or_default();
        match e.status.as_str() {
            SENT => s.sent = s.sent.max(Some(e.at)),
            WRITTEN => s.written = s.written.max(Some(e.at)),
            _ => {}
        }
    }

    pub fn get(&self, key: &Key) -> Served {
        self.served.get(key).cloned().unwrap_or_default()
    }

    /// Appends `rows` in one commit (one new Parquet file), durably, then remembers them.
    pub fn record(&mut self, wh: &Warehouse, lock: &WriteLock, rows: &[Entry]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut txn = wh.begin(lock)?;
        let name = format!("delivery-{:06}.parquet", txn.staged().id);
        txn.add_file(TABLE, &name, &schema(), &[batch(rows)])?;
        txn.commit()?;
        for e in rows {
            self.note(e);
        }
        Ok(())
    }
}
