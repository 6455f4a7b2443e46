//! Ingest: a batch of export files for one table → the warehouse, all or nothing.
//!
//! Each file is probed (hash, format, encoding), read, and parsed against the contract; a
//! whole-file problem stops the batch before anything is written. Within a file, identical
//! duplicates collapse and conflicting ones are all quarantined; across the batch, a later file
//! supersedes an earlier one; against the warehouse, a record that differs replaces the stored one
//! and an identical one leaves it untouched. A file whose content was ingested before is
//! recognised and not read again. Every file reconciles: rows read = loaded + superseded +
//! quarantined, and the reconciliation is stored with the quarantined rows in the same commit.
//!
//! Responses (回告与申诉) answer findings: a response whose finding key is in no recorded check
//! run's findings is quarantined (`unknown_finding`), and every version of a response loaded —
//! new or changed, decisions included — is also appended to `response_log` in the same commit,
//! so that superseding in `responses` never loses one (the as-of reading is on the log).

pub mod answer;
#[cfg(test)]
mod fuzz;
mod merge;
pub mod parse;
pub mod quarantine;
pub mod read;
pub mod sniff;
pub mod values;
pub mod workbook;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use encoding_rs::Encoding;

use crate::contract::{NumericLevels, Table, TableSpec};
use crate::store::{Snapshot, StoreError, Txn, Warehouse};
pub use merge::PartsReport;
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
    /// A workbook that is no XLSX, or that declares more than a workbook is read with
    /// (`workbook::LIMITS`): refused before it is read.
    #[error("{file}: {reason} (不是可读取的 XLSX 工作簿或超出读取上限，本次导入未写入任何数据)", file = .file.display())]
    Workbook { file: PathBuf, reason: String },
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
    /// What the ingest did to the table's parts (each file's share is in its report).
    pub parts: PartsReport,
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
        // A part two files of the batch share counts once.
        t.parts_rewritten = self.parts.rewritten;
        t.parts_new = self.parts.new;
        t
    }
}

/// One file after reading: its good rows and what became of each.
struct FileRows {
    report: FileReport,
    parts: Parts,
    /// The natural key of each row in Arrow's row format (bytes that compare and hash as the
    /// key), a `Rows` per part.
    keys: Vec<Rows>,
    /// Still a candidate to load (not collapsed, superseded or quarantined).
    keep: Vec<bool>,
    quarantine: Vec<QuarantineRow>,
}

/// Hash maps keyed by the ingest's keys: ahash (SipHash cost a tenth of an ingest).
type FastMap<K, V> = HashMap<K, V, ahash::RandomState>;

fn fast_map<K, V>(capacity: usize) -> FastMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, ahash::RandomState::new())
}

/// A file's good rows as the parser produced them, in parts: addressed by one row number across
/// the parts, so nothing copies the file into one batch.
struct Parts {
    batches: Vec<RecordBatch>,
    /// The first row number of each part.
    starts: Vec<usize>,
    rows: usize,
}

impl Parts {
    fn new(batches: Vec<RecordBatch>) -> Parts {
        let mut starts = Vec::with_capacity(batches.len());
        let mut rows = 0;
        for b in &batches {
            starts.push(rows);
            rows += b.num_rows();
        }
        Parts { batches, starts, rows }
    }

    fn num_rows(&self) -> usize {
        self.rows
    }

    /// (part, row in the part) of row `i`.
    fn locate(&self, i: usize) -> (usize, usize) {
        let p = self.starts.partition_point(|&s| s <= i) - 1;
        (p, i - self.starts[p])
    }

    fn line(&self, spec: &TableSpec, i: usize) -> i64 {
        let (p, r) = self.locate(i);
        self.batches[p].column(spec.columns.len() + 2).as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().expect("_line").value(r)
    }

    /// The rows `idx`, gathered from their parts into one batch.
    fn take(&self, idx: &[u32]) -> RecordBatch {
        let at: Vec<(usize, usize)> = idx.iter().map(|&i| self.locate(i as usize)).collect();
        let refs: Vec<&RecordBatch> = self.batches.iter().collect();
        datafusion::arrow::compute::interleave_record_batch(&refs, &at).expect("rows of one schema")
    }
}

