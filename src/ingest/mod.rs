//! Ingest: a batch of export files for one table → the warehouse, all or nothing.
//!
//! Each file is probed (hash, format, encoding), read, and parsed against the contract; a
//! whole-file problem stops the batch before anything is written. Within a file, identical
//! duplicates collapse and conflicting ones are all quarantined; across the batch, a later file
//! supersedes an earlier one; against the warehouse, a record that differs replaces the stored one
//! and an identical one leaves it untouched. A file whose content was ingested before is
//! recognised and not read again. Every file reconciles: rows read = loaded + superseded +
//! quarantined, and the reconciliation is stored with the quarantined rows in the same commit.

pub mod parse;
pub mod quarantine;
pub mod read;
pub mod sniff;
pub mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::compute::{SortColumn, concat_batches, filter_record_batch, lexsort_to_indices, take_record_batch};
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use encoding_rs::Encoding;

use crate::contract::{NumericLevels, Table, TableSpec};
use crate::store::{StoreError, Warehouse};
pub use quarantine::{FileReport, QuarantineRow};
use read::{Aliases, Format};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(
        "{file}: missing required column `{column}` of {table}; accepted headers: {accepted} (缺少必需列，本次导入未写入任何数据)",
        file = .file.display(), accepted = .accepted.join(", ")
    )]
    MissingColumn { file: PathBuf, table: &'static str, column: &'static str, accepted: Vec<String> },
    #[error(
        "{file}: headers {headers} both name column `{column}`; keep one of them (表头重复对应同一列，本次导入未写入任何数据)",
        file = .file.display(), headers = .headers.join(" and ")
    )]
    AmbiguousColumn { file: PathBuf, column: &'static str, headers: Vec<String> },
    #[error(
        "{file}: column `level` (评价等级/满意度) holds numeric level `{value}` (line {line}) but the source's direction is not configured; \
         numeric levels are ambiguous (GB/T 39046 codes 1 = 非常满意, many interfaces 1 = 非常不满意). \
         Say which with `--numeric-levels \"1=非常满意\"` or `--numeric-levels \"1=非常不满意\"`, \
         or set `numeric_levels` under [ingest] in windowwatch.toml (数值评价等级方向未配置，本次导入未写入任何数据)",
        file = .file.display()
    )]
    NumericLevels { file: PathBuf, line: u64, value: String },
    #[error("{file}: {message} (编码无法识别，本次导入未写入任何数据)", file = .file.display())]
    Encoding { file: PathBuf, message: String },
    #[error("{file}: cannot be read: {reason} (文件无法读取，本次导入未写入任何数据)", file = .file.display())]
    Unreadable { file: PathBuf, reason: String },
    #[error("{file}: has no header row and no data (空文件，本次导入未写入任何数据)", file = .file.display())]
    Empty { file: PathBuf },
    #[error("{file}: no sheet named `{sheet}`; the workbook has: {available} (工作表不存在)", file = .file.display(), available = .available.join(", "))]
    SheetNotFound { file: PathBuf, sheet: String, available: Vec<String> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to ingest and how to read it.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub table: Table,
    pub files: Vec<PathBuf>,
    pub encoding: Option<&'static Encoding>,
    pub sheet: Option<String>,
    pub numeric_levels: Option<NumericLevels>,
    /// Extra headers a user mapped to contract columns: header → column name.
    pub aliases: HashMap<String, String>,
    /// Read files again even when the same content was ingested before.
    pub force: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    pub ingest_id: i64,
    pub table: Table,
    pub snapshot: u64,
    pub files: Vec<FileReport>,
    /// The first quarantined rows, for the summary (all are in the warehouse).
    pub quarantine_sample: Vec<QuarantineRow>,
    pub quarantine_by_reason: Vec<(String, u64)>,
    pub records_after: u64,
}

