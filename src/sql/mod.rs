//! Analysts' SQL: the warehouse as one DataFusion session (the tables, the as-of views the rules
//! use, the latest findings and rates, the calendar and the working-day and mask functions), and
//! one exec-and-print path that the shell, `-c`, `-f`, `\i` and piped scripts all go through, as
//! in datafusion-cli. The session is read-only: the warehouse changes only by ingest and check.
//!
//! Personal data is masked unless the user asks otherwise (`--show-personal-data`), and a
//! session can be limited to one office's halls ([`crate::session`]); the Postgres server (`pg`, feature
//! `pgwire`) opens the same sessions for its logins.

pub use crate::engine::functions;
pub mod command;
pub mod guard;
#[cfg(feature = "pgwire")]
pub mod pg;
pub mod shell;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDateTime;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParserBuilder, Statement};

use crate::checks::CheckError;
use crate::output::{OutputError, PrintFormat};
use crate::settings::Settings;
use crate::store::{StoreError, Warehouse};
pub use crate::session::Access;

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("{0}")]
    Query(QueryError),
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Output(#[from] OutputError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Usage(String),
}

/// An error in what the analyst typed, as one readable message with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub message: String,
    /// 1-based line and column in the statement text, when the engine knows it.
    pub position: Option<(usize, usize)>,
    /// The line of the statement the position points into.
    pub line_text: Option<String>,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ERROR: {}", self.message)?;
        if let (Some((line, col)), Some(text)) = (self.position, &self.line_text) {
            let prefix = format!("LINE {line}: ");
            write!(f, "\n{prefix}{text}\n{}^", " ".repeat(prefix.len() + crate::output::text_width(&text.chars().take(col.saturating_sub(1)).collect::<String>())))?;
        } else if let Some((line, col)) = self.position {
            write!(f, " (line {line}, column {col})")?;
        }
        Ok(())
    }
}

static AT_LINE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"\s*at Line: (\d+), Column: (\d+)").expect("valid regex"));

impl QueryError {
    /// Reads an engine error against the SQL it came from.
    pub fn from_engine(e: &DataFusionError, sql: &str) -> QueryError {
        let mut position = None;
        if let Some(span) = e.diagnostic().and_then(|d| d.span) {
            position = Some((span.start.line as usize, span.start.column as usize));
        }
        let root = e.find_root();
        let mut message = match root {
            DataFusionError::SQL(p, _) => {
                let s = p.to_string();
                let s = s.strip_prefix("sql parser error: ").unwrap_or(&s).to_string();
                format!("syntax error: {s}")
            }
            DataFusionError::Plan(s) => s.clone(),
            DataFusionError::SchemaError(s, _) => s.to_string(),
            DataFusionError::Execution(s) => s.clone(),
            DataFusionError::NotImplemented(s) => format!("not supported: {s}"),
            other => other.strip_backtrace(),
        };
        if let Some(c) = AT_LINE.captures(&message) {
            if position.is_none() {
                position = Some((c[1].parse().unwrap_or(1), c[2].parse().unwrap_or(1)));
            }
            message = AT_LINE.replace(&message, "").into_owned();
        }
        // The engine lists every column of a wide join; the first few say enough.
        // A call that fits no signature: the engine's account lists every signature it tried.
        if let Some(i) = message.find("No function matches the given name and argument types") {
            let rest = &message[i..];
            let first = rest.lines().next().unwrap_or(rest).trim_end_matches(" You might need to add explicit type casts.").to_string();
            let name = first.split('\'').nth(1).and_then(|call| call.split('(').next()).unwrap_or("").to_string();
            message = match functions::FUNCTIONS.iter().find(|f| f.0 == name) {
                Some((_, call, what)) => format!("{first} Call it as {call}: {what}."),
                None => {
                    let candidates: Vec<&str> = rest.lines().skip(1).map(str::trim).filter(|l| !l.is_empty() && *l != "Candidate functions:").collect();
                    if candidates.is_empty() { first } else { format!("{first} It takes: {}.", candidates.join(" | ")) }
                }
            };
        }
        for sep in [". Valid fields are ", "\nValid fields are "] {
            if let Some(i) = message.find(sep) {
                let (head, tail) = message.split_at(i);
                let fields: Vec<&str> = tail[sep.len()..].trim_end_matches('.').split(", ").collect();
                if fields.len() > 12 {
                    message = format!("{head}{}Valid fields include {}, … ({} in all; \\d TABLE lists them)", &sep[..sep.len() - "Valid fields are ".len()], fields[..12].join(", "), fields.len());
                }
                break;
            }
        }
        let line_text = position.and_then(|(l, _)| sql.lines().nth(l.saturating_sub(1)).map(|s| s.to_string()));
        QueryError { message, position, line_text }
    }
}

