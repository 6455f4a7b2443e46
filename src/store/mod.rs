//! The warehouse: Parquet on local disk, written atomically, readable by any engine.
//!
//! Layout (under `--data`, default `./windowwatch-data`):
//!
//! ```text
//! current -> snapshots/000007          the committed state (a symlink; CURRENT holds its id too)
//! snapshots/000007/
//!     tickets/part-00000.parquet      the four tables, one record per natural key
//!     cases/ ratings/ denials/
//!     quarantine/ingest-000005.parquet rows an ingest refused, with file, line and reason
//!     ingests/ingest-000005.parquet    each ingest's reconciliation, one row per file
//!     findings/run-000003.parquet      each check run's findings, with run id and as-of
//!     check_runs/run-000003.parquet    each check run: id, as-of, counts
//!     calendar_days/part-00000.parquet the working-day calendar the last check used
//!     warehouse.json                   counters (next ingest id, next run id)
//! ```
//!
//! A write builds a whole new snapshot beside the current one (unchanged files are hard links,
//! so this costs nothing) and then swaps the `current` symlink with one atomic rename. A reader
//! that resolved `current` keeps a consistent state; a write that fails or is interrupted
//! leaves the previous snapshot current and intact. One writer at a time holds `.lock`, and
//! before writing clears what an interrupted write left: staged folders, temporaries, and a
//! snapshot folder renamed into place that `current` never came to name. Every file is fsynced
//! before the rename that publishes it, and the folder after it, so a power cut cannot leave an
//! empty `warehouse.json` or `CURRENT` (one left by an older version is rebuilt or reported).

#[cfg(feature = "s3")]
pub mod remote;
pub mod schemas;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("warehouse {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("warehouse {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("warehouse {path}: cannot write Parquet: {source}")]
    Parquet { path: PathBuf, source: datafusion::parquet::errors::ParquetError },
    #[error("warehouse {path}: Arrow: {source}")]
    Arrow { path: PathBuf, source: datafusion::arrow::error::ArrowError },
    #[error("injected failure at {0} (WINDOWWATCH_FAILPOINT)")]
    Failpoint(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// Test hook: `WINDOWWATCH_FAILPOINT=<name>` makes the named step fail, to prove a write
/// interrupted there leaves the warehouse as it was.
pub fn failpoint(name: &str) -> Result<(), StoreError> {
    match std::env::var("WINDOWWATCH_FAILPOINT") {
        Ok(v) if v == name => Err(StoreError::Failpoint(name.to_string())),
        _ => Ok(()),
    }
}

/// What `warehouse.json` holds, for messages.
const META_FORM: &str = r#"JSON counters like {"format": 1, "snapshot": 7, "next_ingest_id": 6, "next_run_id": 4}"#;
/// Tables whose files are named by ingest id (`ingest-000005.parquet`) and by check-run id
/// (`run-000003.parquet`): what the counters are rebuilt from.
const INGEST_NUMBERED: &[&str] = &["ingests", "quarantine", schemas::RESPONSE_LOG];
const RUN_NUMBERED: &[&str] = &["check_runs", "findings", "rates"];

/// Snapshots kept besides the current one, for readers that resolved an older one.
pub(crate) const KEEP_SNAPSHOTS: usize = 3;

#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
    /// The bucket this is the local copy of (`--data s3://…`).
    #[cfg(feature = "s3")]
    remote: Option<std::sync::Arc<remote::Remote>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub id: u64,
    pub dir: PathBuf,
}

/// Counters kept with each snapshot.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    pub format: u32,
    pub snapshot: u64,
    pub next_ingest_id: i64,
    pub next_run_id: i64,
}

/// Held while writing: one writer per warehouse (and per bucket).
pub struct WriteLock {
    _file: File,
    #[cfg(feature = "s3")]
    _remote: Option<remote::RemoteLock>,
}

impl Snapshot {
    pub fn table_dir(&self, table: &str) -> PathBuf {
        self.dir.join(table)
    }

    /// The Parquet files of a table, sorted by name (empty when the table has none yet).
    pub fn files(&self, table: &str) -> Result<Vec<PathBuf>, StoreError> {
        parquet_files(&self.table_dir(table))
    }