impl IngestReport {
    pub fn total(&self) -> FileReport {
        let mut t = FileReport { file: "total".into(), ..Default::default() };
        for f in &self.files {
            t.rows_read += f.rows_read;
            t.loaded += f.loaded;
            t.superseded += f.superseded;
            t.quarantined += f.quarantined;
            t.new_records += f.new_records;
            t.updated_records += f.updated_records;
            t.unchanged_records += f.unchanged_records;
        }
        t
    }
}

/// One file after reading: its good rows in one batch and what became of each.
struct FileRows {
    report: FileReport,
    batch: RecordBatch,
    keys: Vec<String>,
    rows: Rows,
    /// Still a candidate to load (not collapsed, superseded or quarantined).
    keep: Vec<bool>,
    quarantine: Vec<QuarantineRow>,
}

/// The natural key of each row, its parts joined by U+001F (a separator no export contains).
pub fn key_strings(batch: &RecordBatch, spec: &TableSpec) -> Vec<String> {
    let cols: Vec<&StringArray> = spec
        .key_indices()
        .into_iter()
        .map(|i| batch.column(i).as_any().downcast_ref::<StringArray>().expect("key columns are text"))
        .collect();
    (0..batch.num_rows())
        .map(|r| {
            let mut k = String::new();
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    k.push('\u{1f}');
                }
                k.push_str(c.value(r));
            }
            k
        })
        .collect()
}

fn show_key(k: &str) -> String {
    k.replace('\u{1f}', "/")
}

fn data_converter(spec: &TableSpec) -> RowConverter {
    RowConverter::new(spec.data_fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())
        .expect("contract types are row-convertible")
}

fn data_rows(conv: &RowConverter, batch: &RecordBatch, spec: &TableSpec) -> Rows {
    let cols: Vec<ArrayRef> = batch.columns()[..spec.columns.len()].to_vec();
    conv.convert_columns(&cols).expect("columns match the converter")
}

/// One row as a JSON object with canonical names (for quarantining parsed rows).
fn row_json(batch: &RecordBatch, spec: &TableSpec, i: usize) -> String {
    let slice = batch.slice(i, 1);
    let mut buf = Vec::new();
    {
        let mut w = datafusion::arrow::json::LineDelimitedWriter::new(&mut buf);
        let data = slice.project(&(0..spec.columns.len()).collect::<Vec<_>>()).expect("projection in range");
        let _ = w.write(&data);
        let _ = w.finish();
    }
    String::from_utf8_lossy(&buf).trim().to_string()
}