/// One object an analyst can query, for `\d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub name: String,
    /// table, view or function.
    pub kind: &'static str,
    pub description: String,
}

/// The warehouse tables and what each holds.
pub fn table_descriptions() -> Vec<(&'static str, &'static str)> {
    vec![
        ("tickets", "排队叫号记录: the queue system's tickets, one per hall_id + ticket_id (the latest export wins)"),
        ("cases", "办件记录: the business system's cases, one per case_id"),
        ("ratings", "好差评: evaluations, one per rating_id"),
        ("denials", "否定备案登记: the denial-filing register, one row per register_id"),
        ("quarantine", "rows ingests refused: file, line, reason, message and the row as written"),
        ("ingests", "each ingest's reconciliation per file: rows read = loaded + superseded + quarantined"),
        ("findings", "the findings of every recorded check run (run_id, as_of, first_run_id)"),
        ("check_runs", "each recorded check run: as-of, counts, new and resolved findings"),
        (crate::store::schemas::RESPONSE_LOG, "回告与申诉 history: every version of every response and decision ever loaded (responses holds the current one)"),
        ("rates", "按时办结率, 提前办结率 and denial completeness per hall (and window) and month, per run"),
        (crate::store::schemas::DELIVERIES, "the delivery ledger: each (office, report, period, recipient) and its outcome"),
        (crate::store::schemas::JOB_RUNS, "each run of a scheduled job: job, scheduled time, start, end, status, error, rows, mails"),
        ("calendar_days", "the working-day calendar: day, is_workday, workday_seq (the n-th working day after d has seq(d) + n), day_end (23:59:59), kind, name"),
        ("rule_catalog", "every rule: id, severity, title, seed clause and its words, parameters, SQL file"),
    ]
}

/// A view's description: the first sentence of the comment its SQL file opens with.
fn view_description(sql: &str) -> String {
    let mut text = String::new();
    for l in sql.lines() {
        let Some(c) = l.trim().strip_prefix("--") else { break };
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(c.trim());
    }
    let end = text.find(". ").map_or(text.len(), |i| i + 1);
    text[..end].trim().trim_end_matches(':').to_string()
}

/// A session an analyst queries.
pub struct SqlSession {
    pub ctx: SessionContext,
    pub as_of: NaiveDateTime,
    pub access: Access,
    /// The warehouse snapshot the session reads (None: nothing ingested yet).
    pub snapshot: Option<u64>,
    objects: Vec<Object>,
    /// Whether the views carry names (`session::name_views`; not on a cluster).
    named: bool,
}

/// What running one statement gave.
pub enum Outcome {
    /// A query's rows.
    Rows { schema: SchemaRef, batches: Vec<RecordBatch> },
    /// A statement without rows (CREATE VIEW, SET): its tag.
    Done(String),
}

impl Outcome {
    pub fn rows(&self) -> usize {
        match self {
            Outcome::Rows { batches, .. } => crate::output::rows(batches),
            Outcome::Done(_) => 0,
        }
    }
}

