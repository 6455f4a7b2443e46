//! The DataFusion context every SQL in windowwatch runs in: memory and parallelism, the
//! warehouse tables of one snapshot, the calendar and the SQL functions ([`functions`]).
//!
//! Checks, reports and the SQL shell all start from [`base_context`]; the rules' as-of views
//! are put over it by `checks`, and an office's limits by `session`, so an analyst's query sees
//! exactly the tables and views the rules use.

pub mod functions;

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::{FairSpillPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation, TrackConsumersPool, UnboundedMemoryPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use std::sync::atomic::{AtomicUsize, Ordering};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use crate::calendar::Calendar;
use crate::contract::Table;
use crate::store::{Snapshot, empty_batch};

pub use crate::store::schemas::log_tables;

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
    /// Run the SQL on an Apache DataFusion Ballista cluster instead of in this process:
    /// `df://HOST:PORT`, or `standalone` for a scheduler and an executor inside this process.
    pub distributed: Option<String>,
}

/// On a cluster, where tables this process holds in memory (the calendar, this run's findings)
/// are written as Parquet so every executor can read them: a folder of the warehouse, which the
/// cluster sees at the same path.
#[derive(Debug, Clone)]
pub struct Scratch(pub std::path::PathBuf);

/// The engine's session: local, or a Ballista client (feature `ballista`). `udfs` are the
/// functions the session offers; a standalone cluster gets them too.
pub async fn new_context(settings: &EngineSettings, udfs: Vec<datafusion::logical_expr::ScalarUDF>, scratch: Option<&std::path::Path>) -> Result<SessionContext, DataFusionError> {
    // DATAFUSION_* environment variables (e.g. DATAFUSION_EXECUTION_BATCH_SIZE) tune the engine
    // without a rebuild; windowwatch's own settings below win over them.
    let env = SessionConfig::from_env()?;
    let mut config = match settings.distributed {
        None => env,
        Some(_) => ballista_config(),
    }
    .with_information_schema(true);
    if settings.collect_spans {
        config.options_mut().sql_parser.collect_spans = true;
    }
    if settings.target_partitions > 0 {
        config = config.with_target_partitions(settings.target_partitions);
    }
    if let Some(limit) = settings.memory_limit {
        // Each sort sets aside this much to merge its spills; the default 10 MB per sort and
        // partition would eat a small limit before any row is sorted.
        config.options_mut().execution.sort_spill_reservation_bytes = (limit / 32).clamp(256 << 10, 10 << 20);
    }
    let mut rt = RuntimeEnvBuilder::new();
    let inner: Arc<dyn MemoryPool> = match settings.memory_limit {
        // Fair to the operators that can spill: with a greedy pool the first sort of a query took
        // most of the limit and the second could not even start spilling (the red findings of
        // the monthly report at 10× under 2 GiB); each spilling operator now gets its share.
        Some(limit) => Arc::new(TrackConsumersPool::new(FairSpillPool::new(limit), std::num::NonZeroUsize::new(5).expect("five"))),
        None => Arc::new(UnboundedMemoryPool::default()),
    };
    rt = rt.with_memory_pool(Arc::new(PeakPool { inner, peak: AtomicUsize::new(0) }));
    if let Some(dir) = &settings.spill_dir {
        rt = rt.with_temp_file_path(dir.clone());
    }
    let rt = rt.build_arc()?;
    let ctx = match &settings.distributed {
        None => SessionContext::new_with_config_rt(config, rt),
        Some(url) => {
            let dir = scratch.ok_or_else(|| DataFusionError::Configuration("a cluster needs a warehouse folder it can see".into()))?;
            std::fs::create_dir_all(dir)?;
            clean_scratch(dir);
            let config = config.with_extension(Arc::new(Scratch(std::fs::canonicalize(dir)?)));
            distributed_context(url, config, rt, &udfs).await?
        }
    };
    for f in udfs {
        ctx.register_udf(f);
    }
    Ok(ctx)
}

