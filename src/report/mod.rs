//! Reports: the monthly supervision report (月度监督通报), the daily warning (预警日报) and the
//! denial-filing register (否定备案登记表), rendered per supervisory office from the findings of a
//! check run, each holding only that office's halls (report bursting) and with personal data
//! masked unless the office may see it.
//!
//! Every figure comes from SQL under `queries/reports/`, run in the same session as the check it
//! renders (`run_findings`, `run_rates`), filtered to the office's halls in the query itself.

pub mod assessment;
pub mod charts;
pub mod circular;
pub mod daily;
pub mod document;
#[cfg(feature = "documents")]
pub mod docx;
pub mod message;
pub mod monthly;
pub mod names;
#[cfg(feature = "documents")]
pub mod pdf;
pub mod register;
pub mod response_form;
pub mod render;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use datafusion::prelude::SessionContext;
use serde_json::{Map, Value};

use crate::checks::{self, CheckError, CheckOptions, CheckRun};
use crate::config::{Office, RegisterFormat};
use crate::settings::Settings;
use crate::store::Warehouse;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error("{0}")]
    Query(String),
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("no office with id `{0}` in the configuration")]
    UnknownOffice(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}")]
    Output(#[from] crate::output::OutputError),
    #[error(transparent)]
    Document(#[from] document::DocumentError),
    #[error("`{0}` is not a month; write it as 2026-10")]
    Month(String),
}

/// Which report a [`Request`] asks for, with its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 月度监督通报 of the month.
    /// A month's report; with a document format, the 通报 as DOCX or PDF beside it.
    Monthly(Month, Option<document::DocFormat>),
    /// 预警日报 at the as-of instant.
    Daily,
    /// 否定备案登记表 of the month, in this format.
    Register(Month, RegisterFormat),
}

/// One report run, built once — from the command line (`commands`), a scheduled job
/// (`schedule::jobs`), the demo or the benchmark — and rendered by [`Request::render`].
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: Kind,
    /// The instant judged; `None`: the report's own default ([`Request::as_of`]).
    pub as_of: Option<NaiveDateTime>,
    /// Only this office (default: every office).
    pub office: Option<String>,
    /// Files go under `out/<office>/`.
    pub out: PathBuf,
    /// Templates to use instead of the built-in ones.
    pub templates: Option<PathBuf>,
}

impl Request {
    /// Every office, files under the configured `reports_dir`, the built-in templates.
    pub fn new(settings: &Settings, kind: Kind, as_of: Option<NaiveDateTime>) -> Request {
        Request { kind, as_of, office: None, out: settings.config.reports_dir.clone(), templates: None }
    }

    /// `monthly`, `daily` or `register`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Monthly(..) => "monthly",
            Kind::Daily => "daily",
            Kind::Register(..) => "register",
        }
    }

    /// The report and its period, e.g. `monthly 2026-10` or `daily 2026-11-03`.
    pub fn label(&self) -> String {
        match self.kind {
            Kind::Monthly(m, _) | Kind::Register(m, _) => format!("{} {m}", self.name()),
            Kind::Daily => format!("daily {}", self.as_of().format("%Y-%m-%d")),
        }
    }

    /// The instant judged: as given, else the first instant of the month after for the monthly
    /// report (so re-running October later gives October's answer), else now (China time).
    pub fn as_of(&self) -> NaiveDateTime {
        match (self.as_of, self.kind) {
            (Some(t), _) => t,
            (None, Kind::Monthly(m, _)) => m.next().start(),
            (None, _) => crate::clock::now_china(),
        }
    }

    /// Renders the report for every office asked for, writing its files.
    pub async fn render(&self, settings: &Settings, wh: &Warehouse) -> Result<Vec<Rendered>, ReportError> {
        match self.kind {
            Kind::Monthly(month, document) => monthly::render_all(settings, wh, self, month, document).await,
            Kind::Daily => daily::render_all(settings, wh, self, self.as_of()).await,
            Kind::Register(month, format) => register::render_all(settings, wh, self, month, format).await,
        }
    }
}

