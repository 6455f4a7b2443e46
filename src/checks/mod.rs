//! Checks: every rule of rules.md run as SQL over the warehouse at one as-of instant T.
//!
//! A run renders each rule's SQL with T and the profile, runs it in the engine session, stamps
//! the rows with the rule's metadata, sorts them into a stable order, computes the rates from
//! them, and (unless told not to) stores findings, rates and a run record in one commit, so the
//! next run can say what is new and what was resolved.
//!
//! Two things a run adds to the rules' rows. A finding whose appeal was decided 认可 by T (the
//! `responses_at` view) is marked `excused`: it stays listed and leaves every count. And a rule
//! about findings (`reads_findings` in its metadata, e.g. `response.late`) runs after the others
//! over this run's findings so far, registered as `run_findings`: its own findings are never
//! excused, and it sees the findings of such rules of a lower `stage` only (assessment.bottom,
//! stage 2, scores response.late's, stage 1).

pub mod catalog;
pub mod profile;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::{SortColumn, cast, concat_batches, lexsort_to_indices, take_record_batch};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef, TimeUnit};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

use crate::calendar::Calendar;
use crate::engine::{self, EngineSettings};
use crate::ingest::values::{micros_to_naive, ts_micros};
use crate::store::{Snapshot, StoreError, Warehouse};
pub use crate::store::schemas::{finding_fields, findings_store_schema, rates_fields, rates_store_schema, runs_schema};
use catalog::{Catalog, Severity};
use profile::Profile;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("queries: {0}")]
    Catalog(String),
    #[error("{file}: {source}")]
    Sql { file: String, source: DataFusionError },
    #[error("{file}: the rule's SQL must return the column `{column}`")]
    Shape { file: String, column: String },
    #[error("engine: {0}")]
    Engine(DataFusionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The fields rules.md says a finding carries, plus `detail`, in output order.
pub fn findings_schema() -> SchemaRef {
    Arc::new(Schema::new(finding_fields()))
}

/// The variables SQL templates see: `as_of`, `as_of_date`, every profile parameter, and the
/// assessment's scale as SQL: `assessment_points` (a query of `rule`, `points`),
/// `assessment_grade` (the grade of a column `score`) and `assessment_findings` (the findings
/// the assessment views score).
pub fn template_vars(profile: &Profile, as_of: NaiveDateTime) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("assessment_points".into(), profile.points_sql().into());
    m.insert("assessment_grade".into(), profile.grade_sql().into());
    // The findings the assessment views score: the latest recorded run's (a report scores its own run's).
    m.insert("assessment_findings".into(), "latest_findings".into());
    m.insert("as_of".into(), engine::ts_literal(as_of).into());
    m.insert("as_of_date".into(), format!("DATE '{}'", as_of.format("%Y-%m-%d")).into());
    for (k, v) in &profile.params {
        m.insert(k.clone(), (*v).into());
    }
    serde_json::Value::Object(m)
}

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub as_of: NaiveDateTime,
    /// Only these rule ids (prefixes such as `denial.` allowed); None = all enabled rules.
    pub only: Option<Vec<String>>,
    /// Store the run in the warehouse.
    pub record: bool,
    pub engine: EngineSettings,
}

/// The result of one run.
#[derive(Debug)]
pub struct CheckRun {
    pub run_id: Option<i64>,
    pub as_of: NaiveDateTime,
    /// Findings in output order, [`findings_schema`].
    pub findings: RecordBatch,
    pub rates: RecordBatch,
    pub previous: Option<(i64, NaiveDateTime)>,
    pub new_findings: usize,
    pub resolved_findings: usize,
    pub rules_run: usize,
    /// Bytes spilled to disk under the memory limit.
    pub spilled_bytes: usize,
    /// The most the engine's queries held at once (bytes), and the limit.
    pub memory_peak: usize,
    pub memory_limit: Option<usize>,
}

impl CheckRun {
    /// The findings of a severity that count (excused ones left out).
    pub fn count(&self, severity: Severity) -> usize {
        count_severity(&self.findings, severity.as_str())
    }

    /// The excused findings (listed, counted nowhere).
    pub fn excused(&self) -> usize {
        let ex = excused_column(&self.findings);
        (0..ex.len()).filter(|&i| ex.is_valid(i) && ex.value(i)).count()
    }

    /// Findings per rule id (excused ones left out).
    pub fn per_rule(&self) -> Vec<(String, usize)> {
        let rule = self.findings.column(0).as_string::<i32>();
        let ex = excused_column(&self.findings);
        let mut m: std::collections::BTreeMap<String, usize> = Default::default();
        for i in 0..rule.len() {
            if !(ex.is_valid(i) && ex.value(i)) {
                *m.entry(rule.value(i).to_string()).or_default() += 1;
            }
        }
        m.into_iter().collect()
    }
}