#[cfg(feature = "ballista")]
fn ballista_config() -> SessionConfig {
    use ballista::prelude::SessionConfigExt;
    // Ballista's defaults (16 partitions) suit a cluster, not a 2-core trial; the executors' slots
    // are what parallelise. Two per core of this machine.
    let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    // The adaptive planner (on by default in Ballista 55) re-plans a stage whose input turned out
    // empty (PropagateEmptyExecRule) and, for an exchange over that EmptyExec, plans a new stage
    // without end: a rule whose join side is empty at run time (no excused finding, no response
    // yet) never finished. The static distributed planner runs the same plans to completion.
    SessionConfig::new_with_ballista()
        .with_target_partitions(n * 2)
        .with_ballista_job_name("windowwatch")
        .with_ballista_adaptive_query_planner(false)
}

#[cfg(not(feature = "ballista"))]
fn ballista_config() -> SessionConfig {
    SessionConfig::new()
}

#[cfg(feature = "ballista")]
async fn distributed_context(url: &str, config: SessionConfig, rt: Arc<datafusion::execution::runtime_env::RuntimeEnv>, udfs: &[datafusion::logical_expr::ScalarUDF]) -> Result<SessionContext, DataFusionError> {
    use ballista::prelude::SessionContextExt;
    use datafusion::execution::FunctionRegistry;
    let mut state = datafusion::execution::SessionStateBuilder::new().with_config(config).with_runtime_env(rt).with_default_features().build();
    // A standalone cluster is built from this state: the functions reach its executor too.
    for f in udfs {
        state.register_udf(Arc::new(f.clone()))?;
    }
    if url == "standalone" {
        SessionContext::standalone_with_state(state).await
    } else if url.starts_with("df://") {
        SessionContext::remote_with_state(url, state).await
    } else {
        Err(DataFusionError::Configuration(format!("--engine `{url}`: expected df://HOST:PORT (a Ballista scheduler) or standalone")))
    }
}

#[cfg(not(feature = "ballista"))]
async fn distributed_context(url: &str, _config: SessionConfig, _rt: Arc<datafusion::execution::runtime_env::RuntimeEnv>, _udfs: &[datafusion::logical_expr::ScalarUDF]) -> Result<SessionContext, DataFusionError> {
    Err(DataFusionError::Configuration(format!("--engine `{url}`: this windowwatch was built without the `ballista` feature (cargo build --features ballista)")))
}

/// The engine's memory pool (the limit, or none) with the peak of what its queries reserved, so
/// a run can say how much of the limit it used.
#[derive(Debug)]
pub struct PeakPool {
    inner: Arc<dyn MemoryPool>,
    peak: AtomicUsize,
}

impl PeakPool {
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn note(&self) {
        self.peak.fetch_max(self.inner.reserved(), Ordering::Relaxed);
    }
}

impl std::fmt::Display for PeakPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.inner)
    }
}

impl MemoryPool for PeakPool {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn register(&self, consumer: &MemoryConsumer) {
        self.inner.register(consumer)
    }
    fn unregister(&self, consumer: &MemoryConsumer) {
        self.inner.unregister(consumer)
    }
    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.inner.grow(reservation, additional);
        self.note();
    }
    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.inner.shrink(reservation, shrink)
    }
    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> datafusion::error::Result<()> {
        self.inner.try_grow(reservation, additional)?;
        self.note();
        Ok(())
    }
    fn reserved(&self) -> usize {
        self.inner.reserved()
    }
    fn memory_limit(&self) -> MemoryLimit {
        self.inner.memory_limit()
    }
}

/// The most the session's queries held at once, in bytes.
pub fn memory_peak(ctx: &SessionContext) -> usize {
    let pool = &ctx.runtime_env().memory_pool;
    pool.as_ref().downcast_ref::<PeakPool>().map_or(0, PeakPool::peak)
}

