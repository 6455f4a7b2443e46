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
pub mod parse;
pub mod quarantine;
pub mod read;
pub mod sniff;
pub mod values;
pub mod workbook;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
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
    let cols: Vec<ArrayRef> = spec.key_indices().into_iter().map(|i| Arc::clone(batch.column(i))).collect();
    conv.convert_columns(&cols).expect("key columns are text")
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
    let mut parser = parser.finish();
    if let Some((line, value)) = parser.unconfigured_level.clone() {
        return Err(IngestError::NumericLevels { file: path.to_path_buf(), line, value });
    }
    let parts = Parts::new(std::mem::take(&mut parser.batches));
    let keys: Vec<Rows> = parts.batches.iter().map(|b| key_rows(kconv, b, spec)).collect();
    let mut quarantine = parser.quarantine;
    let mut keep = vec![true; parts.num_rows()];
    let mut superseded = 0u64;
    if let Some(known) = known {
        refuse_unknown_findings(&parts, spec, known, &mut keep, &mut quarantine, &source);
    }

    // Rows sharing a key inside this file: identical ones collapse, differing ones all go.
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
    drop(first);
    let mut group_list: Vec<Vec<usize>> = groups.into_values().collect();
    group_list.sort();
    for g in group_list {
        let members: Vec<u32> = g.iter().map(|&i| i as u32).collect();
        let rows = data_rows_of_parts(conv, &parts, spec, &members);
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
                    file: source.clone(),
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
        if self.n.is_multiple_of(8192) {
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
    let known = if opts.table == Table::Responses { Some(known_findings(&base)?) } else { None };
    let conv = data_converter(spec);
    let kconv = key_converter(spec);

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
        let fr = read_file(opts, path, &probe, ingest_id, &aliases, &conv, &kconv, known.as_ref())?;
        tracing::debug!(file = %path.display(), rows = fr.parts.num_rows(), secs = t.elapsed().as_secs_f64(), "read");
        seen_in_batch.insert(probe.hash.clone(), files.len());
        order.push(Some(files.len()));
        files.push(fr);
    }

    // Across the batch, the later file's record wins.
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

    // Against the warehouse, part by part in key order: identical records stay as stored,
    // differing ones are replaced, new ones go in their place. A part no new key falls into is
    // kept as it is; one that changes is rewritten on its own, so the table is never in memory
    // whole. The stored parts are sorted by key and follow each other in key order.
    let t = std::time::Instant::now();
    let mut winners: Vec<(&[u8], usize, usize)> = winner.iter().map(|(k, &(f, i))| (*k, f, i)).collect();
    winners.sort_unstable_by(|a, b| a.0.cmp(b.0));
    drop(winner);
    let schema = spec.schema();
    let mut unchanged: Vec<Vec<bool>> = files.iter().map(|f| vec![false; f.parts.num_rows()]).collect();
    let mut replaced: Vec<Vec<bool>> = files.iter().map(|f| vec![false; f.parts.num_rows()]).collect();
    // Every batch rows may come from: the files' parts first, then the stored part at hand.
    let file_refs: Vec<&RecordBatch> = files.iter().flat_map(|f| f.parts.batches.iter()).collect();
    let mut file_base = Vec::with_capacity(files.len());
    let mut n = 0;
    for f in &files {
        file_base.push(n);
        n += f.parts.batches.len();
    }
    let new_pos = |f: usize, i: usize| {
        let (p, r) = files[f].parts.locate(i);
        (file_base[f] + p, r)
    };
    let stored = base.files(opts.table.name())?;
    let key_cols = spec.key_indices();
    let mut rewrite = txn.rewrite_table(opts.table.name())?;
    let mut table_rows = 0usize;
    let mut w = 0usize;
    for (pi, part) in stored.iter().enumerate() {
        let last = pi + 1 == stored.len();
        // The part's keys only, to see whether any new key falls into its range.
        let key_batches = crate::store::read_parquet_columns(part, &key_cols)?;
        let kb: Vec<Rows> = key_batches
            .iter()
            .map(|b| kconv.convert_columns(b.columns()).expect("key columns are text"))
            .collect();
        let part_rows: usize = key_batches.iter().map(|b| b.num_rows()).sum();
        let within = match kb.iter().rev().find(|r| r.num_rows() > 0) {
            Some(r) => {
                let max = r.row(r.num_rows() - 1);
                w + winners[w..].partition_point(|x| x.0 <= max.data())
            }
            None => w,
        };
        // The last part also takes the keys beyond every stored one — unless they are many (a
        // bulk load of new records): those become parts of their own after it, and the last
        // part is left as it is, not read and written again.
        let end = if last && winners.len() - within < append_rows() { winners.len() } else { within };
        let range = &winners[w..end];
        w = end;
        if range.is_empty() {
            rewrite.keep(part)?;
            table_rows += part_rows;
            continue;
        }
        // Walk the stored keys and the new ones together, both in key order.
        let old_keys: Vec<(usize, usize)> = kb.iter().enumerate().flat_map(|(b, r)| (0..r.num_rows()).map(move |i| (b, i))).collect();
        enum Item {
            Old(usize, usize),
            New(usize, usize),
            Both(usize, usize, usize, usize),
        }
        let mut items = Vec::with_capacity(old_keys.len() + range.len());
        let (mut a, mut b) = (0, 0);
        while a < old_keys.len() || b < range.len() {
            let ord = match (old_keys.get(a), range.get(b)) {
                (Some(&(ob, oi)), Some(nw)) => kb[ob].row(oi).data().cmp(nw.0),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, _) => std::cmp::Ordering::Greater,
            };
            match ord {
                std::cmp::Ordering::Less => {
                    items.push(Item::Old(old_keys[a].0, old_keys[a].1));
                    a += 1;
                }
                std::cmp::Ordering::Greater => {
                    items.push(Item::New(range[b].1, range[b].2));
                    b += 1;
                }
                std::cmp::Ordering::Equal => {
                    items.push(Item::Both(old_keys[a].0, old_keys[a].1, range[b].1, range[b].2));
                    a += 1;
                    b += 1;
                }
            }
        }
        drop(kb);
        // The whole part, now that it may change.
        let old_batches = crate::store::read_parquet(part)?;
        let mut refs: Vec<&RecordBatch> = file_refs.clone();
        let old_base = refs.len();
        refs.extend(old_batches.iter());
        // Stored records that come again: compared column by column with the new ones.
        let both: Vec<(usize, usize, usize, usize)> = items.iter().filter_map(|it| if let Item::Both(ob, oi, f, i) = it { Some((*ob, *oi, *f, *i)) } else { None }).collect();
        let mut same = vec![false; both.len()];
        if !both.is_empty() {
            let olds: Vec<(usize, usize)> = both.iter().map(|&(ob, oi, _, _)| (old_base + ob, oi)).collect();
            let news: Vec<(usize, usize)> = both.iter().map(|&(_, _, f, i)| new_pos(f, i)).collect();
            let ob = datafusion::arrow::compute::interleave_record_batch(&refs, &olds).map_err(|e| StoreError::Arrow { path: part.clone(), source: e })?;
            let nb = datafusion::arrow::compute::interleave_record_batch(&refs, &news).map_err(|e| StoreError::Arrow { path: part.clone(), source: e })?;
            let or = conv.convert_columns(&ob.columns()[..spec.columns.len()]).expect("columns match the converter");
            let nr = conv.convert_columns(&nb.columns()[..spec.columns.len()]).expect("columns match the converter");
            for k in 0..both.len() {
                same[k] = or.row(k) == nr.row(k);
                let (_, _, f, i) = both[k];
                if same[k] {
                    unchanged[f][i] = true;
                } else {
                    replaced[f][i] = true;
                }
            }
        }
        let any_new = items.iter().any(|it| matches!(it, Item::New(..)));
        if !any_new && same.iter().all(|s| *s) {
            rewrite.keep(part)?;
            table_rows += part_rows;
            continue;
        }
        let mut k = 0;
        let positions: Vec<(usize, usize)> = items
            .iter()
            .map(|it| match *it {
                Item::Old(ob, oi) => (old_base + ob, oi),
                Item::New(f, i) => new_pos(f, i),
                Item::Both(ob, oi, f, i) => {
                    let keep_old = same[k];
                    k += 1;
                    if keep_old { (old_base + ob, oi) } else { new_pos(f, i) }
                }
            })
            .collect();
        table_rows += positions.len();
        let out: Vec<RecordBatch> = positions
            .chunks(part_size(positions.len()))
            .map(|c| datafusion::arrow::compute::interleave_record_batch(&refs, c))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Arrow { path: part.clone(), source: e })?;
        rewrite.write(&schema, &out)?;
    }
    if w < winners.len() {
        // A table's first records, or many beyond every stored key: new parts after the stored.
        let positions: Vec<(usize, usize)> = winners[w..].iter().map(|&(_, f, i)| new_pos(f, i)).collect();
        table_rows += positions.len();
        let out: Vec<RecordBatch> = positions
            .chunks(part_size(positions.len()))
            .map(|c| datafusion::arrow::compute::interleave_record_batch(&file_refs, c))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Arrow { path: base.dir.clone(), source: e })?;
        rewrite.write(&schema, &out)?;
    }
    drop(winners);
    drop(file_refs);
    // Every version loaded (a record superseded within the batch included), but none unchanged.
    let log_rows: Vec<RecordBatch> = if opts.table == Table::Responses {
        files
            .iter()
            .enumerate()
            .filter_map(|(f, fr)| {
                let idx: Vec<u32> = (0..fr.parts.num_rows()).filter(|&i| fr.keep[i] && !unchanged[f][i]).map(|i| i as u32).collect();
                (!idx.is_empty()).then(|| fr.parts.take(&idx))
            })
            .collect()
    } else {
        Vec::new()
    };
    for (f, i) in superseded_rows {
        files[f].keep[i] = false;
        files[f].report.superseded += 1;
    }
    let mut all_quarantine: Vec<QuarantineRow> = Vec::new();
    for (f, fr) in files.iter_mut().enumerate() {
        for i in 0..fr.parts.num_rows() {
            if fr.keep[i] {
                fr.report.loaded += 1;
                if unchanged[f][i] {
                    fr.report.unchanged_records += 1;
                } else if replaced[f][i] {
                    fr.report.updated_records += 1;
                } else {
                    fr.report.new_records += 1;
                }
            }
        }
        all_quarantine.extend(fr.quarantine.iter().cloned());
    }
    let rewrote = rewrite.finish(&schema)?;
    tracing::debug!(rows = table_rows, rewrote, secs = t.elapsed().as_secs_f64(), "merged with the warehouse and written");
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

    crate::store::failpoint("after_table_write")?;
    if !log_rows.is_empty() {
        txn.add_file(crate::store::schemas::RESPONSE_LOG, &format!("ingest-{ingest_id:06}.parquet"), &schema, &log_rows)?;
    }
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

/// Rows per part file of a table.
const PART_ROWS: usize = 1_000_000;

/// Rows per part when `n` rows are written: at most `PART_ROWS`, spread evenly, and over at least
/// one part per core when each still gets `MIN_SHARED_PART` rows, so the cores write parts of
/// equal size side by side instead of one waiting on the other.
fn part_size(n: usize) -> usize {
    const MIN_SHARED_PART: usize = 200_000;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut parts = n.div_ceil(PART_ROWS).max((n / MIN_SHARED_PART).min(cores)).max(1);
    if parts > 1 {
        parts = parts.div_ceil(cores) * cores;
    }
    n.div_ceil(parts).max(1)
}

/// How many new keys beyond every stored one make parts of their own rather than join the last
/// part (fewer join it, so daily exports do not leave a trail of small parts): a quarter of a
/// part, or `WINDOWWATCH_APPEND_ROWS`.
fn append_rows() -> usize {
    std::env::var("WINDOWWATCH_APPEND_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(PART_ROWS / 4)
}