/// The `excused` column of findings in [`findings_schema`].
fn excused_column(findings: &RecordBatch) -> &datafusion::arrow::array::BooleanArray {
    findings.column(EXCUSED).as_boolean()
}

/// Index of `excused` in [`findings_schema`].
const EXCUSED: usize = 10;

/// The findings of `severity` that count: not excused.
fn count_severity(findings: &RecordBatch, severity: &str) -> usize {
    let sev = findings.column(1).as_string::<i32>();
    let ex = excused_column(findings);
    (0..sev.len()).filter(|&i| sev.value(i) == severity && !(ex.is_valid(i) && ex.value(i))).count()
}

/// The findings with `excused` set for every finding whose key (rule, entity id, month) is in
/// `keys`.
fn mark_excused(findings: &RecordBatch, keys: &std::collections::HashSet<String>) -> Result<RecordBatch, DataFusionError> {
    let marks: datafusion::arrow::array::BooleanArray = finding_keys(findings, 0).iter().map(|k| Some(keys.contains(k))).collect();
    let mut cols = findings.columns().to_vec();
    cols[EXCUSED] = Arc::new(marks);
    Ok(RecordBatch::try_new(findings.schema(), cols)?)
}

/// The keys of the findings excused at the session's T: appeals decided 认可 by then
/// (`responses_at`, the as-of reading of the response log).
async fn excused_keys(ctx: &SessionContext) -> Result<std::collections::HashSet<String>, CheckError> {
    let sql_err = |e: DataFusionError| CheckError::Sql { file: "views/responses_at".into(), source: e };
    let batches = ctx.sql("SELECT rule, entity_id, month FROM responses_at WHERE excused").await.map_err(sql_err)?.collect().await.map_err(sql_err)?;
    let mut keys = std::collections::HashSet::new();
    for b in &batches {
        // Text read from Parquet may come as string views: one type before reading.
        let text = |c: usize| to_utf8(b.column(c)).map_err(sql_err);
        let (rule, eid, month) = (text(0)?, text(1)?, text(2)?);
        let (rule, eid, month) = (rule.as_string::<i32>(), eid.as_string::<i32>(), month.as_string::<i32>());
        for i in 0..b.num_rows() {
            keys.insert(format!("{}\u{1f}{}\u{1f}{}", rule.value(i), eid.value(i), month.value(i)));
        }
    }
    Ok(keys)
}

fn to_utf8(a: &ArrayRef) -> Result<ArrayRef, DataFusionError> {
    Ok(cast(a, &DataType::Utf8)?)
}

/// Stamps a rule's result rows with its metadata and casts them to the findings schema.
fn stamp(rule: &catalog::Rule, batches: &[RecordBatch]) -> Result<Vec<RecordBatch>, CheckError> {
    let mut out = Vec::new();
    for b in batches {
        let n = b.num_rows();
        if n == 0 {
            continue;
        }
        let col = |name: &str| -> Result<ArrayRef, CheckError> {
            b.column_by_name(name).cloned().ok_or_else(|| CheckError::Shape { file: rule.path.clone(), column: name.into() })
        };
        let sql_err = |e: DataFusionError| CheckError::Sql { file: rule.path.clone(), source: e };
        let konst = |v: &str| -> ArrayRef { Arc::new(StringArray::from(vec![v; n])) };
        let due = cast(&col("due_at")?, &DataType::Timestamp(TimeUnit::Microsecond, None)).map_err(|e| sql_err(e.into()))?;
        let cols: Vec<ArrayRef> = vec![
            konst(&rule.meta.id),
            konst(rule.meta.severity.as_str()),
            to_utf8(&col("hall_id")?).map_err(sql_err)?,
            to_utf8(&col("window_id")?).map_err(sql_err)?,
            to_utf8(&col("staff_id")?).map_err(sql_err)?,
            konst(&rule.meta.entity),
            to_utf8(&col("entity_id")?).map_err(sql_err)?,
            due,
            to_utf8(&col("month")?).map_err(sql_err)?,
            to_utf8(&col("detail")?).map_err(sql_err)?,
            Arc::new(datafusion::arrow::array::BooleanArray::from(vec![false; n])),
        ];
        out.push(RecordBatch::try_new(findings_schema(), cols).map_err(|e| sql_err(e.into()))?);
    }
    Ok(out)
}

/// Stable order: rule, hall, month, entity id (then the rest, for full determinism).
fn sort_findings(b: &RecordBatch) -> Result<RecordBatch, DataFusionError> {
    let order = ["rule", "hall_id", "month", "entity_id", "window_id", "staff_id", "due_at", "detail"];
    let cols: Vec<SortColumn> = order
        .iter()
        .map(|n| SortColumn { values: Arc::clone(b.column_by_name(n).expect("findings column")), options: None })
        .collect();
    let idx = lexsort_to_indices(&cols, None)?;
    Ok(take_record_batch(b, &idx)?)
}