fn read_file(opts: &IngestOptions, path: &Path, probe: &read::Probe, ingest_id: i64, aliases: &Aliases, conv: &RowConverter) -> Result<FileRows, IngestError> {
    let spec = opts.table.spec();
    let source = path.display().to_string();
    let mut parser = parse::Parser::new(opts.table, opts.numeric_levels, ingest_id, source.clone());
    let pb = crate::progress::rows(format!("{} {}", opts.table.name(), path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
    let mut sink = Counting { inner: &mut parser, pb: &pb, n: 0 };
    let t = std::time::Instant::now();
    let info = match probe.format {
        Format::Csv => read::read_csv(probe, spec, aliases, &mut sink),
        Format::Xlsx => read::read_xlsx(probe, spec, aliases, opts.sheet.as_deref(), &mut sink),
        Format::Jsonl => read::read_jsonl(probe, spec, aliases, &mut sink),
    };
    pb.finish_and_clear();
    let info = info?;
    tracing::debug!(secs = t.elapsed().as_secs_f64(), "decoded and parsed");
    let parser = parser.finish();
    if let Some((line, value)) = parser.unconfigured_level.clone() {
        return Err(IngestError::NumericLevels { file: path.to_path_buf(), line, value });
    }
    let schema = spec.schema();
    let batch = concat_batches(&schema, &parser.batches).map_err(|e| StoreError::Arrow { path: path.to_path_buf(), source: e })?;
    let keys = key_strings(&batch, spec);
    let rows = data_rows(conv, &batch, spec);
    let mut quarantine = parser.quarantine;
    let mut keep = vec![true; batch.num_rows()];
    let mut superseded = 0u64;

    // Rows sharing a key inside this file: identical ones collapse, differing ones all go.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        match first.get(k.as_str()) {
            None => {
                first.insert(k, i);
            }
            Some(&j) => groups.entry(j).or_insert_with(|| vec![j]).push(i),
        }
    }
    let lines = batch.column(spec.columns.len() + 2).as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().expect("_line");
    let mut group_list: Vec<Vec<usize>> = groups.into_values().collect();
    group_list.sort();
    for g in group_list {
        let identical = g.iter().all(|&i| rows.row(i) == rows.row(g[0]));
        if identical {
            for &i in &g[1..] {
                keep[i] = false;
                superseded += 1;
            }
        } else {
            let where_: Vec<String> = g.iter().map(|&i| lines.value(i).to_string()).collect();
            for &i in &g {
                keep[i] = false;
                quarantine.push(QuarantineRow {
                    file: source.clone(),
                    line: lines.value(i),
                    reason: "conflicting_duplicate".into(),
                    column: None,
                    message: format!(
                        "主键 {} 在本文件第 {} 行出现且内容不同 (the file contradicts itself for this key)",
                        show_key(&keys[i]),
                        where_.join("、")
                    ),
                    key: Some(show_key(&keys[i])),
                    raw: row_json(&batch, spec, i),
                });
            }
        }
    }
    quarantine.sort_by_key(|q| q.line);
    let report = FileReport {
        file: source,
        format: probe.format.as_str().into(),
        encoding: probe.encoding.map(|e| e.name().to_string()),
        sheet: info.sheet,
        hash: probe.hash.clone(),
        rows_read: parser.rows_read,
        superseded,
        quarantined: quarantine.len() as u64,
        unknown_headers: info.unknown_headers,
        title_rows_skipped: info.title_rows_skipped as u64,
        ..Default::default()
    };
    Ok(FileRows { report, batch, keys, rows, keep, quarantine })
}

/// Passes rows on to the parser and counts them on a progress spinner (drawn only in a terminal).
struct Counting<'a> {
    inner: &'a mut dyn read::RowSink,
    pb: &'a indicatif::ProgressBar,
    n: u64,
}

impl read::RowSink for Counting<'_> {
    fn row(&mut self, line: u64, cells: &[values::Cell<'_>], raw: &dyn Fn() -> String) {
        self.inner.row(line, cells, raw);
        self.tick();
    }

    fn unreadable(&mut self, line: u64, reason: String, raw: String) {
        self.inner.unreadable(line, reason, raw);
        self.tick();
    }
}

impl Counting<'_> {
    fn tick(&mut self) {
        self.n += 1;
        if self.n % 8192 == 0 {
            self.pb.set_position(self.n);
        }
    }
}

/// Files of `table` already ingested, by content hash → ingest id.
fn ingested_hashes(snapshot: &crate::store::Snapshot, table: Table) -> Result<HashMap<String, i64>, StoreError> {
    let mut out = HashMap::new();
    for b in snapshot.read("ingests")? {
        let get = |name: &str| b.column_by_name(name).expect("ingests column").clone();
        let ids = get("ingest_id");
        let ids = ids.as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().expect("ingest_id");
        let tables = get("table_name");
        let tables = tables.as_any().downcast_ref::<StringArray>().expect("table_name");
        let hashes = get("content_hash");
        let hashes = hashes.as_any().downcast_ref::<StringArray>().expect("content_hash");
        let skipped = get("skipped");
        let skipped = skipped.as_any().downcast_ref::<BooleanArray>().expect("skipped");
        for i in 0..b.num_rows() {
            if tables.value(i) == table.name() && !skipped.value(i) {
                out.entry(hashes.value(i).to_string()).or_insert(ids.value(i));
            }
        }
    }
    Ok(out)
}

