//! The DataFusion session every SQL in windowwatch runs in: the warehouse tables of one snapshot,
//! the calendar, the as-of views of `queries/views/`, and the SQL functions.
//!
//! Checks, reports and the SQL shell all open their session here, so an analyst's query sees
//! exactly the tables and views the rules use.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use crate::calendar::Calendar;
use crate::checks::catalog::Catalog;
use crate::checks::profile::Profile;
use crate::contract::Table;
use crate::ingest::quarantine::{ingests_schema, quarantine_schema};
use crate::store::{Snapshot, empty_batch};
pub use crate::sql::scope::Access;

/// The warehouse tables other than the four exports, with their schemas.
pub fn log_tables() -> Vec<(&'static str, SchemaRef)> {
    vec![
        ("quarantine", quarantine_schema()),
        ("ingests", ingests_schema()),
        ("findings", crate::checks::findings_store_schema()),
        ("check_runs", crate::checks::runs_schema()),
        ("rates", crate::checks::rates_store_schema()),
        (crate::deliver::ledger::TABLE, crate::deliver::ledger::schema()),
        (crate::schedule::ledger::TABLE, crate::schedule::ledger::schema()),
    ]
}

/// How the engine runs (memory and parallelism).
#[derive(Debug, Clone, Default)]
pub struct EngineSettings {
    /// Threads per query; 0 = one per core.
    pub target_partitions: usize,
    /// A memory limit in bytes for query execution (spilling beyond it); None = unbounded.
    pub memory_limit: Option<usize>,
    /// Where spills go when a limit is set.
    pub spill_dir: Option<std::path::PathBuf>,
    /// Keep source positions of SQL, so an error can point at the line and column (the SQL shell).
    pub collect_spans: bool,
}

pub fn new_context(settings: &EngineSettings) -> Result<SessionContext, DataFusionError> {
    let mut config = SessionConfig::new().with_information_schema(true);
    if settings.collect_spans {
        config.options_mut().sql_parser.collect_spans = true;
    }
    if settings.target_partitions > 0 {
        config = config.with_target_partitions(settings.target_partitions);
    }
    let mut rt = RuntimeEnvBuilder::new();
    if let Some(limit) = settings.memory_limit {
        rt = rt.with_memory_limit(limit, 1.0);
    }
    if let Some(dir) = &settings.spill_dir {
        rt = rt.with_temp_file_path(dir.clone());
    }
    Ok(SessionContext::new_with_config_rt(config, rt.build_arc()?))
}

/// The first and last day of the calendar table the SQL joins (wide enough for any export).
pub fn calendar_span() -> (NaiveDate, NaiveDate) {
    (NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2150, 12, 31).unwrap())
}

/// Registers the warehouse tables of `snapshot` (or empty ones) and `calendar_days`.
pub async fn register_tables(ctx: &SessionContext, snapshot: Option<&Snapshot>, cal: &Calendar) -> Result<(), DataFusionError> {
    let mut tables: Vec<(&str, SchemaRef)> = Table::ALL.iter().map(|t| (t.name(), t.spec().schema())).collect();
    tables.extend(log_tables());
    for (name, schema) in tables {
        register_one(ctx, snapshot, name, schema).await?;
    }
    let (from, to) = calendar_span();
    let days = cal.days_batch(from, to);
    let mem = MemTable::try_new(Calendar::days_schema(), vec![vec![days]])?;
    ctx.register_table("calendar_days", Arc::new(mem))?;
    Ok(())
}

async fn register_one(ctx: &SessionContext, snapshot: Option<&Snapshot>, name: &str, schema: SchemaRef) -> Result<(), DataFusionError> {
    let has_files = match snapshot {
        Some(s) => !s.files(name).map_err(|e| DataFusionError::External(Box::new(e)))?.is_empty(),
        None => false,
    };
    if let (true, Some(s)) = (has_files, snapshot) {
        let dir = format!("{}/", s.table_dir(name).display());
        ctx.register_parquet(name, &dir, ParquetReadOptions::default()).await?;
    } else {
        let mem = MemTable::try_new(schema.clone(), vec![vec![empty_batch(&schema)]])?;
        ctx.register_table(name, Arc::new(mem))?;
    }
    Ok(())
}

/// The SQL literal of an instant.
pub fn ts_literal(t: NaiveDateTime) -> String {
    format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

/// Creates the views of `queries/views/` for the as-of instant `as_of`.
pub async fn register_views(ctx: &SessionContext, catalog: &Catalog, profile: &Profile, as_of: NaiveDateTime) -> Result<(), crate::checks::CheckError> {
    let vars = crate::checks::template_vars(profile, as_of);
    for v in &catalog.views {
        let sql = catalog.render(&v.path, &v.sql, &vars)?;
        let stmt = format!("CREATE OR REPLACE VIEW {} AS {}", v.name, sql);
        ctx.sql(&stmt)
            .await
            .map_err(|e| crate::checks::CheckError::Sql { file: v.path.clone(), source: e })?
            .collect()
            .await
            .map_err(|e| crate::checks::CheckError::Sql { file: v.path.clone(), source: e })?;
    }
    Ok(())
}

/// A session on `snapshot` with every table and view, as of `as_of`.
pub async fn session(
    snapshot: Option<&Snapshot>,
    cal: &Calendar,
    catalog: &Catalog,
    profile: &Profile,
    as_of: NaiveDateTime,
    settings: &EngineSettings,
) -> Result<SessionContext, crate::checks::CheckError> {
    session_for(snapshot, cal, catalog, profile, as_of, settings, &Access::full()).await
}

/// As [`session`], with the tables seen through `access` (an office's halls, masked personal
/// data) before any view is made over them, so every view shows only what the tables let through.
/// The SQL functions of `sql::functions` are registered in every session.
pub async fn session_for(
    snapshot: Option<&Snapshot>,
    cal: &Calendar,
    catalog: &Catalog,
    profile: &Profile,
    as_of: NaiveDateTime,
    settings: &EngineSettings,
    access: &Access,
) -> Result<SessionContext, crate::checks::CheckError> {
    let ctx = new_context(settings).map_err(crate::checks::CheckError::Engine)?;
    crate::sql::functions::register(&ctx, Arc::new(cal.clone()));
    register_tables(&ctx, snapshot, cal).await.map_err(crate::checks::CheckError::Engine)?;
    crate::sql::scope::apply(&ctx, access).await.map_err(crate::checks::CheckError::Engine)?;
    let rules = catalog.rules_batch(Some(profile));
    let mem = MemTable::try_new(rules.schema(), vec![vec![rules]]).map_err(crate::checks::CheckError::Engine)?;
    ctx.register_table("rule_catalog", Arc::new(mem)).map_err(crate::checks::CheckError::Engine)?;
    register_views(&ctx, catalog, profile, as_of).await?;
    Ok(ctx)
}