/// Every report of `month` with the daily warning at `as_of`, for every office, files under
/// `out` (the demo and the benchmark render them all).
pub fn every_report(out: &std::path::Path, month: Month, as_of: NaiveDateTime) -> [Request; 3] {
    let req = |kind, as_of| Request { kind, as_of, office: None, out: out.to_path_buf(), templates: None };
    [req(Kind::Monthly(month, None), None), req(Kind::Daily, Some(as_of)), req(Kind::Register(month, RegisterFormat::Xlsx), Some(as_of))]
}

/// A calendar month `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Result<Month, ReportError> {
        let (y, m) = s.trim().split_once('-').ok_or_else(|| ReportError::Month(s.into()))?;
        let (year, month) = (y.parse().map_err(|_| ReportError::Month(s.into()))?, m.parse().map_err(|_| ReportError::Month(s.into()))?);
        if !(1..=12).contains(&month) || y.len() != 4 {
            return Err(ReportError::Month(s.into()));
        }
        Ok(Month { year, month })
    }

    pub fn of(t: NaiveDateTime) -> Month {
        Month { year: t.year(), month: t.month() }
    }

    pub fn start(self) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
    }

    pub fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { year: self.year, month: self.month + 1 } }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 { Month { year: self.year - 1, month: 12 } } else { Month { year: self.year, month: self.month - 1 } }
    }

    pub fn minus(self, n: u32) -> Month {
        (0..n).fold(self, |m, _| m.prev())
    }

    pub fn zh(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The id of the one office of all halls used when the configuration has none.
pub const DEFAULT_OFFICE: &str = "all";

/// The offices a report goes to: those configured (optionally one of them), or — with none
/// configured — one office for all halls in the data, delivered to the outbox only.
pub fn offices(settings: &Settings, only: Option<&str>, all_halls: &[String]) -> Result<Vec<Office>, ReportError> {
    let list = if settings.config.offices.is_empty() {
        // A placeholder address (.invalid never resolves): with no offices configured the
        // reports go to the outbox for a trial, addressed so the ledger can record them.
        vec![Office::mail_only(DEFAULT_OFFICE.into(), "全部大厅".into(), all_halls.to_vec(), vec!["supervisor@windowwatch.invalid".into()])]
    } else {
        settings.config.offices.clone()
    };
    match only {
        None => Ok(list),
        Some(id) => list.into_iter().find(|o| o.id == id).map(|o| vec![o]).ok_or_else(|| ReportError::UnknownOffice(id.into())),
    }
}

/// A session on the current warehouse with a check evaluated at `as_of` (and recorded).
pub struct Session {
    pub ctx: SessionContext,
    pub run: CheckRun,
    pub as_of: NaiveDateTime,
    /// The reference tables' names of halls, windows and staff.
    pub names: names::Names,
}

impl Session {
    pub async fn open(settings: &Settings, wh: &Warehouse, as_of: NaiveDateTime, record: bool) -> Result<Session, ReportError> {
        let snapshot = wh.current().map_err(CheckError::from)?;
        let ctx = crate::checks::session(snapshot.as_ref(), &settings.calendar, &settings.catalog, &settings.profile, as_of, &settings.engine).await?;
        let opts = CheckOptions { as_of, only: None, record, engine: settings.engine.clone() };
        let run = checks::run_in(&ctx, wh, snapshot.as_ref(), &settings.calendar, &settings.catalog, &settings.profile, &opts).await?;
        let mut s = Session { ctx, run, as_of, names: names::Names::default() };
        s.names = names::Names::load(&s.ctx).await?;
        Ok(s)
    }

    /// Every hall that appears in any table at this instant.
    pub async fn halls(&self) -> Result<Vec<String>, ReportError> {
        let rows = self
            .sql("SELECT DISTINCT hall_id FROM (SELECT hall_id FROM tickets_at UNION ALL SELECT hall_id FROM cases_at UNION ALL SELECT hall_id FROM ratings_at UNION ALL SELECT hall_id FROM denials_at) h WHERE hall_id IS NOT NULL ORDER BY hall_id")
            .await?;
        Ok(rows.iter().filter_map(|r| r.get("hall_id").and_then(|v| v.as_str()).map(String::from)).collect())
    }

    /// The offices with the halls of their `districts` added from the halls table (reference
    /// data): resolved here, where the reports use an office's halls, since it needs the
    /// warehouse; the config only names the districts.
    pub async fn with_districts(&self, offices: Vec<Office>) -> Result<Vec<Office>, ReportError> {
        let mut out = Vec::with_capacity(offices.len());
        for mut o in offices {
            if !o.districts.is_empty() {
                let list: Vec<String> = o.districts.iter().map(|d| format!("'{}'", d.replace('\'', "''"))).collect();
                let rows = self.sql(&format!("SELECT hall_id FROM halls WHERE district IN ({}) ORDER BY hall_id", list.join(", "))).await?;
                o.halls.extend(rows.iter().filter_map(|r| r.get("hall_id").and_then(|v| v.as_str()).map(String::from)));
                o.halls.sort();
                o.halls.dedup();
            }
            out.push(o);
        }
        Ok(out)
    }

    /// Runs SQL and returns rows as JSON objects (instants as text, numbers as numbers).
    pub async fn sql(&self, sql: &str) -> Result<Vec<Map<String, Value>>, ReportError> {
        let batches = self
            .ctx
            .sql(sql)
            .await
            .map_err(|e| ReportError::Query(e.to_string()))?
            .collect()
            .await
            .map_err(|e| ReportError::Query(e.to_string()))?;
        batches_json(&batches)
    }

    /// Runs one of `queries/reports/` with the report's variables.
    pub async fn report_query(&self, settings: &Settings, name: &str, vars: &Value) -> Result<Vec<Map<String, Value>>, ReportError> {
        let (path, sql) = report_sql(settings, name, vars)?;
        self.sql(&sql).await.map_err(|e| ReportError::Query(format!("{path}: {e}")))
    }

    /// Runs one of `queries/reports/` as a stream of batches, for a report that writes its rows
    /// as they come instead of holding them all (the monthly report's red findings).
    pub async fn report_stream(&self, settings: &Settings, name: &str, vars: &Value) -> Result<datafusion::physical_plan::SendableRecordBatchStream, ReportError> {
        let (path, sql) = report_sql(settings, name, vars)?;
        let df = self.ctx.sql(&sql).await.map_err(|e| ReportError::Query(format!("{path}: {e}")))?;
        df.execute_stream().await.map_err(|e| ReportError::Query(format!("{path}: {e}")))
    }

    /// How many rows one of `queries/reports/` returns, without fetching them.
    pub async fn report_count(&self, settings: &Settings, name: &str, vars: &Value) -> Result<usize, ReportError> {
        let (path, sql) = report_sql(settings, name, vars)?;
        let rows = self.sql(&format!("SELECT COUNT(*) AS n FROM ({sql}) q")).await.map_err(|e| ReportError::Query(format!("{path}: {e}")))?;
        Ok(rows.first().and_then(|r| get(r, "n").as_u64()).unwrap_or(0) as usize)
    }
}

/// One of `queries/reports/` rendered with the report's variables: its path and SQL.
fn report_sql(settings: &Settings, name: &str, vars: &Value) -> Result<(String, String), ReportError> {
    let q = settings
        .catalog
        .reports
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ReportError::Query(format!("queries/reports/{name}.sql is missing")))?;
    Ok((q.path.clone(), settings.catalog.render(&q.path, &q.sql, vars)?))
}