    /// The snapshot's counters. A `warehouse.json` that is missing, empty or not the counters
    /// (a power cut before it reached the disk) is rebuilt from the file names the counters
    /// number (`ingests/ingest-000005.parquet`, `check_runs/run-000003.parquet`), with a warning.
    pub fn meta(&self) -> Result<Meta, StoreError> {
        let p = self.dir.join("warehouse.json");
        let problem = match fs::read_to_string(&p) {
            Ok(text) if text.trim().is_empty() => "is empty".to_string(),
            Ok(text) => match serde_json::from_str(&text) {
                Ok(meta) => return Ok(meta),
                Err(e) => format!("is not the warehouse counters ({e})"),
            },
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData) => format!("cannot be read ({e})"),
            Err(e) => return Err(StoreError::Io { path: p, source: e }),
        };
        let meta = self.rebuilt_meta().map_err(|e| StoreError::Corrupt {
            path: p.clone(),
            message: format!("{problem}; expected {META_FORM}, and rebuilding it from the snapshot's files failed: {e}"),
        })?;
        tracing::warn!(file = %p.display(), next_ingest_id = meta.next_ingest_id, next_run_id = meta.next_run_id, "{problem} (expected {META_FORM}); counters rebuilt from the snapshot's files, the next write stores them again");
        Ok(meta)
    }

    /// The counters as the snapshot's numbered files imply them: one past the highest number.
    fn rebuilt_meta(&self) -> Result<Meta, StoreError> {
        let next = |tables: &[&str], prefix: &str| -> Result<i64, StoreError> {
            let mut highest = 0;
            for t in tables {
                for f in self.files(t)? {
                    let n = f.file_stem().and_then(|s| s.to_str()).and_then(|s| s.strip_prefix(prefix)).and_then(|s| s.parse::<i64>().ok());
                    highest = highest.max(n.unwrap_or(0));
                }
            }
            Ok(highest.saturating_add(1))
        };
        Ok(Meta { format: 1, snapshot: self.id, next_ingest_id: next(INGEST_NUMBERED, "ingest-")?, next_run_id: next(RUN_NUMBERED, "run-")? })
    }

    /// Reads a whole table into memory; `schema` is used when the table has no file yet.
    pub fn read(&self, table: &str) -> Result<Vec<RecordBatch>, StoreError> {
        let mut out = Vec::new();
        for f in self.files(table)? {
            out.extend(read_parquet(&f)?);
        }
        Ok(out)
    }
}

fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut files = Vec::new();
    match fs::read_dir(dir) {
        Ok(rd) => {
            for e in rd {
                let e = e.map_err(io(dir))?;
                let p = e.path();
                if p.extension().is_some_and(|x| x == "parquet") {
                    files.push(p);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::Io { path: dir.to_path_buf(), source: e }),
    }
    files.sort();
    Ok(files)
}

pub fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>, StoreError> {
    let f = File::open(path).map_err(io(path))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .and_then(|b| b.with_batch_size(64 * 1024).build())
        .map_err(|source| StoreError::Parquet { path: path.to_path_buf(), source })?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| StoreError::Arrow { path: path.to_path_buf(), source })
}

/// Reads only some columns of a Parquet file (by index in its schema).
pub fn read_parquet_columns(path: &Path, columns: &[usize]) -> Result<Vec<RecordBatch>, StoreError> {
    let f = File::open(path).map_err(io(path))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .and_then(|b| {
            let mask = datafusion::parquet::arrow::ProjectionMask::roots(b.parquet_schema(), columns.iter().copied());
            b.with_projection(mask).with_batch_size(64 * 1024).build()
        })
        .map_err(|source| StoreError::Parquet { path: path.to_path_buf(), source })?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| StoreError::Arrow { path: path.to_path_buf(), source })
}

pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("valid zstd level")))
        .set_max_row_group_row_count(Some(256 * 1024))
        .set_created_by("windowwatch".to_string())
        .build()
}

/// Writes batches to one Parquet file (fsynced).
pub fn write_parquet(path: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<(), StoreError> {
    let f = File::create(path).map_err(io(path))?;
    let mut w = ArrowWriter::try_new(f, schema.clone(), Some(writer_properties()))
        .map_err(|source| StoreError::Parquet { path: path.to_path_buf(), source })?;
    for b in batches {
        if b.num_rows() > 0 {
            w.write(b).map_err(|source| StoreError::Parquet { path: path.to_path_buf(), source })?;
        }
    }
    let f = w.into_inner().map_err(|source| StoreError::Parquet { path: path.to_path_buf(), source })?;
    f.sync_all().map_err(io(path))?;
    Ok(())
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
}

/// Writes a new file and makes its bytes durable (for a file inside a folder not yet renamed into
/// place; else see [`write_durably`]).
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let mut f = File::create(path).map_err(io(path))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io(path))
}