/// Ingests `opts.files` into `opts.table` as one all-or-nothing write.
pub fn ingest(wh: &Warehouse, opts: &IngestOptions) -> Result<IngestReport, IngestError> {
    let spec = opts.table.spec();
    let mut aliases: Aliases = HashMap::new();
    for (h, c) in &opts.aliases {
        if let Some(i) = spec.index_of(c) {
            aliases.insert(h.clone(), i);
        }
    }
    let lock = wh.lock()?;
    let mut txn = wh.begin(&lock)?;
    let ingest_id = txn.meta.next_ingest_id;
    let base = txn.staged();
    let previously = if opts.force { HashMap::new() } else { ingested_hashes(&base, opts.table)? };
    let conv = data_converter(spec);

    // Read every file first: a whole-file problem anywhere stops the batch before any write.
    let mut files: Vec<FileRows> = Vec::new();
    let mut reports: Vec<FileReport> = Vec::new();
    let mut seen_in_batch: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<Option<usize>> = Vec::new();
    for path in &opts.files {
        let probe = read::probe(path, opts.encoding)?;
        let skipped_as = previously.get(&probe.hash).copied().or_else(|| seen_in_batch.get(&probe.hash).map(|_| ingest_id));
        if let Some(prev) = skipped_as {
            reports.push(FileReport {
                file: path.display().to_string(),
                format: probe.format.as_str().into(),
                encoding: probe.encoding.map(|e| e.name().to_string()),
                hash: probe.hash.clone(),
                skipped_as_ingest: Some(prev),
                ..Default::default()
            });
            order.push(None);
            continue;
        }
        let t = std::time::Instant::now();
        let fr = read_file(opts, path, &probe, ingest_id, &aliases, &conv)?;
        tracing::debug!(file = %path.display(), rows = fr.batch.num_rows(), secs = t.elapsed().as_secs_f64(), "read");
        seen_in_batch.insert(probe.hash.clone(), files.len());
        order.push(Some(files.len()));
        files.push(fr);
    }

    // Across the batch, the later file's record wins.
    let mut winner: HashMap<String, (usize, usize)> = HashMap::new();
    for f in 0..files.len() {
        for i in 0..files[f].batch.num_rows() {
            if !files[f].keep[i] {
                continue;
            }
            let k = files[f].keys[i].clone();
            if let Some((pf, pi)) = winner.insert(k, (f, i)) {
                files[pf].keep[pi] = false;
                files[pf].report.superseded += 1;
            }
        }
    }

    // Against the warehouse: identical records stay as stored, differing ones are replaced.
    let t = std::time::Instant::now();
    let existing = base.read(opts.table.name())?;
    let schema = spec.schema();
    let mut out_batches: Vec<RecordBatch> = Vec::new();
    let mut changed = false;
    let mut unchanged: Vec<Vec<bool>> = files.iter().map(|f| vec![false; f.batch.num_rows()]).collect();
    let mut replaced: Vec<Vec<bool>> = files.iter().map(|f| vec![false; f.batch.num_rows()]).collect();
    for b in &existing {
        let keys = key_strings(b, spec);
        let rows = data_rows(&conv, b, spec);
        let mut keep_old = Vec::with_capacity(b.num_rows());
        for (i, k) in keys.iter().enumerate() {
            match winner.get(k) {
                None => keep_old.push(true),
                Some(&(f, j)) => {
                    if files[f].rows.row(j) == rows.row(i) {
                        unchanged[f][j] = true;
                        keep_old.push(true);
                    } else {
                        replaced[f][j] = true;
                        keep_old.push(false);
                        changed = true;
                    }
                }
            }
        }
        let mask = BooleanArray::from(keep_old);
        out_batches.push(filter_record_batch(b, &mask).map_err(|e| StoreError::Arrow { path: base.dir.clone(), source: e })?);
    }
    let mut all_quarantine: Vec<QuarantineRow> = Vec::new();
    for (f, fr) in files.iter_mut().enumerate() {
        let mut take = Vec::with_capacity(fr.batch.num_rows());
        for i in 0..fr.batch.num_rows() {
            let load = fr.keep[i];
            if load {
                fr.report.loaded += 1;
                if unchanged[f][i] {
                    fr.report.unchanged_records += 1;
                } else if replaced[f][i] {
                    fr.report.updated_records += 1;
                } else {
                    fr.report.new_records += 1;
                }
            }
            take.push(load && !unchanged[f][i]);
        }
        if fr.report.new_records + fr.report.updated_records > 0 {
            changed = true;
        }
        let mask = BooleanArray::from(take);
        out_batches.push(filter_record_batch(&fr.batch, &mask).map_err(|e| StoreError::Arrow { path: PathBuf::from(&fr.report.file), source: e })?);
        all_quarantine.extend(fr.quarantine.iter().cloned());
    }
    // Reports in the order the files were given.
    let mut final_reports = Vec::new();
    let mut file_reports = files.iter().map(|f| f.report.clone());
    let mut skipped = reports.into_iter();
    for o in &order {
        match o {
            Some(_) => final_reports.push(file_reports.next().expect("one report per read file")),
            None => final_reports.push(skipped.next().expect("one report per skipped file")),
        }
    }
    debug_assert!(final_reports.iter().all(FileReport::reconciles));

    let table_rows: usize = out_batches.iter().map(|b| b.num_rows()).sum();
    tracing::debug!(rows = table_rows, secs = t.elapsed().as_secs_f64(), "merged with the warehouse");
    if changed {
        let t = std::time::Instant::now();
        let merged = concat_batches(&schema, &out_batches).map_err(|e| StoreError::Arrow { path: base.dir.clone(), source: e })?;
        let sorted = sort_by_key(&merged, spec).map_err(|e| StoreError::Arrow { path: base.dir.clone(), source: e })?;
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "sorted by key");
        let t = std::time::Instant::now();
        txn.replace_table(opts.table.name(), &schema, &[sorted], 1_000_000)?;
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "written");
    } else if base.files(opts.table.name())?.is_empty() {
        txn.replace_table(opts.table.name(), &schema, &[], 1_000_000)?;
    }
    crate::store::failpoint("after_table_write")?;
    if !all_quarantine.is_empty() {
        let qb = quarantine::quarantine_batch(ingest_id, opts.table.name(), &all_quarantine);
        txn.add_file("quarantine", &format!("ingest-{ingest_id:06}.parquet"), &quarantine::quarantine_schema(), &[qb])?;
    }
    let now = values::ts_micros(crate::clock::now_china());
    let ib = quarantine::ingests_batch(ingest_id, opts.table.name(), now, &final_reports);
    txn.add_file("ingests", &format!("ingest-{ingest_id:06}.parquet"), &quarantine::ingests_schema(), &[ib])?;
    txn.meta.next_ingest_id = ingest_id + 1;
    let snap = txn.commit()?;

    let mut by_reason: HashMap<String, u64> = HashMap::new();
    for q in &all_quarantine {
        *by_reason.entry(q.reason.clone()).or_default() += 1;
    }
    let mut by_reason: Vec<(String, u64)> = by_reason.into_iter().collect();
    by_reason.sort();
    Ok(IngestReport {
        ingest_id,
        table: opts.table,
        snapshot: snap.id,
        files: final_reports,
        quarantine_sample: all_quarantine.into_iter().take(20).collect(),
        quarantine_by_reason: by_reason,
        records_after: table_rows as u64,
    })
}

/// Sorts a table by its natural key, so the same records always make the same file.
fn sort_by_key(batch: &RecordBatch, spec: &TableSpec) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let cols: Vec<SortColumn> = spec
        .key_indices()
        .into_iter()
        .map(|i| SortColumn { values: Arc::clone(batch.column(i)) as Arc<dyn Array>, options: None })
        .collect();
    let idx = lexsort_to_indices(&cols, None)?;
    take_record_batch(batch, &idx)
}