pub fn batches_json(batches: &[datafusion::arrow::array::RecordBatch]) -> Result<Vec<Map<String, Value>>, ReportError> {
    let mut buf = Vec::new();
    {
        let mut w = datafusion::arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, datafusion::arrow::json::writer::LineDelimited>(&mut buf);
        for b in batches {
            let t = crate::output::textual(b).map_err(|e| ReportError::Query(e.to_string()))?;
            w.write(&t).map_err(|e| ReportError::Query(e.to_string()))?;
        }
        w.finish().map_err(|e| ReportError::Query(e.to_string()))?;
    }
    let text = String::from_utf8(buf).map_err(|e| ReportError::Query(e.to_string()))?;
    Ok(text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        })
        .collect())
}

/// The SQL list literal of hall ids (`'H01', 'H02'`), or `NULL` (matching nothing).
pub fn halls_literal(halls: &[String]) -> String {
    if halls.is_empty() {
        return "NULL".into();
    }
    halls.iter().map(|h| format!("'{}'", h.replace('\'', "''"))).collect::<Vec<_>>().join(", ")
}

/// The variables report queries see: the profile's, T, the office's halls and the month.
pub fn vars(settings: &Settings, as_of: NaiveDateTime, halls: &[String], month: Option<Month>, extra: &[(&str, String)]) -> Value {
    let mut v = checks::template_vars(&settings.profile, as_of);
    let m = v.as_object_mut().expect("object");
    m.insert("halls".into(), halls_literal(halls).into());
    if let Some(month) = month {
        m.insert("month".into(), month.to_string().into());
        m.insert("month_start".into(), crate::engine::ts_literal(month.start()).into());
        m.insert("month_end".into(), crate::engine::ts_literal(month.next().start()).into());
        m.insert("month_minus_12".into(), month.minus(12).to_string().into());
    }
    for (k, val) in extra {
        m.insert((*k).into(), val.clone().into());
    }
    v
}