/// The name of a temporary beside `name`, this process's own: `.name.tmp-<pid>`.
fn temp_name(name: &str) -> String {
    format!(".{name}.tmp-{}", std::process::id())
}

/// Replaces `path` so a crash or power cut leaves the old file or the new one, whole: a temporary
/// beside it, fsynced, renamed over it, the folder fsynced.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Err(StoreError::Corrupt { path: path.to_path_buf(), message: "not a file path".into() });
    };
    let tmp = dir.join(temp_name(name));
    write_synced(&tmp, bytes)?;
    fs::rename(&tmp, path).map_err(io(path))?;
    sync_dir(dir)
}

/// The process that made a temporary (`.name.tmp-<pid>`, `.tmp-<id>-<pid>`, `.pull-<id>-<pid>`,
/// and the older `.current-<pid>`), when the name is one of those.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let temporary = rest.contains(".tmp-") || ["tmp-", "pull-", "current-", "CURRENT-"].iter().any(|p| rest.starts_with(p));
    if !temporary {
        return None;
    }
    rest.rsplit('-').next()?.parse().ok()
}

/// Whether process `pid` still runs (when `/proc` cannot tell, it is assumed to).
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
}

/// The text at row `i` of a stored text column, `None` where it is null.
pub fn text_at(a: &datafusion::arrow::array::StringArray, i: usize) -> Option<String> {
    use datafusion::arrow::array::Array;
    if a.is_null(i) { None } else { Some(a.value(i).to_string()) }
}

/// The folder a warehouse at `data` lives in on this machine: `data` itself, or for a bucket
/// (`s3://bucket/prefix`) its local copy, the bucket connected (its files are fetched when the
/// warehouse is opened). Settings name the warehouse; opening it is where the bucket is met.
pub fn local_root(data: &Path) -> Result<PathBuf, StoreError> {
    #[cfg(feature = "s3")]
    if remote::is_url(data) {
        return remote::Remote::connect(&data.to_string_lossy());
    }
    Ok(data.to_path_buf())
}

impl Warehouse {
    /// Opens (creating if needed) the warehouse at `data`: a folder, or a bucket (`s3://…`), opened
    /// at its local copy brought up to the bucket first.
    pub fn open(data: &Path) -> Result<Warehouse, StoreError> {
        let root = local_root(data)?;
        fs::create_dir_all(root.join("snapshots")).map_err(io(&root))?;
        Warehouse::attach(&root)
    }

    fn attach(root: &Path) -> Result<Warehouse, StoreError> {
        #[cfg(feature = "s3")]
        {
            let remote = std::fs::canonicalize(root).ok().and_then(|r| remote::for_cache(&r));
            if let Some(r) = &remote {
                r.pull()?;
            }
            Ok(Warehouse { root: root.to_path_buf(), remote })
        }
        #[cfg(not(feature = "s3"))]
        Ok(Warehouse { root: root.to_path_buf() })
    }

    /// Opens an existing warehouse without creating anything (a bucket's local copy is brought up
    /// to the bucket, as [`Warehouse::open`] does).
    pub fn open_existing(data: &Path) -> Result<Warehouse, StoreError> {
        let root = &local_root(data)?;
        #[cfg(feature = "s3")]
        if std::fs::canonicalize(root).ok().and_then(|r| remote::for_cache(&r)).is_some() {
            return Warehouse::open(root);
        }
        if !root.join("snapshots").is_dir() {
            return Err(StoreError::Corrupt {
                path: root.to_path_buf(),
                message: "no warehouse here yet (run `windowwatch ingest` first, or pass --data)".into(),
            });
        }
        Warehouse::attach(root)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the write lock, waiting for another writer to finish.
    pub fn lock(&self) -> Result<WriteLock, StoreError> {
        let p = self.root.join(".lock");
        let f = File::options().create(true).truncate(false).write(true).open(&p).map_err(io(&p))?;
        match f.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                tracing::info!("waiting for another windowwatch writing to {}", self.root.display());
                f.lock().map_err(io(&p))?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(StoreError::Io { path: p, source: e }),
        }
        #[cfg(feature = "s3")]
        {
            let r = match &self.remote {
                Some(r) => Some(r.lock()?),
                None => None,
            };
            Ok(WriteLock { _file: f, _remote: r })
        }
        #[cfg(not(feature = "s3"))]
        Ok(WriteLock { _file: f })
    }

