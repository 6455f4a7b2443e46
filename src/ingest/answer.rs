//! A response or a decision recorded by a supervisor's tool (`windowwatch respond`, `decide`):
//! one row of the `responses` contract written as a JSON Lines file and ingested like any file a
//! hall sends, so it meets the same quarantine, superseding, reconciliation and response log. It
//! is refused before anything is written when its finding is in no recorded check run's findings.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray};

use super::values::micros_to_naive;
use super::{IngestError, IngestOptions, IngestReport, known_findings};
use crate::contract::Table;
use crate::store::{StoreError, Warehouse};

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error(
        "no recorded check run found the finding {rule} / {entity_id} / {month}: run `windowwatch check` first, and give the rule, entity id and month as the findings show them (回告的问题不存在，未写入)"
    )]
    UnknownFinding { rule: String, entity_id: String, month: String },
    #[error("no response is recorded for the finding {0}: a decision answers a hall's appeal (尚无回告，无法审核)")]
    NoResponse(String),
    #[error("the response to the finding {0} is no appeal (是否申诉 = 否): only an appeal is decided (未申诉，无需审核)")]
    NotAnAppeal(String),
    #[error("the {what} was not recorded: {message} (未写入)")]
    Refused { what: &'static str, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The finding a response answers: its key.
#[derive(Debug, Clone)]
pub struct FindingKey {
    pub rule: String,
    pub entity_id: String,
    pub month: String,
}

impl FindingKey {
    fn joined(&self) -> String {
        format!("{}\u{1f}{}\u{1f}{}", self.rule, self.entity_id, self.month)
    }

    fn shown(&self) -> String {
        format!("{} / {} / {}", self.rule, self.entity_id, self.month)
    }
}

/// One version of a response, as the contract's columns.
#[derive(Debug, Clone, Default)]
struct Row {
    responded_at: Option<NaiveDateTime>,
    responder: Option<String>,
    explanation: Option<String>,
    appeal: bool,
    decision: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>,
}

fn instant(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Records a hall's response (an appeal when `appeal`) at `now`.
pub fn respond(wh: &Warehouse, key: &FindingKey, explanation: &str, appeal: bool, by: Option<&str>, now: NaiveDateTime) -> Result<IngestReport, AnswerError> {
    require_known(wh, key)?;
    let row = Row { responded_at: Some(now), responder: by.map(String::from), explanation: Some(explanation.to_string()), appeal, ..Default::default() };
    record(wh, key, &row, "response")
}

/// Records the supervisor's decision on the appeal answering `key`, at `now`: the current
/// response with the decision, who made it and when (the earlier version stays in the log).
pub fn decide(wh: &Warehouse, key: &FindingKey, decision: &str, by: &str, now: NaiveDateTime) -> Result<IngestReport, AnswerError> {
    require_known(wh, key)?;
    let mut row = current(wh, key)?.ok_or_else(|| AnswerError::NoResponse(key.shown()))?;
    if !row.appeal {
        return Err(AnswerError::NotAnAppeal(key.shown()));
    }
    row.decision = Some(decision.to_string());
    row.decided_by = Some(by.to_string());
    row.decided_at = Some(now);
    record(wh, key, &row, "decision")
}

fn require_known(wh: &Warehouse, key: &FindingKey) -> Result<(), AnswerError> {
    let known: HashSet<String> = match wh.current()? {
        Some(s) => known_findings(&s)?,
        None => HashSet::new(),
    };
    if known.contains(&key.joined()) {
        Ok(())
    } else {
        Err(AnswerError::UnknownFinding { rule: key.rule.clone(), entity_id: key.entity_id.clone(), month: key.month.clone() })
    }
}

/// The current version of the response answering `key`, if any.
fn current(wh: &Warehouse, key: &FindingKey) -> Result<Option<Row>, AnswerError> {
    let Some(snapshot) = wh.current()? else { return Ok(None) };
    for b in snapshot.read(Table::Responses.name())? {
        if let Some(row) = find_row(&b, key) {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

fn find_row(b: &RecordBatch, key: &FindingKey) -> Option<Row> {
    let text = |name: &str| b.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned());
    let ts = |name: &str| b.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>().cloned());
    let (rule, eid, month) = (text("rule")?, text("entity_id")?, text("month")?);
    let i = (0..b.num_rows()).find(|&i| rule.value(i) == key.rule && eid.value(i) == key.entity_id && month.value(i) == key.month)?;
    let opt_text = |name: &str| text(name).and_then(|a| (!a.is_null(i)).then(|| a.value(i).to_string()));
    let opt_ts = |name: &str| ts(name).and_then(|a| (!a.is_null(i)).then(|| micros_to_naive(a.value(i))));
    let appeal = b.column_by_name("appeal").map(|c| c.as_boolean().clone()).unwrap_or_else(|| BooleanArray::from(vec![false; b.num_rows()]));
    Some(Row {
        responded_at: opt_ts("responded_at"),
        responder: opt_text("responder"),
        explanation: opt_text("explanation"),
        appeal: appeal.is_valid(i) && appeal.value(i),
        decision: opt_text("decision"),
        decided_by: opt_text("decided_by"),
        decided_at: opt_ts("decided_at"),
    })
}

/// Writes the row as a one-line JSON Lines file in a folder of its own and ingests it.
fn record(wh: &Warehouse, key: &FindingKey, row: &Row, what: &'static str) -> Result<IngestReport, AnswerError> {
    let line = serde_json::json!({
        "rule": key.rule, "entity_id": key.entity_id, "month": key.month,
        "responded_at": row.responded_at.map(instant), "responder": row.responder,
        "explanation": row.explanation, "appeal": if row.appeal { "是" } else { "否" },
        "decision": row.decision, "decided_by": row.decided_by, "decided_at": row.decided_at.map(instant),
    });
    let dir = tempfile::tempdir().map_err(|e| AnswerError::Io { path: std::env::temp_dir().display().to_string(), source: e })?;
    let path = dir.path().join(format!("windowwatch-{what}.jsonl"));
    std::fs::write(&path, format!("{line}\n")).map_err(|e| AnswerError::Io { path: path.display().to_string(), source: e })?;
    let opts = IngestOptions { table: Table::Responses, files: vec![path], encoding: None, sheet: None, numeric_levels: None, aliases: Default::default(), force: true };
    let report = super::ingest(wh, &opts)?;
    if let Some(q) = report.quarantine_sample.first() {
        return Err(AnswerError::Refused { what, message: format!("{} ({})", q.message, q.reason) });
    }
    Ok(report)
}