fn selected(rule: &catalog::Rule, profile: &Profile, only: &Option<Vec<String>>) -> bool {
    if profile.disabled.contains(&rule.meta.id) {
        return false;
    }
    match only {
        None => true,
        Some(list) => list.iter().any(|p| rule.meta.id == *p || (p.ends_with('.') && rule.meta.id.starts_with(p.as_str())) || rule.meta.id.starts_with(&format!("{p}."))),
    }
}

/// Key of a finding for comparing runs.
fn finding_keys(b: &RecordBatch, offset: usize) -> Vec<String> {
    let rule = b.column(offset).as_string::<i32>();
    let eid = b.column(offset + 6).as_string::<i32>();
    let month = b.column(offset + 8).as_string::<i32>();
    (0..b.num_rows())
        .map(|i| format!("{}\u{1f}{}\u{1f}{}", rule.value(i), if eid.is_null(i) { "" } else { eid.value(i) }, if month.is_null(i) { "" } else { month.value(i) }))
        .collect()
}

/// Findings and rates of one evaluation.
pub struct Evaluation {
    pub findings: RecordBatch,
    pub rates: RecordBatch,
    pub rules_run: usize,
    /// Bytes the queries spilled to disk (0 unless a memory limit made them).
    pub spilled_bytes: usize,
    /// The shared views held in memory for the run.
    pub cached_views: Vec<CachedView>,
}

/// Runs the selected rules and the rates in an open session (its views already as of `as_of`),
/// and leaves this evaluation in the session as `run_findings` and `run_rates` for further
/// queries (the reports read them).
pub async fn evaluate(ctx: &SessionContext, catalog: &Catalog, profile: &Profile, as_of: NaiveDateTime, only: &Option<Vec<String>>) -> Result<Evaluation, CheckError> {
    let vars = template_vars(profile, as_of);
    let mut rules: Vec<&catalog::Rule> = catalog.rules.iter().filter(|r| selected(r, profile, only)).collect();
    // A rule over findings needs the findings of the rules of lower stages: they run too, and are
    // left out after.
    let top = rules.iter().map(|r| r.meta.run_stage()).max().unwrap_or(0);
    let wanted: Option<std::collections::HashSet<String>> = match top > 0 && only.is_some() {
        true => {
            let ids: std::collections::HashSet<String> = rules.iter().map(|r| r.meta.id.clone()).collect();
            rules.extend(catalog.rules.iter().filter(|r| r.meta.run_stage() < top && !profile.disabled.contains(&r.meta.id) && !ids.contains(&r.meta.id)));
            Some(ids)
        }
        false => None,
    };
    let mut texts: Vec<&str> = rules.iter().map(|r| r.sql.as_str()).collect();
    texts.extend(catalog.metrics.iter().filter(|m| m.name == "rates").map(|m| m.sql.as_str()));
    let cache = ViewCache::fill(ctx, catalog, &texts).await?;
    let result = evaluate_rules(ctx, catalog, &vars, &rules, wanted.as_ref()).await;
    cache.restore(ctx)?;
    let mut e = result?;
    e.cached_views = cache.views;
    Ok(e)
}

/// The findings of the rules `wanted` only.
fn only_rules(findings: &RecordBatch, wanted: &std::collections::HashSet<String>) -> Result<RecordBatch, DataFusionError> {
    let rule = findings.column(0).as_string::<i32>();
    let keep: datafusion::arrow::array::BooleanArray = (0..rule.len()).map(|i| Some(wanted.contains(rule.value(i)))).collect();
    Ok(datafusion::arrow::compute::filter_record_batch(findings, &keep)?)
}

/// One view held for a run: its name, bytes and the columns kept.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CachedView {
    pub name: String,
    pub bytes: usize,
    pub columns: Vec<String>,
}

/// The shared as-of views (case_deadlines, denial_register, window_rankings, …) computed once for a
/// run instead of once per rule that reads them: a view three or more of the run's queries read
/// is held in memory for the run, when it fits the memory limit (its bytes are reserved in the
/// engine's pool, so the limit still holds); otherwise it stays a view and each rule computes it.
/// The views are put back as they were when the run ends.
pub struct ViewCache {
    /// The cached views' original definitions, to restore.
    saved: Vec<(String, Arc<dyn datafusion::catalog::TableProvider>)>,
    pub views: Vec<CachedView>,
    _reservations: Vec<datafusion::execution::memory_pool::MemoryReservation>,
}

