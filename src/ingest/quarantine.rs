//! The two records every ingest leaves: quarantined rows (kept whole, with file, line and reason)
//! and the reconciliation of each file (rows read = loaded + superseded + quarantined).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};


pub use crate::store::schemas::{ingests_schema, quarantine_schema};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuarantineRow {
    pub file: String,
    pub line: i64,
    pub reason: String,
    pub column: Option<String>,
    pub message: String,
    pub key: Option<String>,
    /// The row as written in the file (a JSON object of header → text, or the JSON line).
    pub raw: String,
}


pub fn quarantine_batch(ingest_id: i64, table: &str, rows: &[QuarantineRow]) -> RecordBatch {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![ingest_id; rows.len()])),
        Arc::new(StringArray::from(vec![table; rows.len()])),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.file.as_str()))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.line))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.reason.as_str()))),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| r.column.as_deref()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.message.as_str()))),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| r.key.as_deref()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.raw.as_str()))),
    ];
    RecordBatch::try_new(quarantine_schema(), cols).expect("quarantine batch matches its schema")
}

/// One file's reconciliation.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FileReport {
    pub file: String,
    pub format: String,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub hash: String,
    pub rows_read: u64,
    /// Rows that are the current record for their key after this ingest.
    pub loaded: u64,
    /// Rows replaced by a later file of the same ingest, or identical duplicates collapsed.
    pub superseded: u64,
    pub quarantined: u64,
    /// Of the loaded rows: keys new to the warehouse, records replaced, records already identical.
    pub new_records: u64,
    pub updated_records: u64,
    pub unchanged_records: u64,
    /// Stored parts rewritten because this file replaced a record in them, and new parts holding
    /// its new records (a part the files of one batch share counts for each of them).
    pub parts_rewritten: u64,
    pub parts_new: u64,
    /// The file was ingested before (same content): nothing was read again.
    pub skipped_as_ingest: Option<i64>,
    pub unknown_headers: Vec<String>,
    pub title_rows_skipped: u64,
}

impl FileReport {
    pub fn reconciles(&self) -> bool {
        self.rows_read == self.loaded + self.superseded + self.quarantined
            && self.loaded == self.new_records + self.updated_records + self.unchanged_records
    }
}


pub fn ingests_batch(ingest_id: i64, table: &str, at_micros: i64, files: &[FileReport]) -> RecordBatch {
    let n = files.len();
    let i64col = |f: fn(&FileReport) -> u64| -> ArrayRef { Arc::new(Int64Array::from_iter_values(files.iter().map(|r| f(r) as i64))) };
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![ingest_id; n])),
        Arc::new(StringArray::from(vec![table; n])),
        Arc::new(TimestampMicrosecondArray::from(vec![at_micros; n])),
        Arc::new(StringArray::from_iter_values(files.iter().map(|r| r.file.as_str()))),
        Arc::new(StringArray::from_iter_values(files.iter().map(|r| r.format.as_str()))),
        Arc::new(StringArray::from_iter(files.iter().map(|r| r.encoding.as_deref()))),
        Arc::new(StringArray::from_iter(files.iter().map(|r| r.sheet.as_deref()))),
        Arc::new(StringArray::from_iter_values(files.iter().map(|r| r.hash.as_str()))),
        i64col(|r| r.rows_read),
        i64col(|r| r.loaded),
        i64col(|r| r.superseded),
        i64col(|r| r.quarantined),
        i64col(|r| r.new_records),
        i64col(|r| r.updated_records),
        i64col(|r| r.unchanged_records),
        Arc::new(BooleanArray::from_iter(files.iter().map(|r| Some(r.skipped_as_ingest.is_some())))),
        Arc::new(StringArray::from_iter(
            files.iter().map(|r| (!r.unknown_headers.is_empty()).then(|| r.unknown_headers.join(", "))),
        )),
    ];
    RecordBatch::try_new(ingests_schema(), cols).expect("ingests batch matches its schema")
}