/// Scratch tables older than a day are no longer read by any run.
fn clean_scratch(dir: &std::path::Path) {
    let day = std::time::Duration::from_secs(24 * 3600);
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let old = e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age > day);
        if old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Registers rows this process holds as a table: in memory, or on a cluster as a Parquet file in
/// the scratch folder named by its content (the same rows, the same file; written atomically).
pub fn register_batch(ctx: &SessionContext, name: &str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<(), DataFusionError> {
    let _ = ctx.deregister_table(name)?;
    let scratch = ctx.state().config().get_extension::<Scratch>();
    match scratch {
        None => {
            let batches = if batches.is_empty() { vec![empty_batch(&schema)] } else { batches };
            ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![batches])?))?;
        }
        Some(dir) => {
            let mut buf = Vec::new();
            {
                let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(&mut buf, schema.clone(), Some(crate::store::writer_properties()))?;
                for b in &batches {
                    w.write(b)?;
                }
                w.close()?;
            }
            let folder = dir.0.join(format!("{name}-{}", &blake3::hash(&buf).to_hex()[..16]));
            let file = folder.join("part-0.parquet");
            if !file.exists() {
                std::fs::create_dir_all(&folder)?;
                let tmp = folder.join(format!(".part-0.{}.tmp", std::process::id()));
                std::fs::write(&tmp, &buf)?;
                std::fs::rename(&tmp, &file)?;
            }
            // Synchronous registration: the schema is known, no file listing is needed up front.
            let url = datafusion::datasource::listing::ListingTableUrl::parse(format!("{}/", folder.display()))?;
            let options = datafusion::datasource::listing::ListingOptions::new(Arc::new(datafusion::datasource::file_format::parquet::ParquetFormat::default())).with_file_extension(".parquet");
            let config = datafusion::datasource::listing::ListingTableConfig::new(url).with_listing_options(options).with_schema(schema);
            ctx.register_table(name, Arc::new(datafusion::datasource::listing::ListingTable::try_new(config)?))?;
        }
    }
    Ok(())
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
    register_batch(ctx, "calendar_days", Calendar::days_schema(), vec![days])?;
    Ok(())
}

async fn register_one(ctx: &SessionContext, snapshot: Option<&Snapshot>, name: &str, schema: SchemaRef) -> Result<(), DataFusionError> {
    let has_files = match snapshot {
        Some(s) => !s.files(name).map_err(|e| DataFusionError::External(Box::new(e)))?.is_empty(),
        None => false,
    };
    if let (true, Some(s)) = (has_files, snapshot) {
        // Absolute: a cluster's nodes resolve the path themselves.
        let dir = std::fs::canonicalize(s.table_dir(name))?;
        ctx.register_parquet(name, &format!("{}/", dir.display()), ParquetReadOptions::default()).await?;
    } else {
        register_batch(ctx, name, schema, Vec::new())?;
    }
    Ok(())
}

/// The SQL literal of an instant.
pub fn ts_literal(t: NaiveDateTime) -> String {
    format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

/// A context on `snapshot` with the warehouse tables, `calendar_days` and the SQL functions:
/// what every session starts from, before limits ([`crate::session`]) and the rules' views
/// ([`crate::checks`]) are put over it.
pub async fn base_context(snapshot: Option<&Snapshot>, cal: &Calendar, settings: &EngineSettings) -> Result<SessionContext, DataFusionError> {
    let udfs = functions::udfs(Arc::new(cal.clone()));
    let scratch = snapshot.map(|s| s.dir.parent().and_then(|p| p.parent()).unwrap_or(&s.dir).join("engine"));
    let ctx = new_context(settings, udfs, scratch.as_deref()).await?;
    register_tables(&ctx, snapshot, cal).await?;
    Ok(ctx)
}

/// The machine's memory, in bytes (Linux /proc/meminfo).
pub fn total_memory_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = s.lines().find(|l| l.starts_with("MemTotal:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