impl ViewCache {
    pub async fn fill(ctx: &SessionContext, catalog: &Catalog, queries: &[&str]) -> Result<ViewCache, CheckError> {
        let mut cache = ViewCache { saved: Vec::new(), views: Vec::new(), _reservations: Vec::new() };
        // Not on a cluster: there the executors could not read this process's memory.
        if ctx.state().config().get_extension::<engine::Scratch>().is_some() {
            return Ok(cache);
        }
        // A name as a whole word (compiled once per name, then matched against every query).
        let word = |name: &str| regex::Regex::new(&format!(r"\b{}\b", regex::escape(name))).expect("an escaped name is a valid pattern");
        let partitions = ctx.state().config().target_partitions().max(1);
        let pool = Arc::clone(&ctx.runtime_env().memory_pool);
        let cap = cache_cap(pool.as_ref());
        for v in &catalog.views {
            let name = word(&v.name);
            let readers: Vec<&str> = queries.iter().copied().filter(|q| name.is_match(q)).collect();
            // Computing and holding a view costs about what two readers computing it would.
            if readers.len() < 3 {
                continue;
            }
            let sql_err = |e: DataFusionError| CheckError::Sql { file: v.path.clone(), source: e };
            let original = ctx.table_provider(v.name.as_str()).await.map_err(sql_err)?;
            // Only the columns its readers name (the rest would be computed and held for nothing).
            let columns: Vec<String> = original
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .filter(|c| {
                    let column = word(c);
                    readers.iter().any(|q| column.is_match(q))
                })
                .collect();
            let df = ctx.table(v.name.as_str()).await.map_err(sql_err)?.select_columns(&columns.iter().map(String::as_str).collect::<Vec<_>>()).map_err(sql_err)?;
            let reservation = datafusion::execution::memory_pool::MemoryConsumer::new(format!("windowwatch view cache {}", v.name)).register(&pool);
            let Some((schema, batches, bytes)) = hold(df, &reservation, cap).await.map_err(sql_err)? else {
                tracing::info!(view = %v.name, "the view does not fit the memory limit: each rule computes it instead");
                continue;
            };
            let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
            for (i, b) in batches.into_iter().enumerate() {
                parts[i % partitions].push(b);
            }
            let mem = datafusion::catalog::MemTable::try_new(schema, parts).map_err(sql_err)?;
            ctx.deregister_table(v.name.as_str()).map_err(sql_err)?;
            ctx.register_table(v.name.as_str(), Arc::new(mem)).map_err(sql_err)?;
            cache.saved.push((v.name.clone(), original));
            cache.views.push(CachedView { name: v.name.clone(), bytes, columns });
            cache._reservations.push(reservation);
        }
        Ok(cache)
    }

    pub fn restore(&self, ctx: &SessionContext) -> Result<(), CheckError> {
        for (name, original) in &self.saved {
            ctx.deregister_table(name.as_str()).map_err(CheckError::Engine)?;
            ctx.register_table(name.as_str(), Arc::clone(original)).map_err(CheckError::Engine)?;
        }
        Ok(())
    }
}

/// What the view cache may hold: a quarter of the memory limit at most (the queries need the
/// rest), or without one a quarter of the machine's memory.
fn cache_cap(pool: &dyn datafusion::execution::memory_pool::MemoryPool) -> usize {
    match pool.memory_limit() {
        datafusion::execution::memory_pool::MemoryLimit::Finite(n) => n / 4,
        _ => crate::engine::total_memory_bytes().map_or(2 << 30, |m| (m / 4) as usize),
    }
}

/// A view's rows batch by batch, stopping as soon as they would not fit `cap` bytes or the
/// reservation: (schema, batches, bytes), or `None` when they do not fit.
async fn hold(df: datafusion::dataframe::DataFrame, reservation: &datafusion::execution::memory_pool::MemoryReservation, cap: usize) -> Result<Option<(SchemaRef, Vec<RecordBatch>, usize)>, DataFusionError> {
    let mut stream = df.execute_stream().await?;
    let schema: SchemaRef = stream.schema();
    let mut batches = Vec::new();
    let mut bytes = 0usize;
    while let Some(b) = futures::StreamExt::next(&mut stream).await {
        let b = b?;
        let n = b.get_array_memory_size();
        if bytes + n > cap || reservation.try_grow(n).is_err() {
            return Ok(None);
        }
        bytes += n;
        batches.push(b);
    }
    Ok(Some((schema, batches, bytes)))
}

/// Runs `rules` and stamps their rows; adds what they spilled to `spilled`.
async fn run_rules(ctx: &SessionContext, catalog: &Catalog, vars: &serde_json::Value, rules: &[&catalog::Rule], spilled: &mut usize) -> Result<Vec<RecordBatch>, CheckError> {
    let mut parts: Vec<RecordBatch> = Vec::new();
    for rule in rules {
        let sql = catalog.render(&rule.path, &rule.sql, vars)?;
        let sql_err = |e: DataFusionError| CheckError::Sql { file: rule.path.clone(), source: e };
        let (batches, spill) = collect_counting_spills(ctx, &sql).await.map_err(sql_err)?;
        *spilled += spill;
        parts.extend(stamp(rule, &batches)?);
    }
    Ok(parts)
}

