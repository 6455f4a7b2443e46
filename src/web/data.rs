//! What the pages read: the check run a page shows (the latest recorded run at or before the
//! page's as-of instant), the session it is read in (`session::open` with the login's access, so
//! the halls and the masking are the session's, never the page's parameters), the findings with
//! their filters, a finding's record as exported, and the working-day arithmetic of a deadline.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{col, lit, when};
use datafusion::prelude::SessionContext;

use crate::calendar::{Calendar, DayKind};
use crate::settings::Settings;
use crate::session::Access;
use crate::report::names::Names;

/// A recorded check run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub as_of: NaiveDateTime,
}

/// The latest run at or before `at` (the latest of all without `at`), from the snapshot's
/// `check_runs` (run ids and instants only: no counts reach a page from there).
pub fn pick_run(snapshot: Option<&crate::store::Snapshot>, at: Option<NaiveDateTime>) -> Result<Option<Run>, crate::store::StoreError> {
    let Some(snap) = snapshot else { return Ok(None) };
    let mut best: Option<Run> = None;
    for b in snap.read("check_runs")? {
        let (Some(ids), Some(times)) = (b.column_by_name("run_id"), b.column_by_name("as_of")) else { continue };
        let (Some(ids), Some(times)) = (ids.as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>(), times.as_primitive_opt::<datafusion::arrow::datatypes::TimestampMicrosecondType>()) else { continue };
        for i in 0..b.num_rows() {
            let Some(t) = chrono::DateTime::from_timestamp_micros(times.value(i)).map(|d| d.naive_utc()) else { continue };
            let run = Run { id: ids.value(i), as_of: t };
            if at.is_some_and(|a| t > a) {
                continue;
            }
            if best.is_none_or(|b| run.id > b.id) {
                best = Some(run);
            }
        }
    }
    Ok(best)
}

/// The filters of the findings list, as the page's query gives them.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub rule: String,
    pub hall: String,
    pub window: String,
    pub staff: String,
    pub month: String,
    pub severity: String,
}

impl Filters {
    pub fn from_query(q: &std::collections::HashMap<String, String>) -> Filters {
        let g = |k: &str| q.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
        Filters { rule: g("rule"), hall: g("hall"), window: g("window"), staff: g("staff"), month: g("month"), severity: g("severity") }
    }

    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![("rule", &self.rule), ("hall", &self.hall), ("window", &self.window), ("staff", &self.staff), ("month", &self.month), ("severity", &self.severity)]
    }
}

/// The columns of the findings list and export, with their Chinese headers (`status`: the
/// hall's answer as of the page's instant, see [`run_findings`]; the names beside the ids are
/// those of `report::names`, the staff's masked as the reports mask them).
pub const FINDING_COLUMNS: [(&str, &str); 14] = [
    ("severity", "等级"),
    ("rule", "规则"),
    ("hall_id", "大厅"),
    ("hall_name", "大厅名称"),
    ("window_id", "窗口"),
    ("window_name", "窗口名称"),
    ("staff_id", "工号"),
    ("staff_name", "人员姓名"),
    ("entity", "对象"),
    ("entity_id", "对象编号"),
    ("due_at", "期限"),
    ("month", "月份"),
    ("detail", "说明"),
    ("status", "回告状态"),
];

/// The index of a column of [`FINDING_COLUMNS`] (the rows the list reads are in that order).
pub fn column(name: &str) -> usize {
    FINDING_COLUMNS.iter().position(|(c, _)| *c == name).unwrap_or(0)
}

/// The answers to findings as of `at`: the `responses_at` view of `queries/views/` rendered for
/// that instant (the same definition the checks excuse findings by), over the session's
/// `response_log` (its halls' answers only).
pub fn answers_sql(settings: &Settings, at: NaiveDateTime) -> Result<String, DataFusionError> {
    let v = settings.catalog.views.iter().find(|v| v.name == "responses_at").ok_or_else(|| DataFusionError::Plan("queries/views: no responses_at view".into()))?;
    let vars = crate::checks::template_vars(&settings.profile, at);
    settings.catalog.render(&v.path, &v.sql, &vars).map_err(|e| DataFusionError::Plan(e.to_string()))
}

/// The findings of a run as the pages read them, worked out once per login access, warehouse
/// snapshot, run and instant (the server keeps them): each finding with its answer as of the
/// instant and the names beside its ids.
pub struct RunFindings {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// The findings that count (excused ones left out): (month, hall, severity) → how many.
    tally: std::collections::BTreeMap<(String, String, String), i64>,
    /// Hall id → its name (the id where none), of the halls with findings.
    halls: std::collections::BTreeMap<String, String>,
}