/// The read-only rule of the shell: queries, EXPLAIN, SHOW, SET and session-only views and
/// external tables are fine; nothing may write (INSERT, UPDATE, DELETE, COPY … TO). A limited
/// session is held to [`guard::check_limited`] as well.
pub fn shell_sql_options() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(true).with_allow_dml(false).with_allow_statements(true)
}

impl SqlSession {
    /// Opens the current snapshot of the warehouse as of `as_of`, seen through `access`.
    pub async fn open(settings: &Settings, as_of: NaiveDateTime, access: Access, distributed: Option<String>) -> Result<SqlSession, SqlError> {
        let wh = Warehouse::open(&settings.config.data_dir)?;
        let snapshot = wh.current()?;
        let mut engine = settings.engine.clone();
        engine.collect_spans = true;
        engine.distributed = distributed;
        let ctx = crate::session::open(snapshot.as_ref(), &settings.calendar, &settings.catalog, &settings.profile, as_of, &engine, &access).await?;
        let mut objects = Vec::new();
        for (name, d) in table_descriptions() {
            if ctx.table_exist(name).unwrap_or(false) {
                objects.push(Object { name: name.to_string(), kind: "table", description: d.to_string() });
            }
        }
        for v in &settings.catalog.views {
            objects.push(Object { name: v.name.clone(), kind: "view", description: view_description(&v.sql) });
        }
        for (name, call, d) in functions::FUNCTIONS {
            objects.push(Object { name: name.to_string(), kind: "function", description: format!("{call}: {d}") });
        }
        let named = engine.distributed.is_none();
        Ok(SqlSession { ctx, as_of, access, snapshot: snapshot.map(|s| s.id), objects, named })
    }

    /// Re-creates the as-of views for another instant (`\asof`).
    pub async fn set_as_of(&mut self, settings: &Settings, as_of: NaiveDateTime) -> Result<(), SqlError> {
        crate::checks::register_views(&self.ctx, &settings.catalog, &settings.profile, as_of).await?;
        if self.named {
            crate::session::name_views(&self.ctx).await.map_err(crate::checks::CheckError::Engine)?;
        }
        self.as_of = as_of;
        Ok(())
    }

    /// The tables, views and functions, with descriptions; objects an analyst created in this
    /// session are listed too.
    pub fn objects(&self) -> Vec<Object> {
        let mut out = self.objects.clone();
        let known: std::collections::HashSet<String> = out.iter().map(|o| o.name.clone()).collect();
        if let Some(schema) = self.ctx.catalog("datafusion").and_then(|c| c.schema("public")) {
            let mut extra: Vec<String> = schema.table_names().into_iter().filter(|n| !known.contains(n)).collect();
            extra.sort();
            for n in extra {
                objects_push_session(&mut out, n);
            }
        }
        out
    }

    /// Column names and types of a table or view.
    pub async fn columns(&self, name: &str) -> Option<Vec<(String, String, bool)>> {
        let p = self.ctx.table_provider(name).await.ok()?;
        Some(p.schema().fields().iter().map(|f| (f.name().clone(), f.data_type().to_string(), f.is_nullable())).collect())
    }

    /// Every word the shell completes: objects and their columns.
    pub async fn words(&self) -> Vec<String> {
        let mut w = Vec::new();
        for o in self.objects() {
            if o.kind != "function"
                && let Some(cols) = self.columns(&o.name).await {
                    w.extend(cols.into_iter().map(|c| c.0));
                }
            w.push(o.name);
        }
        w.sort();
        w.dedup();
        w
    }