async fn evaluate_rules(ctx: &SessionContext, catalog: &Catalog, vars: &serde_json::Value, rules: &[&catalog::Rule], wanted: Option<&std::collections::HashSet<String>>) -> Result<Evaluation, CheckError> {
    let vars = vars.clone();
    let mut spilled_bytes = 0;
    let engine_err = |e: DataFusionError| CheckError::Engine(e);
    // The rules over the warehouse, then the excusal, then the rules over their findings, stage by
    // stage (each stage reads the findings of the ones before).
    let first: Vec<&catalog::Rule> = rules.iter().copied().filter(|r| r.meta.run_stage() == 0).collect();
    let parts = run_rules(ctx, catalog, &vars, &first, &mut spilled_bytes).await?;
    let all = concat_batches(&findings_schema(), &parts).map_err(|e| CheckError::Engine(e.into()))?;
    let mut findings = mark_excused(&all, &excused_keys(ctx).await?).map_err(engine_err)?;
    let mut stages: Vec<u8> = rules.iter().map(|r| r.meta.run_stage()).filter(|s| *s > 0).collect();
    stages.sort();
    stages.dedup();
    for stage in stages {
        let after: Vec<&catalog::Rule> = rules.iter().copied().filter(|r| r.meta.run_stage() == stage).collect();
        engine::register_batch(ctx, "run_findings", findings_schema(), vec![findings.clone()]).map_err(CheckError::Engine)?;
        let mut parts = vec![findings];
        parts.extend(run_rules(ctx, catalog, &vars, &after, &mut spilled_bytes).await?);
        findings = concat_batches(&findings_schema(), &parts).map_err(|e| CheckError::Engine(e.into()))?;
    }
    if let Some(wanted) = wanted {
        findings = only_rules(&findings, wanted).map_err(engine_err)?;
    }
    let findings = sort_findings(&findings).map_err(CheckError::Engine)?;

    // Rates, from this run's findings.
    engine::register_batch(ctx, "run_findings", findings_schema(), vec![findings.clone()]).map_err(CheckError::Engine)?;
    let mut rates_parts = Vec::new();
    for m in &catalog.metrics {
        if m.name != "rates" {
            continue;
        }
        let sql = catalog.render(&m.path, &m.sql, &vars)?;
        let sql_err = |e: DataFusionError| CheckError::Sql { file: m.path.clone(), source: e };
        let (batches, spill) = collect_counting_spills(ctx, &format!("SELECT * FROM ({sql}) r ORDER BY scope, hall_id, month, window_id")).await.map_err(sql_err)?;
        spilled_bytes += spill;
        rates_parts.extend(batches);
    }
    let rates_schema = Arc::new(Schema::new(rates_fields()));
    let rates = conform(&rates_parts, &rates_schema).map_err(CheckError::Engine)?;
    engine::register_batch(ctx, "run_rates", rates_schema, vec![rates.clone()]).map_err(CheckError::Engine)?;
    let rules_run = wanted.map_or(rules.len(), |w| w.len());
    Ok(Evaluation { findings, rates, rules_run, spilled_bytes, cached_views: Vec::new() })
}

/// Runs one query to the end and adds up what its operators spilled to disk (under a memory
/// limit, sorts and aggregations spill instead of failing).
pub async fn collect_counting_spills(ctx: &SessionContext, sql: &str) -> Result<(Vec<RecordBatch>, usize), DataFusionError> {
    let plan = ctx.sql(sql).await?.create_physical_plan().await?;
    let batches = datafusion::physical_plan::collect(Arc::clone(&plan), ctx.task_ctx()).await?;
    fn spilled(p: &Arc<dyn datafusion::physical_plan::ExecutionPlan>) -> usize {
        p.metrics().and_then(|m| m.spilled_bytes()).unwrap_or(0) + p.children().into_iter().map(spilled).sum::<usize>()
    }
    Ok((batches, spilled(&plan)))
}

/// Runs the checks at `opts.as_of` in a fresh session and records the run (unless told not to).
pub async fn run_checks(wh: &Warehouse, cal: &Calendar, catalog: &Catalog, profile: &Profile, opts: &CheckOptions) -> Result<CheckRun, CheckError> {
    let snapshot = wh.current()?;
    let ctx = session(snapshot.as_ref(), cal, catalog, profile, opts.as_of, &opts.engine).await?;
    run_in(&ctx, wh, snapshot.as_ref(), cal, catalog, profile, opts).await
}