impl RunFindings {
    /// The findings as a table of the session, to filter, sort and count.
    pub fn frame(&self, ctx: &SessionContext) -> Result<DataFrame, DataFusionError> {
        let t = MemTable::try_new(self.schema.clone(), vec![self.batches.clone()])?;
        ctx.read_table(std::sync::Arc::new(t))
    }
}

/// The findings of `run`, each with its answer as of `at`: `excused` (an appeal accepted by
/// then, so it leaves every count) and `status` (未回告, 已回告, 申诉待审核, 申诉不认可,
/// 已申诉认可), and `hall_name`, `window_name`, `staff_name` from `names` (the staff's masked
/// when `mask_staff`, as the reports mask them). A decision recorded after the run counts from
/// the moment it is made.
pub async fn run_findings(ctx: &SessionContext, settings: &Settings, run: Run, at: NaiveDateTime, names: &Names, mask_staff: bool) -> Result<RunFindings, DataFusionError> {
    let answers = answers_sql(settings, at)?;
    let sql = format!(
        "WITH a AS ({answers}) SELECT f.severity, f.rule, arrow_cast(f.hall_id, 'Utf8') AS hall_id, arrow_cast(f.window_id, 'Utf8') AS window_id, \
         arrow_cast(f.staff_id, 'Utf8') AS staff_id, f.entity, f.entity_id, f.due_at, f.month, f.detail, \
         CASE WHEN a.rule IS NULL THEN '未回告' WHEN a.excused THEN '{EXCUSED}' WHEN a.appeal AND a.decision IS NULL THEN '{PENDING}' \
              WHEN a.appeal THEN '申诉不认可' ELSE '已回告' END AS status, \
         COALESCE(a.excused, false) AS excused \
         FROM findings f LEFT JOIN a ON a.rule = f.rule AND a.entity_id = f.entity_id AND a.month = f.month WHERE f.run_id = {}",
        run.id
    );
    let df = ctx.sql(&sql).await?;
    let plain = std::sync::Arc::new(df.schema().as_arrow().clone());
    let named = |b: &RecordBatch| crate::report::names::with_name_arrays(b, names, mask_staff).map_err(|e| DataFusionError::Execution(e.to_string()));
    let batches = df.collect().await?.iter().filter(|b| b.num_rows() > 0).map(named).collect::<Result<Vec<_>, _>>()?;
    let schema = match batches.first() {
        Some(b) => b.schema(),
        None => named(&RecordBatch::new_empty(plain))?.schema(),
    };
    let mut rf = RunFindings { schema, batches, tally: Default::default(), halls: Default::default() };
    rf.count();
    Ok(rf)
}

impl RunFindings {
    /// Counts the findings once, for the overview (no query per page).
    fn count(&mut self) {
        for b in &self.batches {
            let cols: Option<Vec<&dyn Array>> = ["month", "hall_id", "hall_name", "severity", "excused"].iter().map(|c| b.column_by_name(c).map(|a| a.as_ref())).collect();
            let Some(cols) = cols else { continue };
            for i in 0..b.num_rows() {
                let t = |k: usize| cell(cols[k], i);
                self.halls.entry(t(1)).or_insert_with(|| t(2));
                if t(4) != "true" {
                    *self.tally.entry((t(0), t(1), t(3))).or_default() += 1;
                }
            }
        }
    }
}

/// The status of an excused finding, and of an appeal awaiting its decision.
pub const EXCUSED: &str = "已申诉认可";
pub const PENDING: &str = "申诉待审核";

/// The findings of the run in the session, filtered (exact matches), red first.
pub fn findings(ctx: &SessionContext, rf: &RunFindings, f: &Filters) -> Result<DataFrame, DataFusionError> {
    let mut df = rf.frame(ctx)?;
    for (column, value) in [("rule", &f.rule), ("hall_id", &f.hall), ("window_id", &f.window), ("staff_id", &f.staff), ("month", &f.month), ("severity", &f.severity)] {
        if !value.is_empty() {
            df = df.filter(col(column).eq(lit(value.clone())))?;
        }
    }
    let rank = when(col("severity").eq(lit("red")), lit(0)).when(col("severity").eq(lit("yellow")), lit(1)).otherwise(lit(2))?;
    let cols: Vec<_> = FINDING_COLUMNS.iter().map(|(c, _)| col(*c)).collect();
    df.sort(vec![rank.sort(true, false), col("rule").sort(true, false), col("hall_id").sort(true, false), col("entity_id").sort(true, false), col("month").sort(true, false)])?.select(cols)
}