    /// The committed snapshot, if anything was ever committed.
    pub fn current(&self) -> Result<Option<Snapshot>, StoreError> {
        let link = self.root.join("current");
        let target = match fs::read_link(&link) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // No symlink (e.g. copied without links): fall back to the CURRENT file.
                let cur = self.root.join("CURRENT");
                match fs::read_to_string(&cur) {
                    Ok(s) => Path::new("snapshots").join(s.trim()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(StoreError::Io { path: cur, source: e }),
                }
            }
            Err(e) => return Err(StoreError::Io { path: link, source: e }),
        };
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let id: u64 = name.parse().map_err(|_| StoreError::Corrupt {
            path: link.clone(),
            message: format!("points at `{}`; expected a snapshot such as snapshots/000007 (the symlink `current`, or the file CURRENT holding the id)", target.display()),
        })?;
        let dir = self.root.join("snapshots").join(name);
        if !dir.is_dir() {
            return Err(StoreError::Corrupt { path: link, message: format!("points at missing {}", dir.display()) });
        }
        Ok(Some(Snapshot { id, dir }))
    }

    /// Starts a write: a new snapshot directory holding hard links to everything current. First
    /// it clears what an interrupted write left (see [`Warehouse::recover`]).
    pub fn begin<'a>(&'a self, _lock: &'a WriteLock) -> Result<Txn<'a>, StoreError> {
        self.clean_temporaries()?;
        // Under the bucket's lock: start from what the bucket holds now.
        #[cfg(feature = "s3")]
        if let Some(r) = &self.remote {
            r.pull()?;
        }
        let base = self.current()?;
        let id = self.recover(base.as_ref())?;
        let meta = match &base {
            Some(s) => s.meta()?,
            None => Meta { format: 1, snapshot: 0, next_ingest_id: 1, next_run_id: 1 },
        };
        let dir = self.root.join("snapshots").join(format!(".tmp-{id:06}-{}", std::process::id()));
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        if let Some(b) = &base {
            link_tree(&b.dir, &dir)?;
        }
        Ok(Txn { wh: self, dir, id, meta, done: false, base })
    }

    /// Undoes what a write killed between renaming its snapshot into place and moving `current`
    /// left behind (under the write lock, so no write is in flight): snapshot folders newer than
    /// the current one were never committed and are removed; a `CURRENT` file behind the symlink
    /// is brought up to it. Returns the id the next snapshot takes. With nothing committed yet,
    /// folders already there are left alone and the id goes past them.
    fn recover(&self, base: Option<&Snapshot>) -> Result<u64, StoreError> {
        let snaps = self.root.join("snapshots");
        let mut highest = 0;
        for e in fs::read_dir(&snaps).map_err(io(&snaps))? {
            let e = e.map_err(io(&snaps))?;
            let Some(id) = e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) else { continue };
            match base {
                Some(b) if id > b.id => {
                    tracing::warn!(snapshot = id, current = b.id, "removing a snapshot an interrupted write never committed");
                    fs::remove_dir_all(e.path()).map_err(io(&e.path()))?;
                }
                _ => highest = highest.max(id),
            }
        }
        let Some(b) = base else { return Ok(highest + 1) };
        let cur = self.root.join("CURRENT");
        let recorded = fs::read_to_string(&cur).ok().and_then(|s| s.trim().parse::<u64>().ok());
        if recorded != Some(b.id) {
            point_current(&self.root, b.id)?;
        }
        Ok(b.id + 1)
    }

    /// Removes what interrupted writes left: staged snapshots (`snapshots/.tmp-…`), and the
    /// temporaries of the `current` swap and of a bucket pull whose process is gone.
    fn clean_temporaries(&self) -> Result<(), StoreError> {
        let snaps = self.root.join("snapshots");
        for dir in [&snaps, &self.root] {
            for e in fs::read_dir(dir).map_err(io(dir))? {
                let e = e.map_err(io(dir))?;
                let p = e.path();
                let name = e.file_name();
                let Some(name) = name.to_str() else { continue };
                // A staged snapshot is only ever made under the write lock, which this writer holds.
                let stale = (dir == &snaps && name.starts_with(".tmp-")) || temp_owner(name).is_some_and(|pid| !process_alive(pid));
                if !stale {
                    continue;
                }
                let kind = e.file_type().map_err(io(&p))?;
                if kind.is_dir() { fs::remove_dir_all(&p) } else { fs::remove_file(&p) }.map_err(io(&p))?;
            }
        }
        Ok(())
    }

    fn collect_garbage(&self, current: u64) -> Result<(), StoreError> {
        let snaps = self.root.join("snapshots");
        let mut ids: Vec<u64> = fs::read_dir(&snaps)
            .map_err(io(&snaps))?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        ids.sort_unstable();
        for id in ids.iter().rev().skip(KEEP_SNAPSHOTS + 1) {
            if *id != current {
                let p = snaps.join(format!("{id:06}"));
                fs::remove_dir_all(&p).map_err(io(&p))?;
            }
        }
        Ok(())
    }
}