/// Whether staff names are masked for `office`: `[privacy] mask_staff`, unless the office may see
/// personal data.
pub fn mask_staff(settings: &Settings, office: &Office) -> bool {
    settings.config.mask_staff && !office.show_personal_data
}

/// Masks personal data in rows unless `show` (the office may see it), by [`crate::mask::column_mask`].
pub fn mask_rows(rows: &mut [Map<String, Value>], show: bool) {
    if show {
        return;
    }
    for r in rows.iter_mut() {
        for (k, v) in r.iter_mut() {
            let Some(s) = v.as_str() else { continue };
            let Some(kind) = crate::mask::column_mask(k) else { continue };
            *v = Value::String(crate::mask::mask_as(kind, s));
        }
    }
}

/// One office's rendered report: files written and the message to deliver.
pub struct Rendered {
    pub office: Office,
    pub files: Vec<std::path::PathBuf>,
    /// None when there is nothing to send (a daily warning with nothing to warn about).
    pub message: Option<message::Message>,
    /// What the office's robot and its halls' robots post (none without webhooks).
    pub posts: Vec<message::Post>,
}

/// The halls' robots whose posts come from `office`: each hall robot posts once, from the
/// first office (in `list` order) that supervises its hall.
pub fn hall_robots<'a>(settings: &'a Settings, list: &[Office], office: &Office) -> Vec<&'a crate::config::HallWebhook> {
    settings
        .config
        .hall_webhooks
        .iter()
        .filter(|h| list.iter().find(|o| o.halls.contains(&h.hall)).is_some_and(|o| o.id == office.id))
        .collect()
}

pub fn write(path: &std::path::Path, bytes: &[u8]) -> Result<(), ReportError> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(|e| ReportError::Io { path: p.display().to_string(), source: e })?;
    }
    std::fs::write(path, bytes).map_err(|e| ReportError::Io { path: path.display().to_string(), source: e })
}

/// Percent with one decimal, or a dash.
pub fn pct(v: Option<f64>) -> String {
    match v {
        Some(x) => format!("{:.1}%", x * 100.0),
        None => "—".into(),
    }
}

pub fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

pub fn get<'a>(row: &'a Map<String, Value>, k: &str) -> &'a Value {
    row.get(k).unwrap_or(&Value::Null)
}

/// Groups rows by a text column, keeping order of first appearance.
pub fn group_by(rows: Vec<Map<String, Value>>, key: &str) -> Vec<(String, Vec<Map<String, Value>>)> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<Map<String, Value>>> = BTreeMap::new();
    for r in rows {
        let k = r.get(key).and_then(|v| v.as_str()).unwrap_or("").to_string();
        if !groups.contains_key(&k) {
            order.push(k.clone());
        }
        groups.entry(k).or_default().push(r);
    }
    order.into_iter().map(|k| {
        let v = groups.remove(&k).unwrap_or_default();
        (k, v)
    }).collect()
}