fn key_converter(spec: &TableSpec) -> RowConverter {
    RowConverter::new(spec.key_indices().iter().map(|_| SortField::new(datafusion::arrow::datatypes::DataType::Utf8)).collect()).expect("text keys are row-convertible")
}

/// The natural key of every row, as rows that compare and hash like the key.
fn key_rows(conv: &RowConverter, batch: &RecordBatch, spec: &TableSpec) -> Rows {
    let cols = key_columns(batch, spec).expect("a parsed batch has every column");
    conv.convert_columns(&cols).expect("key columns are text")
}

/// A batch's key columns in the key's order, found by name: a batch read with only the key
/// columns holds them in the file's order, not the key's. `None` when one is missing.
pub(super) fn key_columns(batch: &RecordBatch, spec: &TableSpec) -> Option<Vec<ArrayRef>> {
    spec.key.iter().map(|k| batch.column_by_name(k).cloned()).collect()
}

/// The natural key of each row, its parts joined by U+001F (a separator no export contains).
pub fn key_strings(batch: &RecordBatch, spec: &TableSpec) -> Vec<String> {
    (0..batch.num_rows()).map(|r| key_string(batch, spec, r)).collect()
}

fn key_string(batch: &RecordBatch, spec: &TableSpec, r: usize) -> String {
    let mut k = String::new();
    for (n, i) in spec.key_indices().into_iter().enumerate() {
        if n > 0 {
            k.push('\u{1f}');
        }
        k.push_str(batch.column(i).as_any().downcast_ref::<StringArray>().expect("key columns are text").value(r));
    }
    k
}

fn show_key(k: &str) -> String {
    k.replace('\u{1f}', "/")
}

fn data_converter(spec: &TableSpec) -> RowConverter {
    RowConverter::new(spec.data_fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())
        .expect("contract types are row-convertible")
}