/// As [`run_checks`], in a session the caller opened on `snapshot` (reports query it afterwards).
pub async fn run_in(
    ctx: &SessionContext,
    wh: &Warehouse,
    snapshot: Option<&crate::store::Snapshot>,
    cal: &Calendar,
    catalog: &Catalog,
    profile: &Profile,
    opts: &CheckOptions,
) -> Result<CheckRun, CheckError> {
    let started = crate::clock::now_china();
    let Evaluation { findings, rates, rules_run, spilled_bytes, cached_views } = evaluate(ctx, catalog, profile, opts.as_of, &opts.only).await?;
    tracing::debug!(?cached_views, "views computed once for the run");
    // Compare with the previous run.
    let Previous { run: previous, first: prev_first } = previous_run(snapshot)?;
    let keys = finding_keys(&findings, 0);
    let new_findings = keys.iter().filter(|k| !prev_first.contains_key(*k)).count();
    let current: std::collections::HashSet<&String> = keys.iter().collect();
    let resolved_findings = if previous.is_some() { prev_first.keys().filter(|k| !current.contains(k)).count() } else { 0 };
    let mut run = CheckRun { run_id: None, as_of: opts.as_of, findings, rates, previous, new_findings, resolved_findings, rules_run, spilled_bytes, memory_peak: 0, memory_limit: opts.engine.memory_limit };
    if opts.record {
        let first_runs: Vec<Option<i64>> = keys.iter().map(|k| prev_first.get(k).copied()).collect();
        let recorded = Recorded { started, snapshot: snapshot.map_or(0, |s| s.id as i64), first_runs, profile, cal };
        run.run_id = Some(record_run(wh, &run, &recorded)?);
    }
    run.memory_peak = engine::memory_peak(ctx);
    Ok(run)
}

/// The last run recorded before this one (id, as-of), and the first run of each finding it
/// stored, by finding key.
struct Previous {
    run: Option<(i64, NaiveDateTime)>,
    first: HashMap<String, i64>,
}

fn previous_run(snapshot: Option<&Snapshot>) -> Result<Previous, CheckError> {
    let mut previous = Previous { run: None, first: HashMap::new() };
    let Some(s) = snapshot else { return Ok(previous) };
    let Some((id, at)) = last_run(&s.read("check_runs")?).map_err(|m| StoreError::Corrupt { path: s.table_dir("check_runs"), message: m })? else { return Ok(previous) };
    previous.run = Some((id, micros_to_naive(at)));
    let f = s.table_dir("findings").join(format!("run-{id:06}.parquet"));
    if f.exists() {
        for b in crate::store::read_parquet(&f)? {
            let keys = finding_keys(&b, 2);
            let first = b.column_by_name("first_run_id").and_then(|c| c.as_any().downcast_ref::<Int64Array>()).cloned().ok_or_else(|| StoreError::Corrupt { path: f.clone(), message: "no first_run_id column of 64-bit integers".into() })?;
            for (i, k) in keys.into_iter().enumerate() {
                previous.first.insert(k, first.value(i));
            }
        }
    }
    Ok(previous)
}

/// The run with the highest id among the recorded runs: (id, as-of in microseconds); an error
/// when the runs' first two columns are not (run_id, as_of) as the warehouse writes them.
fn last_run(runs: &[RecordBatch]) -> Result<Option<(i64, i64)>, String> {
    let mut last: Option<(i64, i64)> = None;
    for b in runs {
        let id = b.columns().first().and_then(|c| c.as_any().downcast_ref::<Int64Array>()).ok_or("run_id is not a column of 64-bit integers")?;
        let at = b.columns().get(1).and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>()).ok_or("as_of is not a column of timestamps")?;
        for i in 0..b.num_rows() {
            if last.is_none_or(|(l, _)| id.value(i) > l) {
                last = Some((id.value(i), at.value(i)));
            }
        }
    }
    Ok(last)
}

/// What a run's record holds beside the run itself.
struct Recorded<'a> {
    started: NaiveDateTime,
    /// The snapshot the run read (0 for none).
    snapshot: i64,
    /// Per finding, the run that first found it, when an earlier one did.
    first_runs: Vec<Option<i64>>,
    profile: &'a Profile,
    cal: &'a Calendar,
}