fn link_tree(from: &Path, to: &Path) -> Result<(), StoreError> {
    for e in fs::read_dir(from).map_err(io(from))? {
        let e = e.map_err(io(from))?;
        let src = e.path();
        let dst = to.join(e.file_name());
        if e.file_type().map_err(io(&src))?.is_dir() {
            fs::create_dir_all(&dst).map_err(io(&dst))?;
            link_tree(&src, &dst)?;
        } else if e.file_name() != "warehouse.json" {
            fs::hard_link(&src, &dst).map_err(io(&dst))?;
        }
    }
    Ok(())
}

/// A write in progress: nothing is visible until [`Txn::commit`].
pub struct Txn<'a> {
    wh: &'a Warehouse,
    dir: PathBuf,
    id: u64,
    pub meta: Meta,
    done: bool,
    /// The snapshot this write started from.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    base: Option<Snapshot>,
}

impl Txn<'_> {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The snapshot as it will be once committed (for reading what this write has staged).
    pub fn staged(&self) -> Snapshot {
        Snapshot { id: self.id, dir: self.dir.clone() }
    }

    /// Replaces a table's files with `batches` (split into parts of `rows_per_part` rows), the
    /// parts written side by side on the machine's cores (each is compressed on its own).
    pub fn replace_table(&mut self, table: &str, schema: &SchemaRef, batches: &[RecordBatch], rows_per_part: usize) -> Result<(), StoreError> {
        let dir = self.dir.join(table);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let parts = slice_runs(batches, rows_per_part);
        let files: Vec<(PathBuf, &[RecordBatch])> = parts.iter().enumerate().map(|(i, p)| (dir.join(format!("part-{i:05}.parquet")), p.as_slice())).collect();
        write_parquet_files(schema, &files)
    }

    /// Starts rewriting a table part by part, in key order: parts kept as they are cost nothing
    /// (hard links), new parts are written as they come, so a table never needs to be in memory
    /// whole. Nothing replaces the table until [`TableRewrite::finish`].
    pub fn rewrite_table(&mut self, table: &str) -> Result<TableRewrite, StoreError> {
        let dir = self.dir.join(format!(".{table}.rewrite"));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(TableRewrite { table_dir: self.dir.join(table), dir, next: 0, wrote: false })
    }

    /// Adds one file to an append-only table (quarantine, ingests, findings, check runs).
    pub fn add_file(&mut self, table: &str, file_name: &str, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<(), StoreError> {
        let dir = self.dir.join(table);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        write_parquet(&dir.join(file_name), schema, batches)
    }

    /// Makes the new snapshot current, atomically.
    pub fn commit(mut self) -> Result<Snapshot, StoreError> {
        self.meta.format = 1;
        self.meta.snapshot = self.id;
        let mp = self.dir.join("warehouse.json");
        let json = serde_json::to_vec_pretty(&self.meta).map_err(|e| StoreError::Corrupt { path: mp.clone(), message: e.to_string() })?;
        write_durably(&mp, &json)?;
        sync_tree(&self.dir)?;
        failpoint("before_commit")?;
        let snaps = self.wh.root.join("snapshots");
        let name = format!("{:06}", self.id);
        let final_dir = snaps.join(&name);
        fs::rename(&self.dir, &final_dir).map_err(io(&final_dir))?;
        self.done = true;
        sync_dir(&snaps)?;
        failpoint("before_current")?;
        point_current(&self.wh.root, self.id)?;
        self.wh.collect_garbage(self.id)?;
        // The bucket's copy, then its CURRENT: the commit is done when the bucket says so.
        #[cfg(feature = "s3")]
        if let Some(r) = &self.wh.remote {
            r.push(&final_dir, self.id, self.base.as_ref().map(|b| (b.id, b.dir.as_path())))?;
        }
        Ok(Snapshot { id: self.id, dir: final_dir })
    }
}