/// One finding: `rule` on entity `id` (of `month` when given) of the run, when the session sees
/// it, as (column, value) of [`FINDING_COLUMNS`].
pub async fn finding(ctx: &SessionContext, rf: &RunFindings, rule: &str, id: &str, month: &str) -> Result<Vec<(String, String)>, DataFusionError> {
    let mut df = rf.frame(ctx)?.filter(col("rule").eq(lit(rule.to_string())).and(col("entity_id").eq(lit(id.to_string()))))?;
    if !month.is_empty() {
        df = df.filter(col("month").eq(lit(month.to_string())))?;
    }
    let cols: Vec<_> = FINDING_COLUMNS.iter().map(|(c, _)| col(*c)).collect();
    let rows = text_rows(&df.select(cols)?.sort(vec![col("month").sort(false, false)])?.limit(0, Some(1))?.collect().await?);
    Ok(rows.into_iter().next().map(|r| FINDING_COLUMNS.iter().map(|(c, _)| c.to_string()).zip(r).collect()).unwrap_or_default())
}

/// Counts of the findings of the run that count as of the instant (excused ones left out) per
/// `by` (`month` or `hall_id`) and severity: rows of (by, severity, n).
pub fn counts(rf: &RunFindings, by: &str) -> Vec<Vec<String>> {
    let mut m: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
    for ((month, hall, sev), n) in &rf.tally {
        *m.entry((if by == "month" { month } else { hall }, sev)).or_default() += n;
    }
    m.into_iter().map(|((k, sev), n)| vec![k.to_string(), sev.to_string(), n.to_string()]).collect()
}

/// The names of the halls with findings: hall id → name (the id where none).
pub fn hall_names(rf: &RunFindings) -> &std::collections::BTreeMap<String, String> {
    &rf.halls
}

/// Every version of the answer to one finding recorded by `at`, oldest first: responded at,
/// by, explanation, appeal, decision, decided by, decided at (the log is append-only: nothing
/// in it is ever changed or removed).
pub async fn history(ctx: &SessionContext, rule: &str, id: &str, month: &str, at: NaiveDateTime) -> Result<Vec<Vec<String>>, DataFusionError> {
    let at = lit(datafusion::common::ScalarValue::TimestampMicrosecond(Some(at.and_utc().timestamp_micros()), None));
    let key = col("rule").eq(lit(rule.to_string())).and(col("entity_id").eq(lit(id.to_string()))).and(col("month").eq(lit(month.to_string())));
    let recorded = datafusion::functions::expr_fn::coalesce(vec![col("decided_at"), col("responded_at")]);
    let cols = ["responded_at", "responder", "explanation", "appeal", "decision", "decided_by", "decided_at"];
    let df = ctx.table(crate::store::schemas::RESPONSE_LOG).await?.filter(key.and(recorded.lt_eq(at)))?;
    let df = df.sort(vec![col("_ingest_id").sort(true, false), col("_line").sort(true, false)])?.select(cols.iter().map(|c| col(*c)).collect::<Vec<_>>())?;
    Ok(text_rows(&df.collect().await?))
}

/// Every cell of the batches as display text (NULL as empty).
pub fn text_rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            out.push(b.columns().iter().map(|c| cell(c.as_ref(), i)).collect());
        }
    }
    out
}

fn cell(c: &dyn Array, i: usize) -> String {
    if c.is_null(i) {
        return String::new();
    }
    if let DataType::Timestamp(TimeUnit::Microsecond, _) = c.data_type()
        && let Some(t) = c.as_primitive_opt::<datafusion::arrow::datatypes::TimestampMicrosecondType>().and_then(|a| chrono::DateTime::from_timestamp_micros(a.value(i))) {
            return t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
        }
    array_value_to_string(c, i).unwrap_or_default()
}

/// The record a finding is about, as the session sees it (as of its instant, masked as it
/// masks): (column, Chinese header, value).
pub async fn record(ctx: &SessionContext, entity: &str, id: &str) -> Result<Vec<(String, String, String)>, DataFusionError> {
    let (view, table, filter) = match entity {
        "case" => ("cases_at", "cases", col("case_id").eq(lit(id.to_string()))),
        "denial" => ("denials_at", "denials", col("register_id").eq(lit(id.to_string()))),
        "rating" => ("ratings_at", "ratings", col("rating_id").eq(lit(id.to_string()))),
        "ticket" => {
            let (hall, ticket) = id.split_once('/').unwrap_or(("", id));
            ("tickets_at", "tickets", col("hall_id").eq(lit(hall.to_string())).and(col("ticket_id").eq(lit(ticket.to_string()))))
        }
        _ => return Ok(Vec::new()),
    };
    let df = ctx.table(view).await?.filter(filter)?.limit(0, Some(1))?;
    let batches = df.collect().await?;
    let spec = crate::contract::Table::parse(table).map(|t| t.spec());
    let mut out = Vec::new();
    if let Some(b) = batches.iter().find(|b| b.num_rows() > 0) {
        for (f, c) in b.schema().fields().iter().zip(b.columns()) {
            let zh = spec.and_then(|s| s.column(f.name())).map(|c| c.zh.to_string()).unwrap_or_default();
            out.push((f.name().clone(), zh, cell(c.as_ref(), 0)));
        }
    }
    Ok(out)
}