/// Records the run — its findings, rates and the run itself — in a commit of its own; returns its id.
fn record_run(wh: &Warehouse, run: &CheckRun, r: &Recorded<'_>) -> Result<i64, CheckError> {
    let lock = wh.lock()?;
    let mut txn = wh.begin(&lock)?;
    let id = txn.meta.next_run_id;
    let file = format!("run-{id:06}.parquet");
    let as_of_us = ts_micros(run.as_of);
    let first: Vec<i64> = r.first_runs.iter().map(|f| f.unwrap_or(id)).collect();
    let stored = stamped(id, as_of_us, &run.findings, Some(Arc::new(Int64Array::from(first))), findings_store_schema())?;
    txn.add_file("findings", &file, &findings_store_schema(), &[stored])?;
    let rstored = stamped(id, as_of_us, &run.rates, None, rates_store_schema())?;
    txn.add_file("rates", &file, &rates_store_schema(), &[rstored])?;
    let rb = run_row(id, run, r)?;
    txn.add_file("check_runs", &file, &runs_schema(), &[rb])?;
    txn.meta.next_run_id = id + 1;
    txn.commit()?;
    Ok(id)
}

/// A run's rows as stored: the run id and as-of first, then the rows' columns, then `extra`.
fn stamped(id: i64, as_of_us: i64, rows: &RecordBatch, extra: Option<ArrayRef>, schema: SchemaRef) -> Result<RecordBatch, CheckError> {
    let n = rows.num_rows();
    let mut cols: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(vec![id; n])), Arc::new(TimestampMicrosecondArray::from(vec![as_of_us; n]))];
    cols.extend(rows.columns().iter().cloned());
    cols.extend(extra);
    RecordBatch::try_new(schema, cols).map_err(|e| CheckError::Engine(e.into()))
}

/// The run's row of `check_runs`.
fn run_row(id: i64, run: &CheckRun, r: &Recorded<'_>) -> Result<RecordBatch, CheckError> {
    let finished = crate::clock::now_china();
    let count = |s: &str| count_severity(&run.findings, s) as i64;
    let profile_json = serde_json::json!({"source": r.profile.source, "params": r.profile.params, "disabled": r.profile.disabled}).to_string();
    let run_cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![id])),
        Arc::new(TimestampMicrosecondArray::from(vec![ts_micros(run.as_of)])),
        Arc::new(TimestampMicrosecondArray::from(vec![ts_micros(r.started)])),
        Arc::new(TimestampMicrosecondArray::from(vec![ts_micros(finished)])),
        Arc::new(Int64Array::from(vec![r.snapshot])),
        Arc::new(Int64Array::from(vec![run.rules_run as i64])),
        Arc::new(Int64Array::from(vec![run.findings.num_rows() as i64])),
        Arc::new(Int64Array::from(vec![count("red")])),
        Arc::new(Int64Array::from(vec![count("yellow")])),
        Arc::new(Int64Array::from(vec![count("info")])),
        Arc::new(Int64Array::from(vec![run.new_findings as i64])),
        Arc::new(Int64Array::from(vec![run.resolved_findings as i64])),
        Arc::new(Int64Array::from(vec![run.previous.map(|p| p.0)])),
        Arc::new(StringArray::from(vec![profile_json])),
        Arc::new(StringArray::from(vec![r.cal.sources.join("; ")])),
    ];
    RecordBatch::try_new(runs_schema(), run_cols).map_err(|e| CheckError::Engine(e.into()))
}

/// Writes the views and rules rendered for `as_of` (plain SQL, no templates) and the calendar
/// table as Parquet, so another engine can run exactly the rules windowwatch runs over the same
/// warehouse (the benchmark's DuckDB side does). Layout: `views/NN_name.sql` in creation order,
/// `rules/<rule id>.sql`, `calendar_days.parquet`, `manifest.json`.
pub fn export_sql(catalog: &Catalog, profile: &Profile, cal: &Calendar, as_of: NaiveDateTime, dir: &std::path::Path) -> Result<(), CheckError> {
    let vars = template_vars(profile, as_of);
    let io = |p: &std::path::Path| {
        let p = p.to_path_buf();
        move |e: std::io::Error| CheckError::Store(StoreError::Io { path: p, source: e })
    };
    for sub in ["views", "rules"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(io(&dir.join(sub)))?;
    }
    let mut views = Vec::new();
    for (i, v) in catalog.views.iter().enumerate() {
        let file = format!("views/{:02}_{}.sql", i, v.name);
        std::fs::write(dir.join(&file), catalog.render(&v.path, &v.sql, &vars)?).map_err(io(&dir.join(&file)))?;
        views.push(serde_json::json!({"name": v.name, "file": file}));
    }
    let mut rules = Vec::new();
    // A rule over the run's findings (`run_findings`) is no SQL another engine can run alone.
    for r in catalog.rules.iter().filter(|r| !profile.disabled.contains(&r.meta.id) && !r.meta.reads_findings) {
        let file = format!("rules/{}.sql", r.meta.id);
        std::fs::write(dir.join(&file), catalog.render(&r.path, &r.sql, &vars)?).map_err(io(&dir.join(&file)))?;
        rules.push(serde_json::json!({"id": r.meta.id, "severity": r.meta.severity.as_str(), "file": file}));
    }
    let (from, to) = engine::calendar_span();
    let days = cal.days_batch(from, to);
    crate::store::write_parquet(&dir.join("calendar_days.parquet"), &Calendar::days_schema(), &[days])?;
    let over: Vec<&str> = catalog.rules.iter().filter(|r| !profile.disabled.contains(&r.meta.id) && r.meta.reads_findings).map(|r| r.meta.id.as_str()).collect();
    let manifest = serde_json::json!({"as_of": as_of.format("%Y-%m-%d %H:%M:%S").to_string(), "views": views, "rules": rules, "over_findings": over});
    let m = dir.join("manifest.json");
    std::fs::write(&m, serde_json::to_vec_pretty(&manifest).expect("json")).map_err(io(&m))?;
    Ok(())
}