    /// Plans one parsed statement, refusing what `options` does not allow, and for a session
    /// limited to an office or masking personal data, whatever reaches files or the engine's
    /// settings ([`guard`]).
    pub async fn plan(&self, stmt: Statement, options: &SQLOptions) -> Result<LogicalPlan, DataFusionError> {
        if !self.access.is_full() {
            guard::check_limited(&stmt).map_err(DataFusionError::Plan)?;
        }
        let plan = self.ctx.state().statement_to_plan(stmt).await?;
        options.verify_plan(&plan).map_err(|e| match e {
            DataFusionError::Plan(m) => DataFusionError::Plan(format!("{m}: windowwatch SQL is read-only; the warehouse changes only by `windowwatch ingest` and `check` (write results with -o FILE or \\o FILE)")),
            e => e,
        })?;
        Ok(plan)
    }

    /// Runs every statement of `sql`, in order, stopping at the first error.
    pub async fn run(&self, sql: &str, options: &SQLOptions) -> Result<Vec<Outcome>, QueryError> {
        let stmts = parse(sql).map_err(|e| QueryError::from_engine(&e, sql))?;
        let mut out = Vec::new();
        for stmt in stmts {
            out.push(self.run_statement(stmt, options).await.map_err(|e| QueryError::from_engine(&e, sql))?);
        }
        Ok(out)
    }

    async fn run_statement(&self, stmt: Statement, options: &SQLOptions) -> Result<Outcome, DataFusionError> {
        let plan = self.plan(stmt, options).await?;
        let tag = match &plan {
            LogicalPlan::Ddl(d) => Some(d.name().to_uppercase().replace("CREATEMEMORYTABLE", "CREATE TABLE")),
            LogicalPlan::Statement(s) => Some(s.name().to_uppercase()),
            _ => None,
        };
        let df = self.ctx.execute_logical_plan(plan).await?;
        let schema: SchemaRef = df.schema().inner().clone();
        let batches = df.collect().await?;
        Ok(match tag {
            Some(t) => Outcome::Done(t),
            None => Outcome::Rows { schema, batches },
        })
    }
}

fn objects_push_session(out: &mut Vec<Object>, name: String) {
    out.push(Object { name, kind: "view", description: "(made in this session)".into() });
}

/// Splits SQL text into statements with the engine's own parser.
pub fn parse(sql: &str) -> Result<Vec<Statement>, DataFusionError> {
    let dialect = datafusion::sql::sqlparser::dialect::GenericDialect {};
    let mut p = DFParserBuilder::new(sql).with_dialect(&dialect).build()?;
    Ok(p.parse_statements()?.into_iter().collect())
}

/// Where results go and how they look: the `--format`/`-o` flags and the shell's `\format`,
/// `\o` and `\timing`.
#[derive(Debug, Clone)]
pub struct PrintOptions {
    pub format: PrintFormat,
    pub output: Option<PathBuf>,
    pub timing: bool,
}

/// Results headed for a file, written when the run ends (one file, even for several results;
/// XLSX puts each result on its own sheet).
#[derive(Default)]
pub struct FileSink {
    results: Vec<(SchemaRef, Vec<RecordBatch>)>,
}

impl FileSink {
    pub fn finish(self, path: &Path, format: PrintFormat) -> Result<usize, SqlError> {
        let n = self.results.len();
        match format {
            PrintFormat::Xlsx => {
                let mut wb = rust_xlsxwriter::Workbook::new();
                for (i, (schema, batches)) in self.results.iter().enumerate() {
                    let name = (n > 1).then(|| format!("result {}", i + 1));
                    crate::output::add_sheets(&mut wb, name.as_deref(), schema, batches, None)?;
                }
                if n == 0 {
                    wb.add_worksheet();
                }
                wb.save(path).map_err(OutputError::from)?;
            }
            PrintFormat::Parquet => {
                if n != 1 {
                    return Err(SqlError::Usage(format!("{}: a Parquet file holds one result, and this run gave {n}; run one query per file", path.display())));
                }
                let (schema, batches) = &self.results[0];
                crate::output::write_file(path, schema, batches, format)?;
            }
            _ => {
                let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| SqlError::Io { path: path.to_path_buf(), source: e })?);
                for (schema, batches) in &self.results {
                    crate::output::print_batches(&mut f, schema, batches, format)?;
                }
                f.flush().map_err(|e| SqlError::Io { path: path.to_path_buf(), source: e })?;
            }
        }
        Ok(n)
    }
}