/// A table being rewritten (see [`Txn::rewrite_table`]): parts are added in key order.
pub struct TableRewrite {
    table_dir: PathBuf,
    dir: PathBuf,
    next: usize,
    /// Any part written anew (else the table stays as it was).
    wrote: bool,
}

impl TableRewrite {
    fn name(&mut self) -> PathBuf {
        let p = self.dir.join(format!("part-{:05}.parquet", self.next));
        self.next += 1;
        p
    }

    /// Keeps an existing part file as it is.
    pub fn keep(&mut self, part: &Path) -> Result<(), StoreError> {
        let to = self.name();
        fs::hard_link(part, &to).map_err(io(&to))
    }

    /// Writes each batch as a new part, the parts side by side on the cores.
    pub fn write(&mut self, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<(), StoreError> {
        let files: Vec<(PathBuf, &[RecordBatch])> = batches.iter().map(|b| (self.name(), std::slice::from_ref(b))).collect();
        self.wrote = true;
        write_parquet_files(schema, &files)
    }

    /// Replaces the table with the parts added, when any was written anew; returns whether.
    pub fn finish(mut self, schema: &SchemaRef) -> Result<bool, StoreError> {
        if !self.wrote && self.table_dir.is_dir() {
            fs::remove_dir_all(&self.dir).map_err(io(&self.dir))?;
            return Ok(false);
        }
        if self.next == 0 {
            // An empty table still has a file, so other engines see its schema.
            let p = self.name();
            write_parquet(&p, schema, &[])?;
        }
        if self.table_dir.exists() {
            fs::remove_dir_all(&self.table_dir).map_err(io(&self.table_dir))?;
        }
        fs::rename(&self.dir, &self.table_dir).map_err(io(&self.table_dir))?;
        Ok(true)
    }
}

/// The batches cut (without copying) into runs of at most `per_run` rows each; one run, maybe
/// empty, at least.
pub fn slice_runs(batches: &[RecordBatch], per_run: usize) -> Vec<Vec<RecordBatch>> {
    let mut out = vec![Vec::new()];
    let mut room = per_run;
    for b in batches {
        let mut at = 0;
        while at < b.num_rows() {
            if room == 0 {
                out.push(Vec::new());
                room = per_run;
            }
            let n = room.min(b.num_rows() - at);
            out.last_mut().expect("a run").push(b.slice(at, n));
            at += n;
            room -= n;
        }
    }
    out
}

/// Writes each (path, rows) as one Parquet file, the files side by side on the machine's cores
/// (each is compressed on its own).
fn write_parquet_files(schema: &SchemaRef, files: &[(PathBuf, &[RecordBatch])]) -> Result<(), StoreError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), StoreError> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((path, rows)) = files.get(i) else { return Ok(()) };
                        write_parquet(path, schema, rows)?;
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a writer thread panicked")).collect::<Result<Vec<()>, StoreError>>()
    })?;
    Ok(())
}

/// Makes snapshot `id` the current one of the warehouse at `root`: the `current` symlink and the
/// `CURRENT` file, each replaced with one atomic rename.
pub(crate) fn point_current(root: &Path, id: u64) -> Result<(), StoreError> {
    let name = format!("{id:06}");
    let tmp_link = root.join(temp_name("current"));
    let _ = fs::remove_file(&tmp_link);
    std::os::unix::fs::symlink(Path::new("snapshots").join(&name), &tmp_link).map_err(io(&tmp_link))?;
    fs::rename(&tmp_link, root.join("current")).map_err(io(&tmp_link))?;
    sync_dir(root)?;
    write_durably(&root.join("CURRENT"), format!("{name}\n").as_bytes())
}