/// Casts query output to a fixed schema (by column name), one batch.
pub fn conform(batches: &[RecordBatch], schema: &SchemaRef) -> Result<RecordBatch, DataFusionError> {
    let mut parts = Vec::new();
    for b in batches {
        let mut cols = Vec::new();
        for f in schema.fields() {
            let c = b
                .column_by_name(f.name())
                .ok_or_else(|| DataFusionError::Plan(format!("missing column {}", f.name())))?;
            cols.push(cast(c, f.data_type())?);
        }
        parts.push(RecordBatch::try_new(schema.clone(), cols)?);
    }
    Ok(concat_batches(schema, &parts)?)
}

/// The one-line account of a run that `check`, the demo and the daemon's job print.
impl std::fmt::Display for CheckRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let run = self;
        use catalog::Severity::*;
        let excused = match run.excused() {
            0 => String::new(),
            n => format!(", {n} excused on appeal"),
        };
        let mut s = format!(
            "as of {}: {} findings ({} red, {} yellow, {} info{excused}) from {} rules",
            run.as_of.format("%Y-%m-%d %H:%M:%S"),
            run.findings.num_rows(),
            run.count(Red),
            run.count(Yellow),
            run.count(Info),
            run.rules_run
        );
        match (run.run_id, run.previous) {
            (Some(id), Some((p, at))) => s.push_str(&format!(
                "; run #{id}, against run #{p} (as of {}): {} new, {} resolved",
                at.format("%Y-%m-%d %H:%M:%S"),
                run.new_findings,
                run.resolved_findings
            )),
            (Some(id), None) => s.push_str(&format!("; run #{id} (the first)")),
            (None, _) => s.push_str("; not recorded"),
        }
        let mib = |b: usize| b as f64 / 1048576.0;
        s.push_str(&format!("; engine memory peak {:.1} MiB", mib(run.memory_peak)));
        if let Some(l) = run.memory_limit {
            s.push_str(&format!(" of the {:.0} MiB limit", mib(l)));
        }
        if run.spilled_bytes > 0 {
            s.push_str(&format!("; {:.1} MiB spilled to disk under the memory limit", mib(run.spilled_bytes)));
        }
        f.write_str(&s)
    }
}

/// Creates the views of `queries/views/` for the as-of instant `as_of`.
pub async fn register_views(ctx: &SessionContext, catalog: &Catalog, profile: &Profile, as_of: NaiveDateTime) -> Result<(), CheckError> {
    let vars = template_vars(profile, as_of);
    for v in &catalog.views {
        let sql = catalog.render(&v.path, &v.sql, &vars)?;
        let stmt = format!("CREATE OR REPLACE VIEW {} AS {}", v.name, sql);
        let sql_error = |e| CheckError::Sql { file: v.path.clone(), source: e };
        ctx.sql(&stmt).await.map_err(sql_error)?.collect().await.map_err(sql_error)?;
    }
    Ok(())
}

/// Puts the rules over a context: `rule_catalog` and the as-of views.
pub async fn register_rule_objects(ctx: &SessionContext, catalog: &Catalog, profile: &Profile, as_of: NaiveDateTime) -> Result<(), CheckError> {
    let rules = catalog.rules_batch(Some(profile));
    engine::register_batch(ctx, "rule_catalog", rules.schema(), vec![rules]).map_err(CheckError::Engine)?;
    register_views(ctx, catalog, profile, as_of).await
}

/// A session on `snapshot` with every table and view, as of `as_of`: what the checks, the reports
/// and the benchmark run in (everything, unmasked; `session::open` limits one for a person).
pub async fn session(snapshot: Option<&Snapshot>, cal: &Calendar, catalog: &Catalog, profile: &Profile, as_of: NaiveDateTime, settings: &EngineSettings) -> Result<SessionContext, CheckError> {
    let ctx = engine::base_context(snapshot, cal, settings).await.map_err(CheckError::Engine)?;
    register_rule_objects(&ctx, catalog, profile, as_of).await?;
    Ok(ctx)
}