/// The one exec-and-print path: runs `sql`, prints each result to `out` (or keeps it for the file
/// of `opts.output`), with the time taken when `opts.timing`. Errors are returned, never printed.
pub async fn exec_and_print(
    session: &SqlSession,
    sql: &str,
    opts: &PrintOptions,
    out: &mut dyn Write,
    sink: &mut FileSink,
) -> Result<(), SqlError> {
    let started = Instant::now();
    let outcomes = session.run(sql, &shell_sql_options()).await.map_err(SqlError::Query)?;
    for o in outcomes {
        let rows = o.rows();
        match o {
            Outcome::Rows { schema, batches } => match &opts.output {
                Some(_) => sink.results.push((schema, batches)),
                None => {
                    if opts.format.is_binary() {
                        return Err(OutputError::NeedsFile(if opts.format == PrintFormat::Parquet { "parquet" } else { "xlsx" }).into());
                    }
                    crate::output::print_batches(out, &schema, &batches, opts.format)?;
                }
            },
            Outcome::Done(tag) => {
                if opts.format == PrintFormat::Table {
                    writeln!(out, "{tag}").map_err(OutputError::from)?;
                }
            }
        }
        if opts.timing {
            writeln!(out, "Time: {:.3} s, {rows} row{}", started.elapsed().as_secs_f64(), if rows == 1 { "" } else { "s" }).map_err(OutputError::from)?;
        }
    }
    Ok(())
}

/// The access `windowwatch sql` runs with: `--office` limits it to that office's halls, and
/// personal data is masked unless `show_personal_data`.
pub fn access_for(settings: &Settings, office: Option<&str>, show_personal_data: bool) -> Result<Access, SqlError> {
    match office {
        None => Ok(Access { halls: None, office: None, masked: !show_personal_data, mask_staff: settings.config.mask_staff && !show_personal_data }),
        Some(id) => {
            let o = settings.config.offices.iter().find(|o| o.id == id).ok_or_else(|| {
                let known: Vec<&str> = settings.config.offices.iter().map(|o| o.id.as_str()).collect();
                SqlError::Usage(format!("--office `{id}` is not an office of the config (offices: {})", if known.is_empty() { "none configured".into() } else { known.join(", ") }))
            })?;
            let masked = !(show_personal_data || o.show_personal_data);
            Ok(Access { halls: Some(o.halls.clone()), office: Some(o.id.clone()), masked, mask_staff: settings.config.mask_staff && masked })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_point_at_the_line_and_column() {
        let e = QueryError {
            message: "syntax error: Expected: end of statement, found: FROMM".into(),
            position: Some((2, 3)),
            line_text: Some("  FROMM cases".into()),
        };
        assert_eq!(e.to_string(), "ERROR: syntax error: Expected: end of statement, found: FROMM\nLINE 2:   FROMM cases\n          ^");
        let sql = "SELECT *\n  FROMM cases";
        let err = parse(sql).unwrap_err();
        let q = QueryError::from_engine(&err, sql);
        assert_eq!(q.position, Some((2, 3)), "{q:?}");
        assert!(q.message.starts_with("syntax error: "), "{q:?}");
        assert!(!q.message.contains("Line:"), "{q:?}");
    }

    #[test]
    fn view_descriptions_are_the_first_comment_line() {
        assert_eq!(view_description("-- one line: and\n-- two. Then more\nSELECT 1"), "one line: and two.");
        assert_eq!(view_description("-- a list:\nSELECT 1"), "a list");
        assert_eq!(view_description("SELECT 1"), "");
    }
}