/// The contract columns of the rows `idx` of `batch`, as comparable rows (lineage columns left
/// out: the same record from another file is the same record).
fn data_rows_of_parts(conv: &RowConverter, parts: &Parts, spec: &TableSpec, idx: &[u32]) -> Rows {
    let b = parts.take(idx);
    conv.convert_columns(&b.columns()[..spec.columns.len()]).expect("columns match the converter")
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

/// The keys (rule, entity id, month, joined by U+001F) of every finding a recorded check run
/// stored: the findings a response may answer.
pub fn known_findings(snapshot: &crate::store::Snapshot) -> Result<std::collections::HashSet<String>, StoreError> {
    let schema = crate::store::schemas::findings_store_schema();
    let idx: Vec<usize> = ["rule", "entity_id", "month"].iter().filter_map(|n| schema.index_of(n).ok()).collect();
    let mut keys = std::collections::HashSet::new();
    for f in snapshot.files("findings")? {
        for b in crate::store::read_parquet_columns(&f, &idx)? {
            let text = |c: usize| b.column(c).as_any().downcast_ref::<StringArray>().cloned();
            let (Some(rule), Some(eid), Some(month)) = (text(0), text(1), text(2)) else { continue };
            for i in 0..b.num_rows() {
                let or_empty = |a: &StringArray| if a.is_null(i) { String::new() } else { a.value(i).to_string() };
                keys.insert(format!("{}\u{1f}{}\u{1f}{}", rule.value(i), or_empty(&eid), or_empty(&month)));
            }
        }
    }
    Ok(keys)
}

/// Responses whose finding is unknown leave the file's rows, quarantined (`unknown_finding`).
fn refuse_unknown_findings(parts: &Parts, spec: &TableSpec, known: &std::collections::HashSet<String>, keep: &mut [bool], quarantine: &mut Vec<QuarantineRow>, source: &str) {
    for (p, b) in parts.batches.iter().enumerate() {
        for r in 0..b.num_rows() {
            let key = key_string(b, spec, r);
            if known.contains(&key) {
                continue;
            }
            keep[parts.starts[p] + r] = false;
            quarantine.push(QuarantineRow {
                file: source.to_string(),
                line: parts.line(spec, parts.starts[p] + r),
                reason: "unknown_finding".into(),
                column: None,
                message: format!("回告的问题 {} 不在任何已记录的检查结果中 (no recorded check run found this finding; run `windowwatch check` first)", show_key(&key)),
                key: Some(show_key(&key)),
                raw: row_json(b, spec, r),
            });
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn read_file(
    opts: &IngestOptions,
    path: &Path,
    probe: &read::Probe,
    ingest_id: i64,
    aliases: &Aliases,
    conv: &RowConverter,
    kconv: &RowConverter,
    known: Option<&std::collections::HashSet<String>>,
) -> Result<FileRows, IngestError> {
    let spec = opts.table.spec();
    let source = path.display().to_string();
    let new_parser = || parse::Parser::new(opts.table, opts.numeric_levels, ingest_id, source.clone());
    let pb = crate::progress::rows(format!("{} {}", opts.table.name(), path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
    let t = std::time::Instant::now();
    let (info, parsers) = match probe.format {
        Format::Csv => {
            let mut sinks: Vec<Counting> = (0..parse_threads()).map(|_| Counting { inner: new_parser().with_batch_rows(read::CHUNK), pb: &pb, n: 0 }).collect();
            (read::read_csv(probe, spec, aliases, &mut sinks), sinks.into_iter().map(|s| s.inner).collect())
        }
        Format::Xlsx | Format::Jsonl => {
            let mut sink = Counting { inner: new_parser(), pb: &pb, n: 0 };
            let info = match probe.format {
                Format::Xlsx => read::read_xlsx(probe, spec, aliases, opts.sheet.as_deref(), &mut sink),
                _ => read::read_jsonl(probe, spec, aliases, &mut sink),
            };
            (info, vec![sink.inner])
        }
    };
    pb.finish_and_clear();
    let info = info?;
    tracing::debug!(secs = t.elapsed().as_secs_f64(), "decoded and parsed");
    let mut parser = parse::Parser::combine(parsers).expect("at least one parser");
    if let Some((line, value)) = parser.unconfigured_level.clone() {
        return Err(IngestError::NumericLevels { file: path.to_path_buf(), line, value });
    }
    let parts = Parts::new(std::mem::take(&mut parser.batches));
    let keys: Vec<Rows> = parts.batches.iter().map(|b| key_rows(kconv, b, spec)).collect();
    let mut quarantine = parser.quarantine;
    let mut keep = vec![true; parts.num_rows()];
    if let Some(known) = known {
        refuse_unknown_findings(&parts, spec, known, &mut keep, &mut quarantine, &source);
    }

    let superseded = settle_duplicates(spec, &parts, &keys, conv, &source, &mut keep, &mut quarantine);
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
    Ok(FileRows { report, parts, keys, keep, quarantine })
}

/// Rows sharing a key inside one file: identical ones collapse (counted as superseded, returned),
/// differing ones all go to quarantine.
fn settle_duplicates(spec: &TableSpec, parts: &Parts, keys: &[Rows], conv: &RowConverter, source: &str, keep: &mut [bool], quarantine: &mut Vec<QuarantineRow>) -> u64 {
    let mut superseded = 0u64;
    for g in duplicate_groups(parts, keys, keep) {
        let members: Vec<u32> = g.iter().map(|&i| i as u32).collect();
        let rows = data_rows_of_parts(conv, parts, spec, &members);
        let identical = (1..g.len()).all(|n| rows.row(n) == rows.row(0));
        if identical {
            for &i in &g[1..] {
                keep[i] = false;
                superseded += 1;
            }
        } else {
            let where_: Vec<String> = g.iter().map(|&i| parts.line(spec, i).to_string()).collect();
            let group = parts.take(&members);
            for (n, &i) in g.iter().enumerate() {
                keep[i] = false;
                quarantine.push(QuarantineRow {
                    file: source.to_string(),
                    line: parts.line(spec, i),
                    reason: "conflicting_duplicate".into(),
                    column: None,
                    message: format!(
                        "主键 {} 在本文件第 {} 行出现且内容不同 (the file contradicts itself for this key)",
                        show_key(&key_string(&group, spec, n)),
                        where_.join("、")
                    ),
                    key: Some(show_key(&key_string(&group, spec, n))),
                    raw: row_json(&group, spec, n),
                });
            }
        }
    }
    superseded
}

/// The rows still kept that share a key with an earlier one, grouped (first row first), in order.
fn duplicate_groups(parts: &Parts, keys: &[Rows], keep: &[bool]) -> Vec<Vec<usize>> {
    let mut first: FastMap<&[u8], usize> = fast_map(parts.num_rows());
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (p, k) in keys.iter().enumerate() {
        for r in 0..k.num_rows() {
            let i = parts.starts[p] + r;
            if !keep[i] {
                continue;
            }
            match first.entry(k.row(r).data()) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(i);
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    let j = *o.get();
                    groups.entry(j).or_insert_with(|| vec![j]).push(i)
                }
            }
        }
    }
    let mut group_list: Vec<Vec<usize>> = groups.into_values().collect();
    group_list.sort();
    group_list
}

/// Threads parsing a CSV file's values side by side (besides the one reading it): one per core,
/// at most 4 (more would wait on the reader).
fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

/// Passes rows on to a parser and counts them on a progress spinner (drawn only in a terminal).
struct Counting<'a> {
    inner: parse::Parser,
    pb: &'a indicatif::ProgressBar,
    n: u64,
}

impl read::ChunkSink for Counting<'_> {
    fn start_chunk(&mut self, seq: usize) {
        read::ChunkSink::start_chunk(&mut self.inner, seq);
    }
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
        if self.n.is_multiple_of(8192) {
            self.pb.inc(8192);
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
    let aliases = alias_columns(spec, opts);
    let lock = wh.lock()?;
    let mut txn = wh.begin(&lock)?;
    let ingest_id = txn.meta.next_ingest_id;
    let base = txn.staged();
    let conv = data_converter(spec);
    let kconv = key_converter(spec);
    let mut batch = read_batch(opts, &base, ingest_id, &aliases, &conv, &kconv)?;
    let (winners, superseded) = batch_winners(&batch.files);
    let t = std::time::Instant::now();
    let stored = base.files(opts.table.name())?;
    let mut rewrite = txn.rewrite_table(opts.table.name())?;
    let merged = merge::Merge::new(spec, &batch.files, &conv, &kconv).run(&stored, &winners, &base.dir, &mut rewrite)?;
    drop(winners);
    let log_rows = response_log_rows(opts.table, &batch.files, &merged.unchanged);
    let quarantined = tally(&mut batch.files, superseded, &merged);
    let rewrote = rewrite.finish(&spec.schema())?;
    tracing::debug!(rows = merged.table_rows, rewrote, parts = ?merged.parts, secs = t.elapsed().as_secs_f64(), "merged with the warehouse and written");
    let reports = batch.reports();
    debug_assert!(reports.iter().all(FileReport::reconciles));
    let snapshot = commit(txn, opts.table, ingest_id, &reports, &log_rows, &quarantined)?;
    Ok(IngestReport {
        ingest_id,
        table: opts.table,
        snapshot: snapshot.id,
        files: reports,
        quarantine_by_reason: by_reason(&quarantined),
        quarantine_sample: quarantined.into_iter().take(20).collect(),
        records_after: merged.table_rows as u64,
        parts: merged.parts,
    })
}

/// The extra headers a user mapped, to the index of the contract column each names (a column
/// the table does not have is left out).
fn alias_columns(spec: &TableSpec, opts: &IngestOptions) -> Aliases {
    let mut aliases: Aliases = HashMap::new();
    for (h, c) in &opts.aliases {
        if let Some(i) = spec.index_of(c) {
            aliases.insert(h.clone(), i);
        }
    }
    aliases
}

/// The batch as read: the files read, the reports of those skipped, and the order they were given in.
struct Batch {
    files: Vec<FileRows>,
    skipped: Vec<FileReport>,
    /// Per file given: `Some` when it was read (its index in `files`), `None` when skipped.
    order: Vec<Option<usize>>,
}

impl Batch {
    /// The files' reports in the order the files were given.
    fn reports(&self) -> Vec<FileReport> {
        let mut read = self.files.iter().map(|f| f.report.clone());
        let mut skipped = self.skipped.iter().cloned();
        self.order
            .iter()
            .map(|o| match o {
                Some(_) => read.next().expect("one report per read file"),
                None => skipped.next().expect("one report per skipped file"),
            })
            .collect()
    }
}

/// Reads every file first: a whole-file problem anywhere stops the batch before any write. A file
/// whose content was ingested before, or came earlier in the batch, is skipped, not read again.
fn read_batch(opts: &IngestOptions, base: &Snapshot, ingest_id: i64, aliases: &Aliases, conv: &RowConverter, kconv: &RowConverter) -> Result<Batch, IngestError> {
    let previously = if opts.force { HashMap::new() } else { ingested_hashes(base, opts.table)? };
    let known = if opts.table == Table::Responses { Some(known_findings(base)?) } else { None };
    let mut batch = Batch { files: Vec::new(), skipped: Vec::new(), order: Vec::new() };
    let mut seen_in_batch: HashMap<String, usize> = HashMap::new();
    for path in &opts.files {
        let probe = read::probe(path, opts.encoding)?;
        let skipped_as = previously.get(&probe.hash).copied().or_else(|| seen_in_batch.get(&probe.hash).map(|_| ingest_id));
        if let Some(prev) = skipped_as {
            batch.skipped.push(FileReport {
                file: path.display().to_string(),
                format: probe.format.as_str().into(),
                encoding: probe.encoding.map(|e| e.name().to_string()),
                hash: probe.hash.clone(),
                skipped_as_ingest: Some(prev),
                ..Default::default()
            });
            batch.order.push(None);
            continue;
        }
        let t = std::time::Instant::now();
        let fr = read_file(opts, path, &probe, ingest_id, aliases, conv, kconv, known.as_ref())?;
        tracing::debug!(file = %path.display(), rows = fr.parts.num_rows(), secs = t.elapsed().as_secs_f64(), "read");
        seen_in_batch.insert(probe.hash.clone(), batch.files.len());
        batch.order.push(Some(batch.files.len()));
        batch.files.push(fr);
    }
    Ok(batch)
}

/// Across the batch, the later file's record wins: the winners in key order, and the rows (file,
/// row) a later file superseded.
fn batch_winners(files: &[FileRows]) -> (Vec<merge::Winner<'_>>, Vec<(usize, usize)>) {
    let mut winner: FastMap<&[u8], (usize, usize)> = fast_map(files.iter().map(|f| f.parts.num_rows()).sum());
    let mut superseded_rows: Vec<(usize, usize)> = Vec::new();
    for (f, fr) in files.iter().enumerate() {
        for (p, k) in fr.keys.iter().enumerate() {
            for r in 0..k.num_rows() {
                let i = fr.parts.starts[p] + r;
                if !fr.keep[i] {
                    continue;
                }
                if let Some(prev) = winner.insert(k.row(r).data(), (f, i)) {
                    superseded_rows.push(prev);
                }
            }
        }
    }
    let mut winners: Vec<merge::Winner<'_>> = winner.iter().map(|(k, &(f, i))| (*k, f, i)).collect();
    winners.sort_unstable_by(|a, b| a.0.cmp(b.0));
    (winners, superseded_rows)
}

/// For responses, every version loaded (a record superseded within the batch included), but none
/// unchanged: the rows `response_log` takes.
fn response_log_rows(table: Table, files: &[FileRows], unchanged: &[Vec<bool>]) -> Vec<RecordBatch> {
    if table != Table::Responses {
        return Vec::new();
    }
    files
        .iter()
        .enumerate()
        .filter_map(|(f, fr)| {
            let idx: Vec<u32> = (0..fr.parts.num_rows()).filter(|&i| fr.keep[i] && !unchanged[f][i]).map(|i| i as u32).collect();
            (!idx.is_empty()).then(|| fr.parts.take(&idx))
        })
        .collect()
}

/// What became of every row read, counted in its file's report: superseded by a later file, or
/// loaded as a new, updated or unchanged record. Returns the batch's quarantined rows.
fn tally(files: &mut [FileRows], superseded: Vec<(usize, usize)>, merged: &merge::Merged) -> Vec<QuarantineRow> {
    for (f, i) in superseded {
        files[f].keep[i] = false;
        files[f].report.superseded += 1;
    }
    let mut all_quarantine: Vec<QuarantineRow> = Vec::new();
    for (f, fr) in files.iter_mut().enumerate() {
        fr.report.parts_rewritten = merged.file_parts_rewritten[f];
        fr.report.parts_new = merged.file_parts_new[f];
        for i in 0..fr.parts.num_rows() {
            if fr.keep[i] {
                fr.report.loaded += 1;
                if merged.unchanged[f][i] {
                    fr.report.unchanged_records += 1;
                } else if merged.replaced[f][i] {
                    fr.report.updated_records += 1;
                } else {
                    fr.report.new_records += 1;
                }
            }
        }
        all_quarantine.extend(fr.quarantine.iter().cloned());
    }
    all_quarantine
}

/// Stores what the ingest leaves beside the table — the responses' versions, the quarantined rows,
/// the files' reports — and commits the snapshot.
fn commit(mut txn: Txn<'_>, table: Table, ingest_id: i64, reports: &[FileReport], log_rows: &[RecordBatch], quarantined: &[QuarantineRow]) -> Result<Snapshot, StoreError> {
    crate::store::failpoint("after_table_write")?;
    let file = format!("ingest-{ingest_id:06}.parquet");
    if !log_rows.is_empty() {
        txn.add_file(crate::store::schemas::RESPONSE_LOG, &file, &table.spec().schema(), log_rows)?;
    }
    if !quarantined.is_empty() {
        let qb = quarantine::quarantine_batch(ingest_id, table.name(), quarantined);
        txn.add_file("quarantine", &file, &quarantine::quarantine_schema(), &[qb])?;
    }
    let now = values::ts_micros(crate::clock::now_china());
    let ib = quarantine::ingests_batch(ingest_id, table.name(), now, reports);
    txn.add_file("ingests", &file, &quarantine::ingests_schema(), &[ib])?;
    txn.meta.next_ingest_id = ingest_id + 1;
    txn.commit()
}

/// The quarantined rows counted by reason, in reason order.
fn by_reason(quarantined: &[QuarantineRow]) -> Vec<(String, u64)> {
    let mut by_reason: HashMap<String, u64> = HashMap::new();
    for q in quarantined {
        *by_reason.entry(q.reason.clone()).or_default() += 1;
    }
    let mut by_reason: Vec<(String, u64)> = by_reason.into_iter().collect();
    by_reason.sort();
    by_reason
}

/// Rows per part file of a table: 1,000,000, or `WINDOWWATCH_PART_ROWS` (tests).
fn part_rows() -> usize {
    std::env::var("WINDOWWATCH_PART_ROWS").ok().and_then(|s| s.parse().ok()).filter(|&n| n > 0).unwrap_or(1_000_000)
}

/// Rows per part when `n` rows are written: at most `part_rows()`, spread evenly, and over at
/// least one part per core when each still gets `MIN_SHARED_PART` rows, so the cores write parts
/// of equal size side by side instead of one waiting on the other.
fn part_size(n: usize) -> usize {
    const MIN_SHARED_PART: usize = 200_000;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut parts = n.div_ceil(part_rows()).max((n / MIN_SHARED_PART).min(cores)).max(1);
    if parts > 1 {
        parts = parts.div_ceil(cores) * cores;
    }
    n.div_ceil(parts).max(1)
}