pub(crate) fn sync_tree(dir: &Path) -> Result<(), StoreError> {
    for e in fs::read_dir(dir).map_err(io(dir))? {
        let p = e.map_err(io(dir))?.path();
        if p.is_dir() {
            sync_tree(&p)?;
        }
    }
    sync_dir(dir)
}

impl Drop for Txn<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// An empty batch of `schema` (for registering tables that have no rows yet).
pub fn empty_batch(schema: &SchemaRef) -> RecordBatch {
    RecordBatch::new_empty(Arc::clone(schema))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    fn batch(v: &[i64]) -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let b = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(v.to_vec()))]).unwrap();
        (schema, b)
    }

    #[test]
    fn commit_swaps_atomically_and_a_dropped_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        assert!(wh.current().unwrap().is_none());
        let lock = wh.lock().unwrap();
        let (schema, b) = batch(&[1, 2, 3]);
        let mut t = wh.begin(&lock).unwrap();
        t.replace_table("t", &schema, &[b], 2).unwrap();
        let s1 = t.commit().unwrap();
        assert_eq!(s1.files("t").unwrap().len(), 2, "3 rows at 2 per part");
        assert_eq!(wh.current().unwrap().unwrap(), s1);

        // A write that is dropped before commit changes nothing and leaves no temporary.
        let (_, b2) = batch(&[9]);
        let mut t = wh.begin(&lock).unwrap();
        t.replace_table("t", &schema, std::slice::from_ref(&b2), 10).unwrap();
        drop(t);
        let cur = wh.current().unwrap().unwrap();
        assert_eq!(cur, s1);
        let rows: usize = cur.read("t").unwrap().iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 3);
        assert_eq!(fs::read_dir(dir.path().join("snapshots")).unwrap().count(), 1);

        // A later commit links unchanged tables and keeps only a few snapshots.
        for _ in 0..6 {
            let mut t = wh.begin(&lock).unwrap();
            t.add_file("log", &format!("x-{}.parquet", t.staged().id), &schema, std::slice::from_ref(&b2)).unwrap();
            t.commit().unwrap();
        }
        let cur = wh.current().unwrap().unwrap();
        assert_eq!(cur.id, 7);
        assert_eq!(cur.files("log").unwrap().len(), 6);
        assert_eq!(cur.read("t").unwrap().iter().map(|b| b.num_rows()).sum::<usize>(), 3);
        assert_eq!(fs::read_dir(dir.path().join("snapshots")).unwrap().count(), KEEP_SNAPSHOTS + 1);
        assert_eq!(fs::read_to_string(dir.path().join("CURRENT")).unwrap().trim(), "000007");
    }

    /// A pid no process can have (above Linux's largest `pid_max`).
    const DEAD: u32 = 4_194_999;

    #[test]
    fn a_snapshot_renamed_into_place_but_never_made_current_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        let lock = wh.lock().unwrap();
        let (schema, b) = batch(&[1, 2, 3]);
        let mut t = wh.begin(&lock).unwrap();
        t.replace_table("t", &schema, &[b], 10).unwrap();
        let s1 = t.commit().unwrap();
        // The states a kill between the renames (and in the `current` swap) leaves.
        let snaps = dir.path().join("snapshots");
        fs::create_dir_all(snaps.join("000002/t")).unwrap();
        fs::write(snaps.join("000002/t/part-00009.parquet"), b"half").unwrap();
        fs::write(snaps.join("000002/warehouse.json"), b"").unwrap();
        fs::create_dir_all(snaps.join(format!(".tmp-000002-{DEAD}/t"))).unwrap();
        fs::create_dir_all(snaps.join(format!(".pull-000002-{DEAD}"))).unwrap();
        std::os::unix::fs::symlink("snapshots/000002", dir.path().join(format!(".current.tmp-{DEAD}"))).unwrap();
        std::os::unix::fs::symlink("snapshots/000002", dir.path().join(format!(".current-{DEAD}"))).unwrap();
        fs::write(dir.path().join(format!(".CURRENT.tmp-{DEAD}")), b"0000").unwrap();
        fs::write(dir.path().join("CURRENT"), b"").unwrap();
        // A temporary of a process still running is not touched.
        let live = dir.path().join(format!(".CURRENT.tmp-{}", std::os::unix::process::parent_id()));
        fs::write(&live, b"x").unwrap();
        assert_eq!(wh.current().unwrap().unwrap(), s1, "the symlink decides");

        let (_, b2) = batch(&[4]);
        let mut t = wh.begin(&lock).unwrap();
        t.add_file("log", "x.parquet", &schema, &[b2]).unwrap();
        let s2 = t.commit().unwrap();
        assert_eq!(s2.id, 2);
        assert_eq!(s2.files("t").unwrap().len(), 1, "the leftover part is gone");
        assert_eq!(s2.meta().unwrap().snapshot, 2);
        let mut left: Vec<String> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.extend(fs::read_dir(&snaps).unwrap().map(|e| format!("snapshots/{}", e.unwrap().file_name().to_string_lossy())));
        left.sort();
        let live = format!(".CURRENT.tmp-{}", std::os::unix::process::parent_id());
        assert_eq!(left, vec![live.as_str(), ".lock", "CURRENT", "current", "snapshots", "snapshots/000001", "snapshots/000002"]);
        assert_eq!(fs::read_to_string(dir.path().join("CURRENT")).unwrap(), "000002\n");
    }

    #[test]
    fn a_stale_current_file_is_repaired_and_a_first_write_goes_past_uncommitted_folders() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        let lock = wh.lock().unwrap();
        // Killed before the first commit moved `current`: nothing is committed, 000001 is there.
        fs::create_dir_all(dir.path().join("snapshots/000001/t")).unwrap();
        let (schema, b) = batch(&[1]);
        let mut t = wh.begin(&lock).unwrap();
        t.replace_table("t", &schema, &[b], 10).unwrap();
        let s = t.commit().unwrap();
        assert_eq!(s.id, 2);
        // Killed between the symlink and the CURRENT file: the next write brings CURRENT up.
        fs::write(dir.path().join("CURRENT"), "000001\n").unwrap();
        drop(wh.begin(&lock).unwrap());
        assert_eq!(fs::read_to_string(dir.path().join("CURRENT")).unwrap(), "000002\n");
    }

    #[test]
    fn an_empty_or_garbled_warehouse_json_is_rebuilt_from_the_numbered_files() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        let lock = wh.lock().unwrap();
        let (schema, b) = batch(&[1]);
        let mut t = wh.begin(&lock).unwrap();
        t.add_file("ingests", "ingest-000004.parquet", &schema, std::slice::from_ref(&b)).unwrap();
        t.add_file("check_runs", "run-000006.parquet", &schema, std::slice::from_ref(&b)).unwrap();
        t.meta.next_ingest_id = 5;
        t.meta.next_run_id = 7;
        t.commit().unwrap();
        let json = |wh: &Warehouse| wh.current().unwrap().unwrap().dir.join("warehouse.json");
        for garbage in ["", "\n", "{\"format\": 1", "{}", "\u{0}\u{0}\u{0}"] {
            fs::write(json(&wh), garbage).unwrap();
            let t = wh.begin(&lock).unwrap();
            assert_eq!((t.meta.next_ingest_id, t.meta.next_run_id), (5, 7), "{garbage:?}");
            t.commit().unwrap();
            let stored: Meta = serde_json::from_str(&fs::read_to_string(json(&wh)).unwrap()).unwrap();
            assert_eq!((stored.next_ingest_id, stored.next_run_id), (5, 7), "stored again");
        }
        // When even the files cannot say, the message names the file and what it should hold.
        fs::remove_file(json(&wh)).unwrap();
        let ingests = wh.current().unwrap().unwrap().dir.join("ingests");
        fs::remove_dir_all(&ingests).unwrap();
        fs::write(&ingests, b"not a folder").unwrap();
        let e = wh.begin(&lock).err().expect("cannot rebuild").to_string();
        assert!(e.contains("warehouse.json") && e.contains("expected JSON counters") && e.contains("next_ingest_id"), "{e}");
    }

    #[test]
    fn durable_writes_leave_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        write_durably(&p, b"one").unwrap();
        write_durably(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(temp_owner(&temp_name("CURRENT")), Some(std::process::id()));
        assert_eq!(temp_owner(".tmp-000002-77"), Some(77));
        assert_eq!(temp_owner(".lock"), None);
        assert_eq!(temp_owner("000002"), None);
    }
}
