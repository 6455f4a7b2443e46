//! The schemas of the warehouse tables other than the four exports — the ingest log and
//! quarantine, findings, check runs and rates, the delivery ledger and job runs — kept with the
//! store that holds them, so every layer (the engine registering them, the stage writing them)
//! takes them from below.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The delivery ledger's table.
pub const DELIVERIES: &str = "deliveries";
/// The daemon's ledger of job runs.
pub const JOB_RUNS: &str = "job_runs";
/// Every version of every response and decision ever ingested or recorded (append-only; the
/// `responses` table holds only the current version of each key).
pub const RESPONSE_LOG: &str = "response_log";

/// The warehouse tables other than the four exports, with their schemas.
pub fn log_tables() -> Vec<(&'static str, SchemaRef)> {
    vec![
        ("quarantine", quarantine_schema()),
        ("ingests", ingests_schema()),
        ("findings", findings_store_schema()),
        ("check_runs", runs_schema()),
        ("rates", rates_store_schema()),
        (DELIVERIES, deliveries_schema()),
        (JOB_RUNS, job_runs_schema()),
        (RESPONSE_LOG, response_log_schema()),
    ]
}

pub fn finding_fields() -> Vec<Field> {
    vec![
        Field::new("rule", DataType::Utf8, false),
        Field::new("severity", DataType::Utf8, false),
        Field::new("hall_id", DataType::Utf8, true),
        Field::new("window_id", DataType::Utf8, true),
        Field::new("staff_id", DataType::Utf8, true),
        Field::new("entity", DataType::Utf8, false),
        Field::new("entity_id", DataType::Utf8, true),
        Field::new("due_at", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Field::new("month", DataType::Utf8, true),
        Field::new("detail", DataType::Utf8, true),
        // An appeal decided 认可 by T (supervision.md): listed, but out of every count.
        Field::new("excused", DataType::Boolean, true),
    ]
}

/// The response log: the `responses` contract columns and lineage, one row per version.
pub fn response_log_schema() -> SchemaRef {
    crate::contract::Table::Responses.spec().schema()
}

/// Findings as stored: the run, its as-of, then the finding, then the run it was first seen in.
pub fn findings_store_schema() -> SchemaRef {
    let mut f = vec![
        Field::new("run_id", DataType::Int64, false),
        Field::new("as_of", DataType::Timestamp(TimeUnit::Microsecond, None), false),
    ];
    f.extend(finding_fields());
    f.push(Field::new("first_run_id", DataType::Int64, false));
    Arc::new(Schema::new(f))
}

pub fn runs_schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, None);
    Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Int64, false),
        Field::new("as_of", ts.clone(), false),
        Field::new("started_at", ts.clone(), false),
        Field::new("finished_at", ts, false),
        Field::new("snapshot", DataType::Int64, false),
        Field::new("rules", DataType::Int64, false),
        Field::new("findings", DataType::Int64, false),
        Field::new("red", DataType::Int64, false),
        Field::new("yellow", DataType::Int64, false),
        Field::new("info", DataType::Int64, false),
        Field::new("new_findings", DataType::Int64, false),
        Field::new("resolved_findings", DataType::Int64, false),
        Field::new("previous_run_id", DataType::Int64, true),
        Field::new("profile", DataType::Utf8, false),
        Field::new("calendar", DataType::Utf8, false),
    ]))
}

pub fn rates_fields() -> Vec<Field> {
    let i = |n: &str| Field::new(n, DataType::Int64, true);
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    vec![
        Field::new("scope", DataType::Utf8, false),
        Field::new("hall_id", DataType::Utf8, true),
        Field::new("window_id", DataType::Utf8, true),
        Field::new("month", DataType::Utf8, true),
        i("cases_accepted"),
        i("cases_completed"),
        i("immediate"),
        i("early"),
        i("on_time"),
        i("overdue"),
        i("promised_completed"),
        f("on_time_rate"),
        f("early_rate"),
        i("denial_rows"),
        i("denial_complete"),
        f("denial_completeness"),
    ]
}

pub fn rates_store_schema() -> SchemaRef {
    let mut f = vec![
        Field::new("run_id", DataType::Int64, false),
        Field::new("as_of", DataType::Timestamp(TimeUnit::Microsecond, None), false),
    ];
    f.extend(rates_fields());
    Arc::new(Schema::new(f))
}

pub fn deliveries_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("office_id", DataType::Utf8, false),
        Field::new("report", DataType::Utf8, false),
        Field::new("period", DataType::Utf8, false),
        // The bare address, lower-cased: the key.
        Field::new("recipient", DataType::Utf8, false),
        // `to` or `cc`.
        Field::new("header", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("attempts", DataType::Int64, false),
        // `permanent` or `transient` for a failure, null otherwise.
        Field::new("failure", DataType::Utf8, true),
        // The server's last answer (`250 2.0.0 Ok: queued …`, `550 5.1.1 …`) or the outbox file.
        Field::new("answer", DataType::Utf8, true),
        Field::new("message_id", DataType::Utf8, false),
        Field::new("subject", DataType::Utf8, false),
        // `smtp://host:port (mode)` or `outbox`.
        Field::new("transport", DataType::Utf8, false),
        // The row is a deliberate resend (`resend: true`).
        Field::new("resend", DataType::Boolean, false),
        // When the outcome was known, China time.
        Field::new("at", DataType::Timestamp(TimeUnit::Microsecond, None), false),
    ]))
}

pub fn job_runs_schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, None);
    Arc::new(Schema::new(vec![
        Field::new("job", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("trigger", DataType::Utf8, false),
        Field::new("scheduled_at", ts.clone(), false),
        Field::new("started_at", ts.clone(), false),
        Field::new("finished_at", ts, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("error", DataType::Utf8, true),
        Field::new("rows", DataType::Int64, false),
        Field::new("mails", DataType::Int64, false),
        Field::new("folded", DataType::Int64, false),
        Field::new("detail", DataType::Utf8, true),
        Field::new("pid", DataType::Int64, false),
    ]))
}

pub fn quarantine_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("ingest_id", DataType::Int64, false),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("file", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, true),
        Field::new("message", DataType::Utf8, false),
        Field::new("record_key", DataType::Utf8, true),
        Field::new("raw", DataType::Utf8, false),
    ]))
}

pub fn ingests_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("ingest_id", DataType::Int64, false),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("ingested_at", DataType::Timestamp(TimeUnit::Microsecond, None), false),
        Field::new("file", DataType::Utf8, false),
        Field::new("format", DataType::Utf8, false),
        Field::new("encoding", DataType::Utf8, true),
        Field::new("sheet", DataType::Utf8, true),
        Field::new("content_hash", DataType::Utf8, false),
        Field::new("rows_read", DataType::Int64, false),
        Field::new("loaded", DataType::Int64, false),
        Field::new("superseded", DataType::Int64, false),
        Field::new("quarantined", DataType::Int64, false),
        Field::new("new_records", DataType::Int64, false),
        Field::new("updated_records", DataType::Int64, false),
        Field::new("unchanged_records", DataType::Int64, false),
        Field::new("skipped", DataType::Boolean, false),
        Field::new("unknown_headers", DataType::Utf8, true),
    ]))
}