/// A case's deadline as `case_deadlines` computed it.
#[derive(Debug, Clone, Default)]
pub struct Deadline {
    pub case_type: String,
    pub promised_days: Option<i64>,
    pub extension_days: Option<i64>,
    pub extension_valid: bool,
    pub accepted_at: Option<NaiveDateTime>,
    pub deadline_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
}

pub async fn deadline(ctx: &SessionContext, case_id: &str) -> Result<Option<Deadline>, DataFusionError> {
    let cols = ["case_type", "promised_days", "extension_days", "extension_valid", "accepted_at", "deadline_at", "completed_at"];
    let df = ctx.table("case_deadlines").await?.filter(col("case_id").eq(lit(case_id.to_string())))?.select(cols.iter().map(|c| col(*c)).collect::<Vec<_>>())?.limit(0, Some(1))?;
    let rows = text_rows(&df.collect().await?);
    let Some(r) = rows.first() else { return Ok(None) };
    let t = |s: &str| crate::clock::parse_timestamp(s);
    let n = |s: &str| s.parse::<i64>().ok();
    Ok(Some(Deadline {
        case_type: r[0].clone(),
        promised_days: n(&r[1]),
        extension_days: n(&r[2]),
        extension_valid: r[3] == "true",
        accepted_at: t(&r[4]),
        deadline_at: t(&r[5]),
        completed_at: t(&r[6]),
    }))
}

/// The working days from one date to another, as the rules count them: each day after `from`
/// up to `to`, counted or skipped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// Working days in (from, to].
    pub workdays: i64,
    /// Days skipped: date and why (周末, or the holiday's name).
    pub skipped: Vec<(NaiveDate, String)>,
    /// Weekend days worked (调休): date and name.
    pub swapped: Vec<(NaiveDate, String)>,
}

pub fn count_workdays(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> Counted {
    let mut c = Counted { workdays: cal.workdays_between(from, to), skipped: Vec::new(), swapped: Vec::new() };
    let mut d = from;
    // Bounded: a deadline lies weeks, not years, after its acceptance.
    for _ in 0..400 {
        let Some(next) = d.succ_opt().filter(|n| *n <= to) else { break };
        d = next;
        let weekend = d.weekday().num_days_from_monday() >= 5;
        let entry = cal.entry(d);
        match (cal.is_workday(d), entry) {
            (false, Some(e)) if e.kind == DayKind::Holiday => c.skipped.push((d, e.name.clone())),
            (false, _) => c.skipped.push((d, "周末".into())),
            (true, Some(e)) if weekend && e.kind == DayKind::Workday => c.swapped.push((d, e.name.clone())),
            _ => {}
        }
    }
    c
}

/// Where the login may look: its halls, for the filters' choice.
pub fn hall_choices(settings: &Settings, access: &Access) -> Vec<String> {
    match &access.halls {
        Some(h) => h.clone(),
        None => {
            let mut all: Vec<String> = settings.config.offices.iter().flat_map(|o| o.halls.clone()).collect();
            all.sort();
            all.dedup();
            all
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_list_the_holidays_skipped_and_the_weekend_worked() {
        let cal = Calendar::builtin();
        let d = |s: &str| crate::clock::parse_date(s).unwrap();
        // 2026-09-30 → 2026-10-10: the National Day holiday skipped, Saturday 10-10 worked (调休).
        let c = count_workdays(&cal, d("2026-09-30"), d("2026-10-10"));
        assert_eq!(c.workdays, cal.workdays_between(d("2026-09-30"), d("2026-10-10")));
        assert!(c.skipped.iter().any(|(day, why)| *day == d("2026-10-01") && why != "周末"), "{c:?}");
        assert!(c.swapped.iter().any(|(day, _)| *day == d("2026-10-10")), "{c:?}");
        assert_eq!(c.workdays as usize + c.skipped.len(), 10);
    }
}
